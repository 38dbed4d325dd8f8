// An emulation of ValidatingAdmissionPolicy evaluation (k8s.io/apiserver validatingadmissionpolicy), for guards
// built as plain manifests: scope by namespace labels and resource rules, matchConditions, variables,
// validations with messageExpression and Kubernetes' fallback to message. CEL runs in @marcbachmann/cel-js with
// JSON integers as int64 (BigInt), as the API server sees them.
import { Environment } from "@marcbachmann/cel-js";

type Obj = Record<string, any>;
const cel = new Environment({ unlistedVariablesAreDyn: true });

export interface AdmissionRequest {
  kind: string;
  object: Obj | null;
  oldObject?: Obj | null;
  operation?: "CREATE" | "UPDATE" | "DELETE";
  subResource?: string;
  namespace: string;
}

export interface Guard {
  policies: { metadata: { name: string }; spec: { matchConstraints: { namespaceSelector: { matchLabels: Record<string, string> }; resourceRules?: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }[] }; matchConditions?: { name: string; expression: string }[]; variables?: { name: string; expression: string }[]; validations: { expression: string; message: string; messageExpression?: string }[] } }[];
  bindings: { spec: { matchResources: { namespaceSelector: { matchLabels: Record<string, string> } } } }[];
}

/** group, version, resource of the kinds the tests submit. */
export const KINDS: Record<string, [group: string, version: string, resource: string]> = {
  Service: ["serving.knative.dev", "v1", "services"], Configuration: ["serving.knative.dev", "v1", "configurations"],
  Revision: ["serving.knative.dev", "v1", "revisions"], DomainMapping: ["serving.knative.dev", "v1beta1", "domainmappings"],
  Deployment: ["apps", "v1", "deployments"], ReplicaSet: ["apps", "v1", "replicasets"], StatefulSet: ["apps", "v1", "statefulsets"],
  CronJob: ["batch", "v1", "cronjobs"], Job: ["batch", "v1", "jobs"], Pod: ["", "v1", "pods"], Namespace: ["", "v1", "namespaces"],
};

const toCel = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(toCel) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]))
  : typeof v === "number" && Number.isInteger(v) ? BigInt(v) : v;

/** Every refusal the guard gives, "<policy name>: <message>", in policy order (the API server reports the first). */
export function refusals(guard: Guard, req: AdmissionRequest): string[] {
  const [group, version, resource] = KINDS[req.kind]!;
  const operation = req.operation ?? "CREATE";
  const namespaceLabels = req.kind === "Namespace" ? req.object!.metadata.labels ?? {} : { "kubernetes.io/metadata.name": req.namespace };
  const out: string[] = [];
  guard.policies.forEach((policy, i) => {
    const scopes = [policy.spec.matchConstraints, guard.bindings[i]!.spec.matchResources];
    const inScope = scopes.every((m) => Object.entries(m.namespaceSelector.matchLabels).every(([k, v]) => namespaceLabels[k] === v));
    const resourceName = req.subResource ? `${resource}/${req.subResource}` : resource;
    const ruled = (policy.spec.matchConstraints.resourceRules ?? []).some((r) =>
      r.operations.includes(operation) && r.apiGroups.includes(group) && r.apiVersions.includes(version) && r.resources.includes(resourceName));
    if (!inScope || !ruled) return;
    const ctx: Obj = toCel({
      object: req.object, oldObject: req.oldObject ?? null, params: null,
      request: { operation, kind: { group, version, kind: req.kind }, resource: { group, version, resource }, subResource: req.subResource ?? "", namespace: req.namespace },
    }) as Obj;
    const run = (expression: string) => cel.evaluate(expression, ctx);
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
          const m = v.messageExpression ? run(v.messageExpression) : undefined;
          if (typeof m === "string" && m.trim() !== "" && !/[\r\n]/.test(m)) message = m;
        } catch { /* Kubernetes falls back to message */ }
        out.push(`${policy.metadata.name}: ${message}`);
      }
    } catch (e) {
      out.push(`${policy.metadata.name}: evaluation error: ${(e as Error).message.split("\n")[0]}`);
    }
  });
  return out;
}

/** Function names called in a CEL expression (string literals skipped). */
export function celFunctions(expression: string): string[] {
  return [...expression.replaceAll(/"(\\.|[^"\\])*"/g, '""').matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!);
}
