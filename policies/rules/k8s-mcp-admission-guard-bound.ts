import { configSchema } from "../config";
import { objectName } from "../lib/mcp";
import { selectsPod, type LabelSelectorLike } from "../lib/netpol-evaluator";
import { platformRule, stackPolicy, type StackResource } from "../lib/policy";
import { asArray, at, isObject, UNKNOWN } from "../lib/props";
import { K8S_NAMESPACE, K8S_VAP, K8S_VAP_BINDING } from "../lib/types";

const NAME_LABEL = "kubernetes.io/metadata.name";

/** Whether a namespaceSelector selects the MCP namespace, and does so by its immutable name label. */
function selectsByName(selector: unknown, ns: string, labels: Record<string, string>): boolean {
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

// MCP servers are created at run time, so the pack never sees them (docs/facts.md fact 21): in every stack that
// has the MCP namespace, the cluster's own admission guard must be present and bound to it with Deny.
export const k8sMcpAdmissionGuardBound = stackPolicy(
  {
    name: "k8s-mcp-admission-guard-bound",
    description: "Stacks with the MCP namespace bind their ValidatingAdmissionPolicies to it with validationActions Deny.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("docs/facts.md fact 21", "Rules for MCP servers hold only if the cluster itself enforces them (admission control in gumstack-mcp)"),
    remediationSteps:
      `Create the admission guard: ValidatingAdmissionPolicies (failurePolicy Fail) and bindings with validationActions [Deny] and matchResources.namespaceSelector.matchLabels {"${NAME_LABEL}": <mcp namespace>}.`,
    configSchema: configSchema("mcpNamespace"),
  },
  ({ resources, config, report, notApplicable }) => {
    const ns = config.mcpNamespace;
    const nsRes = resources.find((r) => r.type === K8S_NAMESPACE && at(r.props, "metadata.name") === ns);
    if (!nsRes) return notApplicable(`the stack has no namespace ${ns}`);
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
    const guarded = new Set<string>();
    for (const b of bindings) {
      const selector = at(b.props, "spec.matchResources.namespaceSelector");
      if (!selectsByName(selector, ns, labels)) continue;
      const actions = asArray(at(b.props, "spec.validationActions"));
      const policy = boundPolicy(b);
      const bName = objectName(b.props, b.name);
      if (actions.indexOf("Deny") < 0) {
        report(`ValidatingAdmissionPolicyBinding ${bName} selects ${ns} but its validationActions ${JSON.stringify(actions)} lack "Deny": violations are only reported`, b.urn);
      } else if (!policy) {
        report(`ValidatingAdmissionPolicyBinding ${bName} selects ${ns} but binds no ValidatingAdmissionPolicy of this stack (spec.policyName ${JSON.stringify(at(b.props, "spec.policyName") ?? null)})`, b.urn);
      } else {
        guarded.add(policy.urn);
      }
    }
    for (const p of policies) {
      const pName = objectName(p.props, p.name);
      // A policy written for the MCP namespace but bound by no Deny binding is an inert part of the guard.
      if (!guarded.has(p.urn) && selectsByName(at(p.props, "spec.matchConstraints.namespaceSelector"), ns, labels)) {
        report(`ValidatingAdmissionPolicy ${pName} targets ${ns} but no binding with validationActions Deny binds it to ${ns}`, p.urn);
      }
      if (at(p.props, "spec.failurePolicy") === "Ignore") {
        report(`ValidatingAdmissionPolicy ${pName} has failurePolicy Ignore: the guard would let requests through whenever it fails`, p.urn);
      }
    }
    if (guarded.size === 0) {
      report(
        `namespace ${ns} has no admission guard: no ValidatingAdmissionPolicyBinding with validationActions Deny selects it by ${NAME_LABEL} and binds a ValidatingAdmissionPolicy of this stack`,
        nsRes.urn,
      );
    }
  },
);
