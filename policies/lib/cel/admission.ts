// The API server's ValidatingAdmissionPolicy admission, simulated over plain manifests: which policies and bindings
// match a request (matchConstraints and the binding's matchResources: namespaceSelector, objectSelector,
// resourceRules with subresources and wildcards, excludeResourceRules, matchPolicy), their matchConditions, their
// variables (lazy: an errored variable is an error only where it is read), their validations, failurePolicy and the
// bindings' validationActions. A request is refused iff a Deny binding's policy refuses it. The pack judges the
// planned guards with it (policies/lib/guard.ts); the sources, k8s.io/apiserver at v1.33:
// - matching: pkg/admission/plugin/policy/generic/policy_matcher.go, pkg/admission/plugin/policy/matching/matching.go,
//   pkg/admission/plugin/webhook/predicates/rules/rules.go (resources "*", "*/*", "<r>/*", "*/<sub>"; scope),
// - evaluation: pkg/admission/plugin/policy/validating/validator.go (a false matchCondition skips the policy, an
//   error goes to failurePolicy; a failed validation refuses with its message; an error refuses unless failurePolicy
//   is Ignore), dispatcher.go (validationActions: only Deny refuses; Warn and Audit report),
// https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
import { selectsPod, type LabelSelectorLike } from "@gumstack/network/netpol-evaluator";
import { EVALUATORS, toCel, type CelEvaluator } from "./evaluators";

