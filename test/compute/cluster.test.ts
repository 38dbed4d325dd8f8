// GkeCluster and GkeNodePool: the inputs GCP receives (the seed's values and every hardening setting) and the
// order the engine must create them in.
import { describe, expect, it } from "vitest";
import type { StackConfig } from "../../src/config/schema.js";
import { GkeCluster, apiServerAccess, validateClusterArgs, workloadPoolOf, type GkeClusterArgs } from "../../components/gke/cluster.js";
import { GkeNodePool, initialNodeCountPerZone, poolScheduling, poolTaints } from "../../components/gke/nodePool.js";
import { GKE_GRANT_PROPAGATION_SECONDS } from "../../components/gcp/kms.js";
import { one, ofType, record, waitsFor, type PlannedResource } from "../support/harness.js";
import { KMS_KEY, ROLES, buildCompute, plannedCompute, prodConfig } from "./fixtures.js";

const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";
const SLEEP = "time:index/sleep:Sleep";

type Json = Record<string, any>;
const inputs = (r: PlannedResource) => r.inputs as Json;

describe("GkeCluster with the prod stack (the seed's values)", async () => {
  const resources = await plannedCompute();
  const cluster = one(resources, CLUSTER, "gke-cluster");
  const c = inputs(cluster);

  it("is regional in us-west1 with nodes in us-west1-a/b/c, in the stack's project", () => {
    expect(c.project).toBe("gumstack-prod");
    expect(c.location).toBe("us-west1");
    expect(c.nodeLocations).toEqual(["us-west1-a", "us-west1-b", "us-west1-c"]);
    expect(c.name).toBe("gumstack-prod");
  });

  it("removes the default pool, whose nodes while they live pass a hardened org's policies like every pool's", () => {
    expect(c.removeDefaultNodePool).toBe(true);
    expect(c.initialNodeCount).toBe(1);
    // compute.requireShieldedVm refuses a VM without Secure Boot, gcp.restrictNonCmekServices one without a CMEK
    // boot disk; the Compute Engine default account may be disabled on a fresh organization.
    const system = inputs(one(resources, POOL, "pool-system-pool")).nodeConfig;
    expect(c.nodeConfig).toEqual({
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      serviceAccount: system.serviceAccount,
      bootDiskKmsKey: system.bootDiskKmsKey,
    });
    expect(c.nodeConfig.serviceAccount).toMatch(/^gke-system-prod@/);
    expect(c).not.toHaveProperty("nodePools");
    expect(c).not.toHaveProperty("nodePoolDefaults");
  });

  it("has private nodes, the DNS endpoint for the Kubernetes provider and no public IP endpoint (no authorized networks)", () => {
    expect(c.privateClusterConfig).toEqual({ enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: "172.16.0.0/28" });
    expect(c.controlPlaneEndpointsConfig).toEqual({ dnsEndpointConfig: { allowExternalTraffic: true } });
    expect(c.masterAuthorizedNetworksConfig).toEqual({ cidrBlocks: [], gcpPublicCidrsAccessEnabled: false });
  });

  it("runs VPC-native on the base layer's secondary ranges, IPv4 only, with Dataplane V2 and kube-dns", () => {
    expect(c.networkingMode).toBe("VPC_NATIVE");
    expect(c.ipAllocationPolicy).toEqual({ clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services", stackType: "IPV4" });
    expect(c.datapathProvider).toBe("ADVANCED_DATAPATH");
    expect(c).not.toHaveProperty("networkPolicy"); // the legacy Calico add-on conflicts with Dataplane V2
    expect(c.dnsConfig).toEqual({ clusterDns: "KUBE_DNS" });
    expect(c.addonsConfig.dnsCacheConfig).toEqual({ enabled: false });
  });

  it("enables Workload Identity, shielded nodes, no legacy ABAC", () => {
    expect(c.workloadIdentityConfig).toEqual({ workloadPool: "gumstack-prod.svc.id.goog" });
    expect(c.enableShieldedNodes).toBe(true);
    expect(c.enableLegacyAbac).toBe(false);
  });

  it("encrypts Secrets at the application layer with the KMS key, after the key grant to the container service agent and its propagation", () => {
    expect(c.databaseEncryption).toEqual({ state: "ENCRYPTED", keyName: KMS_KEY });
    // The cluster waits for the Sleep through the key id it takes; the Sleep waits for both of the key's grants.
    const sleep = one(resources, SLEEP, "kms-gke-grant-propagation");
    expect(sleep.inputs).toEqual({ createDuration: `${GKE_GRANT_PROPAGATION_SECONDS}s` });
    expect(GKE_GRANT_PROPAGATION_SECONDS).toBeGreaterThanOrEqual(120); // IAM: "typically 2 minutes"
    expect(cluster.propertyDependencies.databaseEncryption).toContain(sleep.urn);
    for (const agent of ["container", "compute"]) {
      expect(sleep.dependencies).toContain(one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", `kms-gke-${agent}`).urn);
    }
    expect(waitsFor(resources, cluster, one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "kms-gke-container"))).toBe(true);
  });

  it("takes release channel and maintenance window from config", () => {
    expect(c.releaseChannel).toEqual({ channel: "REGULAR" });
    expect(c.maintenancePolicy).toEqual({
      recurringWindow: { startTime: "2026-01-03T09:00:00Z", endTime: "2026-01-03T17:00:00Z", recurrence: "FREQ=WEEKLY;BYDAY=SA,SU" },
    });
  });

  it("enables the Gateway API channel, HTTP load balancing, managed Prometheus and deletion protection", () => {
    expect(c.gatewayApiConfig).toEqual({ channel: "CHANNEL_STANDARD" });
    expect(c.addonsConfig.httpLoadBalancing).toEqual({ disabled: false });
    expect(c.monitoringConfig).toEqual({
      managedPrometheus: { enabled: true },
      enableComponents: ["SYSTEM_COMPONENTS", "STORAGE", "HPA", "POD", "DAEMONSET", "DEPLOYMENT", "STATEFULSET"],
    });
    // Cost allocation on; default SNAT off so Cloud NAT sees each pod's own range.
    expect(c.costManagementConfig).toEqual({ enabled: true });
    expect(c.defaultSnatStatus).toEqual({ disabled: true });
    expect(c.deletionProtection).toBe(true);
  });

  it("is a child of the GkeCluster component", () => {
    expect(cluster.parent).toBe(one(resources, "gumstack:gke:GkeCluster", "gke").urn);
  });
});

describe("GkeNodePool with the prod stack", async () => {
  const cfg = prodConfig();
  const resources = await plannedCompute(cfg);
  const pools = Object.fromEntries(ROLES.map((r) => [r, one(resources, POOL, `pool-${r}-pool`)])) as Record<string, PlannedResource>;
  const cluster = one(resources, CLUSTER);

  it("sizes pools by regional totals: MCP 2-20, backend 6-72 (prod), balanced across zones", () => {
    expect(inputs(pools.mcp!).autoscaling).toEqual({ totalMinNodeCount: 2, totalMaxNodeCount: 20, locationPolicy: "BALANCED" });
    expect(inputs(pools.backend!).autoscaling).toEqual({ totalMinNodeCount: 6, totalMaxNodeCount: 72, locationPolicy: "BALANCED" });
    expect(inputs(pools.system!).autoscaling).toEqual({ totalMinNodeCount: 3, totalMaxNodeCount: 9, locationPolicy: "BALANCED" });
    for (const p of Object.values(pools)) {
      expect(inputs(p).autoscaling).not.toHaveProperty("minNodeCount");
      expect(inputs(p).autoscaling).not.toHaveProperty("maxNodeCount");
    }
  });

  it.each(ROLES)("%s pool: hardened, autonamed, in the cluster's zones and project, after the cluster and Cloud NAT", (role) => {
    const p = pools[role]!;
    const i = inputs(p);
    expect(i).not.toHaveProperty("name");
    expect(i).not.toHaveProperty("namePrefix");
    expect(i.project).toBe("gumstack-prod");
    expect(i.location).toBe("us-west1");
    expect(i.cluster).toBe("gumstack-prod");
    expect(i.nodeLocations).toEqual(cfg.zones);
    expect(i.management).toEqual({ autoRepair: true, autoUpgrade: true });
    expect(i.upgradeSettings).toEqual({ strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 });
    const n = i.nodeConfig;
    expect(n.imageType).toBe("COS_CONTAINERD");
    expect(n.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
    expect(n.serviceAccount).toBe(`gke-${role}-prod@gumstack-prod.iam.gserviceaccount.com`);
    expect(n.serviceAccount).not.toMatch(/-compute@developer\.gserviceaccount\.com$/);
    expect(n.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableIntegrityMonitoring: true });
    expect(n.kubeletConfig).toEqual({ insecureKubeletReadonlyPortEnabled: "FALSE" });
    expect(n.labels).toEqual({ "gumstack.com/pool": role });
    expect(n.machineType).toBe(cfg.nodePools[role].machineType);
    expect(n.diskSizeGb).toBe(100);
    expect(n.diskType).toBe("pd-balanced");
    expect(p.dependencies).toContain(cluster.urn);
    expect(p.dependencies).toContain(one(resources, "gcp:compute/routerNat:RouterNat", "network-nat").urn);
  });

  it.each(ROLES)(
    "%s pool: boot disks on the gke key, created after its Compute Engine agent grant and the node account's grants",
    (role) => {
      const p = pools[role]!;
      expect(inputs(p).nodeConfig.bootDiskKmsKey).toBe(KMS_KEY);
      // The key's grant through the propagation wait the key id resolves after.
      expect(p.dependencies).toContain(one(resources, SLEEP, "kms-gke-grant-propagation").urn);
      expect(waitsFor(resources, p, one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "kms-gke-compute"))).toBe(true);
      const grants = [
        one(resources, "gcp:projects/iAMMember:IAMMember", `accounts-nodes-${role}-container-defaultNodeServiceAccount`),
        one(resources, "gcp:projects/iAMMember:IAMMember", `accounts-nodes-${role}-serviceusage-serviceUsageConsumer`),
      ];
      for (const grant of grants) expect(p.dependencies, grant.urn).toContain(grant.urn);
    },
  );

  it("sandboxes the MCP pool with gVisor and image streaming, and leaves the sandbox taint to GKE", () => {
    const n = inputs(pools.mcp!).nodeConfig;
    expect(n.sandboxConfig).toEqual({ type: "GVISOR" });
    expect(n.gcfsConfig).toEqual({ enabled: true });
    expect(n).not.toHaveProperty("taints");
  });

  it("taints only the backend pool, and only with its own pool taint", () => {
    expect(inputs(pools.backend!).nodeConfig.taints).toEqual([{ key: "gumstack.com/pool", value: "backend", effect: "NO_SCHEDULE" }]);
    expect(inputs(pools.system!).nodeConfig).not.toHaveProperty("taints");
    for (const p of Object.values(pools)) {
      expect(inputs(p).nodeConfig).not.toHaveProperty("sandboxConfig.sandboxType");
    }
    expect(inputs(pools.system!).nodeConfig).not.toHaveProperty("sandboxConfig");
    expect(inputs(pools.backend!).nodeConfig).not.toHaveProperty("sandboxConfig");
  });

  it("creates enough nodes per zone for the regional minimum", () => {
    expect(inputs(pools.system!).initialNodeCount).toBe(1);
    expect(inputs(pools.backend!).initialNodeCount).toBe(2);
    expect(inputs(pools.mcp!).initialNodeCount).toBe(1);
  });

  it("records three pools and no default pool settings anywhere else", () => {
    expect(ofType(resources, POOL)).toHaveLength(3);
  });

  it("gives a pool its own pod range only when asked, as an existing range of the subnet (multi-Pod CIDR)", async () => {
    for (const role of ["system", "backend"]) expect(inputs(pools[role]!)).not.toHaveProperty("networkConfig");
    expect(inputs(pools.mcp!).networkConfig).toEqual({ createPodRange: false, podRange: "pods-mcp", enablePrivateNodes: true });
    const own = await record(() => {
      new GkeNodePool("mcp", {
        project: "gumstack-prod",
        location: "us-west1",
        cluster: "gumstack-prod",
        role: "mcp",
        zones: ["us-west1-a"],
        machineType: "n2-standard-8",
        minNodes: 1,
        maxNodes: 3,
        serviceAccountEmail: "gke-nodes@gumstack-prod.iam.gserviceaccount.com",
        podRange: "pods-mcp",
      });
    });
    expect(inputs(one(own, POOL)).networkConfig).toEqual({ createPodRange: false, podRange: "pods-mcp", enablePrivateNodes: true });
  });
});

describe("GkeCluster with authorized networks from config", async () => {
  const base = prodConfig();
  const cfg: StackConfig = {
    ...base,
    cluster: { ...base.cluster, authorizedNetworks: [{ displayName: "office", cidr: "198.51.100.0/24" }], nodeLocalDns: true },
  };
  let access: string | undefined;
  const resources = await record(() => {
    access = buildCompute(cfg).cluster.apiServerAccess;
  });
  const c = inputs(one(resources, CLUSTER));

  it("opens the public IP endpoint to exactly those networks and turns the DNS endpoint's user traffic off", () => {
    expect(access).toBe("authorized-networks");
    expect(c.privateClusterConfig.enablePrivateEndpoint).toBe(false);
    expect(c.privateClusterConfig.enablePrivateNodes).toBe(true);
    expect(c.masterAuthorizedNetworksConfig).toEqual({
      cidrBlocks: [{ displayName: "office", cidrBlock: "198.51.100.0/24" }],
      gcpPublicCidrsAccessEnabled: false,
    });
    expect(c.controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic).toBe(false);
  });

  it("builds the provider's kubeconfig on the IP endpoint with the cluster CA", () => {
    const provider = one(resources, "pulumi:providers:kubernetes", "k8s-k8s");
    const kubeconfig = JSON.parse(String(provider.inputs.kubeconfig));
    expect(kubeconfig.clusters[0].cluster.server).toBe("https://203.0.113.10");
    expect(kubeconfig.clusters[0].cluster["certificate-authority-data"]).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it("enables NodeLocal DNSCache when configured", () => {
    expect(c.addonsConfig.dnsCacheConfig).toEqual({ enabled: true });
  });
});

describe("cluster and pool helpers", () => {
  const args = (over: Partial<GkeClusterArgs> = {}): GkeClusterArgs => ({
    project: "gumstack-prod",
    region: "us-west1",
    zones: ["us-west1-a", "us-west1-b", "us-west1-c"],
    network: "n",
    subnetwork: "s",
    masterCidr: "172.16.0.0/28",
    databaseEncryptionKeyId: KMS_KEY,
    ...over,
  });

  it("refuses zones outside the region, a control-plane range that is not a /28, malformed authorized networks", () => {
    expect(() => validateClusterArgs(args())).not.toThrow();
    expect(() => validateClusterArgs(args({ zones: ["us-east1-b"] }))).toThrow("zone us-east1-b is not in region us-west1");
    expect(() => validateClusterArgs(args({ zones: [] }))).toThrow("zones must name at least one zone");
    expect(() => validateClusterArgs(args({ masterCidr: "172.16.0.0/24" }))).toThrow("must be an IPv4 /28");
    expect(() => validateClusterArgs(args({ authorizedNetworks: [{ displayName: "x", cidr: "10.0.0.1/8" }] }))).toThrow(
      'authorized network "x": "10.0.0.1/8" is not an IPv4 CIDR',
    );
    expect(() => new GkeCluster("bad", args({ zones: ["us-east1-b"] }))).toThrow("is not in region");
  });

  it("picks the endpoint from config, not from an Output", () => {
    expect(apiServerAccess([])).toBe("dns-endpoint");
    expect(apiServerAccess([{ displayName: "x", cidr: "1.2.3.0/24" }])).toBe("authorized-networks");
    expect(workloadPoolOf("gumstack-prod")).toBe("gumstack-prod.svc.id.goog");
  });

  it("computes a creation size that meets the regional minimum without exceeding the maximum", () => {
    expect(initialNodeCountPerZone(2, 20, 3)).toBe(1);
    expect(initialNodeCountPerZone(6, 72, 3)).toBe(2);
    expect(initialNodeCountPerZone(7, 72, 3)).toBe(3);
    expect(initialNodeCountPerZone(0, 5, 3)).toBe(1);
    expect(initialNodeCountPerZone(0, 2, 3)).toBe(0);
    expect(initialNodeCountPerZone(2, 2, 1)).toBe(2);
    expect(() => initialNodeCountPerZone(5, 4, 3)).toThrow("0 <= minNodes <= maxNodes");
    expect(() => initialNodeCountPerZone(1, 4, 0)).toThrow("at least one zone");
  });

  it("tells workloads how to land on their pool (and only there)", () => {
    expect(poolTaints("system")).toEqual([]);
    expect(poolTaints("mcp")).toEqual([]);
    expect(poolScheduling("backend")).toEqual({
      nodeSelector: { "gumstack.com/pool": "backend" },
      tolerations: [{ key: "gumstack.com/pool", operator: "Equal", value: "backend", effect: "NoSchedule" }],
    });
    expect(poolScheduling("mcp").tolerations).toEqual([
      { key: "sandbox.gke.io/runtime", operator: "Equal", value: "gvisor", effect: "NoSchedule" },
    ]);
    expect(poolScheduling("system")).toEqual({ nodeSelector: { "gumstack.com/pool": "system" }, tolerations: [] });
  });
});
