import { cisGcp, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { STORAGE_BUCKET } from "../lib/types";

export const storageBucketPublicAccessPrevention = resourcePolicy(
  {
    name: "storage-bucket-public-access-prevention",
    description: "Cloud Storage buckets enforce public access prevention.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGcp("5.1", "Ensure That Cloud Storage Bucket Is Not Anonymously or Publicly Accessible"),
    remediationSteps: 'Set publicAccessPrevention: "enforced" on the bucket.',
  },
  STORAGE_BUCKET,
  ({ props, report }) => {
    const v = at(props, "publicAccessPrevention");
    if (v === UNKNOWN) return report(cannotVerify("publicAccessPrevention"));
    if (v !== "enforced") report(`publicAccessPrevention is ${JSON.stringify(v ?? "inherited")}, expected "enforced"`);
  },
);
