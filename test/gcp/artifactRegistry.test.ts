import { describe, expect, it } from "vitest";
import {
  ArtifactRegistry,
  cleanupPolicies,
  dockerRepositoryUrl,
  parseDockerRepositoryUrl,
  tenantRepositoryId,
} from "../../components/gcp/artifactRegistry.js";
import { one, prodConfig, record, valueOf } from "../support/harness.js";
import { keyLayer } from "./fixtures.js";

const REPO = "gcp:artifactregistry/repository:Repository";

const seed = prodConfig();

function build() {
  const { services, kms } = keyLayer(seed.project, seed.environment);
  const registry = new ArtifactRegistry("ar", {
    project: seed.project,
    region: seed.region,
    repositoryId: tenantRepositoryId(seed.environment, seed.artifactRegistry.repositoryId),
    retentionDays: seed.artifactRegistry.retentionDays,
    keepRecentVersions: seed.artifactRegistry.keepRecentVersions,
    kmsKeyName: kms.keys.registry.id,
    keyGrants: kms.grants.registry,
    apis: services.apis,
  });
  return { services, kms, registry };
}

describe("cleanupPolicies", () => {
  it("deletes any version older than the retention, keeps the most recent, every live-tagged version and the platform's paths", () => {
    expect(cleanupPolicies(30, 10)).toEqual([
      { id: "delete-older-than-30d", action: "DELETE", condition: { tagState: "ANY", olderThan: "2592000s" } },
      { id: "keep-10-most-recent", action: "KEEP", mostRecentVersions: { keepCount: 10 } },
      { id: "keep-live", action: "KEEP", condition: { tagState: "TAGGED", tagPrefixes: ["live-"] } },
      {
        id: "keep-platform-paths",
        action: "KEEP",
        condition: { tagState: "ANY", packageNamePrefixes: ["gumstack-build", "gumstack-canary"] },
      },
    ]);
    expect(() => cleanupPolicies(0, 10)).toThrow();
    expect(() => cleanupPolicies(30, 0)).toThrow();
  });
});

describe("dockerRepositoryUrl", () => {
  it("is the Docker host of the region, the project and the repository", () => {
    expect(dockerRepositoryUrl("us-west1", "gumstack-prod", "mcp-prod")).toBe("us-west1-docker.pkg.dev/gumstack-prod/mcp-prod");
  });
});

describe("parseDockerRepositoryUrl", () => {
  it("is the inverse of dockerRepositoryUrl", () => {
    expect(parseDockerRepositoryUrl("us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform")).toEqual({
      location: "us-west1",
      project: "gumstack-admin",
      repositoryId: "gumstack-platform",
    });
    expect(parseDockerRepositoryUrl(dockerRepositoryUrl("us", "gumstack-prod", "mcp-prod"))).toEqual({
      location: "us",
      project: "gumstack-prod",
      repositoryId: "mcp-prod",
    });
  });

  it.each([
    "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/",
    "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/backend",
    "gcr.io/gumstack-admin/x",
    "us-west1-docker.pkg.dev/P/x",
  ])("refuses %s", (url) => expect(() => parseDockerRepositoryUrl(url)).toThrow(/is not an Artifact Registry Docker repository/));
});

describe("tenantRepositoryId", () => {
  it("is mcp-<environment> by default, so two environments in one project never share a repository", () => {
    expect(tenantRepositoryId("prod")).toBe("mcp-prod");
    expect(tenantRepositoryId("staging")).not.toBe(tenantRepositoryId("prod"));
    expect(tenantRepositoryId("ent-acme")).toBe("mcp-ent-acme");
  });

  it("takes a configured id only if it ends in -<environment>", () => {
    expect(tenantRepositoryId("prod", "tenants-prod")).toBe("tenants-prod");
    expect(() => tenantRepositoryId("prod", "gumstack")).toThrow('tenant repository id "gumstack" must end in -prod');
  });
});

describe("ArtifactRegistry", () => {
  it("is the tenant MCP repository: CMEK, Docker, us-west1, active 30-day cleanup, a keep rule and scanning", async () => {
    const resources = await record(() => build());
    const repo = one(resources, REPO, "ar-docker");
    expect(repo.inputs).toMatchObject({
      project: "gumstack-prod",
      location: "us-west1",
      repositoryId: "mcp-prod",
      format: "DOCKER",
      kmsKeyName: one(resources, "gcp:kms/cryptoKey:CryptoKey", "kms-registry").id,
      cleanupPolicyDryRun: false,
      vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
    });
    // Immutable tags forbid deleting tagged images, which the age-based DELETE rule must do: images go by digest.
    expect(repo.inputs.dockerConfig).toEqual({ immutableTags: false });
    const policies = repo.inputs.cleanupPolicies as Record<string, unknown>[];
    expect(policies).toContainEqual(
      expect.objectContaining({ action: "DELETE", condition: expect.objectContaining({ olderThan: "2592000s", tagState: "ANY" }) }),
    );
    expect(policies).toContainEqual(expect.objectContaining({ action: "KEEP", mostRecentVersions: { keepCount: 10 } }));
    expect(repo.protect).toBe(true);
  });

  it("is created only after the registry key's grant to the Artifact Registry agent and its APIs", async () => {
    const resources = await record(() => build());
    const repo = one(resources, REPO, "ar-docker");
    expect(repo.dependencies).toContain(
      one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "kms-registry-artifactregistry").urn,
    );
    expect(repo.dependencies).toContain(one(resources, "gcp:projects/service:Service", "svc-artifactregistry").urn);
    expect(repo.dependencies).toContain(one(resources, "gcp:projects/service:Service", "svc-containerscanning").urn);
    // The grant itself waits for the Artifact Registry service identity.
    const grant = one(resources, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "kms-registry-artifactregistry");
    expect(grant.dependencies).toContain(one(resources, "gcp:projects/serviceIdentity:ServiceIdentity", "svc-artifactregistry-agent").urn);
  });

  it("exposes the repository URL images are pushed to", async () => {
    let registry!: ArtifactRegistry;
    await record(() => {
      registry = build().registry;
    });
    expect(await valueOf(registry.repositoryUrl)).toBe("us-west1-docker.pkg.dev/gumstack-prod/mcp-prod");
  });
});
