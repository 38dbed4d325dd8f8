// The admission guards' content, judged by the pack: the attack corpus (policies/corpus/) runs through the planned
// guards' CEL at check time (policies/lib/guard.ts, policies/lib/cel/). The unchanged prod and enterprise plans
// pass; the one-change mutations that open guard holes are test/policies/mutations/guard.ts.
// The corpus holds every disallowed sample of the policy modules' own suites.
import { describe, expect, it } from "vitest";
import { admissionGuardManifests } from "../../components/kubernetes/admissionPolicies.js";
import { buildAdmissionManifests, imagePathPrefixOf } from "../../components/kubernetes/buildAdmissionPolicies.js";
import type { Corpus } from "../../policies/lib/guard.js";
import { policies as packPolicies } from "../../policies/rules/index.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { checkStack } from "../../src/policy/check.js";
import { renderStackMarkdown, stackReport } from "../../src/policy/fleetReport.js";
import { parseExport, type ExportResource } from "../../src/policy/export.js";
import { packConfigFile, packValuesFromOutputs } from "../../src/policy/packConfig.js";
import { sharedPlan } from "../support/plans.js";
import mcpCorpus from "../../policies/corpus/mcp.json" with { type: "json" };
import buildCorpus from "../../policies/corpus/build.json" with { type: "json" };

const MCP = "k8s-mcp-admission-guard-bound";
const BUILD = "k8s-build-admission-guard-bound";

const parsed = new Map<string, Promise<ExportResource[]>>();
async function resources(stack: string): Promise<ExportResource[]> {
  let p = parsed.get(stack);
  if (!p) parsed.set(stack, (p = sharedPlan(stack).then((plan) => parseExport(JSON.stringify(plan), `${stack} plan`))));
  return structuredClone(await p);
}

/** The named rules' mandatory findings over `res`, with the pack config `npm run policy` derives. */
async function judge(res: ExportResource[], names: readonly string[] = [MCP, BUILD]): Promise<{ policy: string; message: string }[]> {
  const derived = packConfigFile(packValuesFromOutputs(res)!);
  const config = Object.fromEntries(Object.entries(derived).filter(([k]) => names.includes(k)));
  const run = await runPolicyPack(res, { config, policies: packPolicies.filter((p) => names.includes(p.name)) });
  return run.diagnostics.filter((d) => d.level === "mandatory").map((d) => ({ policy: d.policy, message: d.message }));
}

describe("the admission guards' corpus", () => {
  const corpora: [string, Corpus][] = [
    ["mcp", mcpCorpus as unknown as Corpus],
    ["build", buildCorpus as unknown as Corpus],
  ];
  it("has unique case ids, both verdicts, and each case's request complete", () => {
    for (const [guard, corpus] of corpora) {
      const ids = corpus.cases.map((c) => c.id);
      expect(new Set(ids).size, guard).toBe(ids.length);
      expect(corpus.cases.filter((c) => c.expect === "allow").length, guard).toBeGreaterThan(0);
      for (const c of corpus.cases) {
        expect(["allow", "deny"], c.id).toContain(c.expect);
        expect(c.request.userInfo.username, c.id).toMatch(/^system:serviceaccount:/);
        expect(["CREATE", "UPDATE"], c.id).toContain(c.request.operation);
        if (c.request.operation === "UPDATE") expect(c.request.oldObject, c.id).toBeTruthy();
      }
    }
  });

  it("covers every kind, operation and subresource the guards judge", () => {
    const covered = (corpus: Corpus) =>
      new Set(
        corpus.cases
          .filter((c) => c.expect === "deny")
          .map((c) => `${c.request.resource.resource}${c.request.subResource ? `/${c.request.subResource}` : ""} ${c.request.operation}`),
      );
    const mcp = covered(corpora[0]![1]);
    for (const r of [
      "services",
      "configurations",
      "revisions",
      "deployments",
      "replicasets",
      "pods",
      "cronjobs",
      "domainmappings",
      "namespaces",
    ])
      for (const op of r === "namespaces" ? ["UPDATE"] : ["CREATE", "UPDATE"]) expect([...mcp], `${r} ${op}`).toContain(`${r} ${op}`);
    expect([...mcp]).toContain("pods/ephemeralcontainers UPDATE");
    expect([...mcp]).toContain("pods/resize UPDATE");
    const build = covered(corpora[1]![1]);
    for (const r of ["jobs", "pods"]) for (const op of ["CREATE", "UPDATE"]) expect([...build]).toContain(`${r} ${op}`);
    expect([...build]).toContain("pods/ephemeralcontainers UPDATE");
  });

  // Disallowed samples: an allowed one is compliant for its own policy only (a partial object), so it is no baseline.
  it("holds every disallowed sample of the policy modules' suites (regenerate with npx tsx policies/corpus/generate.ts)", () => {
    const mcpDefs = admissionGuardManifests({
      tenantImageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
      domain: "gumstack.com",
    }).definitions;
    const buildDefs = buildAdmissionManifests({
      builderImagePrefix: imagePathPrefixOf(
        `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"a".repeat(64)}`,
      ),
    }).definitions;
    const slug = (s: string) =>
      s
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "");
    for (const [guard, defs] of [
      ["mcp", mcpDefs],
      ["build", buildDefs],
    ] as const) {
      const ids = new Set(corpora.find(([g]) => g === guard)![1].cases.map((c) => c.id));
      const missing: string[] = [];
      for (const d of defs as readonly any[]) {
        const suite = d.suite as { allowed: any[]; disallowed: any[] } | undefined;
        if (!suite) continue;
        for (const s of suite.disallowed)
          if (!ids.has(`${guard}/suite/${d.id}/deny/${slug(s.name)}`)) missing.push(`${d.id} disallowed: ${s.name}`);
      }
      expect(missing, guard).toEqual([]);
    }
  });
});

for (const stack of ["prod", "enterprise"]) {
  describe(`the guards of the ${stack} plan, judged by their corpus`, () => {
    it("pass unchanged: every attack refused, every baseline admitted", async () => {
      expect(await judge(await resources(stack))).toEqual([]);
    }, 120_000);
  });
}

describe("the fleet report", () => {
  it("shows what the MCP guard's rule judged: the corpus's requests, attacks and refusals, not only 'passed'", async () => {
    const res = await resources("prod");
    const report = stackReport("prod", res, await checkStack(res, "prod plan"));
    const guard = report.isolation.find((e) => e.policy === MCP)!;
    const corpus = mcpCorpus as unknown as Corpus;
    const attacks = corpus.cases.filter((c) => c.expect === "deny").length;
    expect(guard).toEqual({
      policy: MCP,
      evaluated: 1,
      status: "passed",
      corpus: { cases: corpus.cases.length, attacks, refused: attacks },
    });
    expect(renderStackMarkdown(report)).toContain(
      `| \`${MCP}\` | 1 (corpus: ${corpus.cases.length} requests, ${attacks} attacks, ${attacks} refused) | passed |`,
    );
  }, 120_000);
});
