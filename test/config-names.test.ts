// The names the config derives are the names the plan creates; two environments planned in one project share no
// GCP name (project-scoped or global); what they do share, the Workload Identity principals, is why a set of stack
// files refuses two stacks in one project; and the random name part keeps re-created stacks off their old names.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derivedNames, type NamingInput } from "../src/config/derivedNames.js";
import { namespaceValues, parseStackConfig } from "../src/config/load.js";
import type { StackConfig } from "../src/config/schema.js";
import { budgetApiNotes, stackSetProblems } from "../src/config/stackSet.js";
import type { PlannedResource } from "../src/plan/plan.js";
import { parseStackFile, type StackFileConfig } from "../src/plan/stackFile.js";
import { sharedPlanner } from "./support/cli.js";
import { prodConfig } from "./support/harness.js";

const read = (file: string) => parseStackFile(readFileSync(file, "utf8"), file);

/** The prod stack file with some `gumstack:` keys replaced (structured values as YAML maps are: JSON). */
function variant(base: StackFileConfig, over: Record<string, unknown>): StackFileConfig {
  const config = { ...base.config };
  for (const [k, v] of Object.entries(over)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
  return { config, secretKeys: base.secretKeys };
}
const configOf = (file: StackFileConfig): StackConfig => parseStackConfig(namespaceValues(file.config));

/** A staging environment in prod's project, built from Pulumi.prod.yaml as the README's steps describe it. */
const prodFile = read("Pulumi.prod.yaml");
/** prod's gumstack:build with the builder image moved to another tenant repository. */
function movedBuilder(from: string, to: string): Record<string, unknown> {
  const build = JSON.parse(prodFile.config["gumstack:build"]!) as { builderImage: string };
  return { ...build, builderImage: build.builderImage.replace(from, to) };
}
const staging = variant(prodFile, {
  "gumstack:environment": "staging",
  "gumstack:domain": "staging.gumstack.com",
  "gumstack:naming": { randomSuffix: true },
  // The canary is pushed to each stack's own tenant repository (mcp-<environment>).
  "gumstack:canary": {
    enabled: true,
    image: `us-west1-docker.pkg.dev/gumstack-prod/mcp-staging/gumstack-canary/canary@sha256:${"5e1b".repeat(16)}`,
  },
  // So is the builder's copy (gumstack-build/ of the tenant repository).
  "gumstack:build": movedBuilder("/gumstack-prod/mcp-prod/", "/gumstack-prod/mcp-staging/"),
});

// Pulumi.<stack>.yaml's plan (prod, enterprise: the one the worker's other files read) or a variant's, once each.
const plans = new Map<string, Promise<PlannedResource[]>>();
function plan(stack: string, stackConfig?: StackFileConfig): Promise<PlannedResource[]> {
  if (!plans.has(stack))
    plans.set(
      stack,
      sharedPlanner({ stack, ...(stackConfig ? { stackConfig } : {}) }).then((p) => p.deployment.resources),
    );
  return plans.get(stack)!;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
/** The explicit name a resource is created with (a project's `name` is its display name: its id is the name). */
const explicitName = (r: PlannedResource) =>
  r.type === "gcp:organizations/project:Project"
    ? str(r.inputs.projectId)
    : str(r.inputs.name) || str(r.inputs.accountId) || str(r.inputs.repositoryId);
/**
 * Where a planned GCP resource's explicit name lives, as GCP scopes it: buckets and projects are global, the rest
 * in their project, location and parent (ring, instance, database, router). Undefined for autonamed resources.
 */
function physicalName(r: PlannedResource): string | undefined {
  const i = r.inputs;
  const name = explicitName(r);
  if (!r.type.startsWith("gcp:") || !name || r.type.includes("IAMMember") || r.type.includes("IamMember")) return undefined;
  if (r.type === "gcp:storage/bucket:Bucket" || r.type === "gcp:organizations/project:Project") return `global/${name}`;
  const scope = [str(i.project), str(i.location) || str(i.region), str(i.keyRing), str(i.instance), str(i.database), str(i.router)];
  return `${r.type}/${scope.join("/")}/${name}`;
}

const AUTONAMED = [
  "gcp:container/nodePool:NodePool",
  "gcp:compute/globalAddress:GlobalAddress",
  "gcp:compute/sSLPolicy:SSLPolicy",
  "gcp:certificatemanager/certificate:Certificate",
  "gcp:certificatemanager/certificateMap:CertificateMap",
  "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry",
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization",
];

/** Every explicit GCP name of a plan, by kind as derivedNames names them. */
function plannedNames(resources: readonly PlannedResource[]): string[] {
  const kinds: Record<string, string> = {
    "gcp:organizations/project:Project": "project",
    "gcp:storage/bucket:Bucket": "bucket",
    "gcp:serviceaccount/account:Account": "serviceAccount",
    "gcp:kms/keyRing:KeyRing": "keyRing",
    "gcp:kms/cryptoKey:CryptoKey": "cryptoKey",
    "gcp:artifactregistry/repository:Repository": "repository",
    "gcp:spanner/instance:Instance": "spannerInstance",
    "gcp:container/cluster:Cluster": "cluster",
    "gcp:compute/network:Network": "network",
    "gcp:compute/subnetwork:Subnetwork": "subnetwork",
    "gcp:compute/router:Router": "router",
    "gcp:compute/routerNat:RouterNat": "nat",
    "gcp:compute/firewall:Firewall": "firewall",
  };
  return resources.flatMap((r) => {
    const kind = kinds[r.type];
    const name = explicitName(r);
    return kind && name ? [`${kind}:${name}`] : [];
  });
}

function derivedSet(c: NamingInput, hex?: string): string[] {
  return derivedNames(c)
    .filter((n) => n.kind !== "domain" && (n.kind !== "project" || c.kind === "enterprise"))
    .map((n) => `${n.kind}:${hex && n.random ? n.name.replace("000000", hex) : n.name}`);
}

describe("derived names are the names the plan creates", () => {
  it("prod: every explicit GCP name of the plan, and nothing else", async () => {
    const resources = await plan("prod");
    expect(plannedNames(resources).sort()).toEqual(derivedSet(prodConfig()).sort());
  });

  it("enterprise: the customer's project and everything in it", async () => {
    const resources = await plan("enterprise");
    expect(plannedNames(resources).sort()).toEqual(derivedSet(configOf(read("Pulumi.enterprise.yaml"))).sort());
  });

  it("with naming.randomSuffix: key ring and bucket names end with the RandomId kept in state", async () => {
    const resources = await plan("staging", staging);
    const ids = resources.filter((r) => r.type === "random:index/randomId:RandomId");
    expect(ids.map((r) => [r.inputs.byteLength, r.parent?.split("::").at(-1)])).toEqual(
      expect.arrayContaining([
        [3, "kms"],
        [3, "buckets"],
      ]),
    );
    const ring = resources.find((r) => r.type === "gcp:kms/keyRing:KeyRing")!;
    const bucket = resources.find((r) => r.type === "gcp:storage/bucket:Bucket")!;
    const ringHex = /^gumstack-staging-([0-9a-f]{6})$/.exec(str(ring.inputs.name))?.[1];
    const bucketHex = /^gumstack-prod-staging-data-([0-9a-f]{6})$/.exec(str(bucket.inputs.name))?.[1];
    expect(ringHex).toBeDefined();
    expect(bucketHex).toBeDefined();
    expect(ids.map((r) => r.outputs.hex)).toEqual(expect.arrayContaining([ringHex, bucketHex]));
    const names = plannedNames(resources);
    expect(names).toContain(`keyRing:gumstack-staging-${ringHex}`);
    expect(names).toContain(`bucket:gumstack-prod-staging-data-${bucketHex}`);
  });

  it("without it (the default) no RandomId is planned and prod keeps its names", async () => {
    const resources = await plan("prod");
    expect(resources.filter((r) => r.type.startsWith("random:"))).toEqual([]);
    expect(resources.find((r) => r.type === "gcp:kms/keyRing:KeyRing")?.inputs.name).toBe("gumstack-prod");
    expect(resources.find((r) => r.type === "gcp:storage/bucket:Bucket")?.inputs.name).toBe("gumstack-prod-data");
  });
});

describe("two environments in one project (prod and staging in gumstack-prod)", () => {
  it("share no GCP name, project-scoped or global (the tenant repository included: mcp-prod, mcp-staging)", async () => {
    const [a, b] = await Promise.all([plan("prod"), plan("staging", staging)]);
    const names = (rs: readonly PlannedResource[]) => new Set(rs.map(physicalName).filter((n): n is string => n !== undefined));
    expect([...names(a)].filter((n) => names(b).has(n))).toEqual([]);
    expect(names(a).size).toBeGreaterThan(20);
    const repo = (rs: readonly PlannedResource[]) =>
      rs.find((r) => r.type === "gcp:artifactregistry/repository:Repository")?.inputs.repositoryId;
    expect([repo(a), repo(b)]).toEqual(["mcp-prod", "mcp-staging"]);
  });

  it("leave every other GCP resource to Pulumi's autonaming (a random suffix per stack)", async () => {
    for (const rs of await Promise.all([plan("prod"), plan("staging", staging)])) {
      const autonamed = rs.filter((r) => AUTONAMED.includes(r.type));
      expect(autonamed.length).toBeGreaterThanOrEqual(AUTONAMED.length);
      for (const r of autonamed) expect(r.inputs.name, r.urn).toBeUndefined();
    }
  });

  it("share their Workload Identity principals, so the stack set refuses the shared project with that reason", async () => {
    const principals = (rs: readonly PlannedResource[]) =>
      new Set(rs.flatMap((r) => [str(r.inputs.member)]).filter((m) => m.includes(".svc.id.goog")));
    const [a, b] = await Promise.all([plan("prod"), plan("staging", staging)]);
    const both = [...principals(a)].filter((m) => principals(b).has(m));
    expect(both).toContain("serviceAccount:gumstack-prod.svc.id.goog[gumstack-backend/backend]");
    const problems = stackSetProblems([
      { stack: "prod", config: prodConfig() },
      { stack: "staging", config: configOf(staging) },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^staging: gumstack:project: "gumstack-prod" is already the project of stack prod; give each stack its own project \(Workload Identity/,
      ),
    ]);
  });
});

describe("stack sets", () => {
  it("the committed stack files share no project and no name", () => {
    const stacks = ["prod", "enterprise"].map((stack) => ({ stack, config: configOf(read(`Pulumi.${stack}.yaml`)) }));
    expect(stackSetProblems(stacks)).toEqual([]);
    expect(budgetApiNotes(stacks)).toEqual([]);
  });

  it("refuses a global name another project's stack already makes (bucket names are global)", () => {
    const a = configOf(variant(read("Pulumi.prod.yaml"), { "gumstack:project": "gumstack-prod", "gcp:project": "gumstack-prod" }));
    // Project "gumstack" with environment "prod" and bucket "prod-data" is "gumstack-prod-data" too.
    const b = configOf(
      variant(read("Pulumi.prod.yaml"), {
        "gumstack:project": "gumstack",
        "gcp:project": "gumstack",
        "gumstack:environment": "prod",
        "gumstack:buckets": ["data"],
        "gumstack:domain": "other.example",
        "gumstack:canary": { enabled: false },
        "gumstack:build": movedBuilder("/gumstack-prod/mcp-prod/", "/gumstack/mcp-prod/"),
      }),
    );
    expect(
      stackSetProblems([
        { stack: "prod", config: a },
        { stack: "other", config: b },
      ]),
    ).toEqual([
      'other: gumstack:buckets[0]: makes the bucket "gumstack-prod-data", which stack prod already makes (from gumstack:buckets[0]); names in the global namespace must be unique',
    ]);
  });

  it("says where to enable the Billing Budgets API when no platform stack manages the quota project", () => {
    const ent = configOf(read("Pulumi.enterprise.yaml"));
    expect(budgetApiNotes([{ stack: "enterprise", config: ent }])).toEqual([
      "enterprise: the budget API calls are billed to project gumstack-prod, which no platform stack here manages; enable the API there: gcloud services enable billingbudgets.googleapis.com --project gumstack-prod",
    ]);
  });
});

describe("Billing Budgets API", () => {
  it("is enabled in the platform project, where enterprise stacks bill their budget calls", async () => {
    const services = (await plan("prod")).filter((r) => r.type === "gcp:projects/service:Service").map((r) => r.inputs.service);
    expect(services).toContain("billingbudgets.googleapis.com");
    const budgetProvider = (await plan("enterprise")).find((r) => r.type === "pulumi:providers:gcp" && r.urn.endsWith("customer-billing"));
    expect(budgetProvider?.inputs).toMatchObject({ billingProject: "gumstack-prod", userProjectOverride: "true" });
  });
});
