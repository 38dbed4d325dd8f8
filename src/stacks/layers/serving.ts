// The serving layer: Knative Serving (after the MCP namespace is fenced and guarded), the isolation canary, the
// backend's RBAC over MCP servers, the backend API and its metrics pipeline. No Knative identity holds any
// registry grant: the guard admits digest-pinned MCP images only, and Knative never resolves a digest
// (knative/serving knative-v1.22.1 pkg/reconciler/revision/resolve.go, "Already a digest").
import type * as pulumi from "@pulumi/pulumi";
import { accountId } from "../../../components/gcp/serviceAccounts.js";
import { BackendMcpAccess } from "../../../components/kubernetes/backendMcpAccess.js";
import { BackendApi } from "../../../components/serving/backendApi.js";
import { IsolationCanary } from "../../../components/serving/isolationCanary.js";
import { KnativeServing } from "../../../components/serving/knativeServing.js";
import { MetricsPipeline } from "../../../components/serving/metricsPipeline.js";
import type { Settings } from "../../config/index.js";
import type { BaseLayer } from "./base.js";
import type { BuildPlaneLayer } from "./buildPlane.js";
import type { GkeLayer } from "./gke.js";
import type { TenancyLayer } from "./tenancy.js";

/** What the edge layer (and the stack outputs) use from the serving layer. */
export interface ServingLayer {
  /** Knative Serving's namespace (knative-serving). */
  readonly knativeNamespace: string;
  /** What the edge's Kourier-side objects wait for: the KnativeServing that creates Kourier. */
  readonly kourierReady: readonly pulumi.Resource[];
  readonly backend: {
    readonly namespace: string;
    readonly serviceName: string;
    readonly servicePort: number;
    /** What the edge's backend-side objects wait for: the backend's Service. */
    readonly ready: readonly pulumi.Resource[];
    readonly hpaName: pulumi.Output<string>;
  };
  /** The isolation canary's public host and health path, when the canary is on. */
  readonly canary?: { readonly host: string; readonly healthPath: string };
}

export interface ServingLayerInputs {
  readonly base: BaseLayer;
  readonly gke: GkeLayer;
  readonly tenancy: TenancyLayer;
  readonly buildPlane: BuildPlaneLayer;
}

export function servingLayer(settings: Settings, { base, gke, tenancy, buildPlane }: ServingLayerInputs): ServingLayer {
  const { project, environment } = settings;
  const { apis } = base;
  const { provider, cluster, pools } = gke;
  const backendNamespace = tenancy.backend.namespace;
  // Nothing serves MCP traffic until the tenant namespace is fenced and guarded.
  const knative = new KnativeServing("knative", {
    provider,
    version: settings.knative.version,
    operatorChartVersion: settings.knative.operatorChartVersion,
    minScale: settings.knative.minScale,
    maxScale: settings.knative.maxScale,
    maxScaleLimit: settings.knative.maxScaleLimit,
    targetConcurrency: settings.knative.targetConcurrency,
    revisionTimeoutSeconds: settings.knative.revisionTimeoutSeconds,
    maxRevisionTimeoutSeconds: settings.knative.maxRevisionTimeoutSeconds,
    // The MCP namespace enforces Pod Security "restricted", which requires runAsNonRoot: Knative sets it on
    // every revision, so an MCP server is compliant by default instead of refused at pod creation.
    securePodDefaults: "Enabled",
    // The control plane calls Knative's webhooks on 8443, which only this firewall rule opens.
    dependsOn: [pools.system, gke.gvisor, base.network.controlPlaneWebhookFirewall, ...tenancy.fenced],
  });
  // The isolation canary: a platform-owned MCP server under a tenant's exact restrictions, admitted by the same
  // guard, probing what tenants must never reach (docs/canary.md).
  const canary = settings.canary.enabled
    ? new IsolationCanary("canary", {
        provider,
        project,
        clusterName: cluster.name,
        domain: settings.domain,
        ranges: settings.network,
        image: settings.canary.image!,
        imagePrefix: `${base.tenantImageRepository}/`,
        namespace: settings.mcp.namespace,
        intervalSeconds: settings.canary.intervalSeconds,
        reachUrl: settings.canary.reachUrl,
        // The canary's public source address must be one of these (docs/canary.md).
        tenantEgressIps: base.network.tenantNatAddresses,
        notificationChannels: base.notificationChannels,
        dependsOn: [knative.serving, pools.mcp, ...tenancy.fenced],
        apiDependsOn: [apis.monitoring],
      })
    : undefined;
  const backendAccess = new BackendMcpAccess("backend-mcp-access", {
    provider,
    mcpNamespace: settings.mcp.namespace,
    backendNamespace,
    backendServiceAccount: tenancy.backend.serviceAccount,
    // RBAC may name serving.knative.dev before its CRDs exist: the Role needs only its namespace, not Knative.
    dependsOn: [tenancy.mcp.namespace],
  });
  const primaryDatabase = settings.spanner.databases[0]!;
  const backend = new BackendApi("backend", {
    provider,
    namespace: backendNamespace,
    serviceAccountName: tenancy.backend.serviceAccountName,
    ...settings.backend,
    domain: settings.domain,
    spanner: { project, instance: base.spanner.instance.name, database: base.spanner.databases[primaryDatabase]!.name },
    clickhouse: settings.clickhouse,
    clickhousePassword: settings.clickhousePassword,
    dependsOn: [pools.backend, tenancy.backend.ready, backendAccess, ...buildPlane.backendReady],
  });
  new MetricsPipeline("metrics", {
    provider,
    project,
    workloadPool: cluster.workloadPool,
    // Named per environment like every other service account, so stacks sharing a project never collide.
    adapterAccountId: accountId("metrics-adapter", environment),
    backend: {
      namespace: backendNamespace,
      podLabels: backend.podLabels,
      metricsPort: backend.metricsPort,
      metricsPath: backend.metricsPath,
    },
    dependsOn: [pools.system, tenancy.backend.ready],
    apiDependsOn: [apis.iam, apis.monitoring],
  });
  return {
    knativeNamespace: knative.namespace,
    kourierReady: [knative.serving],
    backend: {
      namespace: backendNamespace,
      serviceName: backend.serviceName,
      servicePort: backend.servicePort,
      ready: [backend.service],
      hpaName: backend.hpa.metadata.name,
    },
    ...(canary ? { canary: { host: canary.host, healthPath: canary.healthPath } } : {}),
  };
}
