// Holes in the cluster's and node pools' shape.
import { all, edit, type Mutation } from "./mutation.js";

const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";
const mcpPool = (p: Record<string, any>) => p.nodeConfig?.sandboxConfig?.type === "GVISOR";

export const clusterMutations: Mutation[] = [
  {
    hole: "Dataplane V2 off: NetworkPolicies not enforced",
    policy: "gke-cluster-network-policy-enforcement",
    apply: (r) => edit(r, CLUSTER, all, (p) => void (p.datapathProvider = "LEGACY_DATAPATH")),
  },
  {
    hole: "Workload Identity off: pods get the node's identity",
    policy: "gke-cluster-workload-identity",
    apply: (r) => edit(r, CLUSTER, all, (p) => delete p.workloadIdentityConfig),
  },
  {
    hole: "nodes with public IPs",
    policy: "gke-cluster-private-nodes",
    apply: (r) => edit(r, CLUSTER, all, (p) => void (p.privateClusterConfig.enablePrivateNodes = false)),
  },
  {
    hole: "shielded nodes off",
    policy: "gke-cluster-shielded-nodes",
    apply: (r) => edit(r, CLUSTER, all, (p) => void (p.enableShieldedNodes = false)),
  },
  {
    hole: "Secrets not KMS-encrypted",
    policy: "gke-cluster-secrets-encryption",
    apply: (r) => edit(r, CLUSTER, all, (p) => void (p.databaseEncryption = { state: "DECRYPTED" })),
  },
  {
    hole: "cluster deletion protection off",
    policy: "gke-cluster-deletion-protection",
    apply: (r) => edit(r, CLUSTER, all, (p) => void (p.deletionProtection = false)),
  },
  {
    hole: "control plane's public endpoint open to the internet",
    policy: "gke-cluster-control-plane-private",
    apply: (r) =>
      edit(r, CLUSTER, all, (p) => {
        p.privateClusterConfig.enablePrivateEndpoint = false;
        p.masterAuthorizedNetworksConfig = { cidrBlocks: [{ cidrBlock: "0.0.0.0/0", displayName: "anyone" }] };
      }),
  },
  {
    hole: "control plane admits every Google Cloud public address",
    policy: "gke-cluster-control-plane-private",
    apply: (r) =>
      edit(
        r,
        CLUSTER,
        all,
        (p) => void (p.masterAuthorizedNetworksConfig = { ...p.masterAuthorizedNetworksConfig, gcpPublicCidrsAccessEnabled: true }),
      ),
  },
  {
    hole: "a pool's pods reach the node's metadata (GCE_METADATA)",
    policy: "gke-node-pool-gke-metadata",
    apply: (r) => edit(r, POOL, mcpPool, (p) => void (p.nodeConfig.workloadMetadataConfig = { mode: "GCE_METADATA" })),
  },
  {
    hole: "a pool runs as the Compute Engine default account",
    policy: "gke-node-pool-dedicated-service-account",
    apply: (r) => edit(r, POOL, mcpPool, (p) => delete p.nodeConfig.serviceAccount),
  },
  {
    hole: "the MCP pool without gVisor",
    policy: "gke-node-pool-mcp-sandbox",
    apply: (r) => edit(r, POOL, mcpPool, (p) => void (p.nodeConfig.imageType = "UBUNTU_CONTAINERD")),
  },
  {
    hole: "the MCP pool shares the backend pool's account",
    policy: "gke-node-pool-mcp-own-service-account",
    apply: (r) => {
      const backend = r.find((x) => x.type === POOL && !mcpPool(x.inputs) && /backend/.test(x.urn));
      return backend
        ? edit(r, POOL, mcpPool, (p) => void (p.nodeConfig.serviceAccount = (backend.inputs as any).nodeConfig.serviceAccount))
        : 0;
    },
  },
  {
    hole: "secure boot off on the MCP pool",
    policy: "gke-node-pool-secure-boot",
    apply: (r) => edit(r, POOL, mcpPool, (p) => void (p.nodeConfig.shieldedInstanceConfig.enableSecureBoot = false)),
  },
  {
    hole: "the kubelet's read-only port 10255 on the MCP pool",
    policy: "gke-node-pool-kubelet-readonly-port-off",
    apply: (r) =>
      edit(
        r,
        POOL,
        mcpPool,
        (p) => void (p.nodeConfig.kubeletConfig = { ...p.nodeConfig.kubeletConfig, insecureKubeletReadonlyPortEnabled: "TRUE" }),
      ),
  },
  {
    hole: "the kubelet's read-only port left to GKE's default",
    policy: "gke-node-pool-kubelet-readonly-port-off",
    apply: (r) => edit(r, POOL, mcpPool, (p) => delete p.nodeConfig.kubeletConfig),
  },
];
