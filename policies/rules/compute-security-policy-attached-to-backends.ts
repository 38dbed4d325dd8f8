import { objectName } from "../lib/mcp";
import { platformRule, stackPolicy, type StackResource } from "../lib/policy";
import { asArray, at, isObject, UNKNOWN } from "../lib/props";
import { GKE_BACKEND_POLICY, K8S_HTTP_ROUTE, SECURITY_POLICY } from "../lib/types";

/** "namespace/name" of every Service an HTTPRoute sends traffic to (a backendRef without namespace is the route's). */
function routedServices(routes: readonly StackResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of routes) {
    const routeNs = at(r.props, "metadata.namespace");
    for (const rule of asArray(at(r.props, "spec.rules"))) {
      for (const ref of asArray(at(rule, "backendRefs"))) {
        const kind = at(ref, "kind") ?? "Service";
        const group = at(ref, "group") ?? "";
        if (kind !== "Service" || group !== "") continue;
        const ns = at(ref, "namespace") ?? routeNs;
        const name = at(ref, "name");
        if (typeof ns === "string" && typeof name === "string") out.set(`${ns}/${name}`, r.urn);
      }
    }
  }
  return out;
}

// The public edge serves untrusted tenants' servers and the platform's API from one load balancer: each of its
// backend services needs the Cloud Armor policy (WAF, per-server and per-client throttles, Adaptive
// Protection), or one hot or attacked server takes the shared gateway from every other tenant
// (docs/edge-egress-ops.md). GKE's Gateway attaches it through GCPBackendPolicy.spec.default.securityPolicy.
export const computeSecurityPolicyAttachedToBackends = stackPolicy(
  {
    name: "compute-security-policy-attached-to-backends",
    description:
      "Every Service behind the GKE Gateway (Kourier and the backend API) carries a planned Cloud Armor backend security policy.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("edge abuse protection", "Abuse protection at the edge: one Cloud Armor policy on every load-balancer backend"),
    remediationSteps:
      "Create a gcp.compute.SecurityPolicy (type CLOUD_ARMOR) and, for each Service an HTTPRoute targets, a GCPBackendPolicy in the Service's namespace with targetRef {group: \"\", kind: Service, name} and spec.default.securityPolicy set to the policy's name.",
  },
  ({ resources, report, notApplicable }) => {
    const services = routedServices(resources.filter((r) => r.type === K8S_HTTP_ROUTE));
    if (services.size === 0) return notApplicable("the stack routes no Service through a Gateway");
    const armor = resources.filter((r) => r.type === SECURITY_POLICY);
    const byName = new Map(armor.map((a) => [at(a.props, "name"), a] as const));
    const policies = resources.filter((r) => r.type === GKE_BACKEND_POLICY);
    for (const [service, routeUrn] of services) {
      const [ns, name] = service.split("/") as [string, string];
      const targeting = policies.filter((p) => {
        const ref = at(p.props, "spec.targetRef");
        return (
          at(p.props, "metadata.namespace") === ns &&
          isObject(ref) &&
          (ref.group ?? "") === "" &&
          ref.kind === "Service" &&
          ref.name === name
        );
      });
      const withArmor = targeting.filter((p) => at(p.props, "spec.default.securityPolicy") !== undefined);
      if (withArmor.length === 0) {
        report(
          `Service ${service} is behind the load balancer but no GCPBackendPolicy sets spec.default.securityPolicy on it: its traffic skips Cloud Armor`,
          targeting[0]?.urn ?? routeUrn,
        );
        continue;
      }
      for (const p of withArmor) {
        const value = at(p.props, "spec.default.securityPolicy");
        const pName = objectName(p.props, p.name);
        // The name is the policy's output: known in a plan, possibly unknown in a preview, where the
        // dependency edge to a planned policy stands for it.
        const policy = value === UNKNOWN ? armor.find((a) => p.dependsOn.indexOf(a.urn) >= 0) : byName.get(value);
        if (!policy) {
          report(
            value === UNKNOWN
              ? `GCPBackendPolicy ${pName}: cannot verify spec.default.securityPolicy (unknown during preview) and it depends on no Cloud Armor policy of this stack`
              : `GCPBackendPolicy ${pName} names security policy ${JSON.stringify(value)}, which this stack does not plan: its rules cannot be checked`,
            p.urn,
          );
          continue;
        }
        const type = at(policy.props, "type");
        if (type !== undefined && type !== null && type !== "CLOUD_ARMOR") {
          report(
            `security policy ${String(at(policy.props, "name"))} is of type ${JSON.stringify(type)}: a backend service's policy must be CLOUD_ARMOR`,
            policy.urn,
          );
        }
      }
    }
  },
);
