// The identity graph, directly: the closure (pure) and the cluster identities read from grants.
import { describe, expect, it } from "vitest";
import { actsAsClosure } from "../../policies/lib/identity-graph.js";
import { clusterIdentities, identityKey, isWorkloadIdentity, readStackIam } from "../../policies/lib/iam.js";
import type { StackResource } from "../../policies/lib/policy.js";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const P = "gumstack-prod";
const sa = (id: string, project = P) => `serviceAccount:${id}@${project}.iam.gserviceaccount.com`;
const KSA = `serviceAccount:${P}.svc.id.goog[gumstack-backend/backend]`;

function r(type: string, name: string, props: Record<string, unknown>, propertyDependsOn: Record<string, string[]> = {}): StackResource {
  return {
    type,
    urn: `urn:pulumi:s::p::${type}::${name}`,
    name,
    props,
    proxied: props,
    providerProps: {},
    protect: false,
    dependsOn: Object.values(propertyDependsOn).flat(),
    propertyDependsOn,
  };
}
const SA_GRANT = "gcp:serviceaccount/iAMMember:IAMMember";
const PROJECT_GRANT = "gcp:projects/iAMMember:IAMMember";
const REPO_GRANT = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";
const onSa = (name: string, email: string, role: string, member: string) =>
  r(SA_GRANT, name, { serviceAccountId: `projects/${P}/serviceAccounts/${email}`, role, member });
const pool = (name: string, email: string) => r("gcp:container/nodePool:NodePool", name, { nodeConfig: { serviceAccount: email } });

