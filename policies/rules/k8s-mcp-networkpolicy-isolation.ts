import { configSchema } from "../config";
import { explain, isolationProbes, judgeProbes, modelOf, readMcpNetwork } from "../lib/netpol";
import { platformRule, stackPolicy } from "../lib/policy";

// Judged by NetworkPolicy semantics, not by the policies' text: a representative MCP pod must be refused
// every non-public destination (the metadata server included), other tenants, other namespaces and every
// port but 80/443 on the internet, and must accept traffic from nobody but Knative's data plane.
// ipBlocks are read as matching pod IPs too (Calico's reading): for a refusal check, the reading that
// allows more is the safe one.
export const k8sMcpNetworkpolicyIsolation = stackPolicy(
  {
    name: "k8s-mcp-networkpolicy-isolation",
    description: "NetworkPolicies refuse MCP pods every non-public destination, other tenants, other namespaces and non-80/443 internet ports, and admit only Knative's data plane.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("network policy", "ingress only from the Knative data plane, no pod-to-pod between MCP servers; egress only to the public internet on 80/443"),
    remediationSteps:
      "Egress: allow 0.0.0.0/0 on TCP 80/443 with every non-public range (docs/facts.md fact 4) and the cluster's ranges in `except`, and DNS to kube-dns only. " +
      "Ingress: allow only namespaceSelector+podSelector (same `from` element) of the Kourier gateway, activator and autoscaler.",
    configSchema: configSchema("mcpNamespace", "knativeNamespace"),
  },
  (ctx) => {
    const read = readMcpNetwork(ctx);
    if (read.kind === "absent") return ctx.notApplicable(`the stack has no namespace ${ctx.config.mcpNamespace}`);
    if (read.kind === "unknown") return read.findings.forEach((f) => ctx.report(f.message, f.urn));
    const net = read.net;
    judgeProbes(ctx, net, modelOf(net, true), isolationProbes(net, ctx.config.knativeNamespace), false, (p, verdict) => {
      const { by, urn } = explain(net, p, verdict);
      ctx.report(`${p.text} is allowed${by ? ` (${by})` : ""}; it must be refused`, urn);
    });
  },
);
