// Whether a namespace is guarded: ValidatingAdmissionPolicies of the stack bound to it, by its immutable name
// label, with validationActions Deny, none failing open. Shared by the MCP and build namespaces' guard rules.
import { admit, type AdmissionRequest, type GroupVersionResource, type Manifest, type Verdict } from "./cel/admission";
import { EVALUATORS } from "./cel/evaluators";
import { objectName } from "./mcp";
import { selectsPod, type LabelSelectorLike } from "@gumstack/network/netpol-evaluator";
import type { StackContext, StackResource } from "./policy";
import { asArray, at, isObject, UNKNOWN } from "./props";
import { K8S_NAMESPACE, K8S_VAP, K8S_VAP_BINDING } from "./types";

export const NAME_LABEL = "kubernetes.io/metadata.name";

/** Whether a namespaceSelector selects namespace `ns`, and does so by its immutable name label. */
export function selectsByName(selector: unknown, ns: string, labels: Record<string, string>): boolean {
  if (!isObject(selector)) return false;
  const keys = [
    ...Object.keys(isObject(selector.matchLabels) ? selector.matchLabels : {}),
    ...asArray(selector.matchExpressions).map((e) => at(e, "key")),
  ];
  if (keys.indexOf(NAME_LABEL) < 0) return false;
  try {
    return selectsPod(selector as LabelSelectorLike, { ...labels, [NAME_LABEL]: ns });
  } catch {
    return false; // a selector the API server would reject selects nothing
  }
}

/** The guarded namespace, and the Deny-bound policies that guard it (empty when the namespace is absent). */
export interface GuardRead {
  readonly namespace?: StackResource;
  readonly guarding: readonly StackResource[];
}

/**
 * Reports every binding that selects `ns` without Deny or without a policy of the stack, every policy aimed at
 * `ns` that no Deny binding binds, every policy that fails open (of the namespace, or any, as `failOpen` says),
 * and the namespace itself when nothing guards it.
 */
export function checkGuardBound(
  ctx: StackContext,
  ns: string,
  failOpen: "any policy" | "this namespace's" = "this namespace's",
): GuardRead {
  const { resources, report } = ctx;
  const nsRes = resources.find((r) => r.type === K8S_NAMESPACE && at(r.props, "metadata.name") === ns);
  if (!nsRes) return { guarding: [] };
  const nsLabels = at(nsRes.props, "metadata.labels");
  const labels: Record<string, string> = isObject(nsLabels) ? (nsLabels as Record<string, string>) : {};
  const policies = resources.filter((r) => r.type === K8S_VAP);
  const bindings = resources.filter((r) => r.type === K8S_VAP_BINDING);

  // The binding names its policy by the policy's name output: by name when known, else by dependency edge.
  const boundPolicy = (b: StackResource): StackResource | undefined => {
    const name = at(b.props, "spec.policyName");
    if (name === UNKNOWN) return policies.find((p) => b.dependsOn.indexOf(p.urn) >= 0);
    return policies.find((p) => objectName(p.props, p.name) === name);
  };
  const guarded = new Map<string, StackResource>();
  for (const b of bindings) {
    const selector = at(b.props, "spec.matchResources.namespaceSelector");
    if (!selectsByName(selector, ns, labels)) continue;
    const actions = asArray(at(b.props, "spec.validationActions"));
    const policy = boundPolicy(b);
    const bName = objectName(b.props, b.name);
    if (actions.indexOf("Deny") < 0) {
      report(
        `ValidatingAdmissionPolicyBinding ${bName} selects ${ns} but its validationActions ${JSON.stringify(actions)} lack "Deny": violations are only reported`,
        b.urn,
      );
    } else if (!policy) {
      report(
        `ValidatingAdmissionPolicyBinding ${bName} selects ${ns} but binds no ValidatingAdmissionPolicy of this stack (spec.policyName ${JSON.stringify(at(b.props, "spec.policyName") ?? null)})`,
        b.urn,
      );
    } else {
      guarded.set(policy.urn, policy);
    }
  }
  for (const p of policies) {
    const pName = objectName(p.props, p.name);
    const aimed = selectsByName(at(p.props, "spec.matchConstraints.namespaceSelector"), ns, labels);
    // A policy written for the namespace but bound by no Deny binding is an inert part of the guard.
    if (!guarded.has(p.urn) && aimed) {
      report(`ValidatingAdmissionPolicy ${pName} targets ${ns} but no binding with validationActions Deny binds it to ${ns}`, p.urn);
    }
    if ((failOpen === "any policy" || aimed || guarded.has(p.urn)) && at(p.props, "spec.failurePolicy") === "Ignore") {
      report(`ValidatingAdmissionPolicy ${pName} has failurePolicy Ignore: the guard would let requests through whenever it fails`, p.urn);
    }
  }
  if (guarded.size === 0) {
    report(
      `namespace ${ns} has no admission guard: no ValidatingAdmissionPolicyBinding with validationActions Deny selects it by ${NAME_LABEL} and binds a ValidatingAdmissionPolicy of this stack`,
      nsRes.urn,
    );
  }
  return { namespace: nsRes, guarding: [...guarded.values()] };
}

