import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

export const gkeClusterDeletionProtection = resourcePolicy(
  {
    name: "gke-cluster-deletion-protection",
    description: "GKE clusters keep deletion protection on (deletionProtection, default true).",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: platformRule(
      "cluster.deletionProtection",
      "Deletion protection on the cluster; turning it off is how you deliberately delete it",
    ),
    remediationSteps:
      'Keep deletionProtection true. To delete a cluster on purpose, run that update with --policy-pack-config setting "gke-cluster-deletion-protection" to "advisory".',
  },
  GKE_CLUSTER,
  ({ props, report }) => {
    const v = at(props, "deletionProtection");
    if (v === UNKNOWN) return report(cannotVerify("deletionProtection"));
    if (v === false)
      report("deletionProtection is false: a replacement or `pulumi destroy` deletes the cluster and every MCP server on it");
  },
);
