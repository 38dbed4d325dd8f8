// The isolation canary (docs/canary.md): a platform-owned MCP server in the MCP namespace, under exactly the
// restrictions customers get (the same service account, runtime class, NetworkPolicies and admission guard),
// probing what tenants must never reach and what they must reach. Managed Prometheus scrapes its results; Cloud
// Monitoring alerts on any violation and on silence. Its host is exposed for an uptime check.
import * as monitoring from "../sdk/gcp/monitoring.js";
import * as apiextensions from "@pulumi/kubernetes/apiextensions/index.js";
import * as networkingv1 from "@pulumi/kubernetes/networking/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import {
  CANARY_TENANT,
  canaryAlertQueries,
  canaryConfigJson,
  canaryDomainMappingManifest,
  canaryPodMonitoringManifest,
  canaryProbes,
  canaryScrapePolicyManifest,
  canaryServiceManifest,
  DEFAULT_EGRESS_ECHO_URL,
  type CanaryRanges,
} from "./isolationCanaryManifests.js";
import { ISOLATION_CANARY_DEFAULTS } from "./isolationCanaryTenant.js";
import { MCP_NAMESPACE_DEFAULTS } from "../kubernetes/mcpNamespaceDefaults.js";
import { checkInt } from "./commonManifests.js";
import { GKE_SANDBOX_RUNTIME_CLASS } from "../kubernetes/gkeSandbox.js";

export interface IsolationCanaryArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** Project of the alert policies (the cluster's, where Managed Prometheus writes). Required. */
  readonly project: string;
  /** The cluster's name: the alerts select its series (Managed Prometheus' `cluster` label). Required. */
  readonly clusterName: pulumi.Input<string>;
  /** The platform domain: the canary answers at `<name>.<domain>` like an MCP server. Required. */
  readonly domain: string;
  /** The cluster's node, pod, service and control-plane ranges: the probe list is generated from them. Required. */
  readonly ranges: CanaryRanges;
  /**
   * The canary image, `<imagePrefix>gumstack-canary/<name>@sha256:<64 hex>`, published there by the release
   * identity. Required.
   */
  readonly image: string;
  /** The tenant MCP repository's image prefix (ending in "/"), the one the admission guard allows. Required. */
  readonly imagePrefix: string;
  /** Namespace of the MCP servers. Default "gumstack-mcp", McpNamespace's. */
  readonly namespace?: string;
  /** The MCP servers' service account. Default "mcp-server", McpNamespace's. */
  readonly serviceAccountName?: string;
  /** The MCP servers' runtime class. Default "gvisor". */
  readonly runtimeClassName?: string;
  /** Knative Service name, also the DomainMapping's host label. Default "gumstack-canary". */
  readonly name?: string;
  /** Seconds between probe rounds. Default 60. */
  readonly intervalSeconds?: number;
  /** Public HTTPS URL the canary must reach. Default "https://www.gstatic.com/generate_204". */
  readonly reachUrl?: string;
  /**
   * The addresses MCP pods may leave from (the stack's tenantEgressIps): the canary checks its public source address
   * is one of them, through egressEchoUrl. Default none (no such check).
   */
  readonly tenantEgressIps?: pulumi.Input<pulumi.Input<string>[]>;
  /** URL answering the caller's public address. Default DEFAULT_EGRESS_ECHO_URL (Cloudflare's trace on 1.1.1.1). */
  readonly egressEchoUrl?: string;
  /** Cloud Monitoring notification channels of both alerts. Default none (incidents only in the console). */
  readonly notificationChannels?: pulumi.Input<pulumi.Input<string>[]>;
  /** Resources the Kubernetes objects wait for: Knative Serving, the MCP namespace, its policies and guard. Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Resources the alert policies wait for: the Monitoring API enablement. Default none. */
  readonly apiDependsOn?: pulumi.Input<pulumi.Resource>[];
}

const DIGEST_IMAGE = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+@sha256:[a-f0-9]{64}$/;

export class IsolationCanary extends pulumi.ComponentResource {
  /** The canary's public host, `<name>.<domain>`: point an uptime check at `https://<host><healthPath>`. */
  readonly host: string;
  /** Path answering 200 on the serving port. */
  readonly healthPath = "/healthz";
  /** Number of probes in a round. */
  readonly probeCount: number;
  readonly service: apiextensions.CustomResource;
  readonly domainMapping: apiextensions.CustomResource;
  readonly scrapePolicy: networkingv1.NetworkPolicy;
  readonly podMonitoring: apiextensions.CustomResource;
  /** Fires when a forbidden destination was reached or a required one was not. */
  readonly violationAlert: monitoring.AlertPolicy;
  /** Fires when the canary reports nothing, or stopped completing rounds. */
  readonly silenceAlert: monitoring.AlertPolicy;

