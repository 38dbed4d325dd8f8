// The admission guards' content, judged by the pack: the attack corpus (policies/corpus/) runs through the planned
// guards' CEL at check time (policies/lib/guard.ts, policies/lib/cel/). The unchanged prod and enterprise plans
// pass; each one-change mutation of a plan that opens a guard hole fails the guard's rule, naming a corpus case.
// The corpus holds every sample of the policy modules' own suites.
import { describe, expect, it } from "vitest";
import { admissionGuardManifests } from "../../components/kubernetes/admissionPolicies.js";
import { buildAdmissionManifests, imagePathPrefixOf } from "../../components/kubernetes/buildAdmissionPolicies.js";
import type { Corpus } from "../../policies/lib/guard.js";
import { policies as packPolicies } from "../../policies/rules/index.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport, type ExportResource } from "../../src/policy/export.js";
import { packConfigFile, packValuesFromOutputs } from "../../src/policy/packConfig.js";
import { sharedPlan } from "../support/plans.js";
import mcpCorpus from "../../policies/corpus/mcp.json" with { type: "json" };
import buildCorpus from "../../policies/corpus/build.json" with { type: "json" };

const MCP = "k8s-mcp-admission-guard-bound";
const BUILD = "k8s-build-admission-guard-bound";
const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
type Props = Record<string, any>;

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

/** Applies `fn` to inputs and outputs of every resource of `type` named `name` (metadata.name); returns how many. */
function edit(res: ExportResource[], type: string, name: string, fn: (p: Props) => void): number {
  let n = 0;
  for (const r of res) {
    if (r.type !== type || (r.inputs as Props).metadata?.name !== name) continue;
    fn(r.inputs as Props);
    if (r.outputs && Object.keys(r.outputs).length > 0) fn(r.outputs as Props);
    n++;
  }
  return n;
}
const remove = (res: ExportResource[], type: string, name: string): number => {
  const before = res.length;
  res.splice(0, res.length, ...res.filter((r) => !(r.type === type && (r.inputs as Props).metadata?.name === name)));
  return before - res.length;
};

