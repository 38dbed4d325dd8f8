// The build-plane canary (docs/build-plane.md "A canary for the build plane"): a CronJob in the build namespace whose
// pod is a build's pod (buildJobManifest's shape: gVisor, the builder service account, no token, root with
// BUILDER_CAPABILITIES, the same limits, PriorityClass and labels scheme), running the isolation canary's program
// for one round (CANARY_MODE=once) with a build-specific probe list: what a build must never reach (the metadata
// server, the kubelet, the control plane, other namespaces, private ranges) and what it must (kube-dns, the internet
// on 443). Managed Prometheus scrapes the round's metrics while the pod holds them; Cloud Monitoring alerts on a
// violation and on silence (no successful round recently).
import * as monitoring from "../sdk/gcp/monitoring.js";
import * as apiextensions from "@pulumi/kubernetes/apiextensions/index.js";
import * as batchv1 from "@pulumi/kubernetes/batch/v1/index.js";
import * as networkingv1 from "@pulumi/kubernetes/networking/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { forbiddenEgress, POD_LOCAL_RANGES, requiredEgress } from "@gumstack/network/mcpProbes";
import type { Probe } from "../../canary/canary.js";
import { BUILD_CONTAINERS, BUILD_DEFAULTS, buildJobManifest, TENANT_LABEL, type BuildPlatform } from "./buildJob.js";
import type { NetworkPolicyManifest } from "./mcpNetworkPolicies.js";
import {
  CANARY_METRICS_PORT,
  canaryConfigJson,
  canaryScrapePolicyManifest,
  clusterNetRanges,
  probeOf,
  type CanaryRanges,
} from "../serving/isolationCanaryManifests.js";
import { CANARY_TENANT } from "../serving/isolationCanaryTenant.js";

/** The canary's server label (the tenant is the platform's reserved canary tenant, CANARY_TENANT). */
export const BUILD_CANARY_SERVER = "build-canary";
/** The label only the build canary's pods carry: what its PodMonitoring and scrape rule select. */
export const BUILD_CANARY_LABEL = "gumstack.com/build-canary";
/** The command the canary container runs: the canary image's program, one round (CANARY_MODE=once). */
export const BUILD_CANARY_COMMAND: readonly string[] = ["node", "/canary/canary.ts"];
/** The GKE metadata server's second address (the GKE metadata server on 988, Workload Identity's). */
export const GKE_METADATA_IP = "169.254.169.252";
/** Kubelet ports: 10250 authenticated API, 10255 read-only (closed on GKE by default). */
export const KUBELET_PORTS: readonly number[] = [10250, 10255];

export const BUILD_CANARY_DEFAULTS = {
  /** Every 10 minutes. */
  schedule: "*/10 * * * *",
  /** Seconds /metrics stays up after the round: three 30 s scrapes. */
  holdSeconds: 90,
  scrapeIntervalSeconds: 30,
  clusterDomain: "cluster.local",
  reachUrl: "https://www.gstatic.com/generate_204",
} as const;

export interface BuildCanaryProbeArgs {
  /** The cluster's ranges. Required. */
  readonly ranges: CanaryRanges;
  /** Public HTTPS URL the canary must reach. Required. */
  readonly reachUrl: string;
  /** `<service>.<namespace>:<port>` of other namespaces' Services a build must never reach. Required. */
  readonly foreignServices: readonly string[];
  /** Cluster DNS domain. Default "cluster.local". */
  readonly clusterDomain?: string;
}

