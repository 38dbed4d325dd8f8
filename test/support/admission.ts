// An emulation of ValidatingAdmissionPolicy evaluation, shared by the admission guard's tests and the isolation
// canary's (the canary must be admitted exactly as a customer's MCP server is) and the build guard's, with either CEL evaluator of
// ./cel.ts (cel-js by default).
import type { AdmissionGuardManifests } from "../../components/kubernetes/admissionPolicies.js";
import { EVALUATORS, toCel, type CelEvaluator } from "./cel.js";

// k8s.io/apiserver validatingadmissionpolicy, as far as the guard uses it.
export type Obj = Record<string, any>;
export interface Req {
  kind: string;
  object: Obj | null;
  oldObject?: Obj | null;
  operation?: "CREATE" | "UPDATE" | "DELETE";
  subResource?: string;
  namespace?: string;
}
const KINDS: Record<string, [group: string, version: string, resource: string]> = {
  Service: ["serving.knative.dev", "v1", "services"],
  Configuration: ["serving.knative.dev", "v1", "configurations"],
  Revision: ["serving.knative.dev", "v1", "revisions"],
  Route: ["serving.knative.dev", "v1", "routes"],
  DomainMapping: ["serving.knative.dev", "v1beta1", "domainmappings"],
  Deployment: ["apps", "v1", "deployments"],
  ReplicaSet: ["apps", "v1", "replicasets"],
  StatefulSet: ["apps", "v1", "statefulsets"],
  CronJob: ["batch", "v1", "cronjobs"],
  Job: ["batch", "v1", "jobs"],
  Pod: ["", "v1", "pods"],
  Namespace: ["", "v1", "namespaces"],
};

/** Every refusal the guard gives, in policy order (the API server reports the first); `ns` is the request's default namespace. */
export function guardRefusals(req: Req, guard: AdmissionGuardManifests, ns: string, ev: CelEvaluator = EVALUATORS[0]!): string[] {
  const [group, version, resource] = KINDS[req.kind]!;
  const operation = req.operation ?? "CREATE";
  const namespaceLabels =
    req.kind === "Namespace" ? (req.object!.metadata.labels ?? {}) : { "kubernetes.io/metadata.name": req.namespace ?? ns };
  const out: string[] = [];
  let request: Obj | undefined;
  guard.policies.forEach((policy, i) => {
    const scopes = [policy.spec.matchConstraints, guard.bindings[i]!.spec.matchResources];
    const inScope = scopes.every((m) => Object.entries(m.namespaceSelector.matchLabels).every(([k, v]) => namespaceLabels[k] === v));
    const resourceName = req.subResource ? `${resource}/${req.subResource}` : resource;
    const ruled = policy.spec.matchConstraints.resourceRules!.some(
      (r) =>
        (r.operations as string[]).includes(operation) &&
        r.apiGroups.includes(group) &&
        r.apiVersions.includes(version) &&
        r.resources.includes(resourceName),
    );
    if (!inScope || !ruled) return;
    // The request's CEL form is the same for every policy: converted once (per request), copied per policy for its variables.
    request ??= ev.prepare(
      toCel({
        object: req.object,
        oldObject: req.oldObject ?? null,
        params: null,
        request: {
          operation,
          kind: { group, version, kind: req.kind },
          resource: { group, version, resource },
          subResource: req.subResource ?? "",
          namespace: req.namespace ?? ns,
        },
      }) as Obj,
    );
    const ctx: Obj = { ...request };
    const run = (expression: string) => ev.evaluate(expression, ctx);
    try {
      // Any matchCondition false: skipped. An error refuses (failurePolicy Fail).
      if ((policy.spec.matchConditions ?? []).some((m) => run(m.expression) === false)) return;
      // Variables are lazy in Kubernetes; evaluated eagerly here, so an error anywhere fails the test (stricter).
      ctx.variables = {};
      for (const v of policy.spec.variables ?? []) ctx.variables[v.name] = run(v.expression);
      for (const v of policy.spec.validations) {
        const ok = run(v.expression);
        if (typeof ok !== "boolean") throw new Error(`validation is not bool: ${v.expression}`);
        if (ok) continue;
        let message = v.message;
        try {
          const m = run(v.messageExpression);
          if (typeof m === "string" && m.trim() !== "" && !/[\r\n]/.test(m)) message = m;
        } catch {
          /* Kubernetes falls back to message */
        }
        out.push(`${policy.metadata.name}: ${message}`);
      }
    } catch (e) {
      out.push(`${policy.metadata.name}: evaluation error: ${(e as Error).message.split("\n")[0]}`);
    }
  });
  return out;
}
