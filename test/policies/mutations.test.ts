// Every mandatory policy of the pack fails a one-change mutation of each committed stack's plan that opens the
// hole it guards (test/policies/mutations/), and the unchanged plans pass it. A policy with no mutation here is
// a policy nobody has shown can fail: the coverage test refuses it.
import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { policies as packPolicies } from "../../policies/rules/index.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport, type ExportResource } from "../../src/policy/export.js";
import { packConfigFile, packValuesFromOutputs } from "../../src/policy/packConfig.js";
import { readStackFile } from "../../src/plan/stackFile.js";
import { sharedPlan } from "../support/plans.js";
import { clusterMutations } from "./mutations/cluster.js";
import { edgeMutations } from "./mutations/edge.js";
import { gcpMutations } from "./mutations/gcp.js";
import { guardMutations, newGuardRuleMutations } from "./mutations/guard.js";
import { knativeMutations } from "./mutations/knative.js";
import { kubernetesMutations } from "./mutations/kubernetes.js";
import type { Mutation } from "./mutations/mutation.js";
import { netpolMutations } from "./mutations/netpol.js";
import { iamMutations } from "./mutations/iam.js";
import { rbacMutations } from "./mutations/rbac.js";

const MUTATIONS: readonly Mutation[] = [
  ...clusterMutations,
  ...knativeMutations,
  ...guardMutations,
  ...newGuardRuleMutations,
  ...edgeMutations,
  ...kubernetesMutations,
  ...gcpMutations,
  ...netpolMutations,
  ...rbacMutations,
  ...iamMutations,
];

/** The committed stacks and their kind, from the stack files there are (adding or removing one changes nothing here). */
const STACKS = readdirSync(".")
  .map((f) => /^Pulumi\.([a-z0-9-]+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .map((stack) => ({
    stack,
    kind: (readStackFile(`Pulumi.${stack}.yaml`).config["gumstack:kind"] ?? "platform") as "platform" | "enterprise",
  }));

const mandatory = packPolicies.filter((p) => p.enforcementLevel === "mandatory");
const byName = new Map(packPolicies.map((p) => [p.name, p]));

const parsed = new Map<string, Promise<{ resources: ExportResource[]; json: Map<string, string> }>>();

/** The stack's planned resources, parsed once per file run; each caller gets a private copy. */
async function baseline(stack: string): Promise<{ resources: ExportResource[]; json: Map<string, string> }> {
  let p = parsed.get(stack);
  if (!p) {
    p = sharedPlan(stack).then((plan) => {
      const resources = parseExport(JSON.stringify(plan), `${stack} plan`);
      return { resources, json: new Map(resources.map((r) => [r.urn, JSON.stringify(r)])) };
    });
    parsed.set(stack, p);
  }
  return p;
}

async function resources(stack: string): Promise<ExportResource[]> {
  return structuredClone((await baseline(stack)).resources);
}

/**
 * What a resource policy must be run over to judge a mutation: the resources it changed or added (a resource
 * policy sees one resource and its provider, so nothing else can change its findings), with their providers and
 * the Stack. A stack policy sees everything.
 */
async function judged(stack: string, mutated: ExportResource[], policy: string): Promise<ExportResource[]> {
  if (!("validateResource" in byName.get(policy)!)) return mutated;
  const before = (await baseline(stack)).json;
  const changed = mutated.filter((r) => before.get(r.urn) !== JSON.stringify(r));
  // A provider reference is the provider's URN (offline plan) or "<urn>::<id>" (real export).
  const keep = new Set(
    changed.flatMap((r) => [r.urn, ...(r.provider ? [r.provider, r.provider.slice(0, r.provider.lastIndexOf("::"))] : [])]),
  );
  return mutated.filter((r) => keep.has(r.urn) || r.type === "pulumi:pulumi:Stack");
}

/** Runs `names` over `res` with the pack config `npm run policy` derives from the plan (theirs only). */
async function run(res: ExportResource[], names: readonly string[]) {
  const derived = packConfigFile(packValuesFromOutputs(res)!);
  const config = Object.fromEntries(Object.entries(derived).filter(([k]) => names.includes(k)));
  return runPolicyPack(res, { config, policies: names.map((n) => byName.get(n)!) });
}

/** The named policy's mandatory findings over the mutated `res` of `stack`. */
async function judge(stack: string, res: ExportResource[], policy: string): Promise<string[]> {
  const derived = packConfigFile(packValuesFromOutputs(res)!);
  const config = Object.fromEntries(Object.entries(derived).filter(([k]) => k === policy));
  const result = await runPolicyPack(await judged(stack, res, policy), { config, policies: [byName.get(policy)!] });
  return result.diagnostics.filter((d) => d.policy === policy && d.level === "mandatory").map((d) => d.message);
}

describe("policy mutations", () => {
  // The committed stacks' plans, made (or read from another worker's plan) one after the other before any case,
  // with a budget for a loaded machine: a case's own 30 s is then spent judging, not planning (under load the
  // first case of a stack timed out while it planned).
  beforeAll(async () => {
    for (const { stack } of STACKS) await baseline(stack);
  }, 300_000);

  it("cover every mandatory policy of the pack", () => {
    const covered = new Set(MUTATIONS.map((m) => m.policy));
    expect(mandatory.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
    for (const m of MUTATIONS) expect(byName.get(m.policy)?.enforcementLevel, m.policy).toBe("mandatory");
  });

  for (const { stack, kind } of STACKS) {
    describe(`of the ${stack} plan`, () => {
      it("leave the unchanged plan passing every mandatory policy they name", async () => {
        const res = await resources(stack);
        const names = [...new Set(MUTATIONS.map((m) => m.policy))];
        const result = await run(res, names);
        expect(result.diagnostics.filter((d) => d.level === "mandatory")).toEqual([]);
      });
      for (const m of MUTATIONS.filter((m) => !m.kinds || m.kinds.includes(kind))) {
        it(`fail ${m.policy}: ${m.hole}`, async () => {
          const res = await resources(stack);
          expect(m.apply(res), "the mutation changed nothing in this plan").toBeGreaterThan(0);
          const found = await judge(stack, res, m.policy);
          expect(found, `${m.policy} let the hole through`).not.toEqual([]);
          if (m.message) expect(found.join("\n")).toMatch(m.message);
        });
      }
    });
  }
});
