// `npm run preflight` against fakes of the Google APIs and of public DNS on loopback: the command's own code
// path (google-auth-library's client, real HTTP, node's DNS resolver), with an access token from the environment
// instead of ADC. One state where every check passes (exit 0), then one change per failure kind (exit 1, the
// exact line), and the ways it cannot run (exit 2).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Io, Planner } from "../../src/cli/common.js";
import { EXIT } from "../../src/cli/common.js";
import { preflight } from "../../src/cli/preflight.js";
import { CONSTRAINTS } from "../../src/preflight/orgPolicy.js";
import type { PlannedResource } from "../../src/plan/plan.js";
import { sharedPlanner } from "../support/cli.js";
import { runBundle } from "../support/cli.js";
import { startFakeDns, type FakeDns } from "./fakeDns.js";
import { startFakeGoogle, type FakeGoogle, type FakeState } from "./fakeGoogle.js";

const TOKEN = "ya29.test-token";
const GOOGLE_NS = [
  "ns-cloud-a1.googledomains.com",
  "ns-cloud-a2.googledomains.com",
  "ns-cloud-a3.googledomains.com",
  "ns-cloud-a4.googledomains.com",
];

/** A hardened organization that the prod stack as planned satisfies. */
function goodState(): FakeState {
  return {
    token: TOKEN,
    policies: {
      "gcp.resourceLocations": { spec: { rules: [{ values: { allowedValues: ["in:us-west1-locations", "global"] } }] } },
      "compute.requireShieldedVm": { spec: { rules: [{ enforce: false }] } },
      "compute.vmExternalIpAccess": { spec: { rules: [{ denyAll: true }] } },
      "iam.allowedPolicyMemberDomains": { spec: { rules: [{ values: { allowedValues: ["C03gumstk"] } }] } },
      "gcp.restrictNonCmekServices": {
        spec: {
          rules: [
            {
              values: {
                deniedValues: [
                  "storage.googleapis.com",
                  "spanner.googleapis.com",
                  "artifactregistry.googleapis.com",
                  "container.googleapis.com",
                ],
              },
            },
          ],
        },
      },
      "gcp.restrictCmekCryptoKeyProjects": { spec: { rules: [{ values: { allowedValues: ["under:organizations/111111111111"] } }] } },
      "iam.disableServiceAccountCreation": { spec: { rules: [{ enforce: false }] } },
      "storage.uniformBucketLevelAccess": { spec: { rules: [{ enforce: true }] } },
      "storage.publicAccessPrevention": { spec: { rules: [{ enforce: true }] } },
    },
    projects: {
      "gumstack-prod": { number: "488194657252", parent: "folders/222222222222" },
      "gumstack-admin": { number: "100000000001", parent: "organizations/111111111111" },
    },
    folders: { "222222222222": { parent: "organizations/111111111111" }, "301234567890": { parent: "organizations/111111111111" } },
    organizations: { "111111111111": { directoryCustomerId: "C03gumstk", displayName: "gumstack.com" } },
    billing: { "gumstack-prod": { billingEnabled: true, billingAccountName: "billingAccounts/01A2B3-C4D5E6-F7A8B9" } },
    billingAccounts: { "01A2B3-C4D5E6-F7A8B9": { open: true } },
    missingPermissions: {},
    enabled: {
      "gumstack-prod": [
        "serviceusage.googleapis.com",
        "cloudresourcemanager.googleapis.com",
        "cloudbilling.googleapis.com",
        "billingbudgets.googleapis.com",
        // Enterprise stacks bill their quota preferences here (the platform stack enables it).
        "cloudquotas.googleapis.com",
      ],
    },
    regionQuotas: {
      "gumstack-prod/us-west1": [
        { metric: "CPUS", limit: 100, usage: 0 },
        { metric: "N2_CPUS", limit: 1000, usage: 0 },
        { metric: "SSD_TOTAL_GB", limit: 20480, usage: 0 },
        { metric: "INSTANCES", limit: 500, usage: 0 },
        { metric: "STATIC_ADDRESSES", limit: 21, usage: 0 },
        { metric: "IN_USE_ADDRESSES", limit: 69, usage: 0 },
      ],
    },
    projectQuotas: { "gumstack-prod": [{ metric: "CPUS_ALL_REGIONS", limit: 1000, usage: 0 }] },
    computeDisabled: [],
    zones: {},
  };
}

let google: FakeGoogle;
let dns: FakeDns;
const dir = mkdtempSync(join(tmpdir(), "preflight-"));

