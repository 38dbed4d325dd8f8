import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_NODE_POOL } from "../lib/types";

/** The label the program puts on the MCP pool's nodes (and that MCP pods select). */
export const MCP_POOL_LABEL = "gumstack.com/pool";

// The MCP pool is the one with a sandbox config OR the MCP label: a pool labelled for MCP servers but not
// sandboxed would run untrusted code on the host kernel (docs/facts.md fact 11).
export const gkeNodePoolMcpSandbox = resourcePolicy(
  {
    name: "gke-node-pool-mcp-sandbox",
    description: "The MCP node pool runs GKE Sandbox (gVisor) on Container-Optimized OS with containerd.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisGke("5.10.4", "Consider GKE Sandbox for running untrusted workloads"),
    remediationSteps: 'Set nodeConfig.sandboxConfig: { type: "GVISOR" } and nodeConfig.imageType: "COS_CONTAINERD" on the MCP pool.',
  },
  GKE_NODE_POOL,
  ({ props, report }) => {
    const label = at(props, ["nodeConfig", "labels", MCP_POOL_LABEL]);
    const sandbox = at(props, "nodeConfig.sandboxConfig");
    if (label === UNKNOWN) return report(cannotVerify(["nodeConfig", "labels", MCP_POOL_LABEL]));
    if (sandbox === UNKNOWN) return report(cannotVerify("nodeConfig.sandboxConfig"));
    if (label !== "mcp" && (sandbox === undefined || sandbox === null)) return; // not the MCP pool
    // `type` replaced the deprecated `sandboxType`; either spelling, either case, is accepted by the provider.
    const type = at(props, "nodeConfig.sandboxConfig.type") ?? at(props, "nodeConfig.sandboxConfig.sandboxType");
    if (type === UNKNOWN) return report(cannotVerify("nodeConfig.sandboxConfig.type"));
    if (typeof type !== "string" || type.toUpperCase() !== "GVISOR") {
      report(`the MCP node pool is not sandboxed: nodeConfig.sandboxConfig.type is ${JSON.stringify(type ?? null)}, expected "GVISOR"`);
    }
    const image = at(props, "nodeConfig.imageType");
    if (image === UNKNOWN) return report(cannotVerify("nodeConfig.imageType"));
    // Absent means GKE's default image, COS_CONTAINERD.
    if (image !== undefined && image !== null && (typeof image !== "string" || image.toUpperCase() !== "COS_CONTAINERD")) {
      report(`nodeConfig.imageType is ${JSON.stringify(image)}: GKE Sandbox needs "COS_CONTAINERD"`);
    }
  },
);
