// Pure builders for Knative Serving as installed by the Knative Operator: the operator chart's values, the one
// KnativeServing resource carrying every ConfigMap setting, and the DomainMapping shape the backend creates per
// MCP server. Keys were checked against the pinned sources (knative/serving knative-v1.22.1, knative/operator
// knative-v1.22.3), not taken from memory; see the notes on each.
import { checkInt, poolAffinity, poolSelector, zoneAndHostSpread, type Pool } from "./commonManifests.js";
import { GKE_SANDBOX_RUNTIME_CLASS } from "../kubernetes/gkeSandbox.js";

/**
 * The Knative Operator Helm chart. Repository and versions from the chart repository's index
 * (knative/operator gh-pages index.yaml: `helm repo add knative-operator https://knative.github.io/operator`).
 */
export const KNATIVE_OPERATOR_CHART = {
  repo: "https://knative.github.io/operator",
  chart: "knative-operator",
  version: "v1.22.3",
} as const;

/** Knative Serving version; bundled by operator v1.22.3 (cmd/operator/kodata/knative-serving/1.22.1). */
export const KNATIVE_SERVING_VERSION = "1.22.1";

/** Namespace of the operator itself (its Helm release). */
export const KNATIVE_OPERATOR_NAMESPACE = "knative-operator";
/** Namespace of the KnativeServing resource, hence of Serving's components and (operator-installed) Kourier. */
export const KNATIVE_SERVING_NAMESPACE = "knative-serving";

/** Kourier's gateway as the operator installs it (kodata/ingress/1.22/kourier/kourier.yaml). */
export const KOURIER = {
  namespace: KNATIVE_SERVING_NAMESPACE,
  /** The external Service: port 80 -> pod port 8080 (http2-external). */
  serviceName: "kourier",
  servicePort: 80,
  podPort: 8080,
  /**
   * The gateway's own readiness probe: GET /ready on the internal listener (8081) with Host `internalkourier`
   * (net-kourier pkg/generator/status_vhost.go). `GET /` on 8080 is a 404 for an unknown host.
   */
  readinessPort: 8081,
  readinessPath: "/ready",
  readinessHost: "internalkourier",
  podLabels: { app: "3scale-kourier-gateway" },
} as const;

/** config-network ingress-class value selecting Kourier (the default is Istio). */
export const KOURIER_INGRESS_CLASS = "kourier.ingress.networking.knative.dev";
/** The cluster-local domain: routes under it are not exposed through the external ingress. */
export const CLUSTER_LOCAL_DOMAIN = "svc.cluster.local";

/** Deployments and Jobs (by generateName) the operator installs for Serving 1.22 with Kourier. */
const SYSTEM_DEPLOYMENTS = [
  "activator",
  "autoscaler",
  "autoscaler-hpa",
  "controller",
  "webhook",
  "net-kourier-controller",
  "3scale-kourier-gateway",
] as const;
const SYSTEM_JOBS = ["storage-version-migration-serving-", "cleanup-serving-"] as const;

/** The `minor` of a version such as "1.22.1", "1.22" or "v1.22.3". */
export function minorOf(version: string): number {
  const m = /^v?1\.(\d+)(\.\d+)?$/.exec(version);
  if (!m) throw new Error(`"${version}" is not a Knative 1.x version such as 1.22.1 or v1.22.3`);
  return Number(m[1]);
}

/**
 * An operator release bundles the Serving manifests of its own minor and the three before it (operator v1.22.3:
 * 1.19-1.22; v1.23.0: 1.20-1.23). Any other spec.version makes the KnativeServing fail to install.
 */
export function assertOperatorSupports(chartVersion: string, servingVersion: string): void {
  const op = minorOf(chartVersion);
  const serving = minorOf(servingVersion);
  if (serving > op || serving < op - 3) {
    throw new Error(
      `Knative Operator ${chartVersion} installs Serving 1.${op - 3}-1.${op}, not ${servingVersion}: ` +
        `pin a matching pair (e.g. ${KNATIVE_OPERATOR_CHART.version} with ${KNATIVE_SERVING_VERSION})`,
    );
  }
}

/** Helm values of the operator chart: both of its Deployments on the given pool (the chart has no nodeSelector). */
export function operatorHelmValues(pool: Pool): Record<string, unknown> {
  // Helm merges maps: the webhook's default podAntiAffinity is kept next to this nodeAffinity.
  const affinity = poolAffinity(pool);
  return { knative_operator: { knative_operator: { affinity }, operator_webhook: { affinity } } };
}

/** Defaults of KnativeServing's autoscaling, timeouts and pod defaults (the config schema takes gumstack:knative's from here). */
export const KNATIVE_SERVING_DEFAULTS = {
  minScale: 1,
  maxScale: 10,
  maxScaleLimit: 20,
  targetConcurrency: 100,
  targetUtilizationPercentage: 100,
  revisionTimeoutSeconds: 3600,
  maxRevisionTimeoutSeconds: 3600,
  runtimeClassName: GKE_SANDBOX_RUNTIME_CLASS,
  securePodDefaults: "Enabled",
  highAvailabilityReplicas: 3,
  maxNonActiveRevisions: 2,
} as const;

