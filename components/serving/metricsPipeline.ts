// What makes the backend HPA's "active concurrent requests" metric real (docs/facts.md fact 20): managed
// Prometheus scrapes the backend pods (PodMonitoring), and the Custom Metrics Stackdriver Adapter reads the
// series back from Cloud Monitoring as the GSA it impersonates through Workload Identity (roles/monitoring.viewer).
// The cluster must run managed collection (monitoringConfig.managedPrometheus) and Workload Identity.
import * as projects from "../sdk/gcp/projects.js";
import * as serviceaccount from "../sdk/gcp/serviceaccount.js";
import * as apiextensions from "@pulumi/kubernetes/apiextensions/index.js";
import * as apiregistrationv1 from "@pulumi/kubernetes/apiregistration/v1/index.js";
import * as appsv1 from "@pulumi/kubernetes/apps/v1/index.js";
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as rbacv1 from "@pulumi/kubernetes/rbac/v1/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { Pool } from "./commonManifests.js";
import { ADAPTER_IMAGE, ADAPTER_NAME, ADAPTER_NAMESPACE, adapterManifests, podMonitoringManifest } from "./metricsPipelineManifests.js";
import { workloadIdentityMember } from "../platform.js";

export interface MetricsPipelineArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** Project of the cluster, the GSA and the metrics. Required. */
  readonly project: string;
  /** The cluster's Workload Identity pool. Default `<project>.svc.id.goog`. */
  readonly workloadPool?: pulumi.Input<string>;
  /** The pods to scrape: the backend's namespace, pod labels and metrics port. Required. */
  readonly backend: {
    readonly namespace: string;
    readonly podLabels: Record<string, string>;
    /** Container port (name or number) serving Prometheus text format. */
    readonly metricsPort: string | number;
    /** Default "/metrics". */
    readonly metricsPath?: string;
  };
  /** Scrape interval (Prometheus duration). Default "15s", the HPA's own sync period. */
  readonly scrapeInterval?: string;
  /** Adapter image. Default ADAPTER_IMAGE (v0.16.9-gke.0, pinned from the official manifest). */
  readonly adapterImage?: string;
  /** Adapter replicas (HPAs lose the Pods metric while none is ready). Default 2. */
  readonly adapterReplicas?: number;
  /** Pool the adapter runs on. Default "system". */
  readonly systemPool?: Pool;
  /** accountId of the adapter's GSA. Default "custom-metrics-adapter". */
  readonly adapterAccountId?: string;
  /** Resources the Kubernetes objects wait for, e.g. the system node pool. Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Resources the GCP service account and its grants wait for: the IAM API enablement. Default none. */
  readonly apiDependsOn?: pulumi.Input<pulumi.Resource>[];
}

type K8sCtor = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
const KINDS: Record<string, K8sCtor> = {
  "v1/ServiceAccount": corev1.ServiceAccount,
  "v1/Service": corev1.Service,
  "apps/v1/Deployment": appsv1.Deployment,
  "rbac.authorization.k8s.io/v1/ClusterRole": rbacv1.ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": rbacv1.ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/RoleBinding": rbacv1.RoleBinding,
  "apiregistration.k8s.io/v1/APIService": apiregistrationv1.APIService,
};

export class MetricsPipeline extends pulumi.ComponentResource {
  /** Email of the GSA the adapter runs as. */
  readonly adapterServiceAccountEmail: pulumi.Output<string>;
  /** Namespace of the adapter ("custom-metrics"). */
  readonly namespace = ADAPTER_NAMESPACE;
  readonly podMonitoring: apiextensions.CustomResource;

