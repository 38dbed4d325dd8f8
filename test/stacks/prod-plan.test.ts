// The prod stack planned end to end, as `npm run plan -- --stack prod` does: the seed's values, the
// protections, and the creation order the real engine will follow.
import { describe, expect, it } from "vitest";
import { sharedPlan } from "../support/plans.js";
import { OFFLINE_SECRET_PLACEHOLDER } from "../../src/plan/stackFile.js";
import { nameOf, ofType, one, waitsFor, type PlannedResource } from "../support/harness.js";

const plan = await sharedPlan("prod");
const resources = plan.deployment.resources;
const find = (type: string, name: string): PlannedResource => one(resources, type, name);
const T = {
  cluster: "gcp:container/cluster:Cluster",
  pool: "gcp:container/nodePool:NodePool",
  grant: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  key: "gcp:kms/cryptoKey:CryptoKey",
  deployment: "kubernetes:apps/v1:Deployment",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  vap: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
};

describe("prod plan: the seed's values", () => {
  it("is regional in us-west1 with nodes in zones a, b and c", () => {
    const cluster = find(T.cluster, "gke-cluster");
    expect(cluster.inputs).toMatchObject({
      location: "us-west1",
      nodeLocations: ["us-west1-a", "us-west1-b", "us-west1-c"],
      project: "gumstack-prod",
    });
  });

  it.each([
    ["mcp", 2, 20],
    ["backend", 6, 72],
  ])("sizes the %s pool %i-%i nodes in total across the region", (role, min, max) => {
    const pool = find(T.pool, `pool-${role}-pool`);
    expect(pool.inputs.autoscaling).toMatchObject({ totalMinNodeCount: min, totalMaxNodeCount: max });
  });

  it("runs the backend with the seed's autoscaling", () => {
    const hpa = one(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    const spec = hpa.inputs.spec as Record<string, unknown>;
    expect(spec).toMatchObject({ minReplicas: 6, maxReplicas: 48 });
    expect(spec.behavior).toMatchObject({ scaleDown: { stabilizationWindowSeconds: 1800 } });
    const deployment = find(T.deployment, "backend-deployment");
    expect((deployment.inputs.spec as { strategy: unknown }).strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 3, maxUnavailable: 1 },
    });
  });

  it("configures Knative for the seed's MCP servers: min 1, max 10, 100 concurrent requests meaning 100", () => {
    const serving = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");
    const config = (serving.inputs.spec as { config: Record<string, Record<string, string>> }).config;
    expect(config.autoscaler).toMatchObject({
      "min-scale": "1",
      "max-scale": "10",
      "container-concurrency-target-default": "100",
      "container-concurrency-target-percentage": "100",
    });
    expect(config.features).toMatchObject({ "kubernetes.podspec-runtimeclassname": "enabled" });
  });

  it("cleans images older than 30 days, for real, keeping recent versions", () => {
    const repo = one(resources, "gcp:artifactregistry/repository:Repository");
    expect(repo.inputs.cleanupPolicyDryRun).toBe(false);
    expect(JSON.stringify(repo.inputs.cleanupPolicies)).toContain('"olderThan":"2592000s"');
    expect(JSON.stringify(repo.inputs.cleanupPolicies)).toContain('"mostRecentVersions"');
  });

  it("puts Spanner in regional-us-west1", () => {
    expect(one(resources, "gcp:spanner/instance:Instance").inputs.config).toBe("regional-us-west1");
  });
});

describe("prod plan: the load balancer reaches its backends", () => {
  it("opens Google's LB ranges to Kourier's serving and readiness ports and the backend port, nothing else", () => {
    const fw = find("gcp:compute/firewall:Firewall", "network-allow-google-lb");
    expect(fw.inputs.sourceRanges).toEqual(["130.211.0.0/22", "35.191.0.0/16"]);
    expect(fw.inputs.allows).toEqual([{ protocol: "tcp", ports: ["8080", "8081"] }]);
  });
});

describe("prod plan: protections", () => {
  it("protects everything that holds data or keys from deletion by a routine change", () => {
    const mustProtect = [
      "gcp:kms/keyRing:KeyRing",
      T.key,
      "gcp:spanner/instance:Instance",
      "gcp:spanner/database:Database",
      "gcp:storage/bucket:Bucket",
      "gcp:artifactregistry/repository:Repository",
    ];
    for (const type of mustProtect) {
      const found = ofType(resources, type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) expect(r.protect, `${type} ${nameOf(r)}`).toBe(true);
    }
    expect(find(T.cluster, "gke-cluster").inputs.deletionProtection).toBe(true);
  });

  it("never shows the ClickHouse password in plain text", () => {
    expect(JSON.stringify(plan)).not.toContain(OFFLINE_SECRET_PLACEHOLDER);
    const secret = one(resources, "kubernetes:core/v1:Secret");
    expect(JSON.stringify(secret.inputs)).toContain("4dabf18193072939515e22adb298388d");
  });

  it("creates no RuntimeClass: GKE Sandbox owns gvisor, the program only reads it", () => {
    const classes = resources.filter((r) => r.type === "kubernetes:node.k8s.io/v1:RuntimeClass");
    expect(classes.map((r) => r.external)).toEqual([true]);
  });
});