beforeAll(async () => {
  google = await startFakeGoogle(goodState());
  dns = await startFakeDns({ "gumstack.com": GOOGLE_NS, "acme.gumstack.com": GOOGLE_NS });
  // The committed stacks' plans, made once per worker (one after the other: Pulumi's mock runtime is process-wide),
  // here rather than in the first test: under load a plan alone can take most of a test's timeout.
  await sharedPlanner({ stack: "prod" });
  await sharedPlanner({ stack: "enterprise" });
}, 180_000);
afterAll(async () => {
  await google.close();
  await dns.close();
});
beforeEach(() => {
  for (const k of Object.keys(google.state)) delete (google.state as unknown as Record<string, unknown>)[k];
  Object.assign(google.state, goodState());
  google.requests.length = 0;
  dns.records.clear();
  dns.records.set("gumstack.com", GOOGLE_NS);
});

const env = (): NodeJS.ProcessEnv => ({
  GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN,
  GOOGLE_CLOUD_QUOTA_PROJECT: "gumstack-prod",
  GUMSTACK_PREFLIGHT_ENDPOINT: google.url,
  GUMSTACK_PREFLIGHT_DNS_SERVER: dns.server,
});

/** A planner returning the real plan with `edit` applied to its resources (to plan what no config can express). */
const editedPlanner =
  (edit: (resources: PlannedResource[]) => void): Planner =>
  async (options) => {
    const plan = await sharedPlanner(options);
    edit(plan.deployment.resources);
    return plan;
  };

async function run(argv: string[], planStack: Planner = sharedPlanner, e: NodeJS.ProcessEnv = env()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => out.push(s), err: (s) => err.push(s), planStack };
  const code = await preflight(argv, io, { env: e });
  return { code, out: out.join("\n"), err: err.join("\n"), fails: out.filter((l) => l.startsWith("FAIL:")) };
}

const byName = (resources: PlannedResource[], name: string) => resources.find((r) => r.urn.endsWith(`::${name}`))!;
const nodeConfig = (r: PlannedResource) => r.inputs.nodeConfig as { shieldedInstanceConfig: { enableSecureBoot: boolean } };