/** The build canary's probe list: forbidden first (every one "refused"), then what a build needs ("reached"). */
export function buildCanaryProbes(a: BuildCanaryProbeArgs): Probe[] {
  const domain = a.clusterDomain ?? BUILD_CANARY_DEFAULTS.clusterDomain;
  let url: URL;
  try {
    url = new URL(a.reachUrl);
  } catch {
    throw new Error(`BuildCanary reachUrl ${JSON.stringify(a.reachUrl)} is not a URL; use https://<public host>/<path>`);
  }
  if (url.protocol !== "https:") throw new Error(`BuildCanary reachUrl ${JSON.stringify(a.reachUrl)} must be https://`);
  const probes: Probe[] = [
    // Builds have the MCP pods' egress (one except-list: buildNetworkPolicies.ts), so the pack's destinations apply.
    ...forbiddenEgress(clusterNetRanges(a.ranges))
      .filter((t) => !POD_LOCAL_RANGES.includes(t.cidr))
      .map((t) => probeOf(t, "refused")),
    ...requiredEgress()
      .filter((t) => t.port === 443)
      .map((t) => probeOf(t, "reached")),
  ];
  const add = (group: string, kind: Probe["kind"], host: string, port: number, expect: Probe["expect"] = "refused") =>
    probes.push({
      id: kind === "https" ? host : kind === "dns" ? `dns:${host}` : `${host}:${port}/${kind}`,
      group,
      kind,
      host,
      port,
      expect,
    });
  add("metadata", "tcp", "169.254.169.254", 80);
  add("metadata", "tcp", GKE_METADATA_IP, 988);
  add("metadata", "tcp", GKE_METADATA_IP, 80);
  add("metadata", "tcp", "metadata.google.internal", 80);
  // The node the pod runs on (status.hostIP through the downward API, HOST_IP): its kubelet.
  for (const port of KUBELET_PORTS) add("kubelet", "tcp", "${HOST_IP}", port);
  add("kubernetes-api", "tcp", `kubernetes.default.svc.${domain}`, 443);
  for (const ip of hostsOf(a.ranges.masterCidr)) add("kubernetes-api", "tcp", ip, 443);
  for (const s of a.foreignServices) {
    const m = /^([a-z0-9-]+)\.([a-z0-9-]+):(\d+)$/.exec(s);
    if (!m) throw new Error(`BuildCanary foreignServices entry ${JSON.stringify(s)} must be <service>.<namespace>:<port>`);
    add(`namespace:${m[2]}`, "tcp", `${m[1]}.${m[2]}.svc.${domain}`, Number(m[3]));
  }
  // kube-dns answers cluster names: a build resolves its git host and registries through it.
  add("reach:kube-dns", "dns", `kubernetes.default.svc.${domain}`, 0, "reached");
  add("reach:dns", "dns", url.hostname, 0, "reached");
  add("reach:https", "https", url.href, Number(url.port || 443), "reached");
  const seen = new Set<string>();
  return probes.filter((p) => !seen.has(p.id) && seen.add(p.id));
}

function hostsOf(cidr: string): string[] {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m || Number(m[5]) < 28) return [];
  const base = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(m[5]));
  const ip = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
  return Array.from({ length: size - 2 }, (_, i) => ip(base + 1 + i));
}

export interface BuildCanaryJobArgs {
  readonly platform: BuildPlatform;
  /** `<tenant repo>/gumstack-canary/<name>@sha256:<64 hex>`. */
  readonly image: string;
  readonly config: string;
  readonly schedule: string;
  readonly holdSeconds: number;
  readonly name: string;
}

/**
 * The CronJob: its pod template is buildJobManifest's, with the build step (root, BUILDER_CAPABILITIES) as the
 * only container, running the canary image; no Secret volume (the canary holds no credential), no init steps.
 */
export function buildCanaryCronJobManifest(a: BuildCanaryJobArgs): Record<string, any> {
  // A build of a stand-in tenant (buildJobManifest refuses the reserved gumstack-* tenants), relabelled below.
  const job = buildJobManifest(
    { ...a.platform, builderImage: a.image },
    {
      buildId: "canary",
      tenantId: "canary-shape",
      server: BUILD_CANARY_SERVER,
      gitUrl: `https://${a.platform.gitHost ?? "github.com"}/gumstack/canary.git`,
      gitSha: "0".repeat(40),
      imageRepository: a.image.slice(0, a.image.indexOf("/gumstack-canary/")),
      privateRepository: false,
    },
  );
  const tpl = job.spec.template;
  const step = tpl.spec.initContainers.find((c: any) => c.name === BUILD_CONTAINERS.build);
  const labels = { ...tpl.metadata.labels, [TENANT_LABEL]: CANARY_TENANT, [BUILD_CANARY_LABEL]: "true" };
  const container = {
    ...step,
    name: "canary",
    image: a.image,
    command: [...BUILD_CANARY_COMMAND],
    env: [
      { name: "CANARY_MODE", value: "once" },
      { name: "CANARY_CONFIG", value: a.config },
      { name: "CANARY_HOLD_SECONDS", value: String(a.holdSeconds) },
      { name: "METRICS_PORT", value: String(CANARY_METRICS_PORT) },
      { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
    ],
    ports: [{ name: "metrics", containerPort: CANARY_METRICS_PORT, protocol: "TCP" }],
    volumeMounts: [{ name: "storage", mountPath: "/var/lib/containers" }],
  };
  const { initContainers: _init, ...podSpec } = tpl.spec;
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: a.name, namespace: job.metadata.namespace, labels },
    spec: {
      schedule: a.schedule,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          ...job.spec,
          template: {
            metadata: { labels },
            spec: { ...podSpec, containers: [container], volumes: tpl.spec.volumes.filter((v: any) => v.name === "storage") },
          },
        },
      },
    },
  };
}