describe("prod plan: creation order", () => {
  const grantFor = (key: string) => ofType(resources, T.grant).filter((g) => nameOf(g).startsWith(`kms-${key}-`));

  it.each([
    ["the cluster", T.cluster, "gke-cluster", "gke"],
    ["the image repository", "gcp:artifactregistry/repository:Repository", "registry-docker", "registry"],
    ["the Spanner database", "gcp:spanner/database:Database", "spanner-gumstack", "spanner"],
    ["the bucket", "gcp:storage/bucket:Bucket", "buckets-data", "storage"],
  ])("creates %s after its CMEK key's grant to the service agent", (_label, type, name, key) => {
    const grants = grantFor(key);
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) expect(waitsFor(resources, find(type, name), grant), nameOf(grant)).toBe(true);
  });

  it("encrypts every node's boot disk with the gke key, after the Compute Engine agent's grant on it", () => {
    // The compute agent is granted on the gke key for exactly this; without bootDiskKmsKey the grant is unused.
    const key = find(T.key, "kms-gke");
    const computeGrant = find(T.grant, "kms-gke-compute");
    for (const role of ["system", "backend", "mcp"]) {
      const pool = find(T.pool, `pool-${role}-pool`);
      expect((pool.inputs.nodeConfig as { bootDiskKmsKey?: string }).bootDiskKmsKey, role).toBe(key.id);
      expect(waitsFor(resources, pool, computeGrant), role).toBe(true);
    }
  });

  it("creates the cluster after the Logging and Monitoring APIs it writes to from creation (managed Prometheus)", () => {
    const cluster = find(T.cluster, "gke-cluster");
    for (const api of ["container", "logging", "monitoring"]) {
      expect(waitsFor(resources, cluster, find("gcp:projects/service:Service", `services-${api}`)), api).toBe(true);
    }
  });

  it("grants a key only after the service agent exists", () => {
    const grant = find(T.grant, "kms-gke-container");
    expect(waitsFor(resources, grant, find("gcp:projects/serviceIdentity:ServiceIdentity", "services-container-agent"))).toBe(true);
  });

  it("creates node pools after Cloud NAT and the cluster, and the Kubernetes provider after every pool", () => {
    const provider = one(resources, "pulumi:providers:kubernetes", "k8s-k8s");
    for (const role of ["system", "backend", "mcp"]) {
      const pool = find(T.pool, `pool-${role}-pool`);
      expect(waitsFor(resources, pool, find("gcp:compute/routerNat:RouterNat", "network-nat"))).toBe(true);
      expect(waitsFor(resources, pool, find(T.cluster, "gke-cluster"))).toBe(true);
      expect(waitsFor(resources, provider, pool), role).toBe(true);
    }
    // The MCP pool's pods leave through the tenants' NAT: the pool waits for it too.
    expect(waitsFor(resources, find(T.pool, "pool-mcp-pool"), find("gcp:compute/routerNat:RouterNat", "network-nat-tenant"))).toBe(true);
  });

  it("installs the Knative operator before the KnativeServing, and only once the MCP namespace is fenced and guarded", () => {
    const serving = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");
    expect(waitsFor(resources, serving, one(resources, "kubernetes:helm.sh/v3:Release"))).toBe(true);
    // The isolation canary's own scrape rule (ingress to its pods only) comes with the canary, after Knative.
    const fence = ofType(resources, T.netpol).filter(
      (p) => (p.inputs.metadata as { namespace: string }).namespace === "gumstack-mcp" && !nameOf(p).startsWith("canary-"),
    );
    expect(fence.length).toBeGreaterThanOrEqual(4);
    for (const policy of fence) {
      expect(waitsFor(resources, serving, policy), nameOf(policy)).toBe(true);
    }
    // The MCP namespace's guard; the build namespace's guard gates the backend's build RBAC instead (test/build/plan.test.ts).
    const mcpGuard = ofType(resources, T.vap).filter((v) => (v.inputs.metadata as { name: string }).name.startsWith("gumstack-mcp-"));
    expect(mcpGuard.length).toBeGreaterThan(0);
    for (const vap of mcpGuard) expect(waitsFor(resources, serving, vap), nameOf(vap)).toBe(true);
  });

  it("creates the Gateway after its certificate map entry, and the backend after its pool", () => {
    const gateway = one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    expect(waitsFor(resources, gateway, one(resources, "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry"))).toBe(true);
    expect(waitsFor(resources, find(T.deployment, "backend-deployment"), find(T.pool, "pool-backend-pool"))).toBe(true);
  });
});

