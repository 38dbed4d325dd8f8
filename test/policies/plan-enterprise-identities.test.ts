// The enterprise plan's identity graph and its grants outside the customer's project. A file of its own:
// the mock runtime is global.
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/rules/index.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { sharedPlan } from "../support/plans.js";
import { clusterRepositoryAccess, UNKNOWN } from "./support.js";

const plan = await sharedPlan("enterprise");
const resources = plan.deployment.resources;
const sa = (id: string) => `serviceAccount:${id}@gumstack-acme.iam.gserviceaccount.com`;
const PLATFORM = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform";
const TENANT = "us-west1-docker.pkg.dev/gumstack-acme/mcp-ent-acme";

describe("enterprise plan: who can read and write which repository, from the cluster", () => {
  it("reads platform images and its own tenant repository only, writes only its tenant repository (the pusher), and never touches prod's repository", () => {
    const access = clusterRepositoryAccess(resources);
    expect(access).toEqual([
      `${sa("gke-backend-ent-acme")} reads ${PLATFORM}`,
      `${sa("gke-mcp-ent-acme")} reads ${TENANT}`,
      `${sa("gke-system-ent-acme")} reads ${PLATFORM}`,
      // The build plane's pusher writes this customer's own tenant repository, and nothing else.
      `${sa("pusher-ent-acme")} writes ${TENANT}`,
    ]);
    expect(access.join("\n")).not.toContain("gumstack-prod");
  });

  it("is really checked: today's read grant on prod's multi-tenant repository fails the pack", async () => {
    const mutated = structuredClone(plan);
    const base = mutated.deployment.resources.find((r) => r.urn.endsWith("::accounts-nodes-backend-platform-images-reader"))!;
    const inputs = { ...base.inputs, project: "gumstack-prod", repository: "gumstack" };
    mutated.deployment.resources.push({
      ...structuredClone(base),
      urn: base.urn.replace(/accounts-nodes-backend-platform-images-reader$/, "platform-registry-reader"),
      inputs,
      outputs: inputs,
    });
    const run = await runPolicyPack(parseExport(JSON.stringify(mutated), "mutated enterprise plan"));
    expect(run.diagnostics.filter((d) => d.level === "mandatory").map((d) => `${d.policy}: ${d.message}`)).toEqual([
      `iam-grant-enterprise-foreign-project-read-only: grants roles/artifactregistry.reader to ${sa("gke-backend-ent-acme")} on repository us-west1-docker.pkg.dev/gumstack-prod/gumstack in project gumstack-prod, ` +
        `outside the stack's project (gumstack-acme): only roles/artifactregistry.reader on the platform-images repository ${PLATFORM} may be granted there`,
    ]);
  });
});

describe("enterprise plan: a first preview, where every value taken from another resource is unknown", () => {
  it("still passes both supply-chain rules (members, keys, repositories and projects resolved through dependencies)", async () => {
    const preview = structuredClone(plan);
    let unknowns = 0;
    for (const r of preview.deployment.resources) {
      if (!r.type.startsWith("gcp:")) continue;
      for (const [key, deps] of Object.entries(r.propertyDependencies)) {
        if (deps.length === 0 || !(key in r.inputs)) continue;
        r.inputs[key] = UNKNOWN;
        r.outputs = { ...r.inputs };
        unknowns++;
      }
    }
    expect(unknowns).toBeGreaterThan(20);
    const supplyChain = policies.filter(
      (p) => p.name === "iam-grant-no-cluster-write-platform-images" || p.name === "iam-grant-enterprise-foreign-project-read-only",
    );
    expect(supplyChain).toHaveLength(2);
    const run = await runPolicyPack(parseExport(JSON.stringify(preview), "first preview"), { policies: supplyChain });
    expect(run.diagnostics.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
  });
});