describe("actsAsClosure", () => {
  it("reaches every identity along the edges, each with its shortest chain of reasons", () => {
    const reach = actsAsClosure(new Map([["a", "a is a seed"]]), [
      { from: "a", to: "b", via: "a -> b" },
      { from: "b", to: "c", via: "b -> c" },
      { from: "a", to: "c", via: "a -> c directly" },
      { from: "x", to: "y", via: "unreachable" },
    ]);
    expect([...reach.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(reach.get("b")).toEqual(["a is a seed", "a -> b"]);
    expect(reach.get("c")).toEqual(["a is a seed", "a -> c directly"]);
    expect(reach.has("y")).toBe(false);
  });

  it("ends on cycles and keeps each seed's own reason", () => {
    const reach = actsAsClosure(
      new Map([
        ["a", "seed a"],
        ["b", "seed b"],
      ]),
      [
        { from: "a", to: "b", via: "a -> b" },
        { from: "b", to: "a", via: "b -> a" },
      ],
    );
    expect(reach).toEqual(
      new Map([
        ["a", ["seed a"]],
        ["b", ["seed b"]],
      ]),
    );
  });

  it("reaches nothing from no seeds", () => {
    expect(actsAsClosure(new Map(), [{ from: "a", to: "b", via: "x" }]).size).toBe(0);
  });
});

describe("isWorkloadIdentity / identityKey", () => {
  it.each([
    [KSA, true],
    [
      `principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/${P}.svc.id.goog/subject/ns/knative-serving/sa/controller`,
      true,
    ],
    [`principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/${P}.svc.id.goog/namespace/gumstack-mcp`, true],
    [`principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github-pool/subject/repo:x`, false],
    [sa("backend-prod"), false],
    ["user:ops@gumstack.com", false],
  ])("%s: %s", (m, expected) => expect(isWorkloadIdentity(m)).toBe(expected));

  it("lowercases service account emails only", () => {
    expect(identityKey(" serviceAccount:Gke-MCP@p.iam.gserviceaccount.com ")).toBe("serviceAccount:gke-mcp@p.iam.gserviceaccount.com");
    expect(identityKey("principal://X")).toBe("principal://X");
  });
});

describe("clusterIdentities: closed under impersonation and Workload Identity", () => {
  it("starts at node accounts and Workload Identities, and follows workloadIdentityUser and tokenCreator grants", () => {
    const iam = readStackIam([
      pool("mcp-pool", `gke-mcp@${P}.iam.gserviceaccount.com`),
      onSa("backend-wi", `backend@${P}.iam.gserviceaccount.com`, "roles/iam.workloadIdentityUser", KSA),
      onSa("backend-mints", `pusher@${P}.iam.gserviceaccount.com`, "roles/iam.serviceAccountTokenCreator", sa("backend")),
      onSa(
        "release-self",
        `release@gumstack-admin.iam.gserviceaccount.com`,
        "roles/iam.serviceAccountTokenCreator",
        "user:ci@gumstack.com",
      ),
      onSa("viewer-only", `other@${P}.iam.gserviceaccount.com`, "roles/iam.serviceAccountViewer", sa("backend")),
    ]);
    const reach = clusterIdentities(iam);
    expect([...reach.keys()].sort()).toEqual([sa("backend"), sa("gke-mcp"), sa("pusher"), KSA].sort());
    expect(reach.get(sa("pusher"))).toEqual([
      `${KSA} is a GKE Workload Identity`,
      `${KSA} holds roles/iam.workloadIdentityUser on ${sa("backend")}`,
      `${sa("backend")} holds roles/iam.serviceAccountTokenCreator on ${sa("pusher")}`,
    ]);
    expect(reach.get(sa("gke-mcp"))).toEqual([`${sa("gke-mcp")} runs GKE nodes (mcp-pool)`]);
  });

  it("a project-wide serviceAccountUser reaches every account of that project, not of others", () => {
    const reach = clusterIdentities(
      readStackIam([
        pool("mcp-pool", `gke-mcp@${P}.iam.gserviceaccount.com`),
        r(PROJECT_GRANT, "nodes-act-as", { project: P, role: "roles/iam.serviceAccountUser", member: sa("gke-mcp") }),
        r("gcp:serviceaccount/account:Account", "backend", { accountId: "backend", project: P }),
        r(REPO_GRANT, "admin-writer", {
          project: "gumstack-admin",
          location: "us-west1",
          repository: "x",
          role: "roles/artifactregistry.writer",
          member: sa("release", "gumstack-admin"),
        }),
      ]),
    );
    expect(reach.get(sa("backend"))).toEqual([
      `${sa("gke-mcp")} runs GKE nodes (mcp-pool)`,
      `${sa("gke-mcp")} holds roles/iam.serviceAccountUser on ${sa("backend")} (on project ${P})`,
    ]);
    expect(reach.has(sa("release", "gumstack-admin"))).toBe(false);
  });

  it("resolves members unknown during preview through their dependency on one account, and keeps the others as possibly reachable", () => {
    const account = r("gcp:serviceaccount/account:Account", "pusher", { accountId: "pusher", project: P });
    const iam = readStackIam([
      account,
      r(
        REPO_GRANT,
        "pusher-writer",
        { project: P, location: "us-west1", repository: "mcp-prod", role: "roles/artifactregistry.writer", member: UNKNOWN },
        { member: [account.urn] },
      ),
      r(REPO_GRANT, "mystery", {
        project: P,
        location: "us-west1",
        repository: "mcp-prod",
        role: "roles/artifactregistry.reader",
        member: UNKNOWN,
      }),
    ]);
    expect(iam.grants.map((g) => g.member)).toEqual([sa("pusher"), `unknown:${r(REPO_GRANT, "mystery", {}).urn}`]);
    expect([...clusterIdentities(iam).keys()]).toEqual([`unknown:${r(REPO_GRANT, "mystery", {}).urn}`]);
  });
});

describe("readStackIam: where a grant applies", () => {
  it("reads projects, repositories (by id or full name, or through the repository it depends on), accounts, folders and other resources", () => {
    const repo = r("gcp:artifactregistry/repository:Repository", "tenant", { project: P, location: "us-west1", repositoryId: "mcp-prod" });
    const bucket = r("gcp:storage/bucket:Bucket", "data", { name: `${P}-data`, project: P });
    const iam = readStackIam([
      repo,
      bucket,
      r(PROJECT_GRANT, "a", { project: P, role: "roles/viewer", member: "user:a@x.com" }),
      r(REPO_GRANT, "b", {
        repository: "projects/gumstack-admin/locations/us-west1/repositories/gumstack-platform",
        role: "roles/artifactregistry.reader",
        member: "user:a@x.com",
      }),
      r(
        REPO_GRANT,
        "c",
        { project: P, location: "us-west1", repository: UNKNOWN, role: "roles/artifactregistry.reader", member: "user:a@x.com" },
        { repository: [repo.urn] },
      ),
      onSa("d", `backend@${P}.iam.gserviceaccount.com`, "roles/iam.serviceAccountUser", "user:a@x.com"),
      r("gcp:folder/iAMMember:IAMMember", "e", { folder: "folders/123", role: "roles/viewer", member: "user:a@x.com" }),
      r("gcp:storage/bucketIAMMember:BucketIAMMember", "f", {
        bucket: `${P}-data`,
        role: "roles/storage.objectViewer",
        member: "user:a@x.com",
      }),
      r("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "g", {
        cryptoKeyId: `projects/${P}/locations/us-west1/keyRings/k/cryptoKeys/app`,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: "user:a@x.com",
      }),
      r("gcp:storage/bucketIAMMember:BucketIAMMember", "h", {
        bucket: "someone-elses",
        role: "roles/storage.objectViewer",
        member: "user:a@x.com",
      }),
      r("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding", "i", {
        project: P,
        location: "us-west1",
        repository: "mcp-prod",
        role: "roles/artifactregistry.reader",
        members: ["user:a@x.com", "user:b@x.com"],
      }),
    ]);
    expect(iam.grants.map((g) => [g.urn.split("::").pop(), g.scope, g.authoritative])).toEqual([
      ["a", { kind: "project", project: P }, false],
      ["b", { kind: "repository", project: "gumstack-admin", location: "us-west1", repository: "gumstack-platform" }, false],
      ["c", { kind: "repository", project: P, location: "us-west1", repository: "mcp-prod" }, false],
      ["d", { kind: "serviceAccount", account: sa("backend"), project: P }, false],
      ["e", { kind: "folder", id: "folders/123" }, false],
      ["f", { kind: "resource", project: P, what: "storage" }, false],
      ["g", { kind: "resource", project: P, what: "kms" }, false],
      ["h", { kind: "unknown", what: "the project of this storage grant" }, false],
      ["i", { kind: "repository", project: P, location: "us-west1", repository: "mcp-prod" }, true],
      ["i", { kind: "repository", project: P, location: "us-west1", repository: "mcp-prod" }, true],
    ]);
  });
});

describe("readStackIam: values unknown during preview", () => {
  it("places a key grant whose key id is unknown in its key ring's project, through the key", () => {
    const ring = r("gcp:kms/keyRing:KeyRing", "ring", { name: "gumstack-ent-acme", project: "gumstack-acme", location: "us-west1" });
    const key = r("gcp:kms/cryptoKey:CryptoKey", "app", { name: "app", keyRing: UNKNOWN }, { keyRing: [ring.urn] });
    const iam = readStackIam([
      ring,
      key,
      r(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "g",
        { cryptoKeyId: UNKNOWN, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: "user:a@x.com" },
        { cryptoKeyId: [key.urn] },
      ),
    ]);
    expect(iam.grants.map((g) => g.scope)).toEqual([{ kind: "resource", project: "gumstack-acme", what: "kms" }]);
  });

  it("does not guess a project from dependencies of values that are known", () => {
    const ring = r("gcp:kms/keyRing:KeyRing", "ring", { name: "r", project: "gumstack-acme", location: "us-west1" });
    const bucket = r(
      "gcp:storage/bucket:Bucket",
      "b",
      { name: "b-in-default-project", encryption: { defaultKmsKeyName: "k" } },
      { encryption: [ring.urn] },
    );
    const iam = readStackIam([
      ring,
      bucket,
      r(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "g",
        { bucket: "b-in-default-project", role: "roles/storage.objectViewer", member: "user:a@x.com" },
        { bucket: [bucket.urn] },
      ),
    ]);
    expect(iam.grants.map((g) => g.scope)).toEqual([{ kind: "unknown", what: "the project of this storage grant" }]);
  });
});
