import { durationSeconds } from "../lib/duration";
import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, at, cannotVerify, UNKNOWN } from "../lib/props";
import { AR_REPOSITORY } from "../lib/types";

const THIRTY_DAYS = 30 * 24 * 3600;

export const artifactRegistryRepositoryCleanup = resourcePolicy(
  {
    name: "artifact-registry-repository-cleanup",
    description:
      "Artifact Registry repositories delete images older than 30 days, for real (not a dry run), and keep the most recent versions.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: platformRule(
      "docs/facts.md fact 18",
      'cleanupPolicyDryRun: false; DELETE olderThan "2592000s" plus a KEEP mostRecentVersions rule',
    ),
    remediationSteps:
      'Set cleanupPolicyDryRun: false and cleanupPolicies [{ action: "DELETE", condition: { olderThan: "2592000s" } }, { action: "KEEP", mostRecentVersions: { keepCount: 10 } }].',
  },
  AR_REPOSITORY,
  ({ props, report }) => {
    const dryRun = at(props, "cleanupPolicyDryRun");
    if (dryRun === UNKNOWN) report(cannotVerify("cleanupPolicyDryRun"));
    else if (dryRun === true) report("cleanupPolicyDryRun is true: the cleanup policies only log what they would delete");
    const policies = at(props, "cleanupPolicies");
    if (policies === UNKNOWN) return report(cannotVerify("cleanupPolicies"));
    const list = asArray(policies);
    const deletes = list.filter((p) => at(p, "action") === "DELETE").map((p) => durationSeconds(at(p, "condition.olderThan")));
    if (!deletes.some((s) => s !== undefined && s <= THIRTY_DAYS)) {
      report("no DELETE cleanup policy with condition.olderThan of 30 days (2592000s) or less");
    }
    const keeps = list.filter((p) => at(p, "action") === "KEEP" && Number(at(p, "mostRecentVersions.keepCount")) > 0);
    if (keeps.length === 0)
      report("no KEEP cleanup policy with mostRecentVersions.keepCount: images still deployed would be deleted after 30 days");
  },
);