export interface ServingSettings {
  /** Default min replicas per revision. */
  readonly minScale: number;
  /** Default max replicas per revision. */
  readonly maxScale: number;
  /** Highest max-scale a revision may ask for. */
  readonly maxScaleLimit: number;
  /** Target concurrent requests per pod. */
  readonly targetConcurrency: number;
  /** Percent of the target at which the autoscaler adds pods; 100 makes "target 100" mean 100. */
  readonly targetUtilizationPercentage: number;
  /** Default request timeout of a revision, seconds. */
  readonly revisionTimeoutSeconds: number;
  /** Longest timeout a revision may set, seconds. */
  readonly maxRevisionTimeoutSeconds: number;
  /** Runtime class every revision gets unless it names one. */
  readonly runtimeClassName: string;
  /** config-features secure-pod-defaults. */
  readonly securePodDefaults: "Enabled" | "AllowRootBounded";
  /** Replicas of Serving's HA components and minimum of their HPAs. */
  readonly highAvailabilityReplicas: number;
  /**
   * Non-active Revisions kept per Configuration (config-gc max-non-active-revisions, with both age limits
   * disabled): the rollback depth, and the bound on how many old copies of a server's spec exist. Optional:
   * default KNATIVE_SERVING_DEFAULTS.maxNonActiveRevisions (2; Knative's own keeps 20 for 48 h and up to 1000).
   */
  readonly maxNonActiveRevisions?: number;
  /** Pool of every Knative and Kourier pod. */
  readonly systemPool: Pool;
}

/** Rejects settings Knative's own ConfigMap validation would reject after the install started. */
export function checkServingSettings(s: ServingSettings): void {
  checkInt("minScale", s.minScale, 0);
  checkInt("maxScaleLimit", s.maxScaleLimit, 1);
  checkInt("maxScale", s.maxScale, 1, s.maxScaleLimit);
  if (s.minScale > s.maxScale) throw new Error(`minScale (${s.minScale}) must be <= maxScale (${s.maxScale})`);
  checkInt("targetConcurrency", s.targetConcurrency, 1);
  checkInt("targetUtilizationPercentage", s.targetUtilizationPercentage, 1, 100);
  checkInt("maxRevisionTimeoutSeconds", s.maxRevisionTimeoutSeconds, 1);
  checkInt("revisionTimeoutSeconds", s.revisionTimeoutSeconds, 1, s.maxRevisionTimeoutSeconds);
  checkInt("highAvailabilityReplicas", s.highAvailabilityReplicas, 1);
  checkInt("maxNonActiveRevisions", s.maxNonActiveRevisions ?? KNATIVE_SERVING_DEFAULTS.maxNonActiveRevisions, 0, 20);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.runtimeClassName)) {
    throw new Error(`runtimeClassName "${s.runtimeClassName}" is not a DNS subdomain`);
  }
}

