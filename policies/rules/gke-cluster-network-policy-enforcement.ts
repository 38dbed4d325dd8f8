import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

// Without enforcement every NetworkPolicy of the MCP namespace is inert: no default deny, no metadata block.
export const gkeClusterNetworkPolicyEnforcement = resourcePolicy(
  {
    name: "gke-cluster-network-policy-enforcement",
    description: "GKE clusters enforce Kubernetes NetworkPolicies (Dataplane V2, or the network policy add-on).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisGke("5.6.7", "Ensure Network Policy is Enabled and set as appropriate"),
    remediationSteps: 'Set datapathProvider: "ADVANCED_DATAPATH" (Dataplane V2) on the cluster.',
  },
  GKE_CLUSTER,
  ({ props, report }) => {
    const autopilot = at(props, "enableAutopilot");
    const dataplane = at(props, "datapathProvider");
    if (autopilot === true || dataplane === "ADVANCED_DATAPATH") return; // Autopilot always runs Dataplane V2
    if (dataplane === UNKNOWN) return report(cannotVerify("datapathProvider"));
    const enabled = at(props, "networkPolicy.enabled");
    const addonDisabled = at(props, "addonsConfig.networkPolicyConfig.disabled");
    if (enabled === UNKNOWN) return report(cannotVerify("networkPolicy.enabled"));
    if (addonDisabled === UNKNOWN) return report(cannotVerify("addonsConfig.networkPolicyConfig.disabled"));
    // The Calico path needs both the add-on (disabled by default) and enforcement on the nodes.
    if (enabled === true && addonDisabled === false) return;
    report(
      "NetworkPolicies are not enforced: set datapathProvider to ADVANCED_DATAPATH (Dataplane V2), or networkPolicy.enabled: true " +
        "with addonsConfig.networkPolicyConfig.disabled: false",
    );
  },
);
