// The prod plan's identity graph: who, reachable from the cluster (node accounts, Workload Identities and
// everything they may impersonate), can read and write which repository; and the pack refuses the one
// grant that would let the cluster write platform images. A file of its own: the mock runtime is global.
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/rules/index.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { sharedPlan } from "../support/plans.js";
import { clusterIdentities, readStackIam } from "../../policies/lib/iam.js";
import { clusterRepositoryAccess, stackResources, UNKNOWN } from "./support.js";

const plan = await sharedPlan("prod");
const resources = plan.deployment.resources;
const sa = (id: string) => `serviceAccount:${id}@gumstack-prod.iam.gserviceaccount.com`;
const PLATFORM = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform";
const TENANT = "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod";

describe("prod plan: who can read and write which repository, from the cluster", () => {
  it("platform pools read platform images, the MCP pool (the kubelet's pulls) the tenant repository; only the pusher writes, the tenant repository", () => {
    const access = clusterRepositoryAccess(resources);
    expect(access).toEqual([
      `${sa("gke-backend-prod")} reads ${PLATFORM}`,
      `${sa("gke-mcp-prod")} reads ${TENANT}`,
      `${sa("gke-system-prod")} reads ${PLATFORM}`,
      // The build plane's pusher, reachable through the backend's tokenCreator on it (components/gcp/imagePusher.ts).
      `${sa("pusher-prod")} writes ${TENANT}`,
    ]);
    expect(access.filter((l) => / writes /.test(l) && l.includes(PLATFORM))).toEqual([]);
  });

  it("is really checked: the old image builder, token-minted by the backend and writing platform images, fails the pack", async () => {
    const mutated = structuredClone(plan);
    const base = resources.find((r) => r.type === "gcp:serviceaccount/iAMMember:IAMMember")!;
    const grant = (name: string, type: string, inputs: Record<string, unknown>) => ({
      ...structuredClone(base),
      urn: base.urn.replace(/::[^:]+::[^:]+$/, `::${type}::${name}`),
      type,
      inputs,
      outputs: inputs,
      dependencies: [],
      propertyDependencies: {},
    });
    mutated.deployment.resources.push(
      grant("backend-mints-builder", "gcp:serviceaccount/iAMMember:IAMMember", {
        serviceAccountId: "projects/gumstack-prod/serviceAccounts/image-builder-prod@gumstack-prod.iam.gserviceaccount.com",
        role: "roles/iam.serviceAccountTokenCreator",
        member: sa("backend-prod"),
      }),
      grant("builder-writes-platform", "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", {
        project: "gumstack-admin",
        location: "us-west1",
        repository: "gumstack-platform",
        role: "roles/artifactregistry.writer",
        member: sa("image-builder-prod"),
      }),
    );
    expect(clusterRepositoryAccess(mutated.deployment.resources)).toContain(`${sa("image-builder-prod")} writes ${PLATFORM}`);
    const run = await runPolicyPack(parseExport(JSON.stringify(mutated), "mutated prod plan"));
    expect(run.diagnostics.filter((d) => d.level === "mandatory").map((d) => `${d.policy}: ${d.message}`)).toEqual([
      `iam-grant-no-cluster-write-platform-images: ${sa("image-builder-prod")} holds roles/artifactregistry.writer on the platform-images repository ${PLATFORM}, and is reachable from the cluster: ` +
        "serviceAccount:gumstack-prod.svc.id.goog[gumstack-backend/backend] is a GKE Workload Identity; " +
        `serviceAccount:gumstack-prod.svc.id.goog[gumstack-backend/backend] holds roles/iam.workloadIdentityUser on ${sa("backend-prod")}; ` +
        `${sa("backend-prod")} holds roles/iam.serviceAccountTokenCreator on ${sa("image-builder-prod")}`,
    ]);
  });
});

