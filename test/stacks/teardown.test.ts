// The deliberate teardown: one switch, gumstack:allowDestroy, turns provider-level deletion protection off for
// what a destroy must delete and abandons the KMS keys (never destroyed by Pulumi); `protect` stays on every
// resource it was on, so nothing goes without `pulumi state unprotect`. The pack config of such a stack lowers
// only the deletion-protection policies to advisory: isolation stays mandatory.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig } from "../../src/config/load.js";
import { planStack, type PlannedResource } from "../../src/plan/plan.js";
import { sharedPlan } from "../support/plans.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { checkStack, isolationPolicies, stackPackConfig, TEARDOWN_ADVISORY, teardownLevels } from "../../src/policy/check.js";
import { parseExport } from "../../src/policy/export.js";
import { packValuesFromConfig } from "../../src/policy/packConfig.js";

const text = readFileSync("Pulumi.enterprise.yaml", "utf8");
const withSwitch = `${text.trimEnd()}\n  gumstack:allowDestroy: true\n`;
const file = (t: string) => parseStackFile(t, "Pulumi.enterprise.yaml");

let normal: PlannedResource[];
let teardown: PlannedResource[];
let teardownExport: string;
beforeAll(async () => {
  normal = (await sharedPlan("enterprise")).deployment.resources;
  const plan = await planStack({ stack: "enterprise", stackConfig: file(withSwitch) });
  teardown = plan.deployment.resources;
  teardownExport = JSON.stringify(plan);
}, 90_000);

const of = (rs: PlannedResource[], type: string) => rs.filter((r) => r.type === type).map((r) => r.inputs as Record<string, unknown>);

describe("gumstack:allowDestroy", () => {
  it("is off by default: every protected resource refuses deletion at the provider too", () => {
    expect(of(normal, "gcp:spanner/instance:Instance").map((i) => i.deletionPolicy)).toEqual(["PREVENT"]);
    expect(of(normal, "gcp:spanner/database:Database").every((d) => d.deletionProtection === true && d.enableDropProtection === true)).toBe(
      true,
    );
    expect(of(normal, "gcp:storage/bucket:Bucket").every((b) => b.deletionPolicy === "PREVENT")).toBe(true);
    expect(of(normal, "gcp:kms/cryptoKey:CryptoKey").every((k) => k.deletionPolicy === "PREVENT")).toBe(true);
    expect(of(normal, "gcp:organizations/project:Project").map((p) => p.deletionPolicy)).toEqual(["PREVENT"]);
    expect(of(normal, "gcp:container/cluster:Cluster").map((c) => c.deletionProtection)).toEqual([true]);
  });

  it("on: Spanner, buckets, the cluster and the project may be deleted; KMS keys are abandoned, never destroyed", () => {
    expect(of(teardown, "gcp:spanner/instance:Instance")).toEqual([
      expect.objectContaining({ deletionPolicy: "DELETE", forceDestroy: false }),
    ]);
    expect(
      of(teardown, "gcp:spanner/database:Database").every((d) => d.deletionProtection === false && d.enableDropProtection === false),
    ).toBe(true);
    // forceDestroy stays false: a bucket that still holds objects is refused by Cloud Storage.
    expect(of(teardown, "gcp:storage/bucket:Bucket").every((b) => b.deletionPolicy === "DELETE" && b.forceDestroy === false)).toBe(true);
    expect(of(teardown, "gcp:kms/cryptoKey:CryptoKey").map((k) => k.deletionPolicy)).toEqual(Array(7).fill("ABANDON"));
    expect(of(teardown, "gcp:organizations/project:Project").map((p) => p.deletionPolicy)).toEqual(["DELETE"]);
    expect(of(teardown, "gcp:container/cluster:Cluster").map((c) => c.deletionProtection)).toEqual([false]);
  });

  it("keeps `protect` on exactly the resources it was on: pulumi state unprotect is still required", () => {
    const protectedNames = (rs: PlannedResource[]) =>
      rs
        .filter((r) => r.protect)
        .map((r) => r.urn)
        .sort();
    expect(protectedNames(teardown)).toEqual(protectedNames(normal));
    expect(protectedNames(teardown).length).toBeGreaterThan(5);
  });

  it("lowers only the deletion-protection policies to advisory; the teardown plan then passes with advisories", async () => {
    const config = parseStackConfig(namespaceValues(file(withSwitch).config));
    const pack = stackPackConfig(config);
    for (const p of TEARDOWN_ADVISORY) expect(pack[p]).toEqual({ enforcementLevel: "advisory" });
    for (const p of isolationPolicies()) expect(JSON.stringify(pack[p] ?? {})).not.toContain("enforcementLevel");
    expect(teardownLevels(parseStackConfig(namespaceValues(file(text).config)))).toEqual({});
    const check = await checkStack(
      parseExport(teardownExport, "teardown"),
      "teardown",
      packValuesFromConfig(config),
      teardownLevels(config),
    );
    expect(check.run.diagnostics.filter((d) => d.level === "mandatory")).toEqual([]);
    expect(new Set(check.run.diagnostics.map((d) => d.policy))).toEqual(
      new Set(["gke-cluster-deletion-protection", "spanner-database-drop-protection"]),
    );
  });
});
