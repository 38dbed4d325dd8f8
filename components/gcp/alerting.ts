// Cloud Monitoring for the platform: an HTTPS uptime check on the API host (and on
// the isolation canary's host when one is given), and alert policies on what an SRE watches on day one: the
// API (or canary) failing its uptime check, the API certificate close to expiry, load-balancer 5xx rate, Cloud
// NAT drops and allocation failures, the backend's HPA pinned at its maximum, and node pools at their maximum.
// Metrics and sources: docs/edge-egress-ops.md. Policies exist with or without notification channels
// (NotificationChannels): without one, an incident still opens in Cloud Monitoring (Alerting page, API), it just
// notifies no one.
import * as monitoring from "../sdk/gcp/monitoring.js";
import type * as types from "@pulumi/gcp/types/index.js";
import * as pulumi from "@pulumi/pulumi";

type Condition = types.input.monitoring.AlertPolicyCondition;

/** Uptime-check metrics (https://cloud.google.com/monitoring/api/metrics_gcp_i_o#gcp-monitoring). */
export const UPTIME_CHECK_PASSED = "monitoring.googleapis.com/uptime_check/check_passed";
export const UPTIME_SSL_DAYS_LEFT = "monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires";
/** External Application Load Balancer requests (https://cloud.google.com/monitoring/api/metrics_gcp_d_h#gcp-loadbalancing). */
export const LB_REQUEST_COUNT = "loadbalancing.googleapis.com/https/request_count";
/** Cloud NAT (https://cloud.google.com/nat/docs/monitoring). */
export const NAT_DROPPED_SENT = "router.googleapis.com/nat/dropped_sent_packets_count";
export const NAT_ALLOCATION_FAILED = "router.googleapis.com/nat/nat_allocation_failed";
/** A VM's CPU utilization: one series per running node, counted per pool (https://cloud.google.com/monitoring/api/metrics_gcp_c#gcp-compute). */
export const INSTANCE_CPU = "compute.googleapis.com/instance/cpu/utilization";
/** Label every node VM carries (GKE node pool resourceLabels, components/gke/nodePool.ts). */
export const POOL_VM_LABEL = "gumstack-pool";
/** Label every node VM of a stack carries with the stack's environment (node pool resourceLabels, src/stacks/layers/gke.ts). */
export const ENVIRONMENT_VM_LABEL = "gumstack-environment";

