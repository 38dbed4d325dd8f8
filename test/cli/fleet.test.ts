// `npm run fleet`: every Pulumi.<stack>.yaml planned and checked, a report per stack for CI and customers, and a
// non-zero exit on any violation. Three stacks here: prod as shipped (passes), prod with the cluster's deletion
// protection off (a mandatory violation) and a stack whose config is refused (nothing planned).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main as fleet } from "../../src/cli/fleet.js";
import { main as packConfig } from "../../src/cli/pack-config.js";
import { isolationPolicies } from "../../src/policy/check.js";
import type { StackReport } from "../../src/policy/fleetReport.js";
import { run, type CliResult } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "fleet-"));
const out = join(dir, "reports");
copyFileSync("Pulumi.prod.yaml", join(dir, "Pulumi.prod.yaml"));
writeFileSync(
  join(dir, "Pulumi.nodelete.yaml"),
  readFileSync("Pulumi.prod.yaml", "utf8").replace("deletionProtection: true", "deletionProtection: false"),
);
writeFileSync(
  join(dir, "Pulumi.broken.yaml"),
  readFileSync("Pulumi.prod.yaml", "utf8").replace("gumstack:domain: gumstack.com", "gumstack:domain: Not A Domain"),
);

let result: CliResult;
const report = (stack: string): StackReport => JSON.parse(readFileSync(join(out, `${stack}.json`), "utf8"));
beforeAll(async () => {
  result = await run(fleet, "--dir", dir, "--out", out);
}, 120_000);

describe("npm run fleet", () => {
  it("exits 1 when any stack has a violation or a refused config, and says which", () => {
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^refused {4}broken: 0 resources, 0 mandatory violations: plan of stack 'broken' failed$/m);
    expect(result.out).toMatch(/^violations nodelete: \d+ resources, 1 mandatory violation$/m);
    expect(result.out).toMatch(/^passed {5}prod: \d+ resources, 0 mandatory violations$/m);
    expect(result.out).toMatch(new RegExp(`^FAILED: 1 of 3 stacks passed, \\d+ problem\\(s\\) across stacks; reports in ${out}/$`, "m"));
  });

  it("refuses two stacks in one project, which no single stack's config can see (one Workload Identity pool per project)", () => {
    // nodelete is prod with one flag changed: the same project, and so every project-scoped name twice.
    expect(result.out).toMatch(
      /^refused {4}prod: gumstack:project: "gumstack-prod" is already the project of stack nodelete; give each stack its own project/m,
    );
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).acrossStacks).toContainEqual(
      expect.stringMatching(/^prod: gumstack:project:/),
    );
  });

  it("reports per stack: resources by type, violations, isolation evidence, MCP namespace and outputs", () => {
    const prod = report("prod");
    expect(prod).toMatchObject({ stack: "prod", status: "passed", mcpNamespace: "gumstack-mcp", violations: [] });
    expect(Object.values(prod.resourcesByType).reduce((a, b) => a + b, 0)).toBe(prod.resourceCount);
    expect(prod.resourcesByType["gcp:container/nodePool:NodePool"]).toBe(3);
    // Every isolation policy ran; none failed; every tenant (MCP-namespace) rule judged something and passed.
    expect(prod.isolation.map((e) => e.policy)).toEqual([...isolationPolicies(), "offline-check-mcp-namespace-present"]);
    expect(prod.isolation.filter((e) => e.status === "failed")).toEqual([]);
    const tenantRules = prod.isolation.filter((e) => e.policy.startsWith("k8s-mcp-") || e.policy === "offline-check-mcp-namespace-present");
    expect(tenantRules.length).toBeGreaterThan(12);
    expect(tenantRules.filter((e) => e.status !== "passed" || e.evaluated === 0)).toEqual([]);
    expect(prod.outputs).toMatchObject({ mcpNamespace: "gumstack-mcp", clusterName: "gumstack-prod" });
    expect(prod.outputs.kubectlCommand).toMatch(/--dns-endpoint$/);
    const md = readFileSync(join(out, "prod.md"), "utf8");
    expect(md).toMatch(/^# Stack `prod`: passed$/m);
    expect(md).toMatch(/^\| `k8s-mcp-networkpolicy-isolation` \| [1-9]\d* \| passed \|$/m);
    expect(md).toMatch(/^## Outputs$/m);
  });

  it("names the violation: the cluster's deletion protection", () => {
    const r = report("nodelete");
    expect(r.status).toBe("violations");
    expect(r.violations.map((d) => [d.level, d.policy])).toEqual([["mandatory", "gke-cluster-deletion-protection"]]);
    expect(readFileSync(join(out, "nodelete.md"), "utf8")).toMatch(/^\| mandatory \| `gke-cluster-deletion-protection` \|/m);
  });

  it("keeps the refused stack's config error in its report", () => {
    expect(report("broken")).toMatchObject({ status: "refused", resourceCount: 0 });
    expect(report("broken").error).toContain("gumstack:domain");
  });

  it("writes a summary in Markdown and JSON", () => {
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.passed).toBe(false);
    expect(summary.stacks.map((s: { stack: string; status: string }) => `${s.stack}:${s.status}`)).toEqual([
      "broken:refused",
      "nodelete:violations",
      "prod:passed",
    ]);
    const n = report("prod").isolation.filter((e) => e.status !== "not applicable").length;
    expect(n).toBeGreaterThan(15);
    expect(readFileSync(join(out, "summary.md"), "utf8")).toContain(
      `| [\`prod\`](prod.md) | passed | ${report("prod").resourceCount} | gumstack-mcp | 0 | 0 | ${n}/${n} |`,
    );
  });

  it("pack-config derives from the config exactly what the plan's outputs name (no drift)", async () => {
    const r = await run(packConfig, "--stack", "prod", "--config-file", join(dir, "Pulumi.prod.yaml"));
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.out);
    const outputs = report("prod").outputs as Record<string, string>;
    // The tenant repository's output is tenantRepositoryUrl (registryUrl before the platform-images split).
    const tenant = outputs.tenantRepositoryUrl ?? outputs.registryUrl;
    expect(tenant).toMatch(/^us-west1-docker\.pkg\.dev\/gumstack-prod\/[a-z0-9-]+$/);
    expect(cfg["k8s-mcp-workload-allowed-registries"]).toEqual({ mcpNamespace: outputs.mcpNamespace, allowedRegistries: [`${tenant}/`] });
    expect(cfg["k8s-mcp-networkpolicy-isolation"]).toEqual({
      mcpNamespace: outputs.mcpNamespace,
      knativeNamespace: outputs.knativeNamespace,
    });
    expect(cfg["gke-cluster-deletion-protection"]).toBeUndefined();
  });
});
