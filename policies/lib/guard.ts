// Whether a namespace is guarded: ValidatingAdmissionPolicies of the stack bound to it, by its immutable name
// label, with validationActions Deny, none failing open. Shared by the MCP and build namespaces' guard rules.
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