describe("npm run preflight -- --stack prod against a fake Google Cloud", () => {
  it("passes (exit 0) when every check passes, with the token and the quota project on every call", async () => {
    const r = await run(["--stack", "prod"]);
    expect(r.err).toBe("");
    expect(r.fails).toEqual([]);
    expect(r.code).toBe(EXIT.ok);
    for (const check of [
      "org policy gcp.resourceLocations",
      "org policy compute.requireShieldedVm",
      "billing",
      "permissions",
      "APIs",
      "quota",
      "DNS",
    ])
      expect(r.out).toMatch(new RegExp(`^ok {7}${check.replace(/\./g, "\\.")}$`, "m"));
    expect(r.out).toMatch(/^Preflight passed: nothing found that would refuse the first up of 'prod'/m);
    expect(google.requests.length).toBeGreaterThan(10);
    expect(google.requests.every((q) => q.authorization === `Bearer ${TOKEN}` && q.userProject === "gumstack-prod")).toBe(true);
    // Every constraint, on the project; the permissions asked are those of the planned types.
    for (const c of CONSTRAINTS)
      expect(google.requests.map((q) => q.path)).toContain(`/v2/projects/gumstack-prod/policies/${c}:getEffectivePolicy`);
    const asked = google.requests
      .filter((q) => q.path === "/v3/projects/gumstack-prod:testIamPermissions")
      .flatMap((q) => (q.body as { permissions: string[] }).permissions);
    expect(asked).toEqual(
      expect.arrayContaining([
        "container.clusters.create",
        "spanner.instances.create",
        "cloudkms.keyRings.create",
        "container.thirdPartyObjects.create",
      ]),
    );
    // The admin project's repository grants are tested on the admin project.
    expect(google.requests.map((q) => q.path)).toContain("/v3/projects/gumstack-admin:testIamPermissions");
  });

  it("refuses a region the location policy does not allow, naming the location and a resource (exit 1)", async () => {
    google.state.policies["gcp.resourceLocations"] = {
      spec: { rules: [{ values: { allowedValues: ["in:europe-west1-locations", "global"] } }] },
    };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toContainEqual(
      expect.stringMatching(
        /^FAIL: {4}org policy gcp\.resourceLocations on projects\/gumstack-prod does not allow 'us-west1' \(gcp:\S+ \S+ and \d+ more\): the create would be refused; fix: allow in:us-west1-locations in gcp\.resourceLocations for this project, or set gumstack:region\/gumstack:zones to allowed locations$/,
      ),
    );
    expect(r.fails).toContainEqual(
      expect.stringMatching(
        /does not allow 'us-west1-a' \(gcp:container\/(cluster:Cluster gke-cluster|nodePool:NodePool pool-\S+) nodes and \d+ more\)/,
      ),
    );
    expect(r.fails.filter((l) => l.includes("'global'"))).toEqual([]);
  });

  it("refuses the global Certificate Manager resources when 'global' is not allowed; Compute's global resources are exempt", async () => {
    google.state.policies["gcp.resourceLocations"] = { spec: { rules: [{ values: { allowedValues: ["in:us-west1-locations"] } }] } };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      expect.stringMatching(
        /^FAIL: {4}org policy gcp\.resourceLocations on projects\/gumstack-prod does not allow 'global' \(gcp:certificatemanager\/\S+ \S+ and 3 more\): the create would be refused; fix: allow the value 'global' in gcp\.resourceLocations for this project \(or an exception for it\)$/,
      ),
    ]);
  });

  it("requireShieldedVm: passes the shielded node pools, refuses a pool with Secure Boot off", async () => {
    google.state.policies["compute.requireShieldedVm"] = { spec: { rules: [{ enforce: true }] } };
    const r = await run(
      ["--stack", "prod"],
      editedPlanner((rs) => {
        nodeConfig(byName(rs, "pool-mcp-pool")).shieldedInstanceConfig.enableSecureBoot = false;
      }),
    );
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toContain(
      "FAIL:    org policy compute.requireShieldedVm is enforced on projects/gumstack-prod and gcp:container/nodePool:NodePool pool-mcp-pool has Secure Boot off: GKE's instance creation would be refused; fix: set nodeConfig.shieldedInstanceConfig.enableSecureBoot true on it",
    );
    expect(r.fails.filter((l) => /pool-(system|backend)-pool/.test(l))).toEqual([]);
  });

  it("vmExternalIpAccess: private nodes pass and NAT/load-balancer addresses are not VM IPs; public nodes are refused", async () => {
    // goodState denies every VM external IP: the shipped plan passes it (the all-good test).
    const publicNodes = await run(
      ["--stack", "prod"],
      editedPlanner((rs) => {
        (byName(rs, "gke-cluster").inputs.privateClusterConfig as { enablePrivateNodes: boolean }).enablePrivateNodes = false;
      }),
    );
    expect(publicNodes.code).toBe(EXIT.refused);
    expect(publicNodes.fails).toContain(
      "FAIL:    org policy compute.vmExternalIpAccess on projects/gumstack-prod does not allow external IPs for gcp:container/nodePool:NodePool pool-system-pool, whose nodes would get one (not private nodes): GKE's instance creation would be refused; fix: make its nodes private (privateClusterConfig.enablePrivateNodes, or networkConfig.enablePrivateNodes on the pool)",
    );
  });

  it("refuses a planned member of a customer the member-domain policy does not allow", async () => {
    google.state.policies["iam.allowedPolicyMemberDomains"] = { spec: { rules: [{ values: { allowedValues: ["C0other1"] } }] } };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toContainEqual(
      expect.stringMatching(
        /^FAIL: {4}org policy iam\.allowedPolicyMemberDomains on projects\/gumstack-prod does not allow serviceAccount:\S+@gumstack-prod\.iam\.gserviceaccount\.com \(customer C03gumstk \(organization organizations\/111111111111\)\), granted by gcp:\S+ \S+: the IAM grant would be refused; fix: add C03gumstk to the allowed values \(or an exception for this project\)$/,
      ),
    );
    // Service agents (service-<number>@...) are Google's: never reported.
    expect(r.fails.filter((l) => l.includes("service-488194657252@"))).toEqual([]);
  });

  it("refuses quota below what creation needs at once (prod: 72 N2 CPUs, not the 64 of the minimum)", async () => {
    google.state.regionQuotas["gumstack-prod/us-west1"]![1] = { metric: "N2_CPUS", limit: 64, usage: 0 };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      `FAIL:    quota N2_CPUS in gumstack-prod us-west1: 64 free (limit 64, used 0), the first up creates 72 at once: creation would fail with "Quota 'N2_CPUS' exceeded"; fix: request an increase (https://console.cloud.google.com/iam-admin/quotas?project=gumstack-prod, metric N2_CPUS, region us-west1) to at least 72 (736 for the pools' maximum)`,
    ]);
  });

  it("only warns when the quota fits creation but not the pools' maximum", async () => {
    google.state.regionQuotas["gumstack-prod/us-west1"]![1] = { metric: "N2_CPUS", limit: 100, usage: 10 };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^warning: quota N2_CPUS in gumstack-prod us-west1: 90 free, the node pools' maximum needs 736: /m);
  });

  it("refuses a project without billing", async () => {
    google.state.billing["gumstack-prod"] = { billingEnabled: false, billingAccountName: "" };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    billing is not enabled on project gumstack-prod: every billed API (Compute Engine, GKE, Spanner) would refuse the creates; fix: gcloud billing projects link gumstack-prod --billing-account=<ACCOUNT_ID>",
    ]);
  });

  it("refuses a missing permission, naming it and the planned type that needs it", async () => {
    google.state.missingPermissions["projects/gumstack-prod"] = ["container.clusters.create"];
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    permission container.clusters.create missing on projects/gumstack-prod (needed to create gcp:container/cluster:Cluster): the create would be refused (403); fix: grant the deployer a role with container.clusters.create on projects/gumstack-prod",
    ]);
  });

  it("refuses a bootstrap API that is off (the stack enables the rest through it)", async () => {
    google.state.enabled["gumstack-prod"] = ["cloudresourcemanager.googleapis.com"];
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    API serviceusage.googleapis.com is not enabled on project gumstack-prod: the stack enables its 20 other APIs through it, so it must be on before the first up; fix: gcloud services enable serviceusage.googleapis.com --project=gumstack-prod",
    ]);
  });

  it("refuses a domain with no public NS records", async () => {
    dns.records.clear();
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    DNS: no public NS records for gumstack.com or any parent below its top-level domain: the records the stack outputs (and the certificate's DNS authorization) could not be published; fix: register gumstack.com and delegate it to your DNS provider, then create the records `npm run plan` lists",
    ]);
  });

  it("with gumstack:edge.dnsZone: refuses a domain delegated elsewhere than the Cloud DNS zone, passes once delegated", async () => {
    const file = join(dir, "Pulumi.zoned.yaml");
    writeFileSync(
      file,
      readFileSync("Pulumi.prod.yaml", "utf8").replace(
        "gumstack:domain: gumstack.com\n",
        "gumstack:domain: gumstack.com\n  gumstack:edge:\n    dnsZone: gumstack-com\n",
      ),
    );
    google.state.zones["gumstack-prod/gumstack-com"] = {
      name: "gumstack-com",
      dnsName: "gumstack.com.",
      nameServers: GOOGLE_NS.map((n) => `${n}.`),
      visibility: "public",
    };
    dns.records.set("gumstack.com", ["ns1.registrar-parking.example", "ns2.registrar-parking.example"]);
    const r = await run(["--stack", "prod", "--config-file", file]);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      `FAIL:    DNS: gumstack.com is delegated to ns1.registrar-parking.example, ns2.registrar-parking.example, not to Cloud DNS zone gumstack-com (${GOOGLE_NS.join(", ")}): the certificate's DNS authorization and the stack's records would never resolve; fix: set the NS records of gumstack.com at its registrar or parent zone to ${GOOGLE_NS.join(", ")}`,
    ]);
    dns.records.set("gumstack.com", GOOGLE_NS);
    const delegated = await run(["--stack", "prod", "--config-file", file]);
    expect(delegated.err).toBe("");
    expect(delegated.fails).toEqual([]);
    expect(delegated.code).toBe(EXIT.ok);
  }, 60_000);

  it("refuses an API the service-usage policy does not allow, and service accounts where their creation is disabled", async () => {
    google.state.policies["gcp.restrictServiceUsage"] = {
      spec: { rules: [{ values: { deniedValues: ["containerscanning.googleapis.com"] } }] },
    };
    google.state.policies["iam.disableServiceAccountCreation"] = { spec: { rules: [{ enforce: true }] } };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    org policy gcp.restrictServiceUsage on projects/gumstack-prod does not allow containerscanning.googleapis.com, which the stack enables: enabling it would be refused and everything built on it with it; fix: allow containerscanning.googleapis.com in gcp.restrictServiceUsage for this project",
      expect.stringMatching(
        /^FAIL: {4}org policy iam\.disableServiceAccountCreation is enforced on projects\/gumstack-prod: the \d+ service accounts the stack creates \(gcp:serviceaccount\/account:Account \S+, \.\.\.\) would be refused; fix: /,
      ),
    ]);
  });

  it("reads the org policies once per constraint and says a refusal to read them once", async () => {
    google.state.policyError = {
      code: 403,
      status: "PERMISSION_DENIED",
      message: "Permission 'orgpolicy.policy.get' denied on resource 'projects/gumstack-prod'.",
    };
    const r = await run(["--stack", "prod"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    org policy: cannot read the effective policy on projects/gumstack-prod: the API answered 403: Permission 'orgpolicy.policy.get' denied on resource 'projects/gumstack-prod'.; fix: grant the deployer roles/orgpolicy.policyViewer on projects/gumstack-prod (and enable orgpolicy.googleapis.com on the ADC quota project)",
    ]);
  });
});