  constructor(name: string, args: MetricsPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:serving:MetricsPipeline", name, {}, opts);
    const { provider, project } = args;
    const workloadPool = args.workloadPool ?? `${project}.svc.id.goog`;
    const k8sOpts = { parent: this, provider, dependsOn: args.dependsOn ?? [] };
    const gcpOpts = { parent: this, dependsOn: args.apiDependsOn ?? [] };

    // --- GCP identity: read-only access to Cloud Monitoring, impersonated by the adapter's KSA only.
    const gsa = new serviceaccount.Account(
      `${name}-adapter-gsa`,
      {
        project,
        accountId: args.adapterAccountId ?? "custom-metrics-adapter",
        displayName: "Custom Metrics Stackdriver Adapter (GKE)",
        description: "Reads Cloud Monitoring metrics for the HPA",
      },
      gcpOpts,
    );
    const viewer = new projects.IAMMember(
      `${name}-adapter-monitoring-viewer`,
      { project, role: "roles/monitoring.viewer", member: gsa.member },
      gcpOpts,
    );
    // serviceaccount.IAMMember has no project argument: gsa.name is projects/<project>/serviceAccounts/<email>.
    const workloadIdentity = new serviceaccount.IAMMember(
      `${name}-adapter-wi`,
      {
        serviceAccountId: gsa.name,
        role: "roles/iam.workloadIdentityUser",
        member: pulumi.output(workloadPool).apply((pool) => workloadIdentityMember(pool, ADAPTER_NAMESPACE, ADAPTER_NAME)),
      },
      gcpOpts,
    );

    // --- The adapter.
    const ns = new corev1.Namespace(
      `${name}-ns`,
      // baseline, not restricted: the official image runs as root to bind 443.
      {
        metadata: {
          name: ADAPTER_NAMESPACE,
          labels: { "app.kubernetes.io/part-of": "gumstack", "pod-security.kubernetes.io/enforce": "baseline" },
        },
      },
      k8sOpts,
    );
    const manifests = adapterManifests({
      image: args.adapterImage ?? ADAPTER_IMAGE,
      gsaEmail: gsa.email,
      pool: args.systemPool ?? "system",
      replicas: args.adapterReplicas ?? 2,
    });
    let serving: pulumi.Resource[] = [];
    const identity: pulumi.Resource[] = [];
    for (const m of manifests) {
      const key = `${m.apiVersion}/${m.kind}`;
      const Ctor = KINDS[key];
      if (!Ctor) throw new Error(`no resource class for ${key}`);
      const logical = `${name}-${m.kind.toLowerCase()}-${(m.metadata.name as string).replace(/[^a-z0-9-]/g, "-")}`;
      let dependsOn: pulumi.Input<pulumi.Resource>[] = [...k8sOpts.dependsOn, ns];
      // The pods can only read metrics once the KSA may impersonate a GSA that may read them.
      if (m.kind === "Deployment") dependsOn = [...dependsOn, ...identity, viewer, workloadIdentity];
      // Register the APIs only once the adapter is ready to serve them.
      if (m.kind === "APIService") dependsOn = [...dependsOn, ...serving];
      const r = new Ctor(logical, m, { ...k8sOpts, dependsOn });
      if (m.kind === "Deployment" || m.kind === "Service") serving = [...serving, r];
      else if (m.kind !== "APIService") identity.push(r);
    }

    // --- Scraping the backend.
    const pm = podMonitoringManifest({
      name: "backend-metrics",
      namespace: args.backend.namespace,
      matchLabels: args.backend.podLabels,
      port: args.backend.metricsPort,
      path: args.backend.metricsPath ?? "/metrics",
      interval: args.scrapeInterval ?? "15s",
    });
    this.podMonitoring = new apiextensions.CustomResource(
      `${name}-backend-podmonitoring`,
      { apiVersion: pm.apiVersion, kind: pm.kind, metadata: pm.metadata, spec: pm.spec },
      k8sOpts,
    );

    this.adapterServiceAccountEmail = gsa.email;
    this.registerOutputs({ adapterServiceAccountEmail: this.adapterServiceAccountEmail, namespace: this.namespace });
  }
}
