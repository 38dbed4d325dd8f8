// The platform in one GCP project: the composition shared by environment stacks and enterprise customers, as a
// stack of layers (src/stacks/layers/). Each layer takes the handles of the layers below and returns a handle of
// what the layers above use; the order each needs (APIs -> service agents -> key grants -> encrypted resources;
// network + NAT -> cluster -> pools -> Kubernetes provider -> fenced namespaces -> workloads -> edge) travels in
// those handles, as outputs that resolve only when ready or as resources a layer must take.
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config/index.js";
import { baseLayer, type BaseLayer, type BaseOptions } from "./layers/base.js";
import { buildPlaneLayer, type BuildPlaneLayer } from "./layers/buildPlane.js";
import { edgeLayer, type EdgeLayer } from "./layers/edge.js";
import { gkeLayer, type GkeLayer, type GkeOptions } from "./layers/gke.js";
import { servingLayer, type ServingLayer } from "./layers/serving.js";
import { tenancyLayer, type TenancyLayer } from "./layers/tenancy.js";

export type CoreOptions = BaseOptions & GkeOptions;

/** Every layer's handle. */
export interface Layers {
  readonly base: BaseLayer;
  readonly gke: GkeLayer;
  readonly tenancy: TenancyLayer;
  readonly buildPlane: BuildPlaneLayer;
  readonly serving: ServingLayer;
  readonly edge: EdgeLayer;
}

/** Builds everything that lives in `settings.project`; returns the stack outputs and the layers' handles. */
export function buildCore(settings: Settings, options: CoreOptions = {}): { outputs: Record<string, unknown>; layers: Layers } {
  const base = baseLayer(settings, options);
  const gke = gkeLayer(settings, base, options);
  const tenancy = tenancyLayer(settings, base, gke);
  const buildPlane = buildPlaneLayer(settings, base, gke, tenancy);
  const serving = servingLayer(settings, { base, gke, tenancy, buildPlane });
  const edge = edgeLayer(settings, { base, gke, serving });
  const layers = { base, gke, tenancy, buildPlane, serving, edge };
  return { outputs: stackOutputs(settings, layers), layers };
}

/** The stack outputs, from the layers' handles. */
export function stackOutputs(settings: Settings, { base, gke, tenancy, buildPlane, serving, edge }: Layers): Record<string, unknown> {
  const { project, region } = settings;
  const { cluster } = gke;
  const { accounts, network } = base;
  const { canary } = serving;
  return {
    project: pulumi.output(project),
    region: pulumi.output(region),
    clusterName: cluster.name,
    kubeconfigServer: cluster.apiServerHost,
    tenantRepositoryUrl: base.registry.repositoryUrl,
    platformImagesRepository: settings.platformImages.repository,
    spannerInstance: base.spanner.instance.name,
    spannerDatabases: Object.keys(base.spanner.databases),
    buckets: Object.fromEntries(Object.entries(base.buckets.buckets).map(([purpose, b]) => [purpose, b.name])),
    serviceAccounts: {
      nodes: { system: accounts.nodes.system.email, backend: accounts.nodes.backend.email, mcp: accounts.nodes.mcp.email },
      backend: accounts.backend.email,
    },
    mcpNamespace: tenancy.mcp.namespaceName,
    mcpServiceAccount: tenancy.mcp.serviceAccountName,
    gvisorRuntimeClass: gke.gvisor.runtimeClassName,
    admissionPolicies: tenancy.admissionPolicies,
    buildNamespace: buildPlane.namespace.namespaceName,
    buildServiceAccount: buildPlane.namespace.serviceAccountName,
    buildAdmissionPolicies: buildPlane.admissionPolicies,
    buildImageRepository: base.registry.repositoryUrl,
    imagePusher: buildPlane.pusherEmail,
    loadBalancerIp: edge.edge.ipAddress,
    securityPolicy: edge.securityPolicy,
    // Allow-list these for the platform (ClickHouse Cloud); tenant code never leaves from them.
    platformEgressIps: network.platformNatAddresses,
    // What MCP servers' outbound calls come from (customers may allow-list them for their own APIs).
    tenantEgressIps: network.tenantNatAddresses,
    uptimeCheckIds: edge.uptimeCheckIds,
    dnsRecords: edge.edge.dnsRecords,
    dnsRecordsManaged: edge.edge.dnsRecordsManaged,
    apiUrl: `https://${settings.edge.apiSubdomain}.${settings.domain}`,
    mcpServerUrlPattern: `https://<server>.${settings.domain}`,
    canaryUrl: canary ? `https://${canary.host}${canary.healthPath}` : null,
    knativeNamespace: serving.knativeNamespace,
    // Operator hints. The control plane is private: kubectl reaches it through the DNS endpoint, authorized by
    // IAM (https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
    kubectlCommand: pulumi.interpolate`gcloud container clusters get-credentials ${cluster.name} --region ${region} --project ${project} --dns-endpoint`,
    registryLoginCommand: `gcloud auth configure-docker ${region}-docker.pkg.dev`,
    // Issuance is ACTIVE once the DNS authorization's CNAME resolves
    // (https://cloud.google.com/certificate-manager/docs/deploy-google-managed-dns-auth).
    certificateName: edge.edge.certificateName,
    dnsAuthorizationName: edge.edge.dnsAuthorizationName,
    certificateStatusCommand: pulumi.interpolate`gcloud certificate-manager certificates describe ${edge.edge.certificateName} --project ${project} --format='value(managed.state,managed.authorizationAttemptInfo)'`,
  };
}
