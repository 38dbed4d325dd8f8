import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

export const gkeClusterShieldedNodes = resourcePolicy(
  {
    name: "gke-cluster-shielded-nodes",
    description: "GKE clusters use Shielded GKE Nodes (enableShieldedNodes, default true).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("5.5.5", "Ensure Shielded GKE Nodes are Enabled"),
    remediationSteps: "Remove enableShieldedNodes: false from the cluster (the provider defaults it to true).",
  },
  GKE_CLUSTER,
  ({ props, report }) => {
    const v = at(props, "enableShieldedNodes");
    if (v === UNKNOWN) return report(cannotVerify("enableShieldedNodes"));
    if (v === false) report("Shielded GKE Nodes are disabled (enableShieldedNodes: false): nodes can join without verified identity");
  },
);
