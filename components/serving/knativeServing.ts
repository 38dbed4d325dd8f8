// Knative Serving with Kourier, installed the way that survives a real cluster (docs/facts.md fact 10): the
// Knative Operator's Helm chart (a Release, so its hooks and CRDs run), then one KnativeServing resource that
// carries every setting. The operator owns Serving's ConfigMaps, so nothing here fights it over them.
import * as apiextensions from "@pulumi/kubernetes/apiextensions/index.js";
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import * as helmv3 from "@pulumi/kubernetes/helm/v3/release.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type { Pool } from "./commonManifests.js";
import {
  KNATIVE_OPERATOR_CHART,
  KNATIVE_OPERATOR_NAMESPACE,
  KNATIVE_SERVING_DEFAULTS,
  KNATIVE_SERVING_NAMESPACE,
  KNATIVE_SERVING_VERSION,
  KOURIER,
  assertOperatorSupports,
  knativeServingManifest,
  operatorHelmValues,
  type ServingSettings,
} from "./knativeServingManifests.js";

export interface KnativeServingArgs {
  /** Kubernetes provider of the cluster (server-side apply). Required. */
  readonly provider: K8sProvider;
  /** Knative Serving version (KnativeServing spec.version). Default KNATIVE_SERVING_VERSION (1.22.1). */
  readonly version?: string;
  /** Knative Operator chart version. Default KNATIVE_OPERATOR_CHART.version (v1.22.3); must bundle `version`. */
  readonly operatorChartVersion?: string;
  /** Helm repository of the operator chart. Default https://knative.github.io/operator. */
  readonly operatorChartRepo?: string;
  /** Default min replicas per MCP server (config-autoscaler min-scale). Default 1 (one warm pod). */
  readonly minScale?: number;
  /** Default max replicas per MCP server (max-scale). Default 10. */
  readonly maxScale?: number;
  /** Highest max-scale one MCP server may set (max-scale-limit). Default 20. */
  readonly maxScaleLimit?: number;
  /** Target concurrent requests per pod (container-concurrency-target-default). Default 100. */
  readonly targetConcurrency?: number;
  /** Percent of the target at which pods are added (container-concurrency-target-percentage). Default 100. */
  readonly targetUtilizationPercentage?: number;
  /** Default revision request timeout, seconds. Default 3600 (streaming MCP sessions; Knative's is 300). */
  readonly revisionTimeoutSeconds?: number;
  /** Longest revision timeout a server may set, seconds. Default 3600 (Knative's is 600). */
  readonly maxRevisionTimeoutSeconds?: number;
  /** Runtime class of every revision that names none (GKE Sandbox creates `gvisor`). Default "gvisor". */
  readonly runtimeClassName?: string;
  /**
   * config-features secure-pod-defaults. Default "Enabled": seccomp RuntimeDefault, all capabilities dropped, no
   * privilege escalation and runAsNonRoot, which the MCP namespace's Pod Security "restricted" requires of every
   * pod. "AllowRootBounded" leaves runAsNonRoot unset (revision_defaults.go), so in a restricted namespace every
   * pod that does not set it itself is refused; use it only for a namespace that enforces baseline.
   */
  readonly securePodDefaults?: "Enabled" | "AllowRootBounded";
  /** Replicas of Serving's control plane and Kourier, and minimum of their HPAs. Default 3 (one per zone). */
  readonly highAvailabilityReplicas?: number;
  /** Pool every Knative, Kourier and operator pod runs on. Default "system". */
  readonly systemPool?: Pool;
  /** Resources to create first, e.g. the system node pool. Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Knative Operator (Helm release in `knative-operator`) and one KnativeServing in `knative-serving` with
 * Kourier behind a ClusterIP Service, gVisor as the default runtime class, the seed's autoscaling defaults,
 * cluster-local Knative Services (only DomainMapping hosts are public) and hour-long revision timeouts.
 */
export class KnativeServing extends pulumi.ComponentResource {
  /** Namespace of Serving and Kourier ("knative-serving"). */
  readonly namespace = KNATIVE_SERVING_NAMESPACE;
  /** Kourier's gateway Service and ports, for the load balancer's routes and health checks. */
  readonly kourier = KOURIER;
  /** The pinned versions actually installed. */
  readonly version: string;
  readonly operatorChartVersion: string;
  readonly operatorRelease: helmv3.Release;
  /** The KnativeServing resource; ready once the operator reports the install Ready. Depend on it. */
  readonly serving: apiextensions.CustomResource;

