// The preflight's judgements as pure functions: what the plan needs (src/preflight/needs.ts), how an effective
// org policy is read (src/preflight/orgPolicy.ts), and the quota, billing, API and DNS verdicts (checks.ts),
// each tried on both sides of its rule.
import { describe, expect, it } from "vitest";
import { parseAllConfig } from "../../src/config/load.js";
import { quotaNeeds } from "../../src/config/quota.js";
import type { PlannedResource } from "../../src/plan/plan.js";
import { readStackFile } from "../../src/plan/stackFile.js";
import { checkApis, checkDomainResolves, checkQuota, checkZoneDelegation, nsCandidates } from "../../src/preflight/checks.js";
import { rootUrl } from "../../src/preflight/google.js";
import { plannedVms, preflightNeeds, quotaFigures, type PlannedVm } from "../../src/preflight/needs.js";
import {
  checkBuckets,
  checkServiceAccountCreation,
  checkServiceUsage,
  checkCmekKeyProjects,
  checkExternalIp,
  checkLocations,
  checkMemberDomains,
  checkNonCmek,
  checkShieldedVm,
  enforced,
  listVerdict,
  locationGroupContains,
  memberOwner,
  type EffectivePolicy,
} from "../../src/preflight/orgPolicy.js";
import { checkPermissions, permissionsFor, permissionsForTypes } from "../../src/preflight/permissions.js";
import { sharedPlanner } from "../support/cli.js";

const rules = (...r: NonNullable<EffectivePolicy["spec"]>["rules"] & object): EffectivePolicy => ({ spec: { rules: r } });
const res = (type: string, name: string, inputs: Record<string, unknown>): PlannedResource => ({
  urn: `urn:pulumi:s::gumstack::${type}::${name}`,
  custom: true,
  type,
  inputs,
  outputs: {},
  dependencies: [],
  propertyDependencies: {},
});
const vm = (label: string, over: Partial<PlannedVm> = {}): PlannedVm => ({
  label,
  secureBoot: true,
  externalIp: false,
  machineType: "n2-standard-8",
  diskType: "pd-balanced",
  diskSizeGb: 100,
  creationNodes: 3,
  maxNodes: 9,
  transient: false,
  ...over,
});

describe("list constraints (listVerdict)", () => {
  it("no rules is the constraint's default: allowed", () => expect(listVerdict({ spec: { rules: [] } }, "x")).toBe("allowed"));
  it("allowAll allows, denyAll denies whatever else is listed", () => {
    expect(listVerdict(rules({ allowAll: true }), "x")).toBe("allowed");
    expect(listVerdict(rules({ denyAll: true }, { allowAll: true }), "x")).toBe("denied");
  });
  it("an allow list allows only what it lists (with or without is:), a deny list beats it", () => {
    const p = rules({ values: { allowedValues: ["is:a", "b"] } });
    expect([listVerdict(p, "a"), listVerdict(p, "b"), listVerdict(p, "c")]).toEqual(["allowed", "allowed", "denied"]);
    expect(listVerdict(rules({ values: { allowedValues: ["a"], deniedValues: ["a"] } }), "a")).toBe("denied");
    expect(listVerdict(rules({ values: { deniedValues: ["z"] } }), "a")).toBe("allowed");
  });
  it("a group the caller cannot expand is 'unknown', never silently allowed", () => {
    expect(listVerdict(rules({ values: { allowedValues: ["in:mystery"] } }), "a")).toBe("unknown");
    expect(listVerdict(rules({ values: { allowedValues: ["in:mystery", "a"] } }), "a")).toBe("allowed");
  });
  it("boolean constraints: enforced only by an enforce: true rule", () => {
    expect(enforced(undefined)).toBe(false);
    expect(enforced(rules({ enforce: false }))).toBe(false);
    expect(enforced(rules({ enforce: false }, { enforce: true, condition: { expression: "resource.matchTag('x/y', 'z')" } }))).toBe(true);
  });
});

