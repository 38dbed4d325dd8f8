// `npm run plan` executes the esbuild bundle of src/cli/plan.ts (scripts/build.mjs), not the TypeScript sources:
// one real process runs it, and its plan must be the sources' plan, field for field.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildClis } from "../scripts/build.mjs";
import { sharedPlan } from "./support/plans.js";

/** A plan without its creation time, the one field two runs differ in. */
function timeless(exported: { deployment: { manifest: Record<string, unknown> } }) {
  return { ...exported, deployment: { ...exported.deployment, manifest: { ...exported.deployment.manifest, time: "" } } };
}

describe("the bundled plan command", () => {
  it("plans prod in its own process exactly as the TypeScript sources do", async () => {
    const bundles = await buildClis();
    const bundle = bundles.find((b) => b.endsWith("/plan.mjs"))!;
    const out = join(mkdtempSync(join(tmpdir(), "plan-bundle-")), "prod.json");
    // Asynchronously, so the worker's event loop (and the shared plan below) goes on while the process runs.
    const res = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [bundle, "--stack", "prod", "--json", out],
        { encoding: "utf8", maxBuffer: 1 << 26 },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^\+ pulumi:pulumi:Stack {2}gumstack-prod$/m);
    expect(res.stdout).toMatch(/^Resources: \d+ to create, 1 to read$/m);
    expect(timeless(JSON.parse(readFileSync(out, "utf8")))).toEqual(timeless(JSON.parse(JSON.stringify(await sharedPlan("prod")))));
    // A whole process and a whole plan: seconds on an idle machine, far more on a loaded one.
  }, 120_000);
});
