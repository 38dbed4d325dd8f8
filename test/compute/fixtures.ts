// The compute layer composed the way the platform stack composes it, from the prod stack file (the seed's values),
// with stand-ins for the GCP base layer (KMS grant, Cloud NAT, service accounts) so ordering can be asserted.
import * as compute from "../../components/sdk/gcp/compute.js";
import * as kms from "../../components/sdk/gcp/kms.js";
import * as serviceaccount from "../../components/sdk/gcp/serviceaccount.js";
import type { StackConfig } from "../../src/config/schema.js";
import { prodConfig } from "../support/harness.js";
import { GkeCluster } from "../../components/gke/cluster.js";
import { GkeNodePool, type NodePoolRole } from "../../components/gke/nodePool.js";
import { BackendNamespace } from "../../components/kubernetes/backendNamespace.js";
import { ClusterProvider } from "../../components/kubernetes/clusterProvider.js";
import { GvisorRuntimeClass } from "../../components/kubernetes/gvisorRuntimeClass.js";
import { McpNamespace } from "../../components/kubernetes/mcpNamespace.js";
import { McpNetworkPolicies } from "../../components/kubernetes/mcpNetworkPolicies.js";

export { prodConfig };

export const KMS_KEY = "projects/gumstack-prod/locations/us-west1/keyRings/gumstack-prod/cryptoKeys/gke-secrets";
export const ROLES: readonly NodePoolRole[] = ["system", "backend", "mcp"];

/** Builds the compute layer; returns every component so tests can read their outputs. */
export function buildCompute(cfg: StackConfig = prodConfig()) {
  const project = cfg.project;
  // Base-layer stand-ins (owned by components/gcp in the real program).
  const kmsGrant = new kms.CryptoKeyIAMMember("gke-secrets-key-container-agent", {
    cryptoKeyId: KMS_KEY,
    role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    member: "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com",
  });
  const nat = new compute.RouterNat("nat", {
    project,
    region: cfg.region,
    router: "gumstack-router",
    natIpAllocateOption: "AUTO_ONLY",
    sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
  });
  const nodeSa = new serviceaccount.Account("gke-nodes", { project, accountId: "gke-nodes" });
  const backendSa = new serviceaccount.Account("backend", { project, accountId: "backend" });

  const cluster = new GkeCluster("gke", {
    project,
    region: cfg.region,
    zones: cfg.zones,
    clusterName: `gumstack-${cfg.environment}`,
    network: `projects/${project}/global/networks/gumstack`,
    subnetwork: `projects/${project}/regions/${cfg.region}/subnetworks/gumstack-gke`,
    masterCidr: cfg.network.masterCidr,
    releaseChannel: cfg.cluster.releaseChannel,
    maintenanceWindow: cfg.cluster.maintenanceWindow,
    authorizedNetworks: cfg.cluster.authorizedNetworks,
    databaseEncryptionKeyId: kmsGrant.cryptoKeyId,
    deletionProtection: cfg.cluster.deletionProtection,
    nodeLocalDns: cfg.cluster.nodeLocalDns,
    dependsOn: [kmsGrant],
  });
  const pools = Object.fromEntries(
    ROLES.map((role) => [
      role,
      new GkeNodePool(`gke-${role}`, {
        project,
        location: cfg.region,
        cluster: cluster.name,
        role,
        zones: cfg.zones,
        ...cfg.nodePools[role],
        serviceAccountEmail: nodeSa.email,
        dependsOn: [nat],
      }),
    ]),
  ) as Record<NodePoolRole, GkeNodePool>;
  const k8s = new ClusterProvider("gke", { cluster, nodePools: ROLES.map((r) => pools[r].nodePool) });
  const provider = k8s.provider;
  const gvisor = new GvisorRuntimeClass("mcp-runtime", { provider, dependsOn: [pools.mcp.nodePool] });
  const ranges = { ...cfg.network, nodeLocalDns: cfg.cluster.nodeLocalDns };
  const { namespace, ...quota } = cfg.mcp;
  const mcp = new McpNamespace("mcp", { provider, namespace, ...quota });
  const mcpPolicies = new McpNetworkPolicies("mcp-netpol", { provider, namespace, ranges, dependsOn: [mcp.namespace] });
  const backend = new BackendNamespace("backend", {
    provider,
    project,
    backendServiceAccountEmail: backendSa.email,
    workloadPool: cluster.workloadPool,
    port: cfg.backend.port,
    egressPorts: [443, cfg.clickhouse.port],
    ranges,
    dependsOn: [cluster.cluster],
  });
  return { kmsGrant, nat, nodeSa, backendSa, cluster, pools, k8s, gvisor, mcp, mcpPolicies, backend };
}

/** Resolves an Output's value inside a mocked program. */
export function valueOf<T>(o: { apply<U>(f: (v: T) => U): unknown }): Promise<T> {
  return new Promise((resolve) => {
    o.apply((v) => {
      resolve(v);
      return v;
    });
  });
}