describe("gcp.resourceLocations", () => {
  it("a region's value group holds the region and its zones, not a neighbour's", () => {
    expect(locationGroupContains("in:us-west1-locations", "us-west1")).toBe(true);
    expect(locationGroupContains("in:us-west1-locations", "us-west1-b")).toBe(true);
    expect(locationGroupContains("in:us-west1-locations", "us-west10-a")).toBe(false);
    expect(locationGroupContains("in:us-west1-locations", "global")).toBe(false);
  });
  it("continental groups hold their regions, never 'global'; other groups are not guessed", () => {
    expect(locationGroupContains("in:us-locations", "us-west1-a")).toBe(true);
    expect(locationGroupContains("in:us-locations", "europe-west1")).toBe(false);
    expect(locationGroupContains("in:us-locations", "global")).toBe(false);
    expect(locationGroupContains("in:eu-locations", "europe-west1")).toBeUndefined();
  });
  it("one line per refused location, naming a resource and the count; 'global' has its own fix", () => {
    const locs = [
      { label: "A a", location: "us-west1" },
      { label: "B b", location: "us-west1" },
      { label: "C c", location: "global" },
    ];
    expect(checkLocations(rules({ values: { allowedValues: ["in:us-west1-locations", "global"] } }), locs, "projects/p")).toEqual([]);
    const lines = checkLocations(rules({ values: { allowedValues: ["europe-west1"] } }), locs, "projects/p");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^org policy gcp\.resourceLocations on projects\/p does not allow 'global' \(C c\): .* fix: allow the value 'global'/,
    );
    expect(lines[1]).toMatch(/does not allow 'us-west1' \(A a and 1 more\): .*fix: allow in:us-west1-locations/);
    expect(checkLocations(rules({ values: { allowedValues: ["in:eu-locations"] } }), locs.slice(0, 1), "projects/p")[0]).toMatch(
      /only through a value group the preflight cannot expand/,
    );
  });
});

describe("compute.requireShieldedVm and compute.vmExternalIpAccess", () => {
  const vms = [vm("P shielded"), vm("Q unshielded", { secureBoot: false }), vm("R public", { externalIp: true })];
  it("Shielded VM not required: nothing refused, whatever the VMs", () =>
    expect(checkShieldedVm(rules({ enforce: false }), vms, "x")).toEqual([]));
  it("required: exactly the VMs without Secure Boot are refused", () => {
    const lines = checkShieldedVm(rules({ enforce: true }), vms, "x");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("Q unshielded has Secure Boot off");
  });
  it("external IPs: only public-node VMs, and only when the policy restricts (deny all, or an instance allow list)", () => {
    expect(checkExternalIp(undefined, vms, "x")).toEqual([]);
    expect(checkExternalIp(rules({ allowAll: true }), vms, "x")).toEqual([]);
    expect(checkExternalIp(rules({ values: { deniedValues: ["projects/p/zones/z/instances/i"] } }), vms, "x")).toEqual([]);
    for (const p of [rules({ denyAll: true }), rules({ values: { allowedValues: ["projects/p/zones/z/instances/bastion"] } })]) {
      const lines = checkExternalIp(p, vms, "x");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("external IPs for R public");
    }
  });
});

