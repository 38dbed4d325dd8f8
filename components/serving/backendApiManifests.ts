// Pure builders for the backend API (FastAPI): Deployment on the backend pool, Service, PodDisruptionBudget and
// the autoscaling/v2 HPA on CPU, memory and active concurrent requests per pod (a Managed Service for
// Prometheus gauge read through the Custom Metrics Stackdriver Adapter, docs/facts.md fact 20).
import {
  checkInt,
  poolSelector,
  poolToleration,
  restrictedContainerSecurityContext,
  zoneAndHostSpread,
  type In,
} from "./commonManifests.js";

/** The Prometheus gauge the backend exports: requests in flight in this process. */
export const ACTIVE_REQUESTS_METRIC = "gumstack_active_requests";

/**
 * Name under which the Custom Metrics Stackdriver Adapter serves a Managed Service for Prometheus metric:
 * `prometheus.googleapis.com|<metric>|<kind>` (k8s-stackdriver custom-metrics-stackdriver-adapter examples;
 * the adapter keys pods by the series' `namespace` resource label and `pod` metric label).
 */
export function prometheusPodsMetric(metric: string, kind: "gauge" | "counter" = "gauge"): string {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) throw new Error(`"${metric}" is not a Prometheus metric name`);
  return `prometheus.googleapis.com|${metric}|${kind}`;
}

/** Defaults of the backend's scaling, rollout, port and resources (the config schema takes gumstack:backend's from here). */
export const BACKEND_DEFAULTS = {
  minReplicas: 6,
  maxReplicas: 48,
  targetConcurrentRequests: 40,
  cpuUtilization: 50,
  memoryUtilization: 50,
  scaleDownStabilizationSeconds: 1800,
  maxSurge: 3,
  maxUnavailable: 1,
  port: 8080,
  healthPath: "/healthz",
  cpuRequest: "1",
  memoryRequest: "2Gi",
  /** Container port of the Prometheus metrics endpoint, never on the Service (the load balancer must not reach it). */
  metricsPort: 9090,
} as const;

export interface BackendSettings {
  readonly image: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetConcurrentRequests: number;
  readonly cpuUtilization: number;
  readonly memoryUtilization: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly port: number;
  readonly healthPath: string;
  readonly cpuRequest: string;
  readonly memoryRequest: string;
}