/** spec.config of the KnativeServing: ConfigMap name (without "config-") -> data. Every value a string. */
export function servingConfig(s: ServingSettings): Record<string, Record<string, string>> {
  checkServingSettings(s);
  return {
    network: {
      "ingress-class": KOURIER_INGRESS_CLASS,
      // DomainMapping needs a ClusterDomainClaim per domain. Auto-creating them lets whoever may create a
      // DomainMapping claim any domain: acceptable because only the platform backend creates DomainMappings
      // (MCP pods have no Kubernetes credentials), and always under the platform domain.
      "autocreate-cluster-domain-claims": "true",
      // TLS ends at the Google load balancer; URLs Knative reports should still say https.
      "default-external-scheme": "https",
    },
    // Every Route gets the cluster-local domain, so no Knative Service host is exposed by the external ingress;
    // only DomainMapping hosts (<server>.<domain>, visibility ExternalIP) are. Keys with no selector are the default.
    domain: { [CLUSTER_LOCAL_DOMAIN]: "" },
    features: {
      // The webhook rejects runtimeClassName in a revision unless this is enabled (k8s_validation.go).
      "kubernetes.podspec-runtimeclassname": "enabled",
      // env valueFrom fieldRef/resourceFieldRef (the pod's own fields), which the backend contract allows and the
      // isolation canary uses for status.hostIP: Knative strips them unless enabled (pkg/apis/serving/fieldmask.go,
      // EnvVarSourceMask; pkg/apis/config/features.go, default Disabled).
      "kubernetes.podspec-fieldref": "enabled",
      // seccomp RuntimeDefault, drop ALL capabilities, no privilege escalation; "Enabled" also forces runAsNonRoot.
      "secure-pod-defaults": s.securePodDefaults,
    },
    deployment: {
      // Backstop: revisions that name no runtime class get this one (pkg/deployment/config.go; YAML map of class -> selector).
      "runtime-class-name": `${s.runtimeClassName}: {}\n`,
      // The MCP pool autoscales: a pending pod is waiting for a node, not a broken revision.
      "pod-is-always-schedulable": "true",
    },
    autoscaler: {
      "container-concurrency-target-default": String(s.targetConcurrency),
      // The ConfigMap key behind the per-revision target-utilization-percentage annotation (default 70).
      "container-concurrency-target-percentage": String(s.targetUtilizationPercentage),
      "min-scale": String(s.minScale),
      "max-scale": String(s.maxScale),
      "max-scale-limit": String(s.maxScaleLimit),
      "initial-scale": "1",
      "allow-zero-initial-scale": "false",
      // 0: the activator is in a revision's request path only while it has no ready pod (min-scale >= 1: only at its
      // first start). With Knative's default (211) and a 100% target it would proxy every request, and a long MCP
      // stream through it would be cut when an activator pod stops (its terminationGracePeriodSeconds is 600, which
      // the operator cannot override). The guard refuses the per-revision annotation. config/core/configmaps/autoscaler.yaml.
      "target-burst-capacity": "0",
    },
    defaults: {
      "revision-timeout-seconds": String(s.revisionTimeoutSeconds),
      "max-revision-timeout-seconds": String(s.maxRevisionTimeoutSeconds),
      // A long tool call may answer late: wait as long as the request may last for the first byte.
      "revision-response-start-timeout-seconds": String(s.revisionTimeoutSeconds),
      // 0: no idle timeout; a quiet SSE stream is bounded by the revision timeout only.
      "revision-idle-timeout-seconds": "0",
      // Knative's default too, stated: service links would put every tenant's Service names and addresses of the
      // shared namespace into each pod's environment (the admission guard refuses true).
      "enable-service-links": "false",
    },
    // Revision retention (pkg/gc/config.go, pkg/reconciler/gc/gc.go): with both age limits disabled, nothing is
    // kept for its age; the latest ready Revision and every routed one are active and never collected; of the
    // others, only the newest `maxNonActiveRevisions` stay (oldest deleted first). Knative's default keeps 20 for
    // 48 h (up to 1000), each a copy of an old spec. A Revision pinned by `serving.knative.dev/no-gc` would never
    // be collected: the admission guard refuses that annotation.
    gc: {
      "retain-since-create-time": "disabled",
      "retain-since-last-active-time": "disabled",
      "min-non-active-revisions": "0",
      "max-non-active-revisions": String(s.maxNonActiveRevisions ?? KNATIVE_SERVING_DEFAULTS.maxNonActiveRevisions),
    },
  };
}

/** Operator workload overrides: every Serving and Kourier pod on the system pool; data-path pods spread by zone. */
export function systemWorkloads(pool: Pool): Record<string, unknown>[] {
  const deployments = SYSTEM_DEPLOYMENTS.map((name) => ({
    name,
    nodeSelector: poolSelector(pool),
    topologySpreadConstraints: zoneAndHostSpread({ app: name }),
  }));
  // Jobs are matched by their generateName.
  const jobs = SYSTEM_JOBS.map((name) => ({ name, nodeSelector: poolSelector(pool) }));
  return [...deployments, ...jobs];
}

/** The KnativeServing resource (operator.knative.dev/v1beta1) in the knative-serving namespace. */
export function knativeServingManifest(
  version: string,
  s: ServingSettings,
): Record<string, unknown> & {
  spec: Record<string, unknown>;
} {
  return {
    apiVersion: "operator.knative.dev/v1beta1",
    kind: "KnativeServing",
    metadata: {
      name: "knative-serving",
      namespace: KNATIVE_SERVING_NAMESPACE,
      // The Pulumi Kubernetes provider then waits for the operator to report the install Ready.
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    },
    spec: {
      version,
      config: servingConfig(s),
      ingress: {
        // ClusterIP: the global L7 load balancer (NEGs on the pods) is the only way in; the operator's default
        // is a public LoadBalancer Service.
        kourier: { enabled: true, "service-type": "ClusterIP" },
      },
      "high-availability": { replicas: s.highAvailabilityReplicas },
      workloads: systemWorkloads(s.systemPool),
    },
  };
}

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Public host of an MCP server. */
export function serverHost(server: string, domain: string): string {
  if (!DNS_LABEL.test(server)) throw new Error(`MCP server name "${server}" must be a DNS-1123 label`);
  return `${server}.${domain}`;
}

/**
 * The DomainMapping the backend creates for an MCP server (Knative Service `server` in the MCP namespace): its
 * name is the public host, and it must live in the Service's namespace (domainmapping/reconciler.go).
 */
export function domainMappingManifest(server: string, domain: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "serving.knative.dev/v1beta1",
    kind: "DomainMapping",
    metadata: { name: serverHost(server, domain), namespace },
    spec: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: server } },
  };
}