interface GuardMutation {
  hole: string;
  policy: string;
  apply: (res: ExportResource[]) => number;
  /** A corpus case id (or part of one) the rule must name. */
  names: RegExp;
}
const BACKEND = "system:serviceaccount:gumstack-backend:backend";
const GUARD_MUTATIONS: GuardMutation[] = [
  {
    hole: "a sandbox validation replaced by true (runtime class no longer judged)",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-sandbox", (p) => {
        for (const v of p.spec.validations) if (/runtimeClassName/.test(v.message)) v.expression = "true";
      }),
    names: /corpus case mcp\/\w+\/create\/runtimeclassname-runc \(attack sandbox\.runtime-class\) admitted/,
  },
  {
    hole: "every validation of the images policy vacuous",
    policy: MCP,
    apply: (res) => edit(res, VAP, "gumstack-mcp-images", (p) => p.spec.validations.forEach((v: Props) => (v.expression = "true"))),
    names: /attack images\.other-tenant\) admitted/,
  },
  {
    hole: "a matchCondition that exempts the backend's requests from the secrets policy",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-secrets", (p) =>
        p.spec.matchConditions.push({ name: "not-backend", expression: `request.userInfo.username != '${BACKEND}'` }),
      ),
    names: /corpus case mcp\/Service\/create\/another-tenant-s-secret-by-secretkeyref \(attack secrets\.other-tenant\) admitted/,
  },
  {
    hole: "a matchCondition that exempts Knative's controller (by group) from the sandbox policy",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-sandbox", (p) =>
        p.spec.matchConditions.push({
          name: "not-knative",
          expression: `!("system:serviceaccounts:knative-serving" in request.userInfo.groups)`,
        }),
      ),
    names: /corpus case mcp\/(Revision|Configuration|Deployment)\/create\/runtimeclassname-runc/,
  },
  {
    hole: "the sandbox policy's rules no longer match pods",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-sandbox", (p) => {
        for (const r of p.spec.matchConstraints.resourceRules) r.resources = r.resources.filter((x: string) => x !== "pods");
      }),
    names: /corpus case mcp\/Pod\/create\/hostnetwork \(attack sandbox\.host-namespaces\) admitted/,
  },
  {
    hole: "the images policy's rules no longer match Knative Services",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-images", (p) => {
        for (const r of p.spec.matchConstraints.resourceRules)
          if (r.apiGroups.includes("serving.knative.dev")) r.resources = r.resources.filter((x: string) => x !== "services");
      }),
    names: /corpus case mcp\/Service\/create\/another-tenant-s-image/,
  },
  {
    hole: "the images policy no longer judges pods/ephemeralcontainers",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-images", (p) => {
        for (const r of p.spec.matchConstraints.resourceRules)
          r.resources = r.resources.filter((x: string) => x !== "pods/ephemeralcontainers");
      }),
    names: /corpus case mcp\/Pod\/ephemeralcontainers\/an-ephemeral-container-from-docker-io/,
  },
  {
    hole: "the resources policy no longer judges pods/resize",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-resources", (p) => {
        for (const r of p.spec.matchConstraints.resourceRules) r.resources = r.resources.filter((x: string) => x !== "pods/resize");
      }),
    names: /corpus case mcp\/Pod\/resize\/cpu-beyond-the-pod-bound/,
  },
  {
    hole: "the DomainMapping policy matches v1beta1 only, exactly (v1alpha1 requests unjudged)",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-domain-mappings", (p) => {
        p.spec.matchConstraints.matchPolicy = "Exact";
        for (const r of p.spec.matchConstraints.resourceRules) r.apiVersions = ["v1beta1"];
      }),
    names: /corpus case mcp\/DomainMapping\/v1alpha1\/create\/a-host-outside-the-domain/,
  },
  {
    hole: "the sandbox binding only warns",
    policy: MCP,
    apply: (res) => edit(res, BINDING, "gumstack-mcp-sandbox", (p) => (p.spec.validationActions = ["Warn"])),
    names: /\(attack sandbox\.[a-z-]+\) admitted/,
  },
  {
    hole: "the tenant binding selects another namespace",
    policy: MCP,
    apply: (res) =>
      edit(
        res,
        BINDING,
        "gumstack-mcp-tenant",
        (p) => (p.spec.matchResources.namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": "default" } }),
      ),
    names: /attack tenant\.missing\) admitted/,
  },
  {
    hole: "failurePolicy Ignore on the secrets policy, whose first validation errors",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, "gumstack-mcp-secrets", (p) => {
        p.spec.failurePolicy = "Ignore";
        // CEL's || absorbs an error when the other side is true: baselines still pass, attacks error.
        for (const v of p.spec.validations) v.expression = `object.spec.noSuchField.x == 1 || (${v.expression})`;
      }),
    names: /attack secrets\.other-tenant\) admitted/,
  },
  {
    hole: "the build guard's workloads policy (nothing but Jobs and their Pods) removed",
    policy: BUILD,
    apply: (res) => remove(res, VAP, "gumstack-build-workloads") + remove(res, BINDING, "gumstack-build-workloads"),
    names: /corpus case build\/(Deployment|ReplicaSet|CronJob|Service)\/create\/another-workload-kind \(attack workloads\) admitted/,
  },
  {
    hole: "the build pod policy no longer matches pods",
    policy: BUILD,
    apply: (res) =>
      edit(res, VAP, "gumstack-build-pod", (p) => {
        for (const r of p.spec.matchConstraints.resourceRules) r.resources = r.resources.filter((x: string) => x !== "pods");
      }),
    names: /corpus case build\/Pod\/create\/no-gvisor/,
  },
  {
    hole: "the build Job policy's validations vacuous",
    policy: BUILD,
    apply: (res) => edit(res, VAP, "gumstack-build-job", (p) => p.spec.validations.forEach((v: Props) => (v.expression = "true"))),
    names: /corpus case build\/Job\/create\/(retries|no-ttl|no-job-deadline)/,
  },
  {
    hole: "a build binding exempting the backend by username",
    policy: BUILD,
    apply: (res) =>
      edit(res, VAP, "gumstack-build-contract", (p) =>
        p.spec.matchConditions.push({ name: "trusted", expression: `request.userInfo.username != '${BACKEND}'` }),
      ),
    names: /corpus case build\/Job\/create\/a-push-to-another-tenant/,
  },
  {
    hole: "a refusal of the compliant build Job (a guard that refuses everything is no guard either)",
    policy: BUILD,
    apply: (res) =>
      edit(res, VAP, "gumstack-build-job", (p) => p.spec.validations.push({ expression: "false", message: "no", reason: "Forbidden" })),
    names: /corpus case build\/Job\/create\/baseline \(a compliant request\) refused/,
  },
];

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

  it("holds every sample of the policy modules' suites (regenerate with npx tsx policies/corpus/generate.ts)", () => {
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
        for (const s of suite.allowed)
          if (!ids.has(`${guard}/suite/${d.id}/allow/${slug(s.name)}`)) missing.push(`${d.id} allowed: ${s.name}`);
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
    for (const m of GUARD_MUTATIONS) {
      it(`fail ${m.policy}: ${m.hole}`, async () => {
        const res = await resources(stack);
        expect(m.apply(res), "the mutation changed nothing").toBeGreaterThan(0);
        const found = (await judge(res, [m.policy])).filter((f) => f.policy === m.policy).map((f) => f.message);
        expect(found, `${m.policy} let the hole through`).not.toEqual([]);
        expect(found.join("\n")).toMatch(m.names);
      }, 120_000);
    }
  });
}