describe("npm run preflight -- --stack enterprise (a project the stack creates)", () => {
  it("checks the folder's policies, the billing account and the ADC quota project's APIs; notes what cannot be known yet", async () => {
    google.state.policies = {};
    const r = await run(["--stack", "enterprise"]);
    expect(r.fails).toEqual([]);
    expect(r.code).toBe(EXIT.ok);
    const paths = google.requests.map((q) => q.path);
    expect(paths).toContain("/v2/folders/301234567890/policies/gcp.resourceLocations:getEffectivePolicy");
    expect(paths).toContain("/v1/billingAccounts/01A2B3-C4D5E6-F7A8B9");
    expect(paths).toContain("/v3/folders/301234567890:testIamPermissions");
    expect(paths).not.toContain("/v3/projects/gumstack-acme:testIamPermissions");
    expect(r.out).toMatch(/^note: {4}quota: project gumstack-acme does not exist yet/m);
  });

  it("refuses credentials without a quota project, and a closed billing account", async () => {
    google.state.billingAccounts["01A2B3-C4D5E6-F7A8B9"] = { open: false };
    const e = env();
    delete e.GOOGLE_CLOUD_QUOTA_PROJECT;
    const r = await run(["--stack", "enterprise"], sharedPlanner, e);
    expect(r.code).toBe(EXIT.refused);
    expect(r.fails).toEqual([
      "FAIL:    billing account 01A2B3-C4D5E6-F7A8B9 (gumstack:enterprise.billingAccount) is not open: project gumstack-acme could not be linked to it; fix: reopen the account or set gumstack:enterprise.billingAccount to an open one",
      "FAIL:    APIs: Application Default Credentials have no quota project: creating project gumstack-acme and linking its billing account are billed to it; fix: gcloud auth application-default set-quota-project <platform-project>",
    ]);
  });
});

