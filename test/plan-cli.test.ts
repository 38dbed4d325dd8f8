// `npm run plan` as a user runs it (in-process through main()): the tree, the summary and the Outputs section,
// the export file, and failures that write nothing.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/plan.js";
import { run } from "./cli/support.js";

const dir = mkdtempSync(join(tmpdir(), "plan-cli-"));

describe("npm run plan", () => {
  it("prints the resource tree, a summary and the outputs, and writes a stack-export-shaped plan with dependency edges", async () => {
    const out = join(dir, "prod.json");
    const res = await run(main, "--stack", "prod", "--json", out);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/^\+ pulumi:pulumi:Stack {2}gumstack-prod$/m);
    expect(res.out).toMatch(/├─ \+ gumstack:gke:GkeCluster {2}gke$/m);
    expect(res.out).toMatch(/^Resources: \d+ to create, 1 to read$/m);
    expect(res.out).toMatch(/^ {2}gcp:container\/nodePool:NodePool +3$/m);
    // The operator's next steps, from the Outputs section.
    expect(res.out).toMatch(/^Outputs:$/m);
    expect(res.out).toContain(
      "  kubectlCommand: gcloud container clusters get-credentials gumstack-prod --region us-west1 --project gumstack-prod --dns-endpoint\n",
    );
    expect(res.out).toContain("  registryLoginCommand: gcloud auth configure-docker us-west1-docker.pkg.dev\n");
    expect(res.out).toMatch(/^ {2}certificateName: \S+$/m);
    expect(res.out).toMatch(/^ {2}dnsAuthorizationName: \S+$/m);
    expect(res.out).toMatch(/^ {2}mcpNamespace: gumstack-mcp$/m);
    // Every `pulumi stack output <name> --stack prod` the README tells an operator to run names a real output.
    const named = [...readFileSync("README.md", "utf8").matchAll(/pulumi stack output (\w+) --stack prod/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(2);
    for (const n of named) expect(res.out).toMatch(new RegExp(`^  ${n}: `, "m"));
    expect(res.out).toMatch(/^Quota \(us-west1, node pools at min-max nodes\): N2_CPUS 64-736, /m);
    const exported = JSON.parse(readFileSync(out, "utf8"));
    expect(exported.version).toBe(3);
    const resources = exported.deployment.resources as Array<Record<string, unknown>>;
    for (const r of resources) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(["urn", "custom", "type", "inputs", "outputs", "dependencies", "propertyDependencies"]),
      );
    }
    const pool = resources.find((r) => String(r.urn).endsWith("::pool-mcp-pool"))!;
    expect(pool.parent).toMatch(/gumstack:gke:GkeNodePool::pool-mcp$/);
    expect(pool.provider).toMatch(/^urn:pulumi:prod::gumstack::pulumi:providers:gcp::default/);
    expect((pool.dependencies as string[]).some((d) => d.endsWith("::gke-cluster"))).toBe(true);
    // The ClickHouse password never appears in plain text, in the file or on screen.
    expect(readFileSync(out, "utf8")).not.toContain("offline-plan-secret-placeholder");
    expect(res.out).not.toContain("offline-plan-secret-placeholder");
  });

  it("exits 1 with the config error and writes no plan file", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, readFileSync("Pulumi.prod.yaml", "utf8").replace("minNodes: 6", "minNodes: 90"));
    const out = join(dir, "bad.json");
    const res = await run(main, "--stack", "prod", "--config-file", bad, "--json", out);
    expect(res.code).toBe(1);
    expect(res.err).toContain("gumstack:nodePools.backend.minNodes: must be <= maxNodes (72) (got 90)");
    expect(existsSync(out)).toBe(false);
  });

  it("a --json path it cannot write is one line (exit 2), not a stack trace", async () => {
    const res = await run(main, "--stack", "enterprise", "--quiet", "--json", join(dir, "no-such-dir", "plan.json"));
    expect(res.code).toBe(2);
    expect(res.err).toBe(`error: cannot write ${join(dir, "no-such-dir", "plan.json")}: ENOENT`);
  });

  it("explains its usage when --stack is missing", async () => {
    const res = await run(main);
    expect(res.code).toBe(2);
    expect(res.err).toBe("error: --stack is required (see --help)");
  });
});
