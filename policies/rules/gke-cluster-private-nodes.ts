import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

export const gkeClusterPrivateNodes = resourcePolicy(
  {
    name: "gke-cluster-private-nodes",
    description: "GKE cluster nodes have internal IP addresses only (privateClusterConfig.enablePrivateNodes).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("5.6.5", "Ensure clusters are created with Private Nodes"),
    remediationSteps: "Set privateClusterConfig: { enablePrivateNodes: true } and give the nodes Cloud NAT for egress.",
  },
  GKE_CLUSTER,
  ({ props, report }) => {
    const v = at(props, "privateClusterConfig.enablePrivateNodes");
    if (v === UNKNOWN) return report(cannotVerify("privateClusterConfig.enablePrivateNodes"));
    if (v !== true) report("nodes get public IP addresses: set privateClusterConfig.enablePrivateNodes to true");
  },
);
