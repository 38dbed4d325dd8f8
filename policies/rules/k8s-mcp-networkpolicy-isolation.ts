import { configSchema } from "../config";
import { isolationProbes, judgeProbes, modelOf, openLayers, readMcpNetwork } from "../lib/netpol";
import { platformRule, stackPolicy } from "../lib/policy";

// Judged by NetworkPolicy semantics, not by the policies' text: a representative MCP pod must be refused
// every non-public destination (the metadata server included), other tenants, other namespaces and every
// port but 80/443 on the internet, and must accept traffic from nobody but Knative's data plane. Each layer is
// judged alone: the MCP pods' egress must refuse what they must not reach whatever the destination admits, and
// their ingress must refuse whom they must not hear from whatever the source sends, so that loosening one
// layer is a violation even while the other still blocks the connection.
// ipBlocks are read as matching pod IPs too (Calico's reading): for a refusal check, the reading that
// allows more is the safe one.
export const k8sMcpNetworkpolicyIsolation = stackPolicy(
  {
    name: "k8s-mcp-networkpolicy-isolation",
    description:
      "NetworkPolicies refuse MCP pods every non-public destination, other tenants, other namespaces and non-80/443 internet ports, and admit only Knative's data plane, each layer (MCP egress, MCP ingress) on its own.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "network policy",
      "ingress only from the Knative data plane, no pod-to-pod between MCP servers; egress only to the public internet on 80/443",
    ),
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
    judgeProbes(ctx, net, modelOf(net, true), isolationProbes(net, ctx.config.knativeNamespace), (p, verdict) =>
      openLayers(net, p, verdict).map((open) => ({
        key: `${p.key}:${open.layer}`,
        message: `${p.text} is allowed by the MCP pods' ${open.layer} policies (${open.by}); each layer must refuse it on its own`,
        urn: open.urn,
      })),
    );
  },
);
