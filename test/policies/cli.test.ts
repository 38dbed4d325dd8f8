// The offline check's command line: `npm run policy -- <file>` and its exit codes (0 no mandatory
// violation, 1 violations, 2 unreadable or malformed input), run in-process through main().
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { policies as packPolicies } from "../../policies/rules/index.js";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/policy.js";
import { golden, type FixtureExport } from "./fixtures/golden.js";
import { change } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "gumstack-policy-"));
const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

function file(name: string, content: FixtureExport | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("npm run policy -- <file>", () => {
  it("exits 0 on a compliant stack", async () => {
    const r = await cli(file("golden.json", golden()));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `^Policy pack gumstack-isolation@v0\\.1\\.0: ${packPolicies.length} policies over \\d+ resources of .*golden\\.json$`,
        "m",
      ),
    );
    expect(r.out).toMatch(/^PASSED: 0 mandatory and 0 advisory violations$/m);
  });

  it("exits 1 and prints policy, resource, message and level for each violation", async () => {
    const e = change(
      change(golden(), "mcp-pool", (p) => (p.nodeConfig.workloadMetadataConfig.mode = "GCE_METADATA")),
      "gke",
      (p) => (p.deletionProtection = false),
    );
    const r = await cli(
      file("bad.json", e),
      "--config",
      file("config.json", JSON.stringify({ "gke-cluster-deletion-protection": "advisory" })),
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      [
        "mandatory  gke-node-pool-gke-metadata  gcp:container/nodePool:NodePool  mcp-pool",
        '           nodeConfig.workloadMetadataConfig.mode is "GCE_METADATA", expected "GKE_METADATA": pods on this pool can read the node service account\'s token from the metadata server',
        "           urn:pulumi:test::gumstack::gcp:container/nodePool:NodePool::mcp-pool",
        "advisory   gke-cluster-deletion-protection  gcp:container/cluster:Cluster  gke",
      ].join("\n"),
    );
    expect(r.out).toMatch(/^FAILED: 1 mandatory and 1 advisory violations \(mandatory violations block `pulumi up`\)$/m);
  });

  it("exits 0 when every violation is advisory", async () => {
    const e = change(golden(), "gke", (p) => (p.deletionProtection = false));
    const r = await cli(
      file("advisory.json", e),
      "--config",
      file("advisory-config.json", JSON.stringify({ "gke-cluster-deletion-protection": "advisory" })),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASSED: 0 mandatory and 1 advisory violation$/m);
  });

  it("--json prints the run for machines", async () => {
    const e = change(golden(), "tls", (p) => (p.minTlsVersion = "TLS_1_1"));
    const r = await cli(file("tls.json", e), "--json");
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.summary).toEqual({ mandatory: 1, advisory: 0, passed: false });
    expect(doc.diagnostics).toEqual([
      {
        policy: "compute-ssl-policy-modern-tls",
        level: "mandatory",
        severity: "high",
        urn: "urn:pulumi:test::gumstack::gcp:compute/sSLPolicy:SSLPolicy::tls",
        description: "SSL policies use the MODERN or RESTRICTED profile with TLS 1.2 or higher.",
        message: "minTlsVersion is TLS_1_1, expected TLS_1_2 or higher",
      },
    ]);
  });

  it.each([
    ["a missing file", () => join(dir, "nope.json"), /^error: .*nope\.json: cannot read \(ENOENT\)$/],
    ["text that is not JSON", () => file("text.json", "resources: []"), /^error: .*text\.json: not valid JSON \(/],
    [
      "a JSON array",
      () => file("array.json", "[]"),
      /the top level must be an object; expected the output of `pulumi stack export` or `npm run plan -- --json <file>`$/,
    ],
    [
      "an old checkpoint",
      () => join(FIXTURES, "checkpoint-v1.json"),
      /checkpoint-v1\.json: version is 1, only version 3 exports are supported/,
    ],
    ["no deployment", () => file("nodeploy.json", JSON.stringify({ version: 3 })), /'deployment' is missing or not an object/],
    [
      "resources that are not a list",
      () => file("notlist.json", JSON.stringify({ version: 3, deployment: { resources: {} } })),
      /deployment\.resources must be a list$/,
    ],
    [
      "a resource without a type",
      () => join(FIXTURES, "bad-resource.json"),
      /bad-resource\.json: deployment\.resources\[1\] \(urn:pulumi:prod::gumstack::gcp:container\/nodePool:NodePool::pool\)\.type must be a resource type token$/,
    ],
  ])("exits 2 with a clear message on %s", async (_what, path, message) => {
    const r = await cli(path());
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(message);
  });

  it("exits 2 on bad arguments or a bad policy config", async () => {
    expect((await cli()).code).toBe(2);
    expect((await cli("a.json", "b.json")).err).toBe("error: give either one plan/export file or --stack <name> (see --help)");
    const bad = await cli(
      file("g2.json", golden()),
      "--config",
      file("badconfig.json", JSON.stringify({ "gke-cluster-typo": "advisory" })),
    );
    expect(bad).toMatchObject({ code: 2, err: "error: policy config names 'gke-cluster-typo', which is not a policy of the pack" });
  });
});
