import { configSchema } from "../config";
import { hasDefaultDeny, readMcpNetwork } from "../lib/netpol";
import { cisGke, stackPolicy } from "../lib/policy";

export const k8sMcpNetworkpolicyDefaultDeny = stackPolicy(
  {
    name: "k8s-mcp-networkpolicy-default-deny",
    description: "The MCP namespace has a default-deny NetworkPolicy for both ingress and egress.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisGke("4.3.2", "Ensure that all Namespaces have Network Policies defined"),
    remediationSteps:
      "Add a NetworkPolicy in the MCP namespace with podSelector: {}, policyTypes: [Ingress, Egress] and no rules; allow what MCP servers need in separate policies.",
    configSchema: configSchema("mcpNamespace"),
  },
  (ctx) => {
    const read = readMcpNetwork(ctx);
    if (read.kind === "absent") return ctx.notApplicable(`the stack has no namespace ${ctx.config.mcpNamespace}`);
    if (read.kind === "unknown") return read.findings.forEach((f) => ctx.report(f.message, f.urn));
    for (const direction of ["Ingress", "Egress"] as const) {
      let denied: boolean;
      try {
        denied = hasDefaultDeny(read.net, direction);
      } catch (err) {
        // Only a manifest the API server would reject gets here (policyTypes that is not a list, ...).
        return ctx.report(`the NetworkPolicies cannot be evaluated: ${(err as Error).message}`, read.net.nsUrn);
      }
      if (!denied) {
        ctx.report(
          `namespace ${read.net.ns} has no default-deny NetworkPolicy for ${direction.toLowerCase()} ` +
            `(podSelector: {}, policyTypes including ${direction}, no ${direction.toLowerCase()} rules)`,
          read.net.nsUrn,
        );
      }
    }
  },
);