describe("prod plan: stack outputs", () => {
  it("exports what an operator needs after `pulumi up`", () => {
    const stack = one(resources, "pulumi:pulumi:Stack");
    expect(stack.outputs).toMatchObject({
      project: "gumstack-prod",
      apiUrl: "https://api.gumstack.com",
      mcpNamespace: "gumstack-mcp",
      tenantRepositoryUrl: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
      platformImagesRepository: "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform",
      serviceAccounts: {
        nodes: {
          system: "gke-system-prod@gumstack-prod.iam.gserviceaccount.com",
          backend: "gke-backend-prod@gumstack-prod.iam.gserviceaccount.com",
          mcp: "gke-mcp-prod@gumstack-prod.iam.gserviceaccount.com",
        },
        backend: "backend-prod@gumstack-prod.iam.gserviceaccount.com",
      },
      dnsRecordsManaged: false,
    });
    const records = stack.outputs.dnsRecords as Array<{ name: string; type: string }>;
    expect(records.map((r) => `${r.type} ${r.name}`)).toEqual(
      expect.arrayContaining(["CNAME _acme-challenge.gumstack.com.", "A *.gumstack.com.", "A api.gumstack.com."]),
    );
  });
});

describe("prod plan: APIs first (fact 16)", () => {
  it("creates every GCP resource after an API enablement it needs", () => {
    const apis = ofType(resources, "gcp:projects/service:Service");
    const early = resources.filter(
      (r) => r.custom && !r.external && r.type.startsWith("gcp:") && !apis.includes(r) && !apis.some((api) => waitsFor(resources, r, api)),
    );
    expect(early.map((r) => `${r.type} ${nameOf(r)}`)).toEqual([]);
  });
});

describe("prod plan: Knative can run what the backend deploys", () => {
  it("gives no Knative identity any registry grant: MCP images are digests, which Knative never resolves", () => {
    // pkg/reconciler/revision/resolve.go (knative-v1.22.1) returns a digest reference as it is; the guard admits
    // digest-pinned MCP images only, so the controller never pulls a manifest and needs no read on any repository.
    const registryGrants = resources.filter((r) => /^gcp:artifactregistry\/repositoryIam/.test(r.type));
    expect(registryGrants.length).toBeGreaterThan(0);
    const knative = registryGrants.filter((g) => /\/ns\/knative-(serving|operator)\//.test(JSON.stringify(g.inputs)));
    expect(knative.map(nameOf)).toEqual([]);
    // Nor anywhere else: no IAM grant of any kind names a Knative Kubernetes service account.
    const anyKnative = resources.filter((r) => /iam|IAM/.test(r.type) && /\/ns\/knative-/.test(JSON.stringify(r.inputs)));
    expect(anyKnative.map((r) => `${r.type} ${nameOf(r)}`)).toEqual([]);
  });

  it("creates the KnativeServing after the firewall rule that lets the control plane call its webhooks", () => {
    const serving = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");
    const webhooks = ofType(resources, "gcp:compute/firewall:Firewall").find((f) => JSON.stringify(f.inputs.allows).includes("8443"))!;
    expect(webhooks.inputs.sourceRanges).toEqual(["172.16.0.0/28"]);
    expect(waitsFor(resources, serving, webhooks)).toBe(true);
  });
});

describe("prod plan: the backend's cloud access", () => {
  const backendMember = "serviceAccount:backend-prod@gumstack-prod.iam.gserviceaccount.com";

  it("uses its own KMS key for what it encrypts, and no other key", () => {
    const grants = ofType(resources, T.grant).filter((g) => g.inputs.member === backendMember);
    expect(grants.map((g) => String(g.inputs.cryptoKeyId).split("/").pop())).toEqual(["app"]);
  });

  it("may impersonate no account but the pusher and write no image, only the live tags (the image builder and its token minting are gone)", () => {
    const impersonation = ofType(resources, "gcp:serviceaccount/iAMMember:IAMMember").filter((g) => g.inputs.member === backendMember);
    // Only the build plane's pusher (components/gcp/imagePusher.ts): a short-lived token per build for its push step.
    expect(impersonation.map((g) => [g.inputs.role, g.inputs.serviceAccountId])).toEqual([
      ["roles/iam.serviceAccountTokenCreator", "projects/gumstack-prod/serviceAccounts/pusher-prod@gumstack-prod.iam.gserviceaccount.com"],
    ]);
    expect(ofType(resources, "gcp:serviceaccount/account:Account").map((a) => a.inputs.accountId)).not.toContain("image-builder-prod");
    const registryGrants = ofType(resources, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").filter(
      (g) => g.inputs.member === backendMember,
    );
    // One: the live-tag keep marks (components/gcp/liveImageTagger.ts), a custom role that cannot upload or delete an image.
    expect(registryGrants.map((g) => [g.inputs.repository, g.inputs.role])).toEqual([
      ["mcp-prod", "projects/gumstack-prod/roles/gumstackLiveTagger_prod"],
    ]);
    const role = ofType(resources, "gcp:projects/iAMCustomRole:IAMCustomRole").find((r) => r.inputs.roleId === "gumstackLiveTagger_prod")!;
    const permissions = role.inputs.permissions as string[];
    expect(permissions.every((p) => p.startsWith("artifactregistry.tags.") || /\.(get|list)$/.test(p))).toBe(true);
    expect(permissions).not.toContain("artifactregistry.versions.delete");
    expect(permissions).not.toContain("artifactregistry.repositories.uploadArtifacts");
  });
});
