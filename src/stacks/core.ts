// The platform in one GCP project: the composition shared by environment stacks and enterprise customers.
// Order matters and is carried by dependencies: APIs -> service agents -> key grants -> encrypted resources;
// network + NAT -> cluster -> pools -> Kubernetes provider -> namespaces and policies -> workloads.
import * as artifactregistry from "../../components/sdk/gcp/artifactregistry.js";
import * as pulumi from "@pulumi/pulumi";
import {
  ArtifactRegistry,
  dockerRepositoryUrl,
  parseDockerRepositoryUrl,
  tenantRepositoryId,
} from "../../components/gcp/artifactRegistry.js";
import { Alerting } from "../../components/gcp/alerting.js";
import { DataAccessAuditLogs } from "../../components/gcp/auditLogs.js";
import { NotificationChannels } from "../../components/gcp/notificationChannels.js";
import { Buckets } from "../../components/gcp/buckets.js";
import { CloudArmorPolicy } from "../../components/gcp/cloudArmor.js";
import { Kms } from "../../components/gcp/kms.js";
import { Network } from "../../components/gcp/network.js";
import { ProjectServices } from "../../components/gcp/projectServices.js";
import { ImagePusher } from "../../components/gcp/imagePusher.js";
import { ServiceAccounts, accountId } from "../../components/gcp/serviceAccounts.js";
import { Spanner } from "../../components/gcp/spanner.js";
import { GkeCluster } from "../../components/gke/cluster.js";
import { GkeNodePool } from "../../components/gke/nodePool.js";
import { AdmissionGuard } from "../../components/kubernetes/admissionGuard.js";
import { BackendBuildAccess } from "../../components/kubernetes/backendBuildAccess.js";
import { BackendNamespace } from "../../components/kubernetes/backendNamespace.js";
import { BUILD_IMAGE_PATH } from "../../components/kubernetes/platformTenants.js";
import { BuildAdmissionGuard } from "../../components/kubernetes/buildAdmissionPolicies.js";
import { BuildNamespace } from "../../components/kubernetes/buildNamespace.js";
import { BuildNetworkPolicies } from "../../components/kubernetes/buildNetworkPolicies.js";
import { BackendMcpAccess } from "../../components/kubernetes/backendMcpAccess.js";
import { ClusterProvider } from "../../components/kubernetes/clusterProvider.js";
import { GvisorRuntimeClass } from "../../components/kubernetes/gvisorRuntimeClass.js";
import { McpNamespace } from "../../components/kubernetes/mcpNamespace.js";
import { McpNetworkPolicies } from "../../components/kubernetes/mcpNetworkPolicies.js";
import { BackendApi } from "../../components/serving/backendApi.js";
import { Edge } from "../../components/serving/edge.js";
import { IsolationCanary } from "../../components/serving/isolationCanary.js";
import { lbPodPorts } from "../../components/serving/edgeManifests.js";
import { KnativeServing } from "../../components/serving/knativeServing.js";
import { MetricsPipeline } from "../../components/serving/metricsPipeline.js";
import type { Settings } from "../config/index.js";

const BACKEND_NAMESPACE = "gumstack-backend";
const BACKEND_SERVICE_ACCOUNT = "backend";

export interface CoreOptions {
  /**
   * The project id as an output of the resource that creates it (enterprise stacks). Every API enablement
   * takes it as input, so everything that waits for an API waits for the project. Default: the config value.
   */
  readonly createdProjectId?: pulumi.Output<string>;
  /** The project's number when this stack creates the project. Default: looked up. */
  readonly projectNumber?: pulumi.Input<string>;
  /** Enable the Billing Budgets API in the project (platform stacks: budget calls are billed there). Default false. */
  readonly billingBudgets?: boolean;
}

