// `npm run plan` as a user runs it: the tree and summary, the export file, and failures that write nothing. One
// real process runs the bundled command (what `npm run plan` executes) and its plan must equal the TypeScript
// sources' plan; the other cases call the same main() in-process.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/plan.js";
import { buildClis } from "../scripts/build.mjs";
import { sharedPlan } from "./support/plans.js";

const dir = mkdtempSync(join(tmpdir(), "plan-cli-"));

async function plan(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** A plan without its creation time, the one field two runs differ in. */
function timeless(exported: { deployment: { manifest: Record<string, unknown> } }) {
  return { ...exported, deployment: { ...exported.deployment, manifest: { ...exported.deployment.manifest, time: "" } } };
}

describe("npm run plan", () => {
  it("prints the resource tree and a summary, and writes a stack-export-shaped plan with dependency edges, the sources' plan exactly", async () => {
    const [bundle] = await buildClis();
    const out = join(dir, "prod.json");
    // Asynchronously, so the worker's event loop (and the shared plan below) goes on while the process runs.
    const res = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [bundle!, "--stack", "prod", "--json", out], { encoding: "utf8", maxBuffer: 1 << 26 }, (error, stdout, stderr) =>
        resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^\+ pulumi:pulumi:Stack {2}gumstack-prod$/m);
    expect(res.stdout).toMatch(/├─ \+ gumstack:gke:GkeCluster {2}gke$/m);
    expect(res.stdout).toMatch(/^Resources: \d+ to create, 1 to read$/m);
    expect(res.stdout).toMatch(/^ {2}gcp:container\/nodePool:NodePool +3$/m);
    const exported = JSON.parse(readFileSync(out, "utf8"));
    expect(exported.version).toBe(3);
    const resources = exported.deployment.resources as Array<Record<string, unknown>>;
    for (const r of resources) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["urn", "custom", "type", "inputs", "outputs", "dependencies", "propertyDependencies"]));
    }
    const pool = resources.find((r) => String(r.urn).endsWith("::pool-mcp-pool"))!;
    expect(pool.parent).toMatch(/gumstack:gke:GkeNodePool::pool-mcp$/);
    expect(pool.provider).toMatch(/^urn:pulumi:prod::gumstack::pulumi:providers:gcp::default/);
    expect((pool.dependencies as string[]).some((d) => d.endsWith("::gke-cluster"))).toBe(true);
    // The bundle plans exactly what the TypeScript sources plan: same resources, inputs, outputs, edges, order.
    expect(timeless(exported)).toEqual(timeless(JSON.parse(JSON.stringify(await sharedPlan("prod")))));
    // A whole process and a whole plan: seconds on an idle machine, far more on a loaded one.
  }, 120_000);

  it("exits non-zero with the config error and writes no plan file", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, readFileSync("Pulumi.prod.yaml", "utf8").replace("minNodes: 6", "minNodes: 90"));
    const out = join(dir, "bad.json");
    const res = await plan("--stack", "prod", "--config-file", bad, "--json", out);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("gumstack:nodePools.backend.minNodes: must be <= maxNodes (72) (got 90)");
    expect(existsSync(out)).toBe(false);
  });

  it("explains its usage when --stack is missing", async () => {
    const res = await plan();
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("usage: npm run plan -- --stack <name>");
  });
});
