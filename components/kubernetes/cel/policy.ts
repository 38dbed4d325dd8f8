// ValidatingAdmissionPolicies built from typed parts: variables are typed references (`variables.<name>`), a
// validation is an expression and one sentence that yields both its `message` and its `messageExpression`, and
// a guard is its policies, each with one Deny binding scoped to the guard's namespace. The typed definitions
// stay beside the rendered manifests, so the tests type-check and cost every expression (docs/admission-cel.md).
// admissionregistration.k8s.io/v1: https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
import { concat, eq, ident, int, size, str, type Expr, type Type } from "./expr.js";

// ---- the manifests, as plain data ----

export interface NamedExpression {
  name: string;
  expression: string;
}
export interface Validation {
  expression: string;
  message: string;
  messageExpression: string;
  reason: "Forbidden";
}
/** DELETE is never judged: removing a workload cannot open an escape. */
export type Operation = "CREATE" | "UPDATE";
export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: Operation[];
  scope: "Namespaced" | "Cluster";
}
export interface MatchResources {
  namespaceSelector: { matchLabels: Record<string, string> };
  resourceRules?: ResourceRule[];
  matchPolicy?: "Equivalent";
}
export interface ValidatingAdmissionPolicyManifest {
  apiVersion: "admissionregistration.k8s.io/v1";
  kind: "ValidatingAdmissionPolicy";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    failurePolicy: "Fail";
    matchConstraints: MatchResources;
    matchConditions?: NamedExpression[];
    variables?: NamedExpression[];
    validations: Validation[];
  };
}
export interface ValidatingAdmissionPolicyBindingManifest {
  apiVersion: "admissionregistration.k8s.io/v1";
  kind: "ValidatingAdmissionPolicyBinding";
  metadata: { name: string; labels: Record<string, string> };
  spec: { policyName: string; validationActions: ["Deny"]; matchResources: MatchResources };
}
export interface AdmissionGuardManifests {
  /** Short id of each policy (sandbox, images, ...), the suffix of its cluster name; same order as policies. */
  ids: string[];
  policies: ValidatingAdmissionPolicyManifest[];
  bindings: ValidatingAdmissionPolicyBindingManifest[];
  /** The typed definitions the policies were rendered from, same order (what the type check and cost tests read). */
  definitions: PolicyDefinition[];
}

// ---- typed parts ----

/** A policy variable: `ref` is the typed reference `variables.<name>` other expressions read. */
export interface Variable<T> {
  readonly name: string;
  readonly type: Type<T>;
  readonly expression: Expr<T>;
  readonly ref: Expr<T>;
}
/** Declares `variables.<name>` of the given type (checked against the schemas by the tests). */
export function variable<T>(name: string, type: Type<T>, expression: Expr<NoInfer<T>>): Variable<T> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`CEL: variable name ${JSON.stringify(name)} is not an identifier`);
  return { name, type, expression, ref: ref(name) };
}
// A reference renders `variables.<name>`.
const ref = <T>(name: string): Expr<T> => ident<any>("variables").f(name) as Expr<T>;

export interface MatchCondition {
  readonly name: string;
  readonly expression: Expr<boolean>;
}
export const matchCondition = (name: string, expression: Expr<boolean>): MatchCondition => ({ name, expression });

type Part = string | Expr<string>;
/**
 * What a validation says when it refuses: the static `message`, and around it the details the
 * `messageExpression` adds (`; got ...`, the offending items). Kubernetes shows the messageExpression and falls
 * back to the message when it fails; both come from this one sentence, so they never drift.
 */
export class Sentence {
  constructor(
    readonly message: string,
    readonly before: readonly Part[] = [],
    readonly after: readonly Part[] = [],
  ) {
    if (/[\r\n]/.test(message)) throw new Error(`CEL: a message is one line: ${JSON.stringify(message)}`);
  }
  /** `message; got <detail>`. */
  got(detail: Expr<string>): Sentence {
    return this.then("; got ", detail);
  }
  /** `message (<label>: a, b)`, naming the offenders of a list<string>. */
  items(label: string, offenders: Expr<readonly string[]>): Sentence {
    return this.then(` (${label}: `, offenders.join(", "), ")");
  }
  /** Details after the message (text and string expressions). */
  then(...parts: Part[]): Sentence {
    return new Sentence(this.message, this.before, [...this.after, ...parts]);
  }
  /** Details before the message. */
  first(...parts: Part[]): Sentence {
    return new Sentence(this.message, [...parts, ...this.before], this.after);
  }
  /** The messageExpression: the message as one literal with the text next to it, joined to the details. */
  expression(): Expr<string> {
    const parts: Part[] = [];
    const before = [...this.before];
    const after = [...this.after];
    let text = this.message;
    while (typeof before[before.length - 1] === "string") text = (before.pop() as string) + text;
    while (typeof after[0] === "string") text += after.shift() as string;
    parts.push(...before, text, ...after);
    return parts.length === 1 ? str(text) : concat(...parts);
  }
}
/** A sentence for a validation (see Sentence). */
export const say = (message: string): Sentence => new Sentence(message);