/** Builds everything that lives in `settings.project`; returns the stack outputs and the node service account. */
export function buildCore(settings: Settings, options: CoreOptions = {}): { outputs: Record<string, unknown> } {
  const { project, region, environment } = settings;

  // --- GCP base layer -------------------------------------------------------------------------------------
  const services = new ProjectServices("services", {
    project: options.createdProjectId ?? project,
    billingBudgets: options.billingBudgets ?? false,
    ...(options.projectNumber ? { projectNumber: options.projectNumber } : {}),
  });
  const apis = services.apis;
  // gumstack:allowDestroy, the deliberate teardown switch, reaches each protected component as one argument.
  const allowDestroy = settings.allowDestroy;
  const kms = new Kms("kms", {
    project,
    region,
    environment,
    rotationDays: settings.kms.rotationDays,
    agents: services.agents,
    apis,
    allowDestroy,
    randomSuffix: settings.naming.randomSuffix,
  });
  const network = new Network("network", {
    project,
    region,
    environment,
    network: settings.network,
    apis,
    egress: settings.egress,
    backendPorts: lbPodPorts(settings.backend.port),
  });
  // Who read or wrote which key or database: Data Access audit logs for Cloud KMS and Spanner.
  new DataAccessAuditLogs("audit", { project, dependsOn: [apis.cloudkms, apis.spanner] });
  // The tenant MCP repository: this stack's only repository. Platform images come from the platform-images
  // repository the bootstrap created (gumstack:platformImages.repository), which this stack only reads.
  const tenantRepoId = tenantRepositoryId(environment, settings.artifactRegistry.repositoryId);
  const platformImages = parseDockerRepositoryUrl(settings.platformImages.repository);
  const registry = new ArtifactRegistry("registry", {
    project,
    region,
    apis,
    repositoryId: tenantRepoId,
    retentionDays: settings.artifactRegistry.retentionDays,
    keepRecentVersions: settings.artifactRegistry.keepRecentVersions,
    kmsKeyName: kms.keys.registry.id,
    keyGrants: kms.grants.registry,
    // The release identity copies the canary and the builder here (the MCP pool reads no other repository).
    publisherEmail: settings.platformImages.releaseIdentity,
  });
  const spanner = new Spanner("spanner", {
    project,
    region,
    environment,
    spanner: settings.spanner,
    apis,
    kmsKeyName: kms.keys.spanner.id,
    keyGrants: kms.grants.spanner,
    allowDestroy,
  });
  const buckets = new Buckets("buckets", {
    project,
    region,
    environment,
    purposes: settings.buckets,
    apis,
    kmsKeyName: kms.keys.storage.id,
    keyGrants: kms.grants.storage,
    allowDestroy,
    randomSuffix: settings.naming.randomSuffix,
  });
  const accounts = new ServiceAccounts("accounts", {
    project,
    environment,
    apis,
    tenantRepository: registry.repository,
    platformImagesRepository: platformImages,
    databases: spanner.databases,
    buckets: buckets.buckets,
    // The backend encrypts what it stores itself (customers' credentials) with its own key.
    backendCryptoKeys: { app: kms.keys.app.id },
  });

  // --- GKE ----------------------------------------------------------------------------------------------
  const cluster = new GkeCluster("gke", {
    project,
    region,
    zones: settings.zones,
    clusterName: `gumstack-${environment}`,
    network: network.network.id,
    subnetwork: network.subnetwork.id,
    podsRangeName: network.podRangeName,
    servicesRangeName: network.serviceRangeName,
    masterCidr: settings.network.masterCidr,
    releaseChannel: settings.cluster.releaseChannel,
    maintenanceWindow: settings.cluster.maintenanceWindow,
    authorizedNetworks: settings.cluster.authorizedNetworks,
    databaseEncryptionKeyId: kms.keys.gke.id,
    deletionProtection: settings.cluster.deletionProtection && !allowDestroy,
    nodeLocalDns: settings.cluster.nodeLocalDns,
    resourceLabels: { "gumstack-environment": environment },
    // Secrets encryption needs the container agent's grant on the key before the cluster is created. The cluster
    // also ships system logs and metrics and runs Managed Prometheus from creation: Logging and Monitoring first.
    dependsOn: [apis.container, apis.logging, apis.monitoring, ...kms.grants.gke],
  });
  // Nodes pull images and write logs from their first boot: their grants come first. Boot disks are CMEK with
  // the gke key: the Compute Engine agent's grant on it (kms.grants.gke) must exist before any node is created.
  const poolDeps = [network.nat, ...accounts.grants, ...kms.grants.gke];
  const pool = (role: "system" | "backend" | "mcp", extra: pulumi.Resource[] = [], podRange?: string) =>
    new GkeNodePool(`pool-${role}`, {
      project,
      location: region,
      cluster: cluster.name,
      role,
      zones: settings.zones,
      ...settings.nodePools[role],
      serviceAccountEmail: accounts.nodes[role].email,
      bootDiskKmsKey: kms.keys.gke.id,
      // Node VMs carry the environment (and their pool, set by the pool): the "pool at its maximum" alert counts them by it.
      resourceLabels: { "gumstack-environment": environment },
      ...(podRange !== undefined ? { podRange } : {}),
      dependsOn: [...poolDeps, ...extra],
    });
  const systemPool = pool("system");
  const backendPool = pool("backend");
  // Tenant pods (MCP servers and builds) take their IPs from their own range and leave through the tenants' NAT.
  const mcpPool = pool("mcp", [apis.containerfilesystem, network.tenantNat], network.mcpPodRangeName);
  const pools = [systemPool, backendPool, mcpPool];

  // --- Kubernetes: tenancy and isolation ----------------------------------------------------------------
  const { provider } = new ClusterProvider("k8s", { cluster, nodePools: pools.map((p) => p.nodePool) });
  const gvisor = new GvisorRuntimeClass("gvisor", { provider, dependsOn: [mcpPool.nodePool] });
  const ranges = { ...settings.network, nodeLocalDns: settings.cluster.nodeLocalDns };
  const m = settings.mcp;
  const mcp = new McpNamespace("mcp", {
    provider,
    namespace: m.namespace,
    quotaCpu: m.quotaCpu,
    quotaMemory: m.quotaMemory,
    quotaPods: m.quotaPods,
    defaultCpuRequest: m.defaultCpuRequest,
    defaultMemory: m.defaultMemory,
    maxMemory: m.maxMemory,
    maxCpu: m.maxCpu,
    defaultEphemeralStorageRequest: m.defaultEphemeralStorageRequest,
    defaultEphemeralStorage: m.defaultEphemeralStorage,
    maxEphemeralStorage: m.maxEphemeralStorage,
  });
  const mcpPolicies = new McpNetworkPolicies("mcp-netpol", {
    provider,
    namespace: settings.mcp.namespace,
    ranges,
    dependsOn: [mcp.namespace],
  });
  // MCP images: <tenant repository>/<tenant-id>/<server>, by digest (the repository's tags are mutable, for the
  // age-based cleanup). The platform's own images (gumstack:platformImages.repository) are refused by name.
  const tenantImageRepository = dockerRepositoryUrl(region, project, tenantRepoId);
  const imagePrefix = `${tenantImageRepository}/`;
  const guard = new AdmissionGuard("admission", {
    provider,
    namespace: m.namespace,
    tenantImageRepository,
    tenantTagsImmutable: false,
    platformImageRepository: settings.platformImages.repository,
    domain: settings.domain,
    reservedHostnames: [...new Set([settings.edge.apiSubdomain, ...m.reservedHostnames])],
    minScale: settings.knative.minScale,
    maxScaleLimit: settings.knative.maxScaleLimit,
    maxProgressDeadlineSeconds: m.maxProgressDeadlineSeconds,
    maxContainers: m.maxContainers,
    maxPodCpu: m.maxPodCpu,
    maxPodMemory: m.maxPodMemory,
    containerDefaultCpuLimit: m.maxCpu,
    containerDefaultMemoryLimit: m.defaultMemory,
    maxEmptyDirSize: m.maxEphemeralStorage,
  });
  const backendNs = new BackendNamespace("backend-ns", {
    provider,
    project,
    namespace: BACKEND_NAMESPACE,
    serviceAccountName: BACKEND_SERVICE_ACCOUNT,
    backendServiceAccountEmail: accounts.backend.email,
    workloadPool: cluster.workloadPool,
    port: settings.backend.port,
    egressPorts: [...new Set([443, settings.clickhouse.port])],
    ranges,
    dependsOn: [cluster.cluster],
  });

  // --- Build plane: customers' Dockerfiles, one Job per build (components/kubernetes/buildJob.ts) ------------
  // Fenced and guarded before anything can build: the backend gets its build RBAC only after the namespace's
  // NetworkPolicies and admission guard exist, and the backend waits for that RBAC.
  const build = settings.build;
  const buildNs = new BuildNamespace("build", {
    provider,
    namespace: build.namespace,
    maxConcurrentBuilds: build.maxConcurrentBuilds,
    maxCpu: build.cpu,
    maxMemory: build.memory,
    maxEphemeralStorage: build.ephemeralStorage,
    quotaCpu: build.quotaCpu,
    quotaMemory: build.quotaMemory,
    quotaEphemeralStorage: build.quotaEphemeralStorage,
  });
  const buildPolicies = new BuildNetworkPolicies("build-netpol", {
    provider,
    namespace: build.namespace,
    ranges,
    dependsOn: [buildNs.namespace],
  });
  const buildGuard = new BuildAdmissionGuard("build-admission", {
    provider,
    namespace: build.namespace,
    // Every build container is the release identity's copy of the builder under the reserved build path of the
    // tenant MCP repository (the only repository the MCP pool's nodes can pull from; docs/build-plane.md).
    builderImagePrefix: `${tenantImageRepository}/${BUILD_IMAGE_PATH}/`,
    maxDeadlineSeconds: build.deadlineSeconds,
    maxTtlSecondsAfterFinished: build.ttlSecondsAfterFinished,
  });
  const backendBuilds = new BackendBuildAccess("backend-build-access", {
    provider,
    buildNamespace: build.namespace,
    backendNamespace: BACKEND_NAMESPACE,
    backendServiceAccount: backendNs.serviceAccountName,
    dependsOn: [buildNs, buildPolicies, buildGuard],
  });
  // Pushes what a build produced to the tenant MCP repository, with tokens the backend mints per build.
  const pusher = new ImagePusher("pusher", {
    project,
    environment,
    repository: { project, location: region, repositoryId: registry.repository.repositoryId },
    tokenMinter: accounts.backend.member,
    dependsOn: [apis.iam],
  });

  // --- Serving, backend and edge ------------------------------------------------------------------------
  // Nothing serves MCP traffic until the tenant namespace is fenced and guarded.
  const fenced = [mcp, mcpPolicies, guard];
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
    dependsOn: [systemPool.nodePool, gvisor, network.controlPlaneWebhookFirewall, ...fenced],
  });
  // Who is told: one email channel per gumstack:alerting.emails address, for the platform's and the canary's alerts.
  const notify = new NotificationChannels("notify", {
    project,
    environment,
    emails: settings.alerting.emails,
    dependsOn: [apis.monitoring],
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
        imagePrefix,
        namespace: settings.mcp.namespace,
        intervalSeconds: settings.canary.intervalSeconds,
        reachUrl: settings.canary.reachUrl,
        notificationChannels: notify.names,
        dependsOn: [knative.serving, mcpPool.nodePool, ...fenced],
        apiDependsOn: [apis.monitoring],
      })
    : undefined;
  const backendAccess = new BackendMcpAccess("backend-mcp-access", {
    provider,
    mcpNamespace: settings.mcp.namespace,
    backendNamespace: BACKEND_NAMESPACE,
    backendServiceAccount: backendNs.serviceAccountName,
    // RBAC may name serving.knative.dev before its CRDs exist: the Role needs only its namespace, not Knative.
    dependsOn: [mcp.namespace],
  });
  // Knative's controller resolves each MCP image tag to a digest with its own identity: under Workload
  // Identity that is the federated principal of the KSA knative-serving/controller, which may read the MCP
  // image repository and nothing else (without it every revision fails "failed to resolve image to digest").
  const knativeTagResolver = new artifactregistry.RepositoryIamMember("knative-controller-image-reader", {
    project,
    location: region,
    repository: registry.repository.repositoryId,
    role: "roles/artifactregistry.reader",
    member: pulumi.interpolate`principal://iam.googleapis.com/projects/${services.projectNumber}/locations/global/workloadIdentityPools/${cluster.workloadPool}/subject/ns/${knative.namespace}/sa/controller`,
  });
  const primaryDatabase = settings.spanner.databases[0]!;
  const backend = new BackendApi("backend", {
    provider,
    namespace: BACKEND_NAMESPACE,
    serviceAccountName: BACKEND_SERVICE_ACCOUNT,
    ...settings.backend,
    domain: settings.domain,
    spanner: { project, instance: spanner.instance.name, database: spanner.databases[primaryDatabase]!.name },
    clickhouse: settings.clickhouse,
    clickhousePassword: settings.clickhousePassword,
    // The backend creates MCP servers: Knative must be able to resolve their images first.
    dependsOn: [backendPool.nodePool, backendNs, backendAccess, backendBuilds, pusher, knativeTagResolver],
  });
  new MetricsPipeline("metrics", {
    provider,
    project,
    workloadPool: cluster.workloadPool,
    // Named per environment like every other service account, so stacks sharing a project never collide.
    adapterAccountId: accountId("metrics-adapter", environment),
    backend: {
      namespace: BACKEND_NAMESPACE,
      podLabels: backend.podLabels,
      metricsPort: backend.metricsPort,
      metricsPath: backend.metricsPath,
    },
    dependsOn: [systemPool.nodePool, backendNs],
    apiDependsOn: [apis.iam, apis.monitoring],
  });
  const apiHost = `${settings.edge.apiSubdomain}.${settings.domain}`;
  const armor = new CloudArmorPolicy("armor", {
    project,
    environment,
    domain: settings.domain,
    apiHost,
    adaptiveProtection: settings.edge.armor.adaptiveProtection,
    serverRequestsPerMinute: settings.edge.armor.serverRequestsPerMinute,
    serverOverrides: settings.edge.armor.serverOverrides,
    apiRequestsPerMinutePerClient: settings.edge.armor.apiRequestsPerMinutePerClient,
    wafPreview: settings.edge.armor.wafPreview,
    dependsOn: [apis.compute],
  });
  const edge = new Edge("edge", {
    provider,
    project,
    domain: settings.domain,
    apiSubdomain: settings.edge.apiSubdomain,
    ...(settings.edge.dnsZone ? { dnsZone: settings.edge.dnsZone } : {}),
    backend: { namespace: BACKEND_NAMESPACE, serviceName: backend.serviceName, port: backend.servicePort },
    backendHealthPath: settings.backend.healthPath,
    backendTimeoutSeconds: settings.edge.backendTimeoutSeconds,
    securityPolicyName: armor.name,
    logSampleRate: settings.edge.logSampleRate,
    // Only what sits next to each backend waits for it; the Gateway (the load balancer) starts while Knative installs.
    backendDependsOn: { kourier: [knative.serving], backend: [backend.service] },
    apiDependsOn: [apis.certificatemanager, apis.compute, apis.dns],
  });

  const alerting = new Alerting("alerting", {
    project,
    environment,
    notificationChannels: notify.names,
    api: { host: apiHost, path: settings.backend.healthPath },
    // The canary's health path, checked from outside: the MCP path (LB, Kourier, activator) and the canary itself are up.
    ...(canary ? { canary: { host: canary.host, path: canary.healthPath } } : {}),
    clusterName: cluster.name,
    backendHpa: { namespace: BACKEND_NAMESPACE, name: backend.hpa.metadata.name },
    nodePools: (["system", "backend", "mcp"] as const).map((role) => ({ role, maxNodes: settings.nodePools[role].maxNodes })),
    natGateways: [network.nat.name, network.tenantNat.name],
    lb5xxPercent: settings.alerting.lb5xxPercent,
    certificateExpiryDays: settings.alerting.certificateExpiryDays,
    dependsOn: [apis.monitoring],
  });

  const outputs = {
    project: pulumi.output(project),
    region: pulumi.output(region),
    clusterName: cluster.name,
    kubeconfigServer: cluster.apiServerHost,
    tenantRepositoryUrl: registry.repositoryUrl,
    platformImagesRepository: settings.platformImages.repository,
    spannerInstance: spanner.instance.name,
    spannerDatabases: Object.keys(spanner.databases),
    buckets: Object.fromEntries(Object.entries(buckets.buckets).map(([purpose, b]) => [purpose, b.name])),
    serviceAccounts: {
      nodes: { system: accounts.nodes.system.email, backend: accounts.nodes.backend.email, mcp: accounts.nodes.mcp.email },
      backend: accounts.backend.email,
    },
    mcpNamespace: mcp.namespaceName,
    mcpServiceAccount: mcp.serviceAccountName,
    gvisorRuntimeClass: gvisor.runtimeClassName,
    admissionPolicies: guard.policyNames,
    buildNamespace: buildNs.namespaceName,
    buildServiceAccount: buildNs.serviceAccountName,
    buildAdmissionPolicies: buildGuard.policyNames,
    buildImageRepository: registry.repositoryUrl,
    imagePusher: pusher.email,
    loadBalancerIp: edge.ipAddress,
    securityPolicy: armor.name,
    // Allow-list these for the platform (ClickHouse Cloud); tenant code never leaves from them.
    platformEgressIps: network.platformNatAddresses,
    // What MCP servers' outbound calls come from (customers may allow-list them for their own APIs).
    tenantEgressIps: network.tenantNatAddresses,
    uptimeCheckIds: alerting.uptimeCheckIds,
    dnsRecords: edge.dnsRecords,
    dnsRecordsManaged: edge.dnsRecordsManaged,
    apiUrl: `https://${settings.edge.apiSubdomain}.${settings.domain}`,
    mcpServerUrlPattern: `https://<server>.${settings.domain}`,
    canaryUrl: canary ? `https://${canary.host}${canary.healthPath}` : null,
    knativeNamespace: knative.namespace,
    // Operator hints. The control plane is private: kubectl reaches it through the DNS endpoint, authorized by
    // IAM (https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
    kubectlCommand: pulumi.interpolate`gcloud container clusters get-credentials ${cluster.name} --region ${region} --project ${project} --dns-endpoint`,
    registryLoginCommand: `gcloud auth configure-docker ${region}-docker.pkg.dev`,
    // Issuance is ACTIVE once the DNS authorization's CNAME resolves
    // (https://cloud.google.com/certificate-manager/docs/deploy-google-managed-dns-auth).
    certificateName: edge.certificateName,
    dnsAuthorizationName: edge.dnsAuthorizationName,
    certificateStatusCommand: pulumi.interpolate`gcloud certificate-manager certificates describe ${edge.certificateName} --project ${project} --format='value(managed.state,managed.authorizationAttemptInfo)'`,
  };
  return { outputs };
}
