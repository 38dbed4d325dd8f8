import { configSchema } from "../config";
import { judgeProbes, modelOf, reachabilityProbes, readMcpNetwork, refusal } from "../lib/netpol";
import { platformRule, stackPolicy } from "../lib/policy";

// The other half of the network rules: what MCP servers need to work at all (docs/facts.md facts 1-3). A
// refusal here breaks serving or scaling, not isolation, hence advisory. Under Dataplane V2 ipBlocks never
// match pods, so that reading is used when the stack's cluster runs it.
export const k8sMcpNetworkpolicyReachability = stackPolicy(
  {
    name: "k8s-mcp-networkpolicy-reachability",
    description:
      "NetworkPolicies let MCP pods reach the internet on 80/443 and kube-dns, and admit the Kourier gateway, the activator and the autoscaler.",
    enforcementLevel: "advisory",
    severity: "high",
    framework: platformRule(
      "docs/facts.md facts 1-3",
      "Knative user pods receive traffic from Kourier, the activator and the autoscaler; egress needs DNS",
    ),
    remediationSteps:
      "Ingress: from the knative-serving namespace (kubernetes.io/metadata.name) AND pods app in (3scale-kourier-gateway, activator) on 8012/8013, app=autoscaler on 9090. " +
      "Egress: UDP+TCP 53 to kube-system k8s-app in (kube-dns, node-local-dns).",
    configSchema: configSchema("mcpNamespace", "knativeNamespace"),
  },
  (ctx) => {
    const read = readMcpNetwork(ctx);
    if (read.kind === "absent") return ctx.notApplicable(`the stack has no namespace ${ctx.config.mcpNamespace}`);
    if (read.kind === "unknown") return read.findings.forEach((f) => ctx.report(f.message, f.urn));
    const net = read.net;
    judgeProbes(ctx, net, modelOf(net, !net.dataplaneV2), reachabilityProbes(net, ctx.config.knativeNamespace), (p, verdict) =>
      verdict.allowed ? [] : [{ key: p.key, message: `${p.text} is refused (${refusal(p, verdict)})`, urn: net.nsUrn }],
    );
  },
);
