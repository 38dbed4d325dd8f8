import { describe, expect, it } from "vitest";
import { ArtifactRegistry } from "../../components/gcp/artifactRegistry.js";
import { Buckets } from "../../components/gcp/buckets.js";
import {
  NODE_POOL_ROLES,
  NODE_PROJECT_ROLES,
  ServiceAccounts,
  type ServiceAccountsArgs,
  accountId,
} from "../../components/gcp/serviceAccounts.js";
import { Spanner } from "../../components/gcp/spanner.js";
import { ofType, one, record } from "../support/harness.js";
import { keyLayer } from "./fixtures.js";

const ACCOUNT = "gcp:serviceaccount/account:Account";
const PROJECT_GRANT = "gcp:projects/iAMMember:IAMMember";
const REPO_GRANT = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";
const DB_GRANT = "gcp:spanner/databaseIAMMember:DatabaseIAMMember";
const BUCKET_GRANT = "gcp:storage/bucketIAMMember:BucketIAMMember";
const KEY_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";
const SA_GRANT = "gcp:serviceaccount/iAMMember:IAMMember";

const project = "gumstack-prod";
const sa = (id: string) => `serviceAccount:${id}@${project}.iam.gserviceaccount.com`;
const PLATFORM_IMAGES = { project: "gumstack-admin", location: "us-west1", repositoryId: "gumstack-platform" };

function build(extra: Partial<ServiceAccountsArgs> = {}) {
  const { services, kms } = keyLayer(project);
  const registry = new ArtifactRegistry("ar", {
    project,
    region: "us-west1",
    repositoryId: "mcp-prod",
    kmsKeyName: kms.keys.registry.id,
    keyGrants: kms.grants.registry,
    apis: services.apis,
  });
  const spanner = new Spanner("db", {
    project,
    region: "us-west1",
    environment: "prod",
    spanner: { processingUnits: 100, databases: ["gumstack"], versionRetentionDays: 7, backupRetentionDays: 30 },
    kmsKeyName: kms.keys.spanner.id,
    keyGrants: kms.grants.spanner,
    apis: services.apis,
  });
  const buckets = new Buckets("gcs", {
    project,
    region: "us-west1",
    environment: "prod",
    purposes: ["uploads"],
    kmsKeyName: kms.keys.storage.id,
    keyGrants: kms.grants.storage,
    apis: services.apis,
  });
  return new ServiceAccounts("sa", {
    project,
    environment: "prod",
    tenantRepository: registry.repository,
    platformImagesRepository: PLATFORM_IMAGES,
    databases: spanner.databases,
    buckets: buckets.buckets,
    apis: services.apis,
    ...extra,
  });
}

describe("accountId", () => {
  it("is the role and environment within 6-30 characters", () => {
    expect(accountId("gke-nodes", "prod")).toBe("gke-nodes-prod");
    expect(accountId("gke-backend", "enterprise-acme-corporati").length).toBeLessThanOrEqual(30);
  });
});

describe("ServiceAccounts", () => {
  it("creates one node account per pool and the backend account, in the explicit project after the IAM API; no image builder", async () => {
    const resources = await record(() => build());
    const iamApi = one(resources, "gcp:projects/service:Service", "svc-iam").urn;
    expect(
      ofType(resources, ACCOUNT)
        .map((a) => a.inputs.accountId)
        .sort(),
    ).toEqual(["backend-prod", "gke-backend-prod", "gke-mcp-prod", "gke-system-prod"]);
    for (const a of ofType(resources, ACCOUNT)) {
      expect(a.inputs.project).toBe(project);
      expect(a.dependencies).toContain(iamApi);
    }
  });

  it("gives every node account GKE's minimal node role, service usage for image streaming, and nothing else project-wide", async () => {
    const resources = await record(() => build());
    const grants = ofType(resources, PROJECT_GRANT);
    expect(grants.map((g) => [g.inputs.role, g.inputs.member])).toEqual(
      NODE_POOL_ROLES.flatMap((pool) => NODE_PROJECT_ROLES.map((r) => [r, sa(`gke-${pool}-prod`)])),
    );
    expect(NODE_PROJECT_ROLES).toEqual(["roles/container.defaultNodeServiceAccount", "roles/serviceusage.serviceUsageConsumer"]);
    for (const g of grants) expect(g.inputs.project).toBe(project);
  });

  it("lets the MCP pool read the tenant repository only and the platform pools the platform-images repository only; nobody writes", async () => {
    const resources = await record(() => build());
    const repo = one(resources, "gcp:artifactregistry/repository:Repository", "ar-docker");
    const reader = { role: "roles/artifactregistry.reader" };
    expect(one(resources, REPO_GRANT, "sa-nodes-mcp-tenant-images-reader").inputs).toEqual({
      project,
      location: "us-west1",
      repository: "mcp-prod",
      ...reader,
      member: sa("gke-mcp-prod"),
    });
    expect(one(resources, REPO_GRANT, "sa-nodes-mcp-tenant-images-reader").dependencies).toContain(repo.urn);
    for (const pool of ["system", "backend"]) {
      expect(one(resources, REPO_GRANT, `sa-nodes-${pool}-platform-images-reader`).inputs).toEqual({
        project: "gumstack-admin",
        location: "us-west1",
        repository: "gumstack-platform",
        ...reader,
        member: sa(`gke-${pool}-prod`),
      });
    }
    const grants = ofType(resources, REPO_GRANT);
    expect(grants).toHaveLength(3);
    for (const g of grants) expect(g.inputs.role).toBe("roles/artifactregistry.reader");
    // The MCP pool's account appears in no grant on the platform-images repository, the platform pools' in none on the tenant one.
    expect(grants.filter((g) => g.inputs.member === sa("gke-mcp-prod")).map((g) => g.inputs.repository)).toEqual(["mcp-prod"]);
    expect(grants.filter((g) => g.inputs.repository === "mcp-prod").map((g) => g.inputs.member)).toEqual([sa("gke-mcp-prod")]);
  });

  it("gives the backend databaseUser on its databases and object access on its buckets, no KMS or impersonation by default", async () => {
    const resources = await record(() => build());
    const db = one(resources, DB_GRANT, "sa-backend-db-gumstack");
    expect(db.inputs).toEqual({
      project,
      instance: "gumstack-prod",
      database: "gumstack",
      role: "roles/spanner.databaseUser",
      member: sa("backend-prod"),
    });
    expect(db.dependencies).toContain(one(resources, "gcp:spanner/database:Database", "db-gumstack").urn);
    expect(one(resources, BUCKET_GRANT, "sa-backend-bucket-uploads").inputs).toEqual({
      bucket: "gumstack-prod-uploads",
      role: "roles/storage.objectUser",
      member: sa("backend-prod"),
    });
    // Only the service agents hold key grants; the backend has none unless asked.
    for (const g of ofType(resources, KEY_GRANT)) expect(String(g.inputs.member)).not.toContain("backend-prod");
    expect(ofType(resources, SA_GRANT)).toHaveLength(0);
  });

  it("grants the backend direct key use only when asked, and never any impersonation", async () => {
    const resources = await record(() =>
      build({ backendCryptoKeys: { secrets: "projects/gumstack-prod/locations/us-west1/keyRings/r/cryptoKeys/secrets" } }),
    );
    expect(one(resources, KEY_GRANT, "sa-backend-key-secrets").inputs).toMatchObject({
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: sa("backend-prod"),
    });
    expect(ofType(resources, SA_GRANT)).toHaveLength(0);
  });
});