/** Managed Prometheus' collectors may reach the build canary's metrics port, and nothing else in the namespace. */
export function buildCanaryScrapePolicyManifest(namespace: string): NetworkPolicyManifest {
  return canaryScrapePolicyManifest(namespace, "allow-ingress-build-canary-metrics", {
    [BUILD_CANARY_LABEL]: "true",
    [TENANT_LABEL]: CANARY_TENANT,
  });
}

export function buildCanaryPodMonitoringManifest(name: string, namespace: string, intervalSeconds: number): Record<string, any> {
  return {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "PodMonitoring",
    metadata: { name, namespace, labels: { [TENANT_LABEL]: CANARY_TENANT, [BUILD_CANARY_LABEL]: "true" } },
    spec: {
      selector: { matchLabels: { [BUILD_CANARY_LABEL]: "true", [TENANT_LABEL]: CANARY_TENANT } },
      endpoints: [{ port: CANARY_METRICS_PORT, path: "/metrics", interval: `${intervalSeconds}s`, scheme: "http" }],
      targetLabels: { metadata: ["pod"] },
    },
  };
}

/** Seconds between two runs of a "*\/N * * * *" schedule, else 3600 (the silence window's base). */
export function schedulePeriodSeconds(schedule: string): number {
  const m = /^\*\/(\d+) \* \* \* \*$/.exec(schedule);
  return m ? Number(m[1]) * 60 : 3600;
}

/** PromQL of the two alerts; silence: no round scraped, or the last successful round older than three periods. */
export function buildCanaryAlertQueries(cluster: string, namespace: string, periodSeconds: number): { violation: string; silent: string } {
  const sel = `{cluster=${JSON.stringify(cluster)},namespace=${JSON.stringify(namespace)}}`;
  const ok = `gumstack_canary_last_round_timestamp_seconds${sel} and on(pod) (gumstack_canary_violation${sel} == 0)`;
  return {
    violation: `max(max_over_time(gumstack_canary_violation${sel}[${2 * periodSeconds}s])) > 0`,
    silent: `absent(max_over_time(gumstack_canary_last_round_timestamp_seconds${sel}[${3 * periodSeconds}s])) or (time() - max(max_over_time((${ok})[${3 * periodSeconds}s:])) > ${3 * periodSeconds})`,
  };
}