/** Whether a policy's matchConstraints judge CREATE of `resource` in API group `group`. */
export function judgesCreate(policy: StackResource, group: string, resource: string): boolean {
  return asArray(at(policy.props, "spec.matchConstraints.resourceRules")).some((r) => {
    const has = (field: string, v: string) => asArray(at(r, field)).some((x) => x === v || x === "*");
    return has("apiGroups", group) && has("resources", resource) && has("operations", "CREATE");
  });
}

// ---- the guard's content: the attack corpus, judged through the planned policies ----

/** One case of a corpus (policies/corpus/*.json): an admission request and the verdict the guard must give. */
export interface CorpusCase {
  readonly id: string;
  /** The attack class (README's guard section), or "baseline" for a compliant request. */
  readonly class: string;
  readonly expect: "allow" | "deny";
  readonly request: AdmissionRequest;
}
export interface Corpus {
  readonly cases: readonly CorpusCase[];
  /** Groups of resources the API server serves as one (matchPolicy Equivalent). */
  readonly equivalents: readonly (readonly GroupVersionResource[])[];
}

/** The stack's values a corpus's placeholders (`${name}`) stand for. */
export type CorpusParameters = Readonly<Record<string, string>>;

// Static requires: the CLIs' bundle (esbuild) inlines the files, ts-node and the tests read them from policies/corpus/.
// (An import would need resolveJsonModule, which ts-node's settings for the pack lack.)
const CORPUS_FILES: Record<"mcp" | "build", () => unknown> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mcp: () => require("../corpus/mcp.json"),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  build: () => require("../corpus/build.json"),
};

/** A copy of `v` with every `${name}` in its strings replaced by `parameters[name]`. */
function fill(v: unknown, parameters: CorpusParameters, guard: string): unknown {
  if (typeof v === "string")
    return v.indexOf("${") < 0
      ? v
      : v.replace(/\$\{([A-Za-z]+)\}/g, (m, name: string) => {
          const p = parameters[name];
          if (p === undefined) throw new Error(`corpus ${guard}: no value for the placeholder ${m}`);
          return p;
        });
  if (Array.isArray(v)) return v.map((x) => fill(x, parameters, guard));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = fill((v as Record<string, unknown>)[k], parameters, guard);
    return out;
  }
  return v;
}

/** A guard's corpus with its placeholders filled with the stack's values (a fresh copy per call). */
export function loadCorpus(guard: "mcp" | "build", parameters: CorpusParameters): Corpus {
  return fill(CORPUS_FILES[guard](), parameters, guard) as Corpus;
}

export interface CorpusRun {
  readonly guard: string;
  readonly cases: number;
  readonly refused: number;
  readonly attacks: number;
  /** Cases whose verdict differs from the expected one (or on which the evaluators disagree). */
  readonly failures: readonly { id: string; class: string; why: string }[];
}

/** The planned ValidatingAdmissionPolicies and bindings, as plain manifests named as the cluster names them. */
export function plannedAdmission(resources: readonly StackResource[]): { policies: Manifest[]; bindings: Manifest[] } {
  const manifest = (r: StackResource): Manifest => ({
    name: objectName(r.props, r.name),
    spec: (isObject(r.props.spec) ? r.props.spec : {}) as Record<string, any>,
  });
  const policies = resources.filter((r) => r.type === K8S_VAP).map(manifest);
  const bindings = resources
    .filter((r) => r.type === K8S_VAP_BINDING)
    .map((b) => {
      const m = manifest(b);
      // A binding whose policyName is an unknown output names its policy by its dependency edge.
      if (at(b.props, "spec.policyName") === UNKNOWN) {
        const p = resources.find((r) => r.type === K8S_VAP && b.dependsOn.indexOf(r.urn) >= 0);
        if (p) m.spec = { ...m.spec, policyName: objectName(p.props, p.name) };
      }
      return m;
    });
  return { policies, bindings };
}

/**
 * Runs every case of `corpus` through the planned policies, with both evaluators, as the API server would admit
 * it in a namespace labelled `namespaceLabels`. A case fails when an attack is admitted, a baseline refused, or
 * the two evaluators disagree.
 */
