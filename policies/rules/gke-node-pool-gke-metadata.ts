import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_NODE_POOL } from "../lib/types";

// The GKE metadata server is what keeps pods from reading the node's credentials at 169.254.169.254
// (docs/facts.md fact 12): it must be on for EVERY pool, not only the MCP one.
export const gkeNodePoolGkeMetadata = resourcePolicy(
  {
    name: "gke-node-pool-gke-metadata",
    description: "Every GKE node pool runs the GKE metadata server (nodeConfig.workloadMetadataConfig.mode GKE_METADATA).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisGke("5.4.2", "Ensure the GKE Metadata Server is Enabled"),
    remediationSteps: 'Set nodeConfig.workloadMetadataConfig: { mode: "GKE_METADATA" } on the node pool.',
  },
  GKE_NODE_POOL,
  ({ props, report }) => {
    const mode = at(props, "nodeConfig.workloadMetadataConfig.mode");
    if (mode === UNKNOWN) return report(cannotVerify("nodeConfig.workloadMetadataConfig.mode"));
    if (mode !== "GKE_METADATA") {
      report(
        `nodeConfig.workloadMetadataConfig.mode is ${JSON.stringify(mode ?? null)}, expected "GKE_METADATA": ` +
          "pods on this pool can read the node service account's token from the metadata server",
      );
    }
  },
);