describe("npm run preflight: what it cannot run", () => {
  it("--help exits 0 with its usage", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^usage: npm run preflight -- --stack <name>/);
    expect(r.out).toMatch(/^Exit: 0 /m);
  });

  it("an unknown stack exits 2 naming the stacks there are, before any call", async () => {
    const r = await run(["--stack", "staging"]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/^error: no stack 'staging': .*Pulumi\.staging\.yaml does not exist; stacks here: .*prod/);
    expect(r.err.split("\n")).toHaveLength(1);
    expect(google.requests).toEqual([]);
  });

  it("an unreachable endpoint exits 2 with one line", async () => {
    const r = await run(["--stack", "prod"], sharedPlanner, { ...env(), GUMSTACK_PREFLIGHT_ENDPOINT: "http://127.0.0.1:9" });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:9\/\S+: ECONNREFUSED$/);
  });

  it("without credentials (no token, no ADC file, no metadata server) the bundle exits 2 with one line", async () => {
    const home = mkdtempSync(join(tmpdir(), "preflight-home-"));
    const r = await runBundle("preflight", ["--stack", "prod"], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        CLOUDSDK_CONFIG: join(home, "gcloud"),
        // google-auth-library would otherwise probe the GCE metadata server; nothing on this machine is one.
        METADATA_SERVER_DETECTION: "none",
        GUMSTACK_PREFLIGHT_ENDPOINT: google.url,
        GUMSTACK_PREFLIGHT_DNS_SERVER: dns.server,
      },
    });
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr.trim()).toMatch(
      /^error: no Google credentials: Application Default Credentials not found \(Could not load the default credentials\.[^\n]*\); run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS$/,
    );
    expect(google.requests).toEqual([]);
  }, 60_000);
});