export interface BuildCanaryArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** Project of the alert policies. Required. */
  readonly project: string;
  /** The cluster's name (Managed Prometheus' `cluster` label). Required. */
  readonly clusterName: pulumi.Input<string>;
  /** The cluster's ranges: the probe list is generated from them. Required. */
  readonly ranges: CanaryRanges;
  /** The platform canary image (`gumstack:canary.image`), `<tenant repo>/gumstack-canary/<name>@sha256:<64 hex>`. Required. */
  readonly image: string;
  /** The build platform as the backend's builds get it (namespace, builder image, git host, ...). Required. */
  readonly platform: BuildPlatform;
  /** Other namespaces' Services, `<service>.<namespace>:<port>`, a build must never reach. Required. */
  readonly foreignServices: readonly string[];
  /** Cron schedule. Default "*\/10 * * * *". */
  readonly schedule?: string;
  /** Seconds /metrics stays up after the round. Default 90. */
  readonly holdSeconds?: number;
  /** Public HTTPS URL the canary must reach. Default "https://www.gstatic.com/generate_204". */
  readonly reachUrl?: string;
  /** Notification channels of both alerts. Default none. */
  readonly notificationChannels?: pulumi.Input<pulumi.Input<string>[]>;
  /** What the Kubernetes objects wait for (the build namespace, its policies and guard). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** What the alert policies wait for (the Monitoring API). Default none. */
  readonly apiDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class BuildCanary extends pulumi.ComponentResource {
  readonly probeCount: number;
  readonly cronJob: batchv1.CronJob;
  readonly scrapePolicy: networkingv1.NetworkPolicy;
  readonly podMonitoring: apiextensions.CustomResource;
  readonly violationAlert: monitoring.AlertPolicy;
  readonly silenceAlert: monitoring.AlertPolicy;

  constructor(name: string, args: BuildCanaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:BuildCanary", name, {}, opts);
    const namespace = args.platform.namespace ?? BUILD_DEFAULTS.namespace;
    const schedule = args.schedule ?? BUILD_CANARY_DEFAULTS.schedule;
    const holdSeconds = args.holdSeconds ?? BUILD_CANARY_DEFAULTS.holdSeconds;
    if (!Number.isInteger(holdSeconds) || holdSeconds < 60 || holdSeconds > 600)
      throw new Error(`BuildCanary holdSeconds must be an integer in 60-600 (two scrapes at least); got ${holdSeconds}`);
    if (!/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+\/gumstack-canary\/[a-z0-9._-]+@sha256:[a-f0-9]{64}$/.test(args.image))
      throw new Error(`BuildCanary image ${JSON.stringify(args.image)} must be <tenant repo>/gumstack-canary/<name>@sha256:<64 hex>`);
    const probes = buildCanaryProbes({
      ranges: args.ranges,
      reachUrl: args.reachUrl ?? BUILD_CANARY_DEFAULTS.reachUrl,
      foreignServices: args.foreignServices,
    });
    this.probeCount = probes.length;
    const period = schedulePeriodSeconds(schedule);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn ?? [] };
    const scrape = buildCanaryScrapePolicyManifest(namespace);
    this.scrapePolicy = new networkingv1.NetworkPolicy(`${name}-scrape-policy`, { metadata: scrape.metadata, spec: scrape.spec }, k8sOpts);
    const cron = buildCanaryCronJobManifest({
      platform: args.platform,
      image: args.image,
      config: canaryConfigJson(probes, { intervalSeconds: period }),
      schedule,
      holdSeconds,
      name: BUILD_CANARY_SERVER,
    });
    this.cronJob = new batchv1.CronJob(`${name}-cronjob`, { metadata: cron.metadata, spec: cron.spec } as batchv1.CronJobArgs, {
      ...k8sOpts,
      dependsOn: [...(args.dependsOn ?? []), this.scrapePolicy] as pulumi.Input<pulumi.Resource>[],
    });
    this.podMonitoring = new apiextensions.CustomResource(
      `${name}-pod-monitoring`,
      buildCanaryPodMonitoringManifest(
        BUILD_CANARY_SERVER,
        namespace,
        BUILD_CANARY_DEFAULTS.scrapeIntervalSeconds,
      ) as apiextensions.CustomResourceArgs,
      k8sOpts,
    );
    const queries = pulumi.output(args.clusterName).apply((c) => buildCanaryAlertQueries(c, namespace, period));
    const gcpOpts = { parent: this, dependsOn: args.apiDependsOn ?? [] };
    const channels = args.notificationChannels ?? [];
    this.violationAlert = new monitoring.AlertPolicy(
      `${name}-violation-alert`,
      {
        project: args.project,
        displayName: pulumi.interpolate`Build canary violation (${args.clusterName})`,
        severity: "CRITICAL",
        combiner: "OR",
        conditions: [
          {
            displayName: "A build-shaped pod reached what builds must never reach, or missed what they need",
            conditionPrometheusQueryLanguage: { query: queries.violation, duration: "0s", evaluationInterval: "60s" },
          },
        ],
        notificationChannels: channels,
        alertStrategy: { autoClose: "3600s" },
        documentation: {
          mimeType: "text/markdown",
          subject: "Build canary: a pod shaped like a build reached a forbidden destination",
          content:
            `The build canary (${namespace}/${BUILD_CANARY_SERVER}, docs/build-plane.md) runs exactly as a build step does (root, ` +
            'CAP_SYS_ADMIN, gVisor). `gumstack_canary_probe_success{expect="refused"} == 1` names each forbidden destination it reached; ' +
            "every customer build can do the same. Check the build NetworkPolicies and the round's log line.",
        },
      },
      gcpOpts,
    );
    this.silenceAlert = new monitoring.AlertPolicy(
      `${name}-silence-alert`,
      {
        project: args.project,
        displayName: pulumi.interpolate`Build canary silent (${args.clusterName})`,
        severity: "ERROR",
        combiner: "OR",
        conditions: [
          {
            displayName: "No successful build canary round recently",
            conditionPrometheusQueryLanguage: { query: queries.silent, duration: "0s", evaluationInterval: "60s" },
          },
        ],
        notificationChannels: channels,
        alertStrategy: { autoClose: "3600s" },
        documentation: {
          mimeType: "text/markdown",
          subject: "Build canary silent: the build plane's isolation is not being checked",
          content: `No successful round of ${namespace}/${BUILD_CANARY_SERVER} in ${3 * period} s: the CronJob is refused by the build guard, not scheduled, failing, or not scraped.`,
        },
      },
      gcpOpts,
    );
    this.registerOutputs({ probeCount: this.probeCount });
  }
}