describe("prod plan: the release identity, publisher of the canary and the builder into the tenant repository", () => {
  const RELEASE = "serviceAccount:gumstack-release@gumstack-admin.iam.gserviceaccount.com";
  const iamOf = (rs: typeof resources) => readStackIam(stackResources(rs));

  it("holds artifactregistry.writer on this stack's tenant repository, its signing grants, and nothing else, and no cluster identity can act as it", () => {
    const iam = iamOf(resources);
    const grants = iam.grants.filter((g) => g.member === RELEASE);
    expect(grants.filter((g) => g.role === "roles/artifactregistry.writer").map((g) => g.scope)).toEqual([
      { kind: "repository", project: "gumstack-prod", location: "us-west1", repository: "mcp-prod" },
    ]);
    // And it signs platform images for the stack's Binary Authorization attestor (components/gcp/binaryAuthorization.ts).
    expect(grants.map((g) => g.role).sort()).toEqual([
      "roles/artifactregistry.writer",
      "roles/cloudkms.signerVerifier",
      "roles/containeranalysis.notes.attacher",
    ]);
    // Nobody in the stack is granted anything on the release identity (impersonation, token minting, keys).
    expect(iam.grants.filter((g) => g.scope.kind === "serviceAccount" && g.scope.account === RELEASE)).toEqual([]);
    expect(clusterIdentities(iam).has(RELEASE)).toBe(false);
    expect(clusterRepositoryAccess(resources).filter((l) => l.startsWith(RELEASE))).toEqual([]);
  });

  it("is really checked: a cluster identity allowed to mint the release identity's tokens fails the pack", async () => {
    const mutated = structuredClone(plan);
    const base = resources.find((r) => r.type === "gcp:serviceaccount/iAMMember:IAMMember")!;
    const inputs = {
      serviceAccountId: "projects/gumstack-admin/serviceAccounts/gumstack-release@gumstack-admin.iam.gserviceaccount.com",
      role: "roles/iam.serviceAccountTokenCreator",
      member: sa("backend-prod"),
    };
    mutated.deployment.resources.push({
      ...structuredClone(base),
      urn: base.urn.replace(/::[^:]+$/, "::backend-mints-release"),
      inputs,
      outputs: inputs,
      dependencies: [],
      propertyDependencies: {},
    });
    expect(clusterIdentities(iamOf(mutated.deployment.resources)).has(RELEASE)).toBe(true);
    const run = await runPolicyPack(parseExport(JSON.stringify(mutated), "mutated prod plan"));
    expect(run.diagnostics.filter((d) => d.level === "mandatory").map((d) => `${d.policy}: ${d.message}`)).toEqual([
      `iam-grant-no-cluster-write-platform-images: ${sa("backend-prod")} holds roles/iam.serviceAccountTokenCreator on service account gumstack-release@gumstack-admin.iam.gserviceaccount.com, ` +
        "outside the stack's projects (in the platform-images project), so its own grants cannot be checked, and is reachable from the cluster: " +
        "serviceAccount:gumstack-prod.svc.id.goog[gumstack-backend/backend] is a GKE Workload Identity; " +
        `serviceAccount:gumstack-prod.svc.id.goog[gumstack-backend/backend] holds roles/iam.workloadIdentityUser on ${sa("backend-prod")}`,
    ]);
  });
});

describe("prod plan: a first preview, where every value taken from another resource is unknown", () => {
  it("still passes the write rule: unknown members resolve to the accounts they come from, or count as reachable", async () => {
    const preview = structuredClone(plan);
    for (const r of preview.deployment.resources) {
      if (!r.type.startsWith("gcp:")) continue;
      for (const [key, deps] of Object.entries(r.propertyDependencies)) if (deps.length > 0 && key in r.inputs) r.inputs[key] = UNKNOWN;
      r.outputs = { ...r.inputs };
    }
    const rule = policies.filter((p) => p.name === "iam-grant-no-cluster-write-platform-images");
    expect((await runPolicyPack(parseExport(JSON.stringify(preview), "first preview"), { policies: rule })).diagnostics).toEqual([]);
    // ... and a writer on the platform-images repository whose member is an account of the stack is still refused.
    const account = preview.deployment.resources.find((r) => r.urn.endsWith("::accounts-nodes-mcp"))!;
    const grant = preview.deployment.resources.find((r) => r.urn.endsWith("::accounts-nodes-mcp-tenant-images-reader"))!;
    const inputs = {
      project: "gumstack-admin",
      location: "us-west1",
      repository: "gumstack-platform",
      role: "roles/artifactregistry.writer",
      member: UNKNOWN,
    };
    preview.deployment.resources.push({
      ...structuredClone(grant),
      urn: grant.urn.replace(/tenant-images-reader$/, "platform-writer"),
      inputs,
      outputs: inputs,
      propertyDependencies: { member: [account.urn] },
    });
    const run = await runPolicyPack(parseExport(JSON.stringify(preview), "first preview"), { policies: rule });
    expect(run.diagnostics.map((d) => d.message)).toEqual([
      `${sa("gke-mcp-prod")} holds roles/artifactregistry.writer on the platform-images repository ${PLATFORM}, and is reachable from the cluster: ${sa("gke-mcp-prod")} runs GKE nodes (pool-mcp-pool)`,
    ]);
  });
});
