import { cisGcp, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { STORAGE_BUCKET } from "../lib/types";

export const storageBucketUniformAccess = resourcePolicy(
  {
    name: "storage-bucket-uniform-access",
    description: "Cloud Storage buckets use uniform bucket-level access (IAM only, no object ACLs).",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: cisGcp("5.2", "Ensure That Cloud Storage Buckets Have Uniform Bucket-Level Access Enabled"),
    remediationSteps: "Set uniformBucketLevelAccess: true on the bucket.",
  },
  STORAGE_BUCKET,
  ({ props, report }) => {
    const v = at(props, "uniformBucketLevelAccess");
    if (v === UNKNOWN) return report(cannotVerify("uniformBucketLevelAccess"));
    if (v !== true) report("uniformBucketLevelAccess is not true: object ACLs can grant access that IAM does not show");
  },
);
