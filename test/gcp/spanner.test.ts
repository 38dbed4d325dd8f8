import { describe, expect, it } from "vitest";
import { Spanner, backupRetention, spannerConfigName, versionRetentionPeriod } from "../../components/gcp/spanner.js";
import { ofType, one, prodConfig, record } from "../support/harness.js";
import { keyLayer } from "./fixtures.js";

const INSTANCE = "gcp:spanner/instance:Instance";
const DATABASE = "gcp:spanner/database:Database";
const SCHEDULE = "gcp:spanner/backupSchedule:BackupSchedule";

// Two databases, so per-database resources are proven to repeat.
const seed = { ...prodConfig(), spanner: { ...prodConfig().spanner, databases: ["gumstack", "audit"] } };

function build(environment = seed.environment) {
  const { services, kms } = keyLayer(seed.project, environment);
  const spanner = new Spanner("db", {
    project: seed.project,
    region: seed.region,
    environment,
    spanner: seed.spanner,
    kmsKeyName: kms.keys.spanner.id,
    keyGrants: kms.grants.spanner,
    apis: services.apis,
  });
  return { services, kms, spanner };
}

describe("pure helpers", () => {
  it("maps the region to its regional instance config", () => {
    expect(spannerConfigName("us-west1")).toBe("regional-us-west1");
    expect(() => spannerConfigName("nam3")).toThrow();
  });
  it("formats version and backup retention within Spanner's limits", () => {
    expect(versionRetentionPeriod(7)).toBe("7d");
    expect(() => versionRetentionPeriod(8)).toThrow();
    expect(backupRetention(30)).toBe("2592000s");
    expect(() => backupRetention(367)).toThrow();
  });
});

describe("Spanner", () => {
  it("is a protected regional-us-west1 instance that the provider can neither force-destroy nor delete", async () => {
    const resources = await record(() => build());
    const instance = one(resources, INSTANCE, "db-instance");
    expect(instance.inputs).toMatchObject({
      project: "gumstack-prod",
      name: "gumstack-prod",
      config: "regional-us-west1",
      processingUnits: 1000,
      edition: "STANDARD",
      defaultBackupScheduleType: "NONE",
      forceDestroy: false,
      deletionPolicy: "PREVENT",
    });
    expect(instance.protect).toBe(true);
    expect(instance.dependencies).toContain(one(resources, "gcp:projects/service:Service", "svc-spanner").urn);
  });

  it("keeps the instance id within Spanner's 30 characters for long environment names", async () => {
    const resources = await record(() => build("enterprise-acme-corporati"));
    const name = String(one(resources, INSTANCE, "db-instance").inputs.name);
    expect(name.length).toBeLessThanOrEqual(30);
    expect(name.length).toBeGreaterThanOrEqual(6);
  });

  it("creates each database CMEK-encrypted, drop- and deletion-protected, with point-in-time recovery", async () => {
    const resources = await record(() => build());
    const key = one(resources, "gcp:kms/cryptoKey:CryptoKey", "kms-spanner");
    expect(ofType(resources, DATABASE)).toHaveLength(2);
    for (const id of ["gumstack", "audit"]) {
      const db = one(resources, DATABASE, `db-${id}`);
      expect(db.inputs).toMatchObject({
        project: "gumstack-prod",
        instance: "gumstack-prod",
        name: id,
        encryptionConfig: { kmsKeyName: key.id },
        versionRetentionPeriod: "7d",
        enableDropProtection: true,
        deletionProtection: true,
      });
      expect(db.protect).toBe(true);
    }
  });

  it("creates instance, databases and schedules only after the spanner key's grant to the Spanner agent", async () => {
    const resources = await record(() => build());
    const grant = one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "kms-spanner-spanner");
    expect(one(resources, INSTANCE, "db-instance").dependencies).toContain(grant.urn);
    expect(one(resources, DATABASE, "db-gumstack").dependencies).toContain(grant.urn);
    expect(one(resources, SCHEDULE, "db-gumstack-daily").dependencies).toContain(grant.urn);
    expect(grant.dependencies).toContain(one(resources, "gcp:projects/serviceIdentity:ServiceIdentity", "svc-spanner-agent").urn);
  });

  it("backs each database up daily in full, CMEK-encrypted, kept for the configured retention", async () => {
    const resources = await record(() => build());
    const key = one(resources, "gcp:kms/cryptoKey:CryptoKey", "kms-spanner");
    expect(ofType(resources, SCHEDULE)).toHaveLength(2);
    const schedule = one(resources, SCHEDULE, "db-gumstack-daily");
    expect(schedule.inputs).toMatchObject({
      project: "gumstack-prod",
      instance: "gumstack-prod",
      database: "gumstack",
      retentionDuration: "2592000s",
      spec: { cronSpec: { text: "0 10 * * *" } },
      fullBackupSpec: {},
      encryptionConfig: { encryptionType: "CUSTOMER_MANAGED_ENCRYPTION", kmsKeyName: key.id },
    });
    expect(schedule.inputs.incrementalBackupSpec).toBeUndefined();
    expect(schedule.dependencies).toContain(one(resources, DATABASE, "db-gumstack").urn);
  });
});
