import { configSchema } from "../config";
import { inMcpNamespace } from "../lib/mcp";
import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, at, cannotVerify, UNKNOWN } from "../lib/props";
import { K8S_SERVICE } from "../lib/types";

// The global L7 load balancer -> Kourier -> activator/queue-proxy is the only way in (the edge in the README's "What it provisions").
export const k8sMcpServiceNoExternalExposure = resourcePolicy(
  {
    name: "k8s-mcp-service-no-external-exposure",
    description: "No Service in the MCP namespace is a LoadBalancer or NodePort, or has externalIPs.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("edge", "GKE global L7 load balancer on HTTPS 443 -> Kourier -> Knative pod"),
    remediationSteps: "Use type ClusterIP; MCP servers are reached through Kourier and the global load balancer.",
    configSchema: configSchema("mcpNamespace"),
  },
  K8S_SERVICE,
  (ctx) => {
    if (!inMcpNamespace(ctx)) return;
    const type = at(ctx.props, "spec.type");
    if (type === UNKNOWN) return ctx.report(cannotVerify("spec.type"));
    if (type === "LoadBalancer" || type === "NodePort") {
      ctx.report(`Service type ${type} exposes MCP pods outside the cluster's ingress path`);
    }
    const ips = at(ctx.props, "spec.externalIPs");
    if (ips === UNKNOWN) return ctx.report(cannotVerify("spec.externalIPs"));
    if (asArray(ips).length > 0)
      ctx.report(`spec.externalIPs ${asArray(ips).join(", ")} exposes MCP pods outside the cluster's ingress path`);
  },
);