type Obj = Record<string, any>;

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}
/** One admission request, as the corpus keeps it. */
export interface AdmissionRequest {
  /** The kind, e.g. Pod, Service (its group and version are the resource's). */
  kind: string;
  resource: GroupVersionResource;
  subResource?: string;
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  namespace: string;
  name?: string;
  object: Obj | null;
  oldObject?: Obj | null;
  userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

/** A ValidatingAdmissionPolicy or binding as planned: its name and spec (plain values). */
export interface Manifest {
  name: string;
  spec: Obj;
}

/** Other versions (and groups) under which the API server serves the same resource, for matchPolicy Equivalent. */
export type Equivalents = (gvr: GroupVersionResource) => readonly GroupVersionResource[];

export interface Refusal {
  policy: string;
  binding: string;
  message: string;
}
export interface Verdict {
  refused: boolean;
  /** Every refusal of a Deny binding, in the order of the policies given. */
  refusals: Refusal[];
  /** Policies whose matchConstraints and binding matched the request (a false matchCondition included). */
  matched: string[];
}

const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function selects(selector: unknown, labels: Record<string, string>): boolean {
  // An absent selector is the empty one, which selects everything; one the API server would refuse selects nothing.
  if (selector === undefined || selector === null) return true;
  if (!isObj(selector)) return false;
  try {
    return selectsPod(selector as LabelSelectorLike, labels);
  } catch {
    return false;
  }
}

/** rules.go Matcher: operations, apiGroups, apiVersions, resources (with subresources) and scope of one rule. */
export function ruleMatches(
  rule: Obj,
  operation: string,
  gvr: GroupVersionResource,
  subResource: string,
  namespaced: boolean,
  name: string,
): boolean {
  const has = (field: string, v: string) => arr(rule[field]).some((x) => x === "*" || x === v);
  if (!has("operations", operation) || !has("apiGroups", gvr.group) || !has("apiVersions", gvr.version)) return false;
  const resources = arr(rule.resources);
  const resourceOk = resources.some((r: unknown) => {
    if (typeof r !== "string") return false;
    const [res, sub = ""] = r.split("/", 2) as [string, string?];
    if (r === "*/*") return true;
    if (res === "*" && r.indexOf("/") < 0) return subResource === "";
    if (res === "*") return sub === subResource;
    if (res !== gvr.resource) return false;
    if (r.indexOf("/") < 0) return subResource === "";
    return sub === "*" || sub === subResource;
  });
  if (!resourceOk) return false;
  const scope = rule.scope ?? "*";
  if (scope !== "*" && scope !== (namespaced ? "Namespaced" : "Cluster")) return false;
  const names = arr(rule.resourceNames);
  return names.length === 0 || names.indexOf(name) >= 0;
}

/**
 * Whether `match` (a policy's matchConstraints, or a binding's matchResources when `binding`) selects the request,
 * and the resource it matched under (the request's own, or an equivalent one under matchPolicy Equivalent).
 */
function matchResources(
  match: unknown,
  req: AdmissionRequest,
  namespaceLabels: Record<string, string>,
  equivalents: Equivalents,
  binding: boolean,
): GroupVersionResource | undefined {
  if (binding && (match === undefined || match === null)) return req.resource;
  if (!isObj(match)) return undefined;
  const namespaced = req.namespace !== "";
  // namespaceSelector: a Namespace is judged by its own labels; a cluster-scoped object by none.
  const nsLabels =
    req.resource.group === "" && req.resource.resource === "namespaces" && req.subResource !== "status"
      ? { ...(req.object ?? req.oldObject ?? {}).metadata?.labels }
      : namespaceLabels;
  if ((namespaced || req.resource.resource === "namespaces") && !selects(match.namespaceSelector, nsLabels)) return undefined;
  // objectSelector: the object's labels or the old object's.
  if (match.objectSelector !== undefined) {
    const l = (o: Obj | null | undefined) => (isObj(o?.metadata?.labels) ? (o!.metadata.labels as Record<string, string>) : {});
    if (!selects(match.objectSelector, l(req.object)) && !(req.oldObject && selects(match.objectSelector, l(req.oldObject))))
      return undefined;
  }
  const sub = req.subResource ?? "";
  const name = req.name ?? req.object?.metadata?.name ?? req.oldObject?.metadata?.name ?? "";
  const matchesRules = (rules: unknown, gvr: GroupVersionResource) =>
    arr(rules).some((r) => isObj(r) && ruleMatches(r, req.operation, gvr, sub, namespaced, name));
  if (matchesRules(match.excludeResourceRules, req.resource)) return undefined;
  // A binding without resourceRules does not narrow the policy's; a policy without any matches nothing.
  if (binding && match.resourceRules === undefined) return req.resource;
  if (matchesRules(match.resourceRules, req.resource)) return req.resource;
  if ((match.matchPolicy ?? "Equivalent") !== "Equivalent") return undefined;
  return equivalents(req.resource).find((gvr) => !matchesRules(match.excludeResourceRules, gvr) && matchesRules(match.resourceRules, gvr));
}

/** An evaluation error (thrown), distinct from a false result. */
class EvalError extends Error {}

const CONTEXT = new WeakMap<AdmissionRequest, Map<CelEvaluator, Obj>>();

/** The request's CEL variables, in the evaluator's own form (converted once per request and evaluator). */
function celContext(req: AdmissionRequest, gvr: GroupVersionResource, ev: CelEvaluator, namespaceLabels: Record<string, string>): Obj {
  let byEv = CONTEXT.get(req);
  if (!byEv) CONTEXT.set(req, (byEv = new Map()));
  const key = `${gvr.group}/${gvr.version}`;
  const cached = byEv.get(ev);
  if (cached && cached.__key === key) return cached.value;
  const request = {
    uid: "corpus",
    kind: { group: gvr.group, version: gvr.version, kind: req.kind },
    resource: gvr,
    subResource: req.subResource ?? "",
    requestKind: { group: req.resource.group, version: req.resource.version, kind: req.kind },
    requestResource: req.resource,
    requestSubResource: req.subResource ?? "",
    name: req.name ?? req.object?.metadata?.name ?? "",
    namespace: req.namespace,
    operation: req.operation,
    userInfo: { groups: [], extra: {}, uid: "", ...req.userInfo },
    dryRun: false,
    options: {},
  };
  const value = ev.prepare(
    toCel({
      object: req.object,
      oldObject: req.oldObject ?? null,
      request,
      params: null,
      namespaceObject: req.namespace ? { metadata: { name: req.namespace, labels: namespaceLabels } } : null,
    }) as Obj,
  );
  byEv.set(ev, { __key: key, value } as Obj);
  return value;
}

/**
 * The verdict of the API server on `req`, given the cluster's policies and bindings and the labels of the request's
 * namespace. `equivalents` lists the resource's other served versions (matchPolicy Equivalent).
 */
export function admit(
  req: AdmissionRequest,
  policies: readonly Manifest[],
  bindings: readonly Manifest[],
  namespaceLabels: Record<string, string>,
  equivalents: Equivalents = () => [],
  ev: CelEvaluator = EVALUATORS[0]!,
  /** Stop at the first refusal (the verdict is known) and skip messageExpressions. */
  verdictOnly = false,
): Verdict {
  const refusals: Refusal[] = [];
  const matched: string[] = [];
  for (const policy of policies) {
    const spec = policy.spec;
    const gvr = matchResources(spec.matchConstraints, req, namespaceLabels, equivalents, false);
    if (!gvr) continue;
    const denyingBindings = bindings.filter(
      (b) =>
        b.spec.policyName === policy.name &&
        matchResources(b.spec.matchResources, { ...req, resource: gvr }, namespaceLabels, () => [], true) !== undefined,
    );
    if (denyingBindings.length === 0) continue;
    matched.push(policy.name);
    const deny = denyingBindings.find((b) => arr(b.spec.validationActions).indexOf("Deny") >= 0);
    const failClosed = (spec.failurePolicy ?? "Fail") !== "Ignore";
    const base = celContext(req, gvr, ev, namespaceLabels);
    const ctx: Obj = { ...base };
    const run = (expression: unknown): unknown => {
      if (typeof expression !== "string") throw new EvalError("expression is not a string");
      try {
        return ev.evaluate(expression, ctx);
      } catch (e) {
        throw new EvalError((e as Error).message.split("\n")[0]);
      }
    };
    const refuse = (message: string) => {
      if (deny) refusals.push({ policy: policy.name, binding: deny.name, message });
    };
    const refusedSoFar = () => verdictOnly && refusals.length > 0;
    // matchConditions: any false skips the policy, whatever the others do; otherwise an error goes to failurePolicy.
    let skip = false;
    let conditionError: string | undefined;
    for (const m of arr(spec.matchConditions)) {
      try {
        const v = run(m?.expression);
        if (v === false) skip = true;
        else if (v !== true) conditionError ??= `matchCondition ${m?.name} is not a bool`;
      } catch (e) {
        conditionError ??= `matchCondition ${m?.name}: ${(e as Error).message}`;
      }
    }
    if (skip) continue;
    if (conditionError) {
      if (failClosed) refuse(`evaluation error: ${conditionError}`);
      if (refusedSoFar()) break;
      continue;
    }
    // Variables are lazy: one that errors is left out, so an expression reading it errors (and one that does not, or
    // short-circuits past it, does not), as the API server's lazy evaluation has it.
    const variables: Obj = {};
    ctx.variables = variables;
    for (const v of arr(spec.variables)) {
      try {
        variables[v.name] = run(v.expression);
      } catch {
        /* unset: an error where read */
      }
    }
    for (const v of arr(spec.validations)) {
      let ok: unknown;
      try {
        ok = run(v?.expression);
        if (typeof ok !== "boolean") throw new EvalError("validation is not a bool");
      } catch (e) {
        if (failClosed) refuse(`evaluation error: ${(e as Error).message}`);
        if (refusedSoFar()) break;
        continue;
      }
      if (ok) continue;
      if (verdictOnly && deny)
        return { refused: true, refusals: [{ policy: policy.name, binding: deny.name, message: String(v.message) }], matched };
      let message = typeof v.message === "string" && v.message !== "" ? v.message : `failed expression: ${v.expression}`;
      if (v.messageExpression !== undefined) {
        try {
          const m = run(v.messageExpression);
          if (typeof m === "string" && m.trim() !== "" && !/[\r\n]/.test(m)) message = m;
        } catch {
          /* the API server falls back to message */
        }
      }
      refuse(message);
    }
    if (refusedSoFar()) break;
  }
  return { refused: refusals.length > 0, refusals, matched };
}
