// The backend API (FastAPI) on the backend pool: its settings (Spanner database, ClickHouse connection) and the
// ClickHouse password as a Kubernetes Secret built from a Pulumi secret, a zone-spread Deployment with probes
// and a restricted security context, a ClusterIP Service for the load balancer, a PDB and the HPA.
import * as appsv1 from "@pulumi/kubernetes/apps/v1/index.js";
import * as autoscalingv2 from "@pulumi/kubernetes/autoscaling/v2/index.js";
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import * as policyv1 from "@pulumi/kubernetes/policy/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import {
  ACTIVE_REQUESTS_METRIC,
  BACKEND_DEFAULTS,
  deploymentManifest,
  hpaManifest,
  pdbManifest,
  prometheusPodsMetric,
  serviceManifest,
  settingsData,
  type BackendObjects,
  type BackendSettings,
} from "./backendApiManifests.js";

/** Field names match the `backend` config section, so the composer can spread it in. */
export interface BackendApiArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** Namespace (created elsewhere). Required: "gumstack-backend". */
  readonly namespace: string;
  /** Kubernetes service account bound by Workload Identity to the backend's GSA (created elsewhere). Required. */
  readonly serviceAccountName: string;
  /** Backend image, pinned by tag (git SHA) or digest. Required. */
  readonly image: string;
  /** HPA minimum replicas. Default 6. */
  readonly minReplicas?: number;
  /** HPA maximum replicas. Default 48. */
  readonly maxReplicas?: number;
  /** HPA target of active concurrent requests per pod. Default 40. */
  readonly targetConcurrentRequests?: number;
  /** HPA target average CPU utilization, percent of requests. Default 50. */
  readonly cpuUtilization?: number;
  /** HPA target average memory utilization, percent of requests. Default 50. */
  readonly memoryUtilization?: number;
  /** HPA scale-down stabilization window, seconds (at most 3600). Default 1800. */
  readonly scaleDownStabilizationSeconds?: number;
  /** Rolling update maxSurge. Default 3. */
  readonly maxSurge?: number;
  /** Rolling update maxUnavailable, also the PDB's (at least 1). Default 1. */
  readonly maxUnavailable?: number;
  /** Container port of the API. Default 8080. */
  readonly port?: number;
  /** Path of readiness, liveness and load-balancer health checks. Default "/healthz". */
  readonly healthPath?: string;
  /** CPU request per pod. Default "1". */
  readonly cpuRequest?: string;
  /** Memory request (and limit) per pod. Default "2Gi". */
  readonly memoryRequest?: string;
  /** Platform domain, given to the backend for DomainMappings. Required. */
  readonly domain: string;
  /** The Spanner database the backend uses. Required. */
  readonly spanner: { project: pulumi.Input<string>; instance: pulumi.Input<string>; database: pulumi.Input<string> };
  /** ClickHouse Cloud connection (the `clickhouse` config section). Required. */
  readonly clickhouse: { host: string; port: number; database: string; username: string };
  /** ClickHouse password: a Pulumi secret (config `gumstack:clickhousePassword`). Required. */
  readonly clickhousePassword: pulumi.Input<string>;
  /** Name of the Deployment, Service, PDB and HPA. Default "backend". */
  readonly appName?: string;
  /** Container port of the Prometheus metrics endpoint (not on the Service). Default 9090. */
  readonly metricsPort?: number;
  /** HPA metric of active requests per pod. Default prometheusPodsMetric("gumstack_active_requests"). */
  readonly concurrencyMetric?: string;
  /** UID/GID the container runs as (non-root). Default 65532. */
  readonly runAsUser?: number;
  /** Read-only root filesystem (a writable /tmp is mounted). Default true. */
  readonly readOnlyRootFilesystem?: boolean;
  /** Seconds a stopping pod gets to finish requests. Default 60. */
  readonly terminationGracePeriodSeconds?: number;
  /** Resources to create first, e.g. the backend node pool and namespace. Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class BackendApi extends pulumi.ComponentResource {
  /** Namespace and name of the ClusterIP Service, and its port, for the load balancer. */
  readonly namespace: string;
  readonly serviceName: string;
  readonly servicePort = 80;
  /** Container ports: serving (health checks and firewall) and Prometheus metrics. */
  readonly podPort: number;
  readonly metricsPort: number;
  readonly metricsPath = "/metrics";
  readonly healthPath: string;
  /** Pod labels, for the PodMonitoring and NetworkPolicies. */
  readonly podLabels: Record<string, string>;
  readonly deployment: appsv1.Deployment;
  readonly service: corev1.Service;
  readonly hpa: autoscalingv2.HorizontalPodAutoscaler;

  constructor(name: string, args: BackendApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:serving:BackendApi", name, {}, opts);
    const provider = args.provider;
    const settings: BackendSettings = {
      image: args.image,
      minReplicas: args.minReplicas ?? BACKEND_DEFAULTS.minReplicas,
      maxReplicas: args.maxReplicas ?? BACKEND_DEFAULTS.maxReplicas,
      targetConcurrentRequests: args.targetConcurrentRequests ?? BACKEND_DEFAULTS.targetConcurrentRequests,
      cpuUtilization: args.cpuUtilization ?? BACKEND_DEFAULTS.cpuUtilization,
      memoryUtilization: args.memoryUtilization ?? BACKEND_DEFAULTS.memoryUtilization,
      scaleDownStabilizationSeconds: args.scaleDownStabilizationSeconds ?? BACKEND_DEFAULTS.scaleDownStabilizationSeconds,
      maxSurge: args.maxSurge ?? BACKEND_DEFAULTS.maxSurge,
      maxUnavailable: args.maxUnavailable ?? BACKEND_DEFAULTS.maxUnavailable,
      port: args.port ?? BACKEND_DEFAULTS.port,
      healthPath: args.healthPath ?? BACKEND_DEFAULTS.healthPath,
      cpuRequest: args.cpuRequest ?? BACKEND_DEFAULTS.cpuRequest,
      memoryRequest: args.memoryRequest ?? BACKEND_DEFAULTS.memoryRequest,
    };
    const objects: BackendObjects = {
      name: args.appName ?? "backend",
      namespace: args.namespace,
      labels: { "app.kubernetes.io/name": args.appName ?? "backend", "app.kubernetes.io/part-of": "gumstack" },
    };
    const metrics = { port: args.metricsPort ?? BACKEND_DEFAULTS.metricsPort, path: this.metricsPath };
    const k8sOpts = { parent: this, provider, dependsOn: args.dependsOn ?? [] };

    // Autonamed: a change of settings or password makes a new object, and the Deployment rolls to it.
    const config = new corev1.ConfigMap(
      `${name}-settings`,
      {
        metadata: { namespace: objects.namespace, labels: objects.labels },
        data: settingsData({
          port: settings.port,
          metricsPort: metrics.port,
          domain: args.domain,
          spanner: args.spanner,
          clickhouse: args.clickhouse,
        }),
      },
      k8sOpts,
    );
    const secret = new corev1.Secret(
      `${name}-clickhouse`,
      {
        metadata: { namespace: objects.namespace, labels: objects.labels },
        type: "Opaque",
        stringData: { CLICKHOUSE_PASSWORD: pulumi.secret(args.clickhousePassword) },
      },
      { ...k8sOpts, additionalSecretOutputs: ["data", "stringData"] },
    );

    const deployment = deploymentManifest(objects, settings, {
      serviceAccountName: args.serviceAccountName,
      configMapName: config.metadata.name,
      secretName: secret.metadata.name,
      metrics,
      runAsUser: args.runAsUser ?? 65532,
      readOnlyRootFilesystem: args.readOnlyRootFilesystem ?? true,
      terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? 60,
    });
    this.deployment = new appsv1.Deployment(
      `${name}-deployment`,
      { metadata: deployment.metadata, spec: deployment.spec },
      { ...k8sOpts, dependsOn: [...k8sOpts.dependsOn, config, secret] },
    );
    const service = serviceManifest(objects);
    this.service = new corev1.Service(`${name}-service`, { metadata: service.metadata, spec: service.spec }, k8sOpts);
    const pdb = pdbManifest(objects, Math.max(1, settings.maxUnavailable));
    new policyv1.PodDisruptionBudget(`${name}-pdb`, { metadata: pdb.metadata, spec: pdb.spec }, k8sOpts);
    const hpa = hpaManifest(objects, settings, args.concurrencyMetric ?? prometheusPodsMetric(ACTIVE_REQUESTS_METRIC));
    this.hpa = new autoscalingv2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      { metadata: hpa.metadata, spec: hpa.spec },
      { ...k8sOpts, dependsOn: [...k8sOpts.dependsOn, this.deployment] },
    );

    this.namespace = objects.namespace;
    this.serviceName = objects.name;
    this.podPort = settings.port;
    this.metricsPort = metrics.port;
    this.healthPath = settings.healthPath;
    this.podLabels = objects.labels;
    this.registerOutputs({ namespace: this.namespace, serviceName: this.serviceName, deployment: this.deployment });
  }
}