describe("the VMs a plan creates (plannedVms)", () => {
  const cluster = (inputs: Record<string, unknown> = {}) =>
    res("gcp:container/cluster:Cluster", "c", {
      name: "k",
      nodeLocations: ["z-a", "z-b", "z-c"],
      initialNodeCount: 1,
      removeDefaultNodePool: true,
      privateClusterConfig: { enablePrivateNodes: true },
      ...inputs,
    });
  const pool = (name: string, inputs: Record<string, unknown>) =>
    res("gcp:container/nodePool:NodePool", name, { cluster: "k", nodeLocations: ["z-a", "z-b", "z-c"], ...inputs });
  it("the cluster's default pool exists during creation, with the cluster's nodeConfig (none: GKE's defaults, Secure Boot off)", () => {
    const [d] = plannedVms([cluster()]);
    expect(d).toMatchObject({ secureBoot: false, externalIp: false, machineType: "e2-medium", creationNodes: 3, transient: true });
    const [shielded] = plannedVms([cluster({ nodeConfig: { shieldedInstanceConfig: { enableSecureBoot: true } } })]);
    expect(shielded!.secureBoot).toBe(true);
  });
  it("a pool inherits private nodes unless its networkConfig says otherwise (the provider sends false when unset)", () => {
    const vms = plannedVms([
      cluster(),
      pool("inherits", { initialNodeCount: 2 }),
      pool("netcfg", { networkConfig: { podRange: "pods-mcp" } }),
      pool("explicit", { networkConfig: { podRange: "pods-mcp", enablePrivateNodes: true } }),
    ]);
    expect(vms.map((v) => [v.label.split(" ").pop(), v.externalIp])).toEqual([
      ["c", false],
      ["inherits", false],
      ["netcfg", true],
      ["explicit", false],
    ]);
    expect(vms[1]!.creationNodes).toBe(6);
  });
});