  constructor(name: string, args: KnativeServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:serving:KnativeServing", name, {}, opts);
    const provider = args.provider;
    this.version = args.version ?? KNATIVE_SERVING_VERSION;
    this.operatorChartVersion = args.operatorChartVersion ?? KNATIVE_OPERATOR_CHART.version;
    assertOperatorSupports(this.operatorChartVersion, this.version);
    const systemPool = args.systemPool ?? "system";
    const settings: ServingSettings = {
      minScale: args.minScale ?? KNATIVE_SERVING_DEFAULTS.minScale,
      maxScale: args.maxScale ?? KNATIVE_SERVING_DEFAULTS.maxScale,
      maxScaleLimit: args.maxScaleLimit ?? KNATIVE_SERVING_DEFAULTS.maxScaleLimit,
      targetConcurrency: args.targetConcurrency ?? KNATIVE_SERVING_DEFAULTS.targetConcurrency,
      targetUtilizationPercentage: args.targetUtilizationPercentage ?? KNATIVE_SERVING_DEFAULTS.targetUtilizationPercentage,
      revisionTimeoutSeconds: args.revisionTimeoutSeconds ?? KNATIVE_SERVING_DEFAULTS.revisionTimeoutSeconds,
      maxRevisionTimeoutSeconds: args.maxRevisionTimeoutSeconds ?? KNATIVE_SERVING_DEFAULTS.maxRevisionTimeoutSeconds,
      runtimeClassName: args.runtimeClassName ?? KNATIVE_SERVING_DEFAULTS.runtimeClassName,
      securePodDefaults: args.securePodDefaults ?? KNATIVE_SERVING_DEFAULTS.securePodDefaults,
      highAvailabilityReplicas: args.highAvailabilityReplicas ?? KNATIVE_SERVING_DEFAULTS.highAvailabilityReplicas,
      systemPool,
    };
    // Built before anything is registered, so bad settings fail the preview rather than the operator.
    const manifest = knativeServingManifest(this.version, settings);
    const after = { parent: this, provider, dependsOn: args.dependsOn ?? [] };

    const namespaceLabels = {
      "app.kubernetes.io/part-of": "gumstack",
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
    };
    const operatorNamespace = new corev1.Namespace(
      `${name}-operator-ns`,
      { metadata: { name: KNATIVE_OPERATOR_NAMESPACE, labels: namespaceLabels } },
      after,
    );
    const servingNamespace = new corev1.Namespace(
      `${name}-serving-ns`,
      { metadata: { name: KNATIVE_SERVING_NAMESPACE, labels: namespaceLabels } },
      after,
    );

    this.operatorRelease = new helmv3.Release(
      `${name}-operator`,
      {
        name: "knative-operator",
        chart: KNATIVE_OPERATOR_CHART.chart,
        version: this.operatorChartVersion,
        repositoryOpts: { repo: args.operatorChartRepo ?? KNATIVE_OPERATOR_CHART.repo },
        namespace: operatorNamespace.metadata.name,
        createNamespace: false,
        values: operatorHelmValues(systemPool),
        // Roll back a failed install or upgrade instead of leaving half an operator.
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
        maxHistory: 10,
      },
      { ...after, dependsOn: [...after.dependsOn, operatorNamespace] },
    );

    this.serving = new apiextensions.CustomResource(
      `${name}-serving`,
      {
        apiVersion: manifest.apiVersion as string,
        kind: manifest.kind as string,
        metadata: { ...(manifest.metadata as object), namespace: servingNamespace.metadata.name },
        spec: manifest.spec,
      },
      {
        ...after,
        // The operator's CRD and webhook come from the release.
        dependsOn: [...after.dependsOn, this.operatorRelease, servingNamespace],
        customTimeouts: { create: "20m", update: "20m" },
      },
    );

    this.registerOutputs({
      namespace: this.namespace,
      version: this.version,
      operatorChartVersion: this.operatorChartVersion,
      serving: this.serving,
    });
  }
}
