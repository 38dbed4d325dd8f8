import { configSchema } from "../config";
import { inMcpNamespace } from "../lib/mcp";
import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, isObject, UNKNOWN } from "../lib/props";

// Managed Prometheus's collectors run on every node and scrape what a PodMonitoring selects. Tenants choose their
// pods' labels, so a ClusterPodMonitoring (every namespace) or a PodMonitoring in the MCP namespace selecting by a
// label a tenant can set makes the collectors scrape, and forward, whatever tenant code answers, and opens the
// MCP pods' ingress to them. Only the platform's own canary is scraped there.
// https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed#target-scraping
const POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring";
const CLUSTER_POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring";
const TENANT_LABEL = "gumstack.com/tenant";
const CANARY_TENANT = "gumstack-canary";

export const k8sMcpServiceMonitoringScope = resourcePolicy(
  {
    name: "k8s-mcp-service-monitoring-scope",
    description:
      "Metric collectors scrape no tenant pod: no ClusterPodMonitoring, and a PodMonitoring in the MCP namespace selects only the platform canary (gumstack.com/tenant: gumstack-canary).",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: platformRule("network policy", "only the platform's canary is scraped in the MCP namespace"),
    remediationSteps: `Use namespaced PodMonitorings; in the MCP namespace select matchLabels { "${TENANT_LABEL}": "${CANARY_TENANT}" } only.`,
    configSchema: configSchema("mcpNamespace"),
  },
  [POD_MONITORING, CLUSTER_POD_MONITORING],
  (ctx) => {
    if (ctx.type === CLUSTER_POD_MONITORING)
      return ctx.report(
        "a ClusterPodMonitoring scrapes pods of every namespace, tenants' included, by labels tenants choose: use a namespaced PodMonitoring",
      );
    if (!inMcpNamespace(ctx)) return;
    const selector = at(ctx.props, "spec.selector");
    if (selector === UNKNOWN) return ctx.report(cannotVerify("spec.selector"));
    const labels = at(selector, "matchLabels");
    const ok = isObject(labels) && labels[TENANT_LABEL] === CANARY_TENANT;
    if (!ok) ctx.report(`spec.selector does not pin ${TENANT_LABEL}: ${CANARY_TENANT}: the collectors would scrape tenants' pods`);
  },
);
