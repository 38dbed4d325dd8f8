import { describe, expect, it } from "vitest";
import { ArtifactRegistry } from "../../components/gcp/artifactRegistry.js";
import { Buckets } from "../../components/gcp/buckets.js";
import { NODE_PROJECT_ROLES, ServiceAccounts, type ServiceAccountsArgs, accountId } from "../../components/gcp/serviceAccounts.js";
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

function build(extra: Partial<ServiceAccountsArgs> = {}) {
  const { services, kms } = keyLayer(project);
  const registry = new ArtifactRegistry("ar", {
    project, region: "us-west1", artifactRegistry: { repositoryId: "gumstack", retentionDays: 30, keepRecentVersions: 10 },
    kmsKeyName: kms.keys.registry.id, keyGrants: kms.grants.registry, apis: services.apis,
  });
  const spanner = new Spanner("db", {
    project, region: "us-west1", environment: "prod",
    spanner: { processingUnits: 100, databases: ["gumstack"], versionRetentionDays: 7, backupRetentionDays: 30 },
    kmsKeyName: kms.keys.spanner.id, keyGrants: kms.grants.spanner, apis: services.apis,
  });
  const buckets = new Buckets("gcs", {
    project, region: "us-west1", environment: "prod", purposes: ["uploads"],
    kmsKeyName: kms.keys.storage.id, keyGrants: kms.grants.storage, apis: services.apis,
  });
  return new ServiceAccounts("sa", {
    project, environment: "prod", imageRepository: registry.repository, databases: spanner.databases,
    buckets: buckets.buckets, apis: services.apis, ...extra,
  });
}

describe("accountId", () => {
  it("is the role and environment within 6-30 characters", () => {
    expect(accountId("gke-nodes", "prod")).toBe("gke-nodes-prod");
    expect(accountId("image-builder", "enterprise-acme-corporati").length).toBeLessThanOrEqual(30);
  });
});

describe("ServiceAccounts", () => {
  it("creates the node, backend and image-builder accounts in the explicit project after the IAM API", async () => {
    const resources = await record(() => build());
    const iamApi = one(resources, "gcp:projects/service:Service", "svc-iam").urn;
    expect(ofType(resources, ACCOUNT).map((a) => a.inputs.accountId).sort()).toEqual(["backend-prod", "gke-nodes-prod", "image-builder-prod"]);
    for (const a of ofType(resources, ACCOUNT)) {
      expect(a.inputs.project).toBe(project);
      expect(a.dependencies).toContain(iamApi);
    }
  });

  it("gives the node account GKE's minimal node role, service usage for image streaming, and nothing else project-wide", async () => {
    const resources = await record(() => build());
    const grants = ofType(resources, PROJECT_GRANT);
    expect(grants.map((g) => [g.inputs.role, g.inputs.member])).toEqual(NODE_PROJECT_ROLES.map((r) => [r, sa("gke-nodes-prod")]));
    expect(NODE_PROJECT_ROLES).toEqual(["roles/container.defaultNodeServiceAccount", "roles/serviceusage.serviceUsageConsumer"]);
    for (const g of grants) expect(g.inputs.project).toBe(project);
  });

  it("lets nodes read and the image builder write the image repository only", async () => {
    const resources = await record(() => build());
    const repo = one(resources, "gcp:artifactregistry/repository:Repository", "ar-docker");
    expect(one(resources, REPO_GRANT, "sa-nodes-image-reader").inputs).toEqual({
      project, location: "us-west1", repository: "gumstack", role: "roles/artifactregistry.reader", member: sa("gke-nodes-prod"),
    });
    expect(one(resources, REPO_GRANT, "sa-image-builder-writer").inputs).toEqual({
      project, location: "us-west1", repository: "gumstack", role: "roles/artifactregistry.writer", member: sa("image-builder-prod"),
    });
    expect(one(resources, REPO_GRANT, "sa-nodes-image-reader").dependencies).toContain(repo.urn);
    expect(ofType(resources, REPO_GRANT)).toHaveLength(2);
  });

  it("gives the backend databaseUser on its databases and object access on its buckets, no KMS or impersonation by default", async () => {
    const resources = await record(() => build());
    const db = one(resources, DB_GRANT, "sa-backend-db-gumstack");
    expect(db.inputs).toEqual({ project, instance: "gumstack-prod", database: "gumstack", role: "roles/spanner.databaseUser", member: sa("backend-prod") });
    expect(db.dependencies).toContain(one(resources, "gcp:spanner/database:Database", "db-gumstack").urn);
    expect(one(resources, BUCKET_GRANT, "sa-backend-bucket-uploads").inputs).toEqual({
      bucket: "gumstack-prod-uploads", role: "roles/storage.objectUser", member: sa("backend-prod"),
    });
    // Only the service agents hold key grants; the backend has none unless asked.
    for (const g of ofType(resources, KEY_GRANT)) expect(String(g.inputs.member)).not.toContain("backend-prod");
    expect(ofType(resources, SA_GRANT)).toHaveLength(0);
  });

  it("grants the backend direct key use and builder-token minting only when asked", async () => {
    const resources = await record(() => build({ backendCryptoKeys: { secrets: "projects/gumstack-prod/locations/us-west1/keyRings/r/cryptoKeys/secrets" }, backendMintsBuildTokens: true }));
    expect(one(resources, KEY_GRANT, "sa-backend-key-secrets").inputs).toMatchObject({ role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: sa("backend-prod") });
    const builder = one(resources, ACCOUNT, "sa-image-builder");
    const mint = one(resources, SA_GRANT, "sa-backend-mints-builder-tokens");
    expect(mint.inputs).toMatchObject({ role: "roles/iam.serviceAccountTokenCreator", member: sa("backend-prod") });
    expect(mint.dependencies).toContain(builder.urn);
  });
});