/** Rejects what the API server or the HPA controller would reject, before anything is registered. */
export function checkBackendSettings(s: BackendSettings): void {
  if (/:latest$/.test(s.image) || !/(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/.test(s.image.replace(/^[^/]*\//, ""))) {
    throw new Error(`backend image "${s.image}" must be pinned by tag or digest (not :latest)`);
  }
  checkInt("minReplicas", s.minReplicas, 1);
  checkInt("maxReplicas", s.maxReplicas, s.minReplicas);
  checkInt("targetConcurrentRequests", s.targetConcurrentRequests, 1);
  checkInt("cpuUtilization", s.cpuUtilization, 1, 100);
  checkInt("memoryUtilization", s.memoryUtilization, 1, 100);
  // autoscaling/v2 caps stabilizationWindowSeconds at one hour.
  checkInt("scaleDownStabilizationSeconds", s.scaleDownStabilizationSeconds, 0, 3600);
  checkInt("maxSurge", s.maxSurge, 0);
  checkInt("maxUnavailable", s.maxUnavailable, 0);
  if (s.maxSurge === 0 && s.maxUnavailable === 0) throw new Error("maxSurge and maxUnavailable cannot both be 0");
  checkInt("port", s.port, 1, 65535);
  if (!s.healthPath.startsWith("/")) throw new Error(`healthPath "${s.healthPath}" must start with /`);
}

export interface BackendObjects {
  /** Name of the Deployment, Service, PDB and HPA. */
  readonly name: string;
  readonly namespace: string;
  /** Pod labels (also the Service and PDB selector). */
  readonly labels: Record<string, string>;
}

/** Container port of the Prometheus endpoint; kept off the Service so the load balancer never routes to it. */
export interface MetricsEndpoint {
  readonly port: number;
  readonly path: string;
}

/** apps/v1 Deployment. No `replicas`: the HPA owns the count (a set value would fight it on every update). */
export function deploymentManifest(
  o: BackendObjects,
  s: BackendSettings,
  p: {
    serviceAccountName: string;
    configMapName: In<string>;
    secretName: In<string>;
    metrics: MetricsEndpoint;
    runAsUser: number;
    readOnlyRootFilesystem: boolean;
    terminationGracePeriodSeconds: number;
  },
): Record<string, any> {
  checkBackendSettings(s);
  checkInt("metrics port", p.metrics.port, 1, 65535);
  if (p.metrics.port === s.port) throw new Error(`metrics port ${p.metrics.port} must differ from the serving port`);
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: s.healthPath, port: "http" },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      selector: { matchLabels: o.labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels: o.labels },
        spec: {
          // Bound by Workload Identity to the backend's GSA; its token also lets it create Knative Services.
          serviceAccountName: p.serviceAccountName,
          nodeSelector: poolSelector("backend"),
          tolerations: [poolToleration("backend")],
          topologySpreadConstraints: zoneAndHostSpread(o.labels),
          terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: p.runAsUser,
            runAsGroup: p.runAsUser,
            fsGroup: p.runAsUser,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "api",
              image: s.image,
              imagePullPolicy: "IfNotPresent",
              ports: [
                { name: "http", containerPort: s.port, protocol: "TCP" },
                { name: "metrics", containerPort: p.metrics.port, protocol: "TCP" },
              ],
              envFrom: [{ configMapRef: { name: p.configMapName } }, { secretRef: { name: p.secretName } }],
              resources: {
                requests: { cpu: s.cpuRequest, memory: s.memoryRequest },
                // Memory limit = request: the HPA's memory target is relative to it; no CPU limit (no throttling).
                limits: { memory: s.memoryRequest },
              },
              startupProbe: probe(5, 60),
              readinessProbe: probe(5, 3),
              livenessProbe: probe(10, 6),
              // Lets the load balancer take the endpoint out of its NEG before the process stops accepting.
              lifecycle: { preStop: { sleep: { seconds: 15 } } },
              securityContext: restrictedContainerSecurityContext(p.readOnlyRootFilesystem),
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
}

/** ClusterIP Service on port 80 -> the `http` container port; the Gateway creates NEGs for it itself. */
export function serviceManifest(o: BackendObjects): Record<string, any> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      type: "ClusterIP",
      selector: o.labels,
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** At most `maxUnavailable` pods evicted at once; crash-looping pods never block a node drain. */
export function pdbManifest(o: BackendObjects, maxUnavailable: number): Record<string, any> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      maxUnavailable: checkInt("PDB maxUnavailable", maxUnavailable, 1),
      selector: { matchLabels: o.labels },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}

/** autoscaling/v2 HPA: the largest replica count any of CPU, memory or concurrency asks for wins. */
export function hpaManifest(o: BackendObjects, s: BackendSettings, concurrencyMetric: string): Record<string, any> {
  checkBackendSettings(s);
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: o.name },
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: s.cpuUtilization } } },
        { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: s.memoryUtilization } } },
        {
          type: "Pods",
          pods: {
            metric: { name: concurrencyMetric },
            target: { type: "AverageValue", averageValue: String(s.targetConcurrentRequests) },
          },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: s.scaleDownStabilizationSeconds } },
    },
  };
}

/** Non-secret settings the backend reads from its environment. */
export function settingsData(p: {
  port: number;
  metricsPort: number;
  domain: string;
  spanner: { project: In<string>; instance: In<string>; database: In<string> };
  clickhouse: { host: string; port: number; database: string; username: string };
}): Record<string, In<string>> {
  return {
    PORT: String(p.port),
    METRICS_PORT: String(p.metricsPort),
    GUMSTACK_DOMAIN: p.domain,
    SPANNER_PROJECT: p.spanner.project,
    SPANNER_INSTANCE: p.spanner.instance,
    SPANNER_DATABASE: p.spanner.database,
    CLICKHOUSE_HOST: p.clickhouse.host,
    CLICKHOUSE_PORT: String(p.clickhouse.port),
    CLICKHOUSE_DATABASE: p.clickhouse.database,
    CLICKHOUSE_USER: p.clickhouse.username,
    CLICKHOUSE_SECURE: "true",
  };
}
