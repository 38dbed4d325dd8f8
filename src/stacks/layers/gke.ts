// The GKE layer: the regional cluster, its three node pools, the Kubernetes providers (one after every pool, one
// after the control plane only) and GKE Sandbox's gVisor RuntimeClass (read, never created).
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import type * as pulumi from "@pulumi/pulumi";
import { GkeCluster } from "../../../components/gke/cluster.js";
import { GkeNodePool, type NodePoolRole } from "../../../components/gke/nodePool.js";
import { ClusterProvider } from "../../../components/kubernetes/clusterProvider.js";
import { GvisorRuntimeClass } from "../../../components/kubernetes/gvisorRuntimeClass.js";
import type { Settings } from "../../config/index.js";
import type { BaseLayer } from "./base.js";

/** What the layers above use from the GKE layer. */
export interface GkeLayer {
  readonly cluster: Pick<GkeCluster, "cluster" | "name" | "workloadPool" | "apiServerHost" | "apiServerAccess">;
  /** The node pools by role: workloads that must land on a pool wait for it. */
  readonly pools: Readonly<Record<NodePoolRole, pulumi.Resource>>;
  /** The Kubernetes provider of everything that runs pods: created after every node pool. */
  readonly provider: K8sProvider;
  /** The Kubernetes provider of objects only the control plane acts on (the edge's Gateway): after the cluster only. */
  readonly controlPlaneProvider: K8sProvider;
  readonly gvisor: GvisorRuntimeClass;
}

export interface GkeOptions {
  /**
   * What the cluster's creation must also wait for (enterprise stacks: the new project's Cloud Quotas preferences,
   * so the node pools' quota was asked for before GKE counts against it). Default [].
   */
  readonly clusterDependsOn?: readonly pulumi.Resource[];
}

export function gkeLayer(settings: Settings, base: BaseLayer, options: GkeOptions = {}): GkeLayer {
  const { project, region, environment } = settings;
  const { apis, network } = base;
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
    // Secrets encryption needs the container agent's grant on the key before the cluster is created: the key id
    // resolves only after it.
    databaseEncryptionKeyId: base.gkeKeyId,
    // The default pool's nodes, while they live, like the system pool's.
    bootstrapNodeServiceAccount: base.bootstrapNodeAccountEmail,
    bootstrapNodeBootDiskKmsKey: base.gkeKeyId,
    deletionProtection: settings.cluster.deletionProtection && !settings.allowDestroy,
    nodeLocalDns: settings.cluster.nodeLocalDns,
    resourceLabels: { "gumstack-environment": environment },
    // Every pod's image is judged by the project's Binary Authorization policy (buildPlane.ts creates it).
    binaryAuthorizationEvaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE",
    // The cluster ships system logs and metrics and runs Managed Prometheus from creation: Logging and Monitoring first.
    dependsOn: [apis.container, apis.logging, apis.monitoring, ...(options.clusterDependsOn ?? [])],
  });
  // Nodes pull images and write logs from their first boot: their account's email resolves after its grants. Boot
  // disks are CMEK with the gke key, whose id resolves after the Compute Engine agent's grant on it.
  const pool = (role: NodePoolRole, extra: pulumi.Resource[] = [], podRange?: string) =>
    new GkeNodePool(`pool-${role}`, {
      project,
      location: region,
      cluster: cluster.name,
      role,
      zones: settings.zones,
      ...settings.nodePools[role],
      serviceAccountEmail: base.nodeAccountEmails[role],
      bootDiskKmsKey: base.gkeKeyId,
      // Node VMs carry the environment (and their pool, set by the pool): the "pool at its maximum" alert counts them by it.
      resourceLabels: { "gumstack-environment": environment },
      ...(podRange !== undefined ? { podRange } : {}),
      dependsOn: [network.nat, ...extra],
    });
  const systemPool = pool("system");
  const backendPool = pool("backend");
  // Tenant pods (MCP servers and builds) take their IPs from their own range and leave through the tenants' NAT.
  const mcpPool = pool("mcp", [apis.containerfilesystem, network.tenantNat], network.mcpPodRangeName);
  const pools = [systemPool, backendPool, mcpPool];

  const { provider, controlPlaneProvider } = new ClusterProvider("k8s", { cluster, nodePools: pools.map((p) => p.nodePool) });
  const gvisor = new GvisorRuntimeClass("gvisor", { provider, dependsOn: [mcpPool.nodePool] });
  return {
    cluster,
    pools: { system: systemPool.nodePool, backend: backendPool.nodePool, mcp: mcpPool.nodePool },
    provider,
    controlPlaneProvider,
    gvisor,
  };
}
