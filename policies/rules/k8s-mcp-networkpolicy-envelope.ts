import { configSchema } from "../config";
import { namespaceOf } from "../lib/k8s";
import { readNamespaceNetwork } from "../lib/netpol";
import { envelopeHoles, mcpIngress, NO_INGRESS, untrustedEgress, type Envelope } from "../lib/netpol-envelope";
import { platformRule, stackPolicy } from "../lib/policy";

// The exact reading of the untrusted namespaces' own NetworkPolicies (lib/netpol-envelope.ts), beside the probe
// rules (k8s-mcp-networkpolicy-isolation, k8s-build-networkpolicy-fenced): every rule of every policy in the MCP
// and build namespaces, each peer (ipBlock with its excepts, IPv4 and IPv6; namespace and pod selectors),
// protocol (TCP, UDP, SCTP) and port interval (endPort, named ports) against the envelope: egress only kube-dns
// on 53 (NodeLocal DNSCache's 169.254.20.10 included) and public addresses on TCP 80/443, never a node-local,
// cluster or non-public range on any port, never another tenant's pod; MCP ingress only from Knative's data plane
// (and the managed collectors when the stack has a PodMonitoring there); build ingress none.
export const k8sMcpNetworkpolicyEnvelope = stackPolicy(
  {
    name: "k8s-mcp-networkpolicy-envelope",
    description:
      "Every rule of the MCP and build namespaces' NetworkPolicies, read exactly (every protocol, port range, named port, IPv6 block, selector), opens egress only to kube-dns on 53 and public addresses on TCP 80/443, and ingress only from Knative's data plane (and the collectors where the stack scrapes) to MCP pods, none to builds.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "network policy",
      "no node-local address, cluster range or other tenant's pod on any port or protocol; ingress only from the Knative data plane",
    ),
    remediationSteps:
      "Narrow the named rule: ipBlocks must except every non-public and cluster range and carry only TCP 80/443; pod peers must pin namespace (kubernetes.io/metadata.name) and app labels of kube-dns (egress, 53) or the Kourier gateway, activator and autoscaler (MCP ingress).",
    configSchema: configSchema("mcpNamespace", "buildNamespace", "knativeNamespace"),
  },
  (ctx) => {
    let judged = 0;
    for (const ns of [ctx.config.mcpNamespace, ctx.config.buildNamespace]) {
      const read = readNamespaceNetwork(ctx, ns);
      if (read.kind === "absent") continue;
      judged++;
      if (read.kind === "unknown") {
        read.findings.forEach((f) => ctx.report(f.message, f.urn));
        continue;
      }
      const net = read.net;
      const collectors = ctx.resources.some(
        (r) => r.type === "kubernetes:monitoring.googleapis.com/v1:PodMonitoring" && namespaceOf(r.props, r.providerProps) === ns,
      );
      const ingress: Envelope = ns === ctx.config.mcpNamespace ? mcpIngress(ctx.config.knativeNamespace, collectors) : NO_INGRESS;
      try {
        for (const [direction, env] of [
          ["Egress", untrustedEgress(net.clusterRanges)],
          ["Ingress", ingress],
        ] as const)
          for (const h of envelopeHoles(net.policies, ns, direction, env)) ctx.report(h.message, net.policyUrns.get(h.policy) ?? net.nsUrn);
      } catch (err) {
        ctx.report(`the NetworkPolicies of ${ns} cannot be read: ${(err as Error).message}`, net.nsUrn);
      }
    }
    if (judged === 0) ctx.notApplicable(`the stack has neither namespace ${ctx.config.mcpNamespace} nor ${ctx.config.buildNamespace}`);
  },
);