export function runCorpus(
  guard: string,
  corpus: Corpus,
  planned: { policies: readonly Manifest[]; bindings: readonly Manifest[] },
  namespaceLabels: Record<string, string>,
): CorpusRun {
  const groups = corpus.equivalents;
  const equivalents = (gvr: GroupVersionResource) =>
    groups
      .filter((g) => g.some((x) => x.group === gvr.group && x.version === gvr.version && x.resource === gvr.resource))
      .flat()
      .filter((x) => x.version !== gvr.version || x.group !== gvr.group);
  const failures: { id: string; class: string; why: string }[] = [];
  let refused = 0;
  for (const c of corpus.cases) {
    // The verdict alone (first refusal), with both evaluators; a baseline refused is judged again for its messages.
    const verdicts = EVALUATORS.map((ev) => admit(c.request, planned.policies, planned.bindings, namespaceLabels, equivalents, ev, true));
    const [a, b] = verdicts as [Verdict, Verdict];
    if (a.refused) refused++;
    if (a.refused !== b.refused) {
      failures.push({
        id: c.id,
        class: c.class,
        why: `the two CEL evaluators disagree (${EVALUATORS[0]!.name} ${a.refused ? "refuses" : "admits"}, ${EVALUATORS[1]!.name} ${b.refused ? "refuses" : "admits"})`,
      });
    } else if (c.expect === "deny" && !a.refused) {
      failures.push({ id: c.id, class: c.class, why: `admitted (policies matched: ${a.matched.join(", ") || "none"})` });
    } else if (c.expect === "allow" && a.refused) {
      const full = admit(c.request, planned.policies, planned.bindings, namespaceLabels, equivalents, EVALUATORS[0], false);
      failures.push({
        id: c.id,
        class: c.class,
        why: `refused: ${full.refusals
          .map((r) => `${r.policy}: ${r.message}`)
          .join("; ")
          .slice(0, 300)}`,
      });
    }
  }
  return { guard, cases: corpus.cases.length, refused, attacks: corpus.cases.filter((c) => c.expect === "deny").length, failures };
}

/** The corpus's placeholders from the Stack's outputs (what the program exports), else from the pack config. */
export function corpusParameters(ctx: StackContext): { parameters?: CorpusParameters; missing?: string } {
  const stack = ctx.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const out = (k: string): string | undefined => {
    const v = stack ? at(stack.props, k) : undefined;
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const registry =
    ctx.config.allowedRegistries.length === 1 && ctx.config.allowedRegistries[0]!.indexOf("*") < 0
      ? ctx.config.allowedRegistries[0]!.replace(/\/+$/, "")
      : undefined;
  const tenantRepository = out("tenantRepositoryUrl") ?? registry;
  const pattern = out("mcpServerUrlPattern");
  const domain = pattern && /^https:\/\/<server>\.(.+)$/.exec(pattern)?.[1];
  if (!tenantRepository)
    return { missing: "the tenant MCP repository (stack output tenantRepositoryUrl, or a single allowedRegistries prefix)" };
  if (!domain) return { missing: "the MCP servers' domain (stack output mcpServerUrlPattern, https://<server>.<domain>)" };
  return {
    parameters: {
      mcpNamespace: ctx.config.mcpNamespace,
      buildNamespace: ctx.config.buildNamespace,
      tenantRepository,
      platformImagesRepository: out("platformImagesRepository") ?? ctx.config.platformImagesRepository,
      domain,
    },
  };
}

/** Failures listed one violation each, up to this many per guard; the rest in one line. */
export const LISTED_FAILURES = 40;

/** The corpus runs of the last checks, by stack URN and guard: the fleet report's evidence. */
export const CORPUS_EVIDENCE = new Map<string, CorpusRun>();

/**
 * Judges the planned guard's content: every case of the guard's corpus, through the plan's policies and bindings
 * as the API server would admit it in namespace `ns`. Reports each attack admitted and each baseline refused.
 */
export function judgeGuardContent(ctx: StackContext, guard: "mcp" | "build", ns: string, read: GuardRead): CorpusRun | undefined {
  const { parameters, missing } = corpusParameters(ctx);
  const urn = read.namespace?.urn;
  if (!parameters) {
    ctx.report(`cannot judge the ${guard} admission guard's content: the plan does not say ${missing}`, urn);
    return undefined;
  }
  const nsLabels = read.namespace ? at(read.namespace.props, "metadata.labels") : undefined;
  const labels = { ...(isObject(nsLabels) ? (nsLabels as Record<string, string>) : {}), [NAME_LABEL]: ns };
  const run = runCorpus(guard, loadCorpus(guard, parameters), plannedAdmission(ctx.resources), labels);
  const stack = ctx.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  CORPUS_EVIDENCE.set(`${stack?.urn ?? ""}#${guard}`, run);
  for (const f of run.failures.slice(0, LISTED_FAILURES)) {
    ctx.report(
      f.class === "baseline"
        ? `corpus case ${f.id} (a compliant request) ${f.why}: the guard refuses what the platform itself creates`
        : `corpus case ${f.id} (attack ${f.class}) ${f.why}: the guard in ${ns} lets it through`,
      urn,
    );
  }
  if (run.failures.length > LISTED_FAILURES) {
    ctx.report(`${run.failures.length - LISTED_FAILURES} more corpus cases of the ${guard} guard failed (of ${run.cases})`, urn);
  }
  return run;
}
