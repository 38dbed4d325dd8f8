import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_NODE_POOL } from "../lib/types";

export const gkeNodePoolSecureBoot = resourcePolicy(
  {
    name: "gke-node-pool-secure-boot",
    description: "GKE node pools boot with Secure Boot (nodeConfig.shieldedInstanceConfig.enableSecureBoot, default false).",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: cisGke("5.5.7", "Ensure Secure Boot for Shielded GKE Nodes is Enabled"),
    remediationSteps: "Set nodeConfig.shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true }.",
  },
  GKE_NODE_POOL,
  ({ props, report }) => {
    const v = at(props, "nodeConfig.shieldedInstanceConfig.enableSecureBoot");
    if (v === UNKNOWN) return report(cannotVerify("nodeConfig.shieldedInstanceConfig.enableSecureBoot"));
    if (v !== true) report("Secure Boot is off: set nodeConfig.shieldedInstanceConfig.enableSecureBoot to true");
  },
);