  constructor(name: string, args: IsolationCanaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:serving:IsolationCanary", name, {}, opts);
    const namespace = args.namespace ?? MCP_NAMESPACE_DEFAULTS.namespace;
    const svcName = args.name ?? CANARY_TENANT;
    const intervalSeconds = checkInt(
      "IsolationCanary intervalSeconds",
      args.intervalSeconds ?? ISOLATION_CANARY_DEFAULTS.intervalSeconds,
      10,
      3600,
    );
    if (!args.imagePrefix.endsWith("/")) throw new Error(`IsolationCanary imagePrefix ${JSON.stringify(args.imagePrefix)} must end in "/"`);
    const canaryPath = `${args.imagePrefix}${CANARY_TENANT}/`;
    if (!DIGEST_IMAGE.test(args.image) || !args.image.startsWith(canaryPath)) {
      throw new Error(
        `IsolationCanary image ${JSON.stringify(args.image)} must be ${canaryPath}<name>@sha256:<64 hex>: the tenant path the admission guard allows, pinned by digest`,
      );
    }
    const probes = canaryProbes({
      ranges: args.ranges,
      namespace,
      serviceName: svcName,
      reachUrl: args.reachUrl ?? ISOLATION_CANARY_DEFAULTS.reachUrl,
      ...(args.tenantEgressIps !== undefined ? { egressEchoUrl: args.egressEchoUrl ?? DEFAULT_EGRESS_ECHO_URL } : {}),
    });
    this.probeCount = probes.length;
    this.host = `${svcName}.${args.domain}`;

    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn ?? [] };
    const cr = (suffix: string, m: Record<string, any>, extra: pulumi.CustomResourceOptions = {}) =>
      new apiextensions.CustomResource(`${name}-${suffix}`, m as apiextensions.CustomResourceArgs, { ...k8sOpts, ...extra });

    // The scrape rule exists before the pods, so the first round is already collected.
    const scrape = canaryScrapePolicyManifest(namespace);
    this.scrapePolicy = new networkingv1.NetworkPolicy(`${name}-scrape-policy`, { metadata: scrape.metadata, spec: scrape.spec }, k8sOpts);
    this.service = cr(
      "service",
      canaryServiceManifest({
        name: svcName,
        namespace,
        image: args.image,
        config: canaryConfigJson(probes, { intervalSeconds }),
        serviceAccountName: args.serviceAccountName ?? MCP_NAMESPACE_DEFAULTS.serviceAccountName,
        runtimeClassName: args.runtimeClassName ?? GKE_SANDBOX_RUNTIME_CLASS,
        replicas: 2,
        ...(args.tenantEgressIps !== undefined ? { egressIps: pulumi.output(args.tenantEgressIps).apply((ips) => ips.join(",")) } : {}),
      }),
      { dependsOn: [...(args.dependsOn ?? []), this.scrapePolicy] as pulumi.Input<pulumi.Resource>[] },
    );
    this.domainMapping = cr("domain-mapping", canaryDomainMappingManifest(svcName, namespace, args.domain), { dependsOn: [this.service] });
    this.podMonitoring = cr("pod-monitoring", canaryPodMonitoringManifest(svcName, namespace, intervalSeconds));

    const queries = pulumi.output(args.clusterName).apply((c) => canaryAlertQueries(c, namespace, intervalSeconds));
    const gcpOpts = { parent: this, dependsOn: args.apiDependsOn ?? [] };
    const channels = args.notificationChannels ?? [];
    // Once a minute at most often (a round a minute by default); never below 30 s.
    const evaluationInterval = `${Math.max(30, Math.min(intervalSeconds, 60))}s`;
    this.violationAlert = new monitoring.AlertPolicy(
      `${name}-violation-alert`,
      {
        project: args.project,
        displayName: pulumi.interpolate`Isolation canary violation (${args.clusterName})`,
        severity: "CRITICAL",
        combiner: "OR",
        conditions: [
          {
            displayName: "A forbidden destination was reached, or a required one was not",
            conditionPrometheusQueryLanguage: {
              query: queries.violation,
              // Two rounds: a real hole stays open; a one-round internet blip on a required probe does not page.
              duration: `${2 * intervalSeconds}s`,
              evaluationInterval,
            },
          },
        ],
        notificationChannels: channels,
        alertStrategy: { autoClose: "1800s" },
        documentation: {
          mimeType: "text/markdown",
          subject: "Isolation canary: a tenant-level pod reached what tenants must never reach",
          content:
            `The isolation canary (${namespace}/${svcName}, docs/canary.md) runs exactly as an MCP server does. ` +
            '`gumstack_canary_probe_success{expect="refused"} == 1` names each forbidden destination it reached; ' +
            '`gumstack_canary_probe_success{expect="reached"} == 0` each required one it could not reach. ' +
            "A forbidden success means every tenant can do the same: check the MCP NetworkPolicies and the canary's log line of the round.",
        },
      },
      gcpOpts,
    );
    this.silenceAlert = new monitoring.AlertPolicy(
      `${name}-silence-alert`,
      {
        project: args.project,
        displayName: pulumi.interpolate`Isolation canary silent (${args.clusterName})`,
        severity: "ERROR",
        combiner: "OR",
        conditions: [
          {
            displayName: "No canary metrics, or no completed probe round",
            conditionPrometheusQueryLanguage: { query: queries.silent, duration: "600s", evaluationInterval },
          },
        ],
        notificationChannels: channels,
        alertStrategy: { autoClose: "1800s" },
        documentation: {
          mimeType: "text/markdown",
          subject: "Isolation canary silent: isolation is not being checked",
          content: `No \`gumstack_canary_last_round_timestamp_seconds\` from ${namespace}/${svcName}, or no round completed recently: the pods are down, refused by the admission guard, or not scraped.`,
        },
      },
      gcpOpts,
    );

    this.registerOutputs({ host: this.host, probeCount: this.probeCount });
  }
}
