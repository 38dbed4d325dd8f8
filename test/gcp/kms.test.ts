import { describe, expect, it } from "vitest";
import { KEY_AGENTS, KEY_PURPOSES, type Kms, keyRingName, rotationPeriod } from "../../components/gcp/kms.js";
import { fakeNumber } from "../../src/plan/mocks.js";
import { ofType, one, prodConfig, record, valueOf } from "../support/harness.js";
import { keyLayer } from "./fixtures.js";

const KEY = "gcp:kms/cryptoKey:CryptoKey";
const GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";

const seed = prodConfig();

function build() {
  const { services, kms } = keyLayer(seed.project, seed.environment);
  return { services, kms };
}

describe("rotationPeriod", () => {
  it("is the rotation in seconds, at most 90 days", () => {
    expect(rotationPeriod(90)).toBe("7776000s");
    expect(rotationPeriod(1)).toBe("86400s");
    expect(() => rotationPeriod(91)).toThrow(/between 1 and 90/);
    expect(() => rotationPeriod(0)).toThrow();
    expect(() => rotationPeriod(30.5)).toThrow();
  });
});

describe("keyRingName", () => {
  it("is stack-unique and can take a suffix for a re-created stack", () => {
    expect(keyRingName("prod")).toBe("gumstack-prod");
    expect(keyRingName("enterprise-acme")).toBe("gumstack-enterprise-acme");
    expect(keyRingName("prod", "v2")).toBe("gumstack-prod-v2");
  });
});

describe("Kms", () => {
  it("creates a protected key ring in the region, after the KMS API", async () => {
    const resources = await record(() => build());
    const ring = one(resources, "gcp:kms/keyRing:KeyRing", "kms-ring");
    expect(ring.inputs).toEqual({ project: "gumstack-prod", location: "us-west1", name: "gumstack-prod" });
    expect(ring.protect).toBe(true);
    expect(ring.dependencies).toContain(one(resources, "gcp:projects/service:Service", "svc-cloudkms").urn);
  });

  it("creates one protected, rotated ENCRYPT_DECRYPT key per purpose that cannot be deleted", async () => {
    const resources = await record(() => build());
    const ring = one(resources, "gcp:kms/keyRing:KeyRing", "kms-ring");
    expect(
      ofType(resources, KEY)
        .map((k) => k.inputs.name)
        .sort(),
    ).toEqual(["app", "gke", "registry", "spanner", "storage"]);
    for (const purpose of KEY_PURPOSES) {
      const key = one(resources, KEY, `kms-${purpose}`);
      expect(key.inputs).toMatchObject({
        keyRing: ring.id,
        purpose: "ENCRYPT_DECRYPT",
        rotationPeriod: "7776000s",
        deletionPolicy: "PREVENT",
      });
      expect(Number(String(key.inputs.rotationPeriod).replace(/s$/, ""))).toBeLessThanOrEqual(90 * 86_400);
      expect(key.protect).toBe(true);
    }
  });

  it("grants encrypter/decrypter on each key to exactly its service agents, after the agents exist", async () => {
    const resources = await record(() => build());
    const n = fakeNumber("gumstack-prod");
    const expected: Record<string, string> = {
      container: `serviceAccount:service-${n}@container-engine-robot.iam.gserviceaccount.com`,
      compute: `serviceAccount:service-${n}@compute-system.iam.gserviceaccount.com`,
      spanner: `serviceAccount:service-${n}@gcp-sa-spanner.iam.gserviceaccount.com`,
      artifactregistry: `serviceAccount:service-${n}@gcp-sa-artifactregistry.iam.gserviceaccount.com`,
      storage: `serviceAccount:service-${n}@gs-project-accounts.iam.gserviceaccount.com`,
    };
    expect(ofType(resources, GRANT)).toHaveLength(5);
    for (const purpose of KEY_PURPOSES) {
      const key = one(resources, KEY, `kms-${purpose}`);
      for (const kind of KEY_AGENTS[purpose]) {
        const grant = one(resources, GRANT, `kms-${purpose}-${kind}`);
        expect(grant.inputs).toEqual({ cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: expected[kind] });
        expect(grant.dependencies).toContain(key.urn);
      }
    }
    // The grant waits for the agent: its ServiceIdentity, or the API that creates it.
    const identity = (kind: string) => one(resources, "gcp:projects/serviceIdentity:ServiceIdentity", `svc-${kind}-agent`).urn;
    const api = (name: string) => one(resources, "gcp:projects/service:Service", `svc-${name}`).urn;
    expect(one(resources, GRANT, "kms-gke-container").propertyDependencies.member).toContain(identity("container"));
    expect(one(resources, GRANT, "kms-gke-container").dependencies).toContain(identity("container"));
    expect(one(resources, GRANT, "kms-spanner-spanner").dependencies).toContain(identity("spanner"));
    expect(one(resources, GRANT, "kms-registry-artifactregistry").dependencies).toContain(identity("artifactregistry"));
    expect(one(resources, GRANT, "kms-gke-compute").dependencies).toContain(api("compute"));
    expect(one(resources, GRANT, "kms-storage-storage").dependencies).toContain(api("storage"));
  });

  it("exposes the grants per key for dependents", async () => {
    let kms!: Kms;
    await record(() => {
      kms = build().kms;
    });
    expect(kms.grants.registry).toHaveLength(1);
    expect(kms.grants.gke).toHaveLength(2);
    expect(await valueOf(kms.keys.spanner.name)).toBe("spanner");
  });
});
