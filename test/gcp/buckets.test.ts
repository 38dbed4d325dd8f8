import * as organizations from "../../components/sdk/gcp/organizations.js";
import { describe, expect, it } from "vitest";
import { Buckets, bucketName, softDeleteSeconds } from "../../components/gcp/buckets.js";
import { ofType, one, record } from "../support/harness.js";
import { keyLayer } from "./fixtures.js";

const BUCKET = "gcp:storage/bucket:Bucket";

function build(project: organizations.Project | string = "gumstack-prod") {
  const projectId = typeof project === "string" ? project : project.projectId;
  const { services, kms } = keyLayer(projectId);
  return new Buckets("gcs", {
    project: projectId,
    region: "us-west1",
    environment: "prod",
    purposes: ["uploads", "exports"],
    kmsKeyName: kms.keys.storage.id,
    keyGrants: kms.grants.storage,
    apis: services.apis,
  });
}

describe("bucketName", () => {
  it("is the project, environment and purpose, within 63 characters", () => {
    expect(bucketName("gumstack-platform", "staging", "uploads")).toBe("gumstack-platform-staging-uploads");
    expect(bucketName("gumstack-prod", "prod", "uploads")).toBe("gumstack-prod-uploads");
    const long = bucketName("acme-gumstack-customer-proj1", "enterprise-acme-corporati", "uploads-archive-x");
    expect(long.length).toBeLessThanOrEqual(63);
    expect(() => bucketName("my-google-proj", "prod", "x")).toThrow(/google/);
  });
  it("accepts GCS soft-delete retention of 7-90 days only", () => {
    expect(softDeleteSeconds(7)).toBe(604800);
    expect(() => softDeleteSeconds(3)).toThrow();
    expect(() => softDeleteSeconds(91)).toThrow();
  });
});

describe("Buckets", () => {
  it("creates private, CMEK, versioned, soft-deleting, protected regional buckets", async () => {
    const resources = await record(() => build());
    const key = one(resources, "gcp:kms/cryptoKey:CryptoKey", "kms-storage");
    expect(ofType(resources, BUCKET)).toHaveLength(2);
    const bucket = one(resources, BUCKET, "gcs-uploads");
    expect(bucket.inputs).toMatchObject({
      project: "gumstack-prod",
      name: "gumstack-prod-uploads",
      location: "US-WEST1",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      encryption: { defaultKmsKeyName: key.id },
      versioning: { enabled: true },
      softDeletePolicy: { retentionDurationSeconds: 604800 },
      forceDestroy: false,
      deletionPolicy: "PREVENT",
    });
    expect(bucket.inputs.lifecycleRules).toContainEqual(
      expect.objectContaining({
        action: expect.objectContaining({ type: "Delete" }),
        condition: expect.objectContaining({ daysSinceNoncurrentTime: 30, withState: "ARCHIVED" }),
      }),
    );
    expect(bucket.protect).toBe(true);
  });

  it("creates buckets only after the storage key's grant to the Cloud Storage agent", async () => {
    const resources = await record(() => build());
    const grant = one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "kms-storage-storage");
    const storageApi = one(resources, "gcp:projects/service:Service", "svc-storage").urn;
    for (const b of ofType(resources, BUCKET)) {
      expect(b.dependencies).toContain(grant.urn);
      expect(b.dependencies).toContain(storageApi);
    }
    expect(grant.dependencies).toContain(storageApi);
  });

  it("names buckets after a project created in the same stack", async () => {
    const resources = await record(() =>
      build(new organizations.Project("p", { projectId: "acme-gumstack", name: "acme", folderId: "123456" })),
    );
    const bucket = one(resources, BUCKET, "gcs-exports");
    expect(bucket.inputs.name).toBe("acme-gumstack-prod-exports");
    expect(bucket.dependencies).toContain(one(resources, "gcp:organizations/project:Project", "p").urn);
  });
});