describe("quota", () => {
  it("creation is the larger of the default-pool phase and the node-pools phase; addresses count once each", () => {
    const figures = quotaFigures(
      [
        vm("d", { transient: true, machineType: "e2-medium", creationNodes: 3, maxNodes: 3 }),
        vm("p", { machineType: "e2-standard-4", creationNodes: 3, maxNodes: 9 }),
      ],
      [res("gcp:compute/address:Address", "a", { addressType: "EXTERNAL" }), res("gcp:compute/address:Address", "b", {})],
    );
    expect(figures).toContainEqual({ scope: "region", metric: "CPUS", creation: 12, max: 36 });
    expect(figures).toContainEqual({ scope: "region", metric: "SSD_TOTAL_GB", creation: 300, max: 900 });
    expect(figures).toContainEqual({ scope: "region", metric: "STATIC_ADDRESSES", creation: 2, max: 2 });
    expect(figures).toContainEqual({ scope: "project", metric: "CPUS_ALL_REGIONS", creation: 12, max: 36 });
  });
  it("short of creation fails, short of the maximum warns, a metric not reported warns", () => {
    const f = [{ scope: "region" as const, metric: "N2_CPUS", creation: 72, max: 736 }];
    const at = (limit: number, usage = 0) => checkQuota(f, [{ metric: "N2_CPUS", limit, usage }], [], { project: "p", region: "r" });
    expect(at(1000)).toEqual({ failures: [], warnings: [] });
    expect(at(100).failures).toEqual([]);
    expect(at(100).warnings[0]).toMatch(/^quota N2_CPUS in p r: 100 free, the node pools' maximum needs 736/);
    expect(at(100, 30).failures[0]).toMatch(
      /^quota N2_CPUS in p r: 70 free \(limit 100, used 30\), the first up creates 72 at once: .* to at least 102 \(766 for the pools' maximum\)$/,
    );
    expect(checkQuota(f, [], [], { project: "p", region: "r" }).warnings[0]).toMatch(/not reported/);
  });
});

describe("iam.allowedPolicyMemberDomains", () => {
  it("classifies members: user-managed accounts and Workload Identity by project, service agents apart, people by domain", () => {
    expect(memberOwner("serviceAccount:backend-prod@gumstack-prod.iam.gserviceaccount.com")).toEqual({
      kind: "project",
      project: "gumstack-prod",
    });
    expect(memberOwner("serviceAccount:gumstack-prod.svc.id.goog[ns/sa]")).toEqual({ kind: "project", project: "gumstack-prod" });
    expect(
      memberOwner(
        "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gumstack-prod.svc.id.goog/subject/ns/x/sa/y",
      ),
    ).toEqual({
      kind: "project",
      project: "gumstack-prod",
    });
    expect(memberOwner("serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com")).toEqual({ kind: "service-agent" });
    expect(memberOwner("serviceAccount:service-123@gcp-sa-spanner.iam.gserviceaccount.com")).toEqual({ kind: "service-agent" });
    expect(memberOwner("group:Ops@Gumstack.com")).toEqual({ kind: "domain", domain: "gumstack.com" });
    expect(memberOwner("allUsers")).toEqual({ kind: "public" });
  });
  const org = { organization: "organizations/1", customerId: "C01", domain: "gumstack.com" };
  const members = [
    { label: "M sa", member: "serviceAccount:a@gumstack-prod.iam.gserviceaccount.com" },
    { label: "M agent", member: "serviceAccount:service-1@gs-project-accounts.iam.gserviceaccount.com" },
    { label: "M ops", member: "group:ops@gumstack.com" },
    { label: "M ext", member: "user:someone@elsewhere.example" },
  ];
  it("allowed customer: only the member of an unknown domain is reported (as unverifiable)", () => {
    const lines = checkMemberDomains(rules({ values: { allowedValues: ["C01"] } }), members, () => org, "projects/p");
    expect(lines).toEqual([
      expect.stringMatching(/may not allow user:someone@elsewhere\.example \(domain elsewhere\.example, whose customer ID/),
    ]);
  });
  it("another customer: every member of ours is refused, the service agent never", () => {
    const lines = checkMemberDomains(rules({ values: { allowedValues: ["C99"] } }), members, () => org, "projects/p");
    expect(lines.filter((l) => l.includes("does not allow"))).toHaveLength(2);
    expect(lines.some((l) => l.includes("service-1@"))).toBe(false);
    expect(checkMemberDomains(rules({ allowAll: true }), members, () => undefined, "projects/p")).toEqual([]);
  });
});

describe("CMEK constraints", () => {
  const key = "projects/keys-prj/locations/us-west1/keyRings/r/cryptoKeys/k";
  const cmek = [
    { label: "bucket", service: "storage.googleapis.com", key },
    { label: "disks", service: "compute.googleapis.com", key: undefined },
  ];
  it("restrictNonCmekServices refuses a resource without a key only for a service it denies", () => {
    expect(checkNonCmek(rules({ values: { deniedValues: ["storage.googleapis.com"] } }), cmek, "x")).toEqual([]);
    expect(checkNonCmek(rules({ values: { deniedValues: ["compute.googleapis.com"] } }), cmek, "x")[0]).toMatch(
      /requires CMEK for compute\.googleapis\.com and disks has no Cloud KMS key/,
    );
    expect(checkNonCmek(rules({ denyAll: true }), cmek, "x")).toHaveLength(1);
  });
  it("restrictCmekCryptoKeyProjects allows keys from a project under an allowed folder or organization", () => {
    const chain = () => ["projects/keys-prj", "projects/42", "folders/7", "organizations/1"];
    expect(checkCmekKeyProjects(rules({ values: { allowedValues: ["under:folders/7"] } }), cmek, chain, "x")).toEqual([]);
    expect(checkCmekKeyProjects(rules({ values: { allowedValues: ["under:folders/8"] } }), cmek, chain, "x")[0]).toMatch(
      /does not allow keys from project keys-prj/,
    );
    expect(checkCmekKeyProjects(rules({ values: { allowedValues: ["under:folders/8"] } }), cmek, () => undefined, "x")[0]).toMatch(
      /may not allow/,
    );
  });
});

describe("services, service accounts, buckets", () => {
  it("restrictServiceUsage: each planned service it does not allow is a line", () => {
    expect(checkServiceUsage(undefined, ["a.googleapis.com"], "x")).toEqual([]);
    expect(
      checkServiceUsage(rules({ values: { allowedValues: ["a.googleapis.com"] } }), ["a.googleapis.com", "b.googleapis.com"], "x"),
    ).toEqual([expect.stringMatching(/does not allow b\.googleapis\.com, which the stack enables/)]);
  });
  it("disableServiceAccountCreation: one line when enforced and the plan creates accounts", () => {
    expect(checkServiceAccountCreation(rules({ enforce: true }), [], "x")).toEqual([]);
    expect(checkServiceAccountCreation(rules({ enforce: false }), ["A a"], "x")).toEqual([]);
    expect(checkServiceAccountCreation(rules({ enforce: true }), ["A a", "A b"], "x")).toHaveLength(1);
  });
  it("bucket constraints: a bucket without uniform access or enforced public access prevention is refused where enforced", () => {
    const good = { label: "B good", uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" };
    const bad = { label: "B bad", uniformBucketLevelAccess: false, publicAccessPrevention: "inherited" };
    const on = rules({ enforce: true });
    expect(checkBuckets(on, on, [good], "x")).toEqual([]);
    expect(checkBuckets(undefined, undefined, [bad], "x")).toEqual([]);
    expect(checkBuckets(on, on, [bad], "x").map((l) => l.split(" ")[2])).toEqual([
      "storage.uniformBucketLevelAccess",
      "storage.publicAccessPrevention",
    ]);
  });
});

describe("permissions", () => {
  it("every resource type the committed stacks plan has a permission list, each a valid IAM permission name", async () => {
    for (const stack of ["prod", "enterprise"]) {
      const plan = await sharedPlanner({ stack });
      const types = [...new Set(plan.deployment.resources.filter((r) => r.custom && !r.external).map((r) => r.type))];
      expect(permissionsForTypes(types).unknown).toEqual([]);
      for (const p of permissionsForTypes(types).permissions) expect(p).toMatch(/^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/);
    }
  });
  it("a type without a list is a line, not a silent pass; what is granted is not reported", () => {
    expect(permissionsFor("gcp:newthing/widget:Widget")).toBeUndefined();
    expect(checkPermissions("projects/p", ["gcp:newthing/widget:Widget"], [])).toEqual([
      expect.stringMatching(/^permission check: no permission list for planned type gcp:newthing\/widget:Widget/),
    ]);
    const all = permissionsForTypes(["gcp:storage/bucket:Bucket"]).permissions;
    expect(checkPermissions("projects/p", ["gcp:storage/bucket:Bucket"], all)).toEqual([]);
  });
  it("Kubernetes kinds: their own permission when GKE has one, thirdPartyObjects otherwise; RBAC needs escalate/bind", () => {
    expect(permissionsFor("kubernetes:core/v1:Namespace")).toContain("container.namespaces.create");
    expect(permissionsFor("kubernetes:serving.knative.dev/v1:Service")).toContain("container.thirdPartyObjects.create");
    expect(permissionsFor("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toContain("container.clusterRoles.escalate");
  });
});

describe("APIs and DNS", () => {
  it("a required API off is a line naming why it is needed first", () => {
    const states = [
      { config: { name: "a.googleapis.com" }, state: "ENABLED" as const },
      { name: "projects/1/services/b.googleapis.com", state: "DISABLED" as const },
    ];
    expect(checkApis(states, [{ service: "a.googleapis.com", why: "w" }], "p")).toEqual([]);
    expect(checkApis(states, [{ service: "b.googleapis.com", why: "because" }], "p")).toEqual([
      "API b.googleapis.com is not enabled on project p: because; fix: gcloud services enable b.googleapis.com --project=p",
    ]);
  });
  it("NS is looked up from the domain up to below its top-level domain", () =>
    expect(nsCandidates("a.b.example.com")).toEqual(["a.b.example.com", "b.example.com", "example.com"]));
  it("a zone is delegated when public DNS lists every one of its name servers (any case, trailing dots)", () => {
    const zone = { dnsName: "gumstack.com.", nameServers: ["ns-1.googledomains.com.", "ns-2.googledomains.com."], visibility: "public" };
    expect(checkZoneDelegation(zone, "z", "gumstack.com", ["NS-2.googledomains.com", "ns-1.googledomains.com."])).toEqual([]);
    expect(checkZoneDelegation(zone, "z", "api.gumstack.com", ["ns-1.googledomains.com", "ns-2.googledomains.com"])).toEqual([]);
    expect(checkZoneDelegation(zone, "z", "gumstack.com", ["ns-1.googledomains.com"])[0]).toMatch(
      /^DNS: gumstack\.com is delegated to ns-1\.googledomains\.com, not to Cloud DNS zone z/,
    );
    expect(checkZoneDelegation(zone, "z", "gumstack.com", undefined)[0]).toMatch(/not delegated \(no public NS records\)/);
    expect(checkZoneDelegation({ ...zone, visibility: "private" }, "z", "gumstack.com", [])[0]).toMatch(/is private/);
    expect(checkZoneDelegation(zone, "z", "other.com", [])[0]).toMatch(/is for gumstack\.com, not other\.com/);
  });
  it("without a zone, any delegated parent will do", () => {
    expect(checkDomainResolves("a.gumstack.com", { name: "gumstack.com", ns: ["ns1"] })).toEqual([]);
    expect(checkDomainResolves("a.gumstack.com", undefined)).toHaveLength(1);
  });
  it("every endpoint is the API's own host unless GUMSTACK_PREFLIGHT_ENDPOINT replaces them all", () => {
    expect(rootUrl("orgpolicy", {})).toBe("https://orgpolicy.googleapis.com");
    expect(rootUrl("compute", { GUMSTACK_PREFLIGHT_ENDPOINT: "http://127.0.0.1:8080/" })).toBe("http://127.0.0.1:8080");
  });
});

describe("what the committed stacks need (preflightNeeds)", () => {
  it("prod: the creation figure the issue measured (72 N2 CPUs), creation never above the maximum, every zone a location", async () => {
    const plan = await sharedPlanner({ stack: "prod" });
    const config = parseAllConfig(readStackFile("Pulumi.prod.yaml").config);
    const needs = preflightNeeds(plan, config);
    expect(needs.quota.find((q) => q.metric === "N2_CPUS")).toEqual({ scope: "region", metric: "N2_CPUS", creation: 72, max: 736 });
    for (const q of needs.quota) expect(q.creation).toBeLessThanOrEqual(q.max);
    // The plan's own quota lines (src/config/quota.ts): the same maximum, and a creation figure at least theirs
    // (the preflight adds the cluster's default pool, which exists while the cluster is created).
    for (const n of quotaNeeds(config)) {
      const q = needs.quota.find((x) => x.metric === n.metric)!;
      expect(q.max).toBe(n.max);
      expect(q.creation).toBeGreaterThanOrEqual(n.creation!);
    }
    for (const z of config.zones) expect(needs.locations.map((l) => l.location)).toContain(z);
    expect(needs.locations.map((l) => l.location)).toContain("global");
    // No Compute global resource is a location (they are exempt), and NAT addresses are regional.
    expect(needs.locations.filter((l) => /compute\/(network|firewall|globalAddress|securityPolicy|sSLPolicy):/.test(l.label))).toEqual([]);
    expect(needs.newProject).toBeUndefined();
    expect(needs.policyResource).toBe("projects/gumstack-prod");
  });
  it("enterprise: policies on the folder, the billing account among the permission targets, the budget's billing project", async () => {
    const plan = await sharedPlanner({ stack: "enterprise" });
    const config = parseAllConfig(readStackFile("Pulumi.enterprise.yaml").config);
    const needs = preflightNeeds(plan, config);
    expect(needs.newProject).toEqual({ folderId: "301234567890", billingAccount: "01A2B3-C4D5E6-F7A8B9" });
    expect(needs.policyResource).toBe("folders/301234567890");
    expect(needs.typesByTarget.get("billingAccounts/01A2B3-C4D5E6-F7A8B9")).toEqual(
      expect.arrayContaining(["gcp:billing/budget:Budget", "gcp:organizations/project:Project"]),
    );
    expect(needs.typesByTarget.get("folders/301234567890")).toEqual(["gcp:organizations/project:Project"]);
    // The project's creation and billing link, its Cloud Quotas API and quota preferences, and the budget.
    expect([...needs.billingProjects.get("gumstack-prod")!].sort()).toEqual(
      [
        "billingbudgets.googleapis.com",
        "cloudbilling.googleapis.com",
        "cloudquotas.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "serviceusage.googleapis.com",
      ].sort(),
    );
  });
});
