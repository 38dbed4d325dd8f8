// `npm run plan` executes the esbuild bundle of src/cli/plan.ts (scripts/build.mjs), not the TypeScript sources:
// one real process runs it, and its plan must be the sources' plan, field for field. The plan command's other
// tests run its main() in-process; this is the one that proves the bundle's wiring (exit code, what it prints).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { markedExport } from "../src/plan/outputs.js";
import { runBundle } from "./support/cli.js";
import { sharedPlan } from "./support/plans.js";

/** A plan without its creation time, the one field two runs differ in. */
function timeless(exported: { deployment: { manifest: Record<string, unknown> } }) {
  return { ...exported, deployment: { ...exported.deployment, manifest: { ...exported.deployment.manifest, time: "" } } };
}

describe("the bundled plan command", () => {
  it("plans prod in its own process exactly as the TypeScript sources do", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "plan-bundle-")), "prod.json");
    // Asynchronously, so the worker's event loop (and the shared plan below) goes on while the process runs.
    const [res, sources] = await Promise.all([runBundle("plan", ["--stack", "prod", "--json", out]), sharedPlan("prod")]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toBe("");
    expect(res.stdout).toMatch(/^\+ pulumi:pulumi:Stack {2}gumstack-prod$/m);
    expect(res.stdout).toMatch(/^Resources: \d+ to create, 1 to read$/m);
    // The file is the plan as --json writes it: the mock engine's values marked in place.
    expect(timeless(JSON.parse(readFileSync(out, "utf8")))).toEqual(timeless(JSON.parse(JSON.stringify(markedExport(sources)))));
    // A whole process and a whole plan: seconds on an idle machine, far more on a loaded one.
  }, 120_000);
});