export interface ValidationDefinition {
  readonly expression: Expr<boolean>;
  readonly sentence: Sentence;
}
/** A validation: `expression` must hold, or the request is refused (reason Forbidden) with the sentence. */
export const validation = (expression: Expr<boolean>, sentence: Sentence | string): ValidationDefinition => ({
  expression,
  sentence: typeof sentence === "string" ? say(sentence) : sentence,
});

/** An admission request a suite judges: the kind, the object (and the old one on UPDATE). */
export interface Sample {
  /** What the sample shows, in a few words. */
  readonly name: string;
  /** The kind (Service, Pod, Job, DomainMapping, Namespace, ...). */
  readonly kind: string;
  /** Default CREATE. */
  readonly operation?: "CREATE" | "UPDATE";
  readonly object: Readonly<Record<string, unknown>>;
  readonly oldObject?: Readonly<Record<string, unknown>>;
}
/**
 * A policy's allowed and disallowed samples, as gatekeeper-library's suite.yaml keeps them beside each policy: the
 * tests evaluate every sample with both CEL evaluators. `refusedWith` is text the refusal message must contain.
 */
export interface PolicySuite {
  readonly allowed: readonly Sample[];
  readonly disallowed: readonly (Sample & { readonly refusedWith: string })[];
}

/** One policy of a guard, as gatekeeper-library keeps one per folder. */
export interface PolicyDefinition {
  /** The suffix of the policy's cluster name, `<namespace>-<id>`. */
  readonly id: string;
  readonly rules: readonly ResourceRule[];
  readonly matchConditions?: readonly MatchCondition[];
  readonly variables?: readonly Variable<any>[];
  readonly validations: readonly ValidationDefinition[];
  /** Its allowed and disallowed samples (run by test/admission-cel.test.ts). */
  readonly suite?: PolicySuite;
}

const WRITE: Operation[] = ["CREATE", "UPDATE"];
/** A resource rule: CREATE and UPDATE of `resources` in `group`/`versions`. */
export const rule = (
  group: string,
  versions: string[],
  resources: string[],
  operations: Operation[] = WRITE,
  scope: "Namespaced" | "Cluster" = "Namespaced",
): ResourceRule => ({ apiGroups: [group], apiVersions: versions, resources, operations: [...operations], scope });

export const renderValidation = (v: ValidationDefinition): Validation => ({
  expression: v.expression.render(),
  message: v.sentence.message,
  messageExpression: v.sentence.expression().render(),
  reason: "Forbidden",
});

/**
 * A guard's manifests: each policy named `<namespace>-<id>`, failurePolicy Fail (an evaluation error, or a cost
 * limit hit, refuses the object rather than letting it through), and one Deny binding per policy; both scoped
 * by kubernetes.io/metadata.name, which the API server sets and nobody can forge (for a Namespace object the
 * selector matches its own labels).
 */
export function guardManifests(namespace: string, component: string, definitions: PolicyDefinition[]): AdmissionGuardManifests {
  const labels = (): Record<string, string> => ({ "app.kubernetes.io/part-of": "gumstack", "app.kubernetes.io/component": component });
  const scope = () => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } });
  const policies = definitions.map((d): ValidatingAdmissionPolicyManifest => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: `${namespace}-${d.id}`, labels: labels() },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { ...scope(), resourceRules: d.rules.map((r) => ({ ...r })), matchPolicy: "Equivalent" },
      ...(d.matchConditions && { matchConditions: d.matchConditions.map((m) => ({ name: m.name, expression: m.expression.render() })) }),
      ...(d.variables && { variables: d.variables.map((v) => ({ name: v.name, expression: v.expression.render() })) }),
      validations: d.validations.map(renderValidation),
    },
  }));
  const bindings = policies.map((p): ValidatingAdmissionPolicyBindingManifest => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: p.metadata.name, labels: labels() },
    spec: { policyName: p.metadata.name, validationActions: ["Deny"], matchResources: scope() },
  }));
  const ids = definitions.map((d) => d.id);
  if (new Set(ids).size !== ids.length) throw new Error(`admission guard ${namespace}: duplicate policy ids ${ids.join(", ")}`);
  return { ids, policies, bindings, definitions };
}

/** Passes when the list<string> variable of offenders is empty, naming them when not: `message (<label>: a, b)`. */
export const none = (offenders: Variable<readonly string[]>, message: string, label: string): ValidationDefinition =>
  validation(eq(size(offenders.ref), int(0)), say(message).items(label, offenders.ref));