/** Quotes a value for a Cloud Monitoring filter. */
function q(value: string): string {
  if (/["\\]/.test(value)) throw new Error(`filter value ${JSON.stringify(value)} may not contain quotes or backslashes`);
  return `"${value}"`;
}

/** Uptime check failing from more than one checker region for 5 minutes. */
export function uptimeFailingCondition(host: string, checkId: string): Condition {
  return {
    displayName: `${host} fails its uptime check`,
    conditionThreshold: {
      filter: `metric.type=${q(UPTIME_CHECK_PASSED)} AND resource.type="uptime_url" AND metric.label.check_id=${q(checkId)}`,
      aggregations: [
        {
          alignmentPeriod: "300s",
          perSeriesAligner: "ALIGN_NEXT_OLDER",
          crossSeriesReducer: "REDUCE_COUNT_FALSE",
          groupByFields: ["resource.label.host"],
        },
      ],
      comparison: "COMPARISON_GT",
      thresholdValue: 1,
      duration: "300s",
      trigger: { count: 1 },
    },
  };
}

/** The served certificate expires in fewer than `days` days (a Google-managed certificate renews well before). */
export function certificateExpiryCondition(host: string, checkId: string, days: number): Condition {
  return {
    displayName: `${host} certificate expires in under ${days} days`,
    conditionThreshold: {
      filter: `metric.type=${q(UPTIME_SSL_DAYS_LEFT)} AND resource.type="uptime_url" AND metric.label.check_id=${q(checkId)}`,
      aggregations: [
        {
          alignmentPeriod: "3600s",
          perSeriesAligner: "ALIGN_MIN",
          crossSeriesReducer: "REDUCE_MIN",
          groupByFields: ["resource.label.host"],
        },
      ],
      comparison: "COMPARISON_LT",
      thresholdValue: days,
      duration: "0s",
      trigger: { count: 1 },
    },
  };
}

/** 5xx responses above `percent` % of all load-balancer responses in the project, for 5 minutes. */
export function lb5xxCondition(percent: number): Condition {
  if (!(percent > 0 && percent <= 100)) throw new Error(`lb5xxPercent must be in (0, 100], got ${percent}`);
  const base = `metric.type=${q(LB_REQUEST_COUNT)} AND resource.type="https_lb_rule"`;
  const agg = [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_RATE", crossSeriesReducer: "REDUCE_SUM" }];
  return {
    displayName: `load balancer 5xx above ${percent}%`,
    conditionThreshold: {
      filter: `${base} AND metric.label.response_code_class=500`,
      aggregations: agg,
      denominatorFilter: base,
      denominatorAggregations: agg,
      comparison: "COMPARISON_GT",
      thresholdValue: percent / 100,
      duration: "300s",
      trigger: { count: 1 },
    },
  };
}

/** Any packet Cloud NAT dropped (OUT_OF_RESOURCES: no port left; ENDPOINT_INDEPENDENT_CONFLICT), and any failed allocation. */
export function natConditions(gatewayNames: readonly string[]): Condition[] {
  if (gatewayNames.length === 0) throw new Error("NAT alerts need at least one gateway name");
  const gateways = `resource.label.gateway_name=one_of(${gatewayNames.map(q).join(", ")})`;
  return [
    {
      displayName: "Cloud NAT drops packets",
      conditionThreshold: {
        filter: `metric.type=${q(NAT_DROPPED_SENT)} AND resource.type="nat_gateway" AND ${gateways}`,
        aggregations: [
          {
            alignmentPeriod: "60s",
            perSeriesAligner: "ALIGN_RATE",
            crossSeriesReducer: "REDUCE_SUM",
            groupByFields: ["resource.label.gateway_name", "metric.label.reason"],
          },
        ],
        comparison: "COMPARISON_GT",
        thresholdValue: 0,
        duration: "120s",
        trigger: { count: 1 },
      },
    },
    {
      displayName: "Cloud NAT fails to allocate ports or addresses",
      conditionThreshold: {
        filter: `metric.type=${q(NAT_ALLOCATION_FAILED)} AND resource.type="nat_gateway" AND ${gateways}`,
        aggregations: [
          {
            alignmentPeriod: "60s",
            perSeriesAligner: "ALIGN_COUNT_TRUE",
            crossSeriesReducer: "REDUCE_SUM",
            groupByFields: ["resource.label.gateway_name"],
          },
        ],
        comparison: "COMPARISON_GT",
        thresholdValue: 0,
        duration: "60s",
        trigger: { count: 1 },
      },
    },
  ];
}

/** The HPA's current replicas at its spec maximum for 15 minutes (GKE's managed kube-state-metrics, PromQL). */
export function hpaAtMaxCondition(p: { cluster: string; namespace: string; hpa: string }): Condition {
  for (const v of [p.cluster, p.namespace, p.hpa]) {
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(v)) throw new Error(`"${v}" is not a Kubernetes or GKE name`);
  }
  const sel = `{cluster="${p.cluster}",namespace="${p.namespace}",horizontalpodautoscaler="${p.hpa}"}`;
  const by = "max by (namespace, horizontalpodautoscaler)";
  return {
    displayName: `HPA ${p.namespace}/${p.hpa} at its maximum`,
    conditionPrometheusQueryLanguage: {
      query: `${by} (kube_horizontalpodautoscaler_status_current_replicas${sel}) >= ${by} (kube_horizontalpodautoscaler_spec_max_replicas${sel})`,
      duration: "900s",
      evaluationInterval: "60s",
    },
  };
}

/** A pool's running node VMs (counted by their CPU series, found by their labels) at its maximum for 30 minutes. */
export function poolAtMaxCondition(p: { environment: string; role: string; maxNodes: number }): Condition {
  if (!Number.isInteger(p.maxNodes) || p.maxNodes < 1)
    throw new Error(`pool ${p.role}: maxNodes must be a positive integer, got ${p.maxNodes}`);
  return {
    displayName: `node pool ${p.role} at its maximum (${p.maxNodes} nodes)`,
    conditionThreshold: {
      filter:
        `metric.type=${q(INSTANCE_CPU)} AND resource.type="gce_instance" AND ` +
        `metadata.user_labels.${q(POOL_VM_LABEL)}=${q(p.role)} AND metadata.user_labels.${q(ENVIRONMENT_VM_LABEL)}=${q(p.environment)}`,
      aggregations: [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_MEAN", crossSeriesReducer: "REDUCE_COUNT" }],
      comparison: "COMPARISON_GE",
      thresholdValue: p.maxNodes,
      duration: "1800s",
      trigger: { count: 1 },
    },
  };
}

/** What an HTTPS uptime check probes. */
export interface UptimeTarget {
  /** Host name (no scheme). */
  readonly host: string;
  /** Path answering 200 when healthy. */
  readonly path: string;
}

/** Defaults of the alert thresholds (also the config schema's defaults of gumstack:alerting). */
export const ALERTING_DEFAULTS = { lb5xxPercent: 5, certificateExpiryDays: 14 } as const;

export interface AlertingArgs {
  /** Project of every channel, check and policy. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment name, in display names. Required. */
  readonly environment: string;
  /** Notification channel names (NotificationChannels.names) every policy notifies. Default []: incidents open in Cloud Monitoring only. */
  readonly notificationChannels?: readonly pulumi.Input<string>[];
  /** The API host and its health path: uptime check, failure and certificate-expiry alerts. Required. */
  readonly api: UptimeTarget;
  /**
   * The isolation canary's host and health path: an uptime check from outside (through the load balancer,
   * Kourier and the activator, as tenants' traffic goes) and an alert when it fails. Its probe results alert
   * through the canary's own policies (IsolationCanary). Default none.
   */
  readonly canary?: UptimeTarget;
  /** GKE cluster name (the PromQL `cluster` label). Required. */
  readonly clusterName: pulumi.Input<string>;
  /** The backend HPA watched for sitting at its maximum. Required. */
  readonly backendHpa: { readonly namespace: string; readonly name: pulumi.Input<string> };
  /**
   * Node pools watched for sitting at their maximum: their VMs must carry the labels `gumstack-pool: <role>` and
   * `gumstack-environment: <environment>`. Required, at least one.
   */
  readonly nodePools: readonly { readonly role: string; readonly maxNodes: number }[];
  /** Cloud NAT gateway names whose drops and allocation failures alert. Required, at least one. */
  readonly natGateways: readonly pulumi.Input<string>[];
  /** Alert when 5xx exceed this percentage of load-balancer responses. Default 5. */
  readonly lb5xxPercent?: number;
  /** Alert when the API certificate expires in fewer days. Default 14. */
  readonly certificateExpiryDays?: number;
  /** Resources everything waits for (the Monitoring API). Default []. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class Alerting extends pulumi.ComponentResource {
  /** Uptime check ids by target ("api", "canary"): the `check_id` label of the uptime metrics. */
  readonly uptimeCheckIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** Alert policies by purpose. */
  readonly policies: Readonly<Record<string, monitoring.AlertPolicy>>;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:Alerting", name, {}, opts);
    if (args.nodePools.length === 0) throw new Error(`alerting ${name}: name at least one node pool`);
    if (args.natGateways.length === 0) throw new Error(`alerting ${name}: name at least one Cloud NAT gateway`);
    const o = { parent: this, dependsOn: args.dependsOn ?? [] };
    const env = args.environment;
    const notificationChannels = [...(args.notificationChannels ?? [])];
    const policy = (key: string, displayName: string, conditions: pulumi.Input<pulumi.Input<Condition>[]>, documentation: string) =>
      new monitoring.AlertPolicy(
        `${name}-${key}`,
        {
          project: args.project,
          displayName: `Gumstack ${env}: ${displayName}`,
          combiner: "OR",
          conditions,
          notificationChannels,
          documentation: { content: documentation, mimeType: "text/markdown" },
          alertStrategy: { autoClose: "1800s" },
          severity: "ERROR",
        },
        o,
      );

    const uptime = (key: string, t: UptimeTarget) => {
      if (!/^[a-z0-9.-]+$/.test(t.host)) throw new Error(`alerting ${name}: "${t.host}" is not a host name`);
      if (!t.path.startsWith("/")) throw new Error(`alerting ${name}: uptime path "${t.path}" must start with /`);
      return new monitoring.UptimeCheckConfig(
        `${name}-uptime-${key}`,
        {
          project: args.project,
          displayName: `Gumstack ${env}: ${t.host}${t.path}`,
          timeout: "10s",
          period: "60s",
          httpCheck: {
            path: t.path,
            port: 443,
            useSsl: true,
            validateSsl: true,
            requestMethod: "GET",
            acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
          },
          monitoredResource: { type: "uptime_url", labels: { project_id: args.project, host: t.host } },
        },
        o,
      );
    };

    const apiCheck = uptime("api", args.api);
    const checks: Record<string, pulumi.Output<string>> = { api: apiCheck.uptimeCheckId };
    const policies: Record<string, monitoring.AlertPolicy> = {};
    policies.apiUptime = policy(
      "api-uptime",
      `${args.api.host} down`,
      [apiCheck.uptimeCheckId.apply((id) => uptimeFailingCondition(args.api.host, id))],
      `The API at https://${args.api.host}${args.api.path} fails from more than one uptime-check region.`,
    );
    policies.certificate = policy(
      "certificate-expiry",
      `${args.api.host} certificate near expiry`,
      [
        apiCheck.uptimeCheckId.apply((id) =>
          certificateExpiryCondition(args.api.host, id, args.certificateExpiryDays ?? ALERTING_DEFAULTS.certificateExpiryDays),
        ),
      ],
      "The Google-managed certificate was not renewed: check the Certificate Manager certificate's state and that the DNS authorization CNAME still resolves.",
    );
    if (args.canary) {
      const canary = args.canary;
      const canaryCheck = uptime("canary", canary);
      checks.canary = canaryCheck.uptimeCheckId;
      policies.canaryUptime = policy(
        "canary-uptime",
        `isolation canary ${canary.host} unreachable`,
        [canaryCheck.uptimeCheckId.apply((id) => uptimeFailingCondition(canary.host, id))],
        "The isolation canary cannot be reached from outside: it is down or the MCP path (load balancer, Kourier, activator) is broken, so its isolation probes are not running either.",
      );
    }
    policies.lb5xx = policy(
      "lb-5xx",
      "load balancer 5xx rate",
      [lb5xxCondition(args.lb5xxPercent ?? ALERTING_DEFAULTS.lb5xxPercent)],
      "5xx responses from the external Application Load Balancer (backends and the proxy itself) above the threshold.",
    );
    policies.nat = policy(
      "nat",
      "Cloud NAT errors",
      pulumi.all([...args.natGateways]).apply((names: string[]) => natConditions(names)),
      "Cloud NAT drops connections or cannot allocate ports: raise gumstack:egress.<gateway>.addresses or minPortsPerVm (README, Egress).",
    );
    policies.hpa = policy(
      "backend-hpa-max",
      "backend HPA at its maximum",
      [
        pulumi
          .all([args.clusterName, args.backendHpa.name])
          .apply(([cluster, hpa]) => hpaAtMaxCondition({ cluster, namespace: args.backendHpa.namespace, hpa })),
      ],
      "The backend runs at gumstack:backend.maxReplicas: raise it (and the backend pool's maxNodes) or find the load.",
    );
    policies.pools = policy(
      "node-pools-max",
      "node pool at its maximum",
      args.nodePools.map((p) => poolAtMaxCondition({ environment: env, role: p.role, maxNodes: p.maxNodes })),
      "A node pool runs at gumstack:nodePools.<pool>.maxNodes: pending pods cannot be scheduled; raise maxNodes (and the NAT addresses if needed).",
    );
    this.uptimeCheckIds = checks;
    this.policies = policies;
    this.registerOutputs({ uptimeCheckIds: checks });
  }
}
