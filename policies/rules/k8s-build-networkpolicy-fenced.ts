import { configSchema } from "../config";
import { buildIsolationProbes, buildReachabilityProbes } from "../lib/build";
import { hasDefaultDeny, judgeProbes, modelOf, openLayers, readNamespaceNetwork, refusal } from "../lib/netpol";
import { platformRule, stackPolicy } from "../lib/policy";

// Customers' Dockerfiles run in the build namespace: judged by NetworkPolicy semantics with the MCP namespace's
// evaluator, a build pod must have default deny both ways, be refused every non-public destination (the metadata
// server included), every other namespace and build, every internet port but 80/443 and all ingress, and reach
// public 80/443 and kube-dns. Refusals are checked reading ipBlocks as matching pod IPs too (the reading that
// allows more); the allowed probes under Dataplane V2's reading when the cluster runs it.
export const k8sBuildNetworkpolicyFenced = stackPolicy(
  {
    name: "k8s-build-networkpolicy-fenced",
    description:
      "NetworkPolicies fence the build namespace: default deny, no ingress, egress only to kube-dns and public addresses on TCP 80/443.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "build plane",
      "builds run untrusted Dockerfiles: DNS and public 80/443 only, never the metadata server, private ranges or other namespaces",
    ),
    remediationSteps:
      "Create in the build namespace a default-deny NetworkPolicy (podSelector {}, Ingress and Egress), DNS egress to kube-dns only, and TCP 80/443 egress to 0.0.0.0/0 " +
      "excepting every non-public range and the cluster's ranges (components/kubernetes/buildNetworkPolicies.ts); no ingress rule.",
    configSchema: configSchema("buildNamespace", "mcpNamespace", "knativeNamespace"),
  },
  (ctx) => {
    const read = readNamespaceNetwork(ctx, ctx.config.buildNamespace);
    if (read.kind === "absent") return ctx.notApplicable(`the stack has no namespace ${ctx.config.buildNamespace}`);
    if (read.kind === "unknown") return read.findings.forEach((f) => ctx.report(f.message, f.urn));
    const net = read.net;
    for (const direction of ["Ingress", "Egress"] as const) {
      let denied: boolean;
      try {
        denied = hasDefaultDeny(net, direction);
      } catch (err) {
        return ctx.report(`the NetworkPolicies cannot be evaluated: ${(err as Error).message}`, net.nsUrn);
      }
      if (!denied)
        ctx.report(
          `namespace ${net.ns} has no default-deny NetworkPolicy for ${direction.toLowerCase()} (podSelector: {}, policyTypes including ${direction}, no ${direction.toLowerCase()} rules)`,
          net.nsUrn,
        );
    }
    const others = [ctx.config.mcpNamespace, ctx.config.knativeNamespace, "kube-system", "default"];
    // Each of the build pods' own layers (egress, ingress) must refuse on its own, as for MCP pods.
    judgeProbes(ctx, net, modelOf(net, true), buildIsolationProbes(net, others), (p, verdict) =>
      openLayers(net, p, verdict).map((open) => ({
        key: `${p.key}:${open.layer}`,
        message: `${p.text} is allowed by the build pods' ${open.layer} policies (${open.by.split("the MCP pod").join("the build pod")}); each layer must refuse it on its own`,
        urn: open.urn,
      })),
    );
    judgeProbes(ctx, net, modelOf(net, !net.dataplaneV2), buildReachabilityProbes(net), (p, verdict) =>
      verdict.allowed ? [] : [{ key: p.key, message: `${p.text} is refused (${refusal(p, verdict)}); builds need it`, urn: net.nsUrn }],
    );
  },
);
