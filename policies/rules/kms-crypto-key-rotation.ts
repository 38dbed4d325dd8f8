import { durationSeconds } from "../lib/duration";
import { cisGcp, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { KMS_CRYPTO_KEY } from "../lib/types";

const NINETY_DAYS = 90 * 24 * 3600;

export const kmsCryptoKeyRotation = resourcePolicy(
  {
    name: "kms-crypto-key-rotation",
    description: "Symmetric Cloud KMS keys rotate at least every 90 days.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: cisGcp("1.10", "Ensure KMS Encryption Keys Are Rotated Within a Period of 90 Days"),
    remediationSteps: 'Set rotationPeriod: "7776000s" (or shorter) on the key.',
  },
  KMS_CRYPTO_KEY,
  ({ props, report }) => {
    const purpose = at(props, "purpose");
    if (purpose === UNKNOWN) return report(cannotVerify("purpose"));
    // Only symmetric encryption keys rotate automatically; the API refuses rotationPeriod on the others.
    if (purpose !== undefined && purpose !== null && purpose !== "ENCRYPT_DECRYPT") return;
    const period = at(props, "rotationPeriod");
    if (period === UNKNOWN) return report(cannotVerify("rotationPeriod"));
    const seconds = durationSeconds(period);
    if (period === undefined || period === null) report("rotationPeriod is not set: the key never rotates");
    else if (seconds === undefined) report(`rotationPeriod ${JSON.stringify(period)} is not a duration in seconds such as "7776000s"`);
    else if (seconds > NINETY_DAYS) report(`rotationPeriod ${String(period)} is longer than 90 days (7776000s)`);
  },
);
