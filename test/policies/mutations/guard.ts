// Holes in the admission guards' content, coverage and requesters: each one-change mutation of a plan's
// ValidatingAdmissionPolicies or bindings must fail the guard's rule, which runs the attack corpus
// (policies/corpus/) through the planned guard; the message names the corpus case that got through.
import type { ExportResource } from "../../../src/policy/export.js";
import { edit, named, type Mutation } from "./mutation.js";

const MCP = "k8s-mcp-admission-guard-bound";
const BUILD = "k8s-build-admission-guard-bound";
const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const BACKEND = "system:serviceaccount:gumstack-backend:backend";
type Props = Record<string, any>;

/** Removes the resources of `type` named `name`; returns how many. */
const remove = (res: ExportResource[], type: string, name: string): number => {
  const before = res.length;
  res.splice(0, res.length, ...res.filter((r) => !(r.type === type && (r.inputs as Props).metadata?.name === name)));
  return before - res.length;
};
/** Drops `resource` from every resource rule of the policy (of `group`, when given). */
const dropResource = (resource: string, group?: string) => (p: Props) => {
  for (const r of p.spec.matchConstraints.resourceRules)
    if (group === undefined || r.apiGroups.includes(group)) r.resources = r.resources.filter((x: string) => x !== resource);
};

export const guardMutations: Mutation[] = [
  {
    hole: "a sandbox validation replaced by true (runtime class no longer judged)",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, named("gumstack-mcp-sandbox"), (p) => {
        for (const v of p.spec.validations) if (/runtimeClassName/.test(v.message)) v.expression = "true";
      }),
    message: /corpus case mcp\/\w+\/create\/runtimeclassname-runc \(attack sandbox\.runtime-class\) admitted/,
  },
  {
    hole: "every validation of the images policy vacuous",
    policy: MCP,
    apply: (res) => edit(res, VAP, named("gumstack-mcp-images"), (p) => p.spec.validations.forEach((v: Props) => (v.expression = "true"))),
    message: /attack images\.other-tenant\) admitted/,
  },
  {
    hole: "a matchCondition that exempts the backend's requests from the secrets policy",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, named("gumstack-mcp-secrets"), (p) =>
        p.spec.matchConditions.push({ name: "not-backend", expression: `request.userInfo.username != '${BACKEND}'` }),
      ),
    message: /corpus case mcp\/Service\/create\/another-tenant-s-secret-by-secretkeyref \(attack secrets\.other-tenant\) admitted/,
  },
  {
    hole: "a matchCondition that exempts Knative's controller (by group) from the sandbox policy",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, named("gumstack-mcp-sandbox"), (p) =>
        p.spec.matchConditions.push({
          name: "not-knative",
          expression: `!("system:serviceaccounts:knative-serving" in request.userInfo.groups)`,
        }),
      ),
    message: /corpus case mcp\/(Revision|Configuration|Deployment)\/create\/runtimeclassname-runc/,
  },
  {
    hole: "the sandbox policy's rules no longer match pods",
    policy: MCP,
    apply: (res) => edit(res, VAP, named("gumstack-mcp-sandbox"), dropResource("pods")),
    message: /corpus case mcp\/Pod\/create\/hostnetwork \(attack sandbox\.host-namespaces\) admitted/,
  },
  {
    hole: "the images policy's rules no longer match Knative Services (services of serving.knative.dev)",
    policy: MCP,
    apply: (res) => edit(res, VAP, named("gumstack-mcp-images"), dropResource("services", "serving.knative.dev")),
    message: /corpus case mcp\/Service\/create\/another-tenant-s-image/,
  },
  {
    hole: "the images policy no longer judges pods/ephemeralcontainers",
    policy: MCP,
    apply: (res) => edit(res, VAP, named("gumstack-mcp-images"), dropResource("pods/ephemeralcontainers")),
    message: /corpus case mcp\/Pod\/ephemeralcontainers\/an-ephemeral-container-from-docker-io/,
  },
  {
    hole: "the resources policy no longer judges pods/resize",
    policy: MCP,
    apply: (res) => edit(res, VAP, named("gumstack-mcp-resources"), dropResource("pods/resize")),
    message: /corpus case mcp\/Pod\/resize\/cpu-beyond-the-pod-bound/,
  },
  {
    hole: "the DomainMapping policy matches v1beta1 only, exactly (v1alpha1 requests unjudged)",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, named("gumstack-mcp-domain-mappings"), (p) => {
        p.spec.matchConstraints.matchPolicy = "Exact";
        for (const r of p.spec.matchConstraints.resourceRules) r.apiVersions = ["v1beta1"];
      }),
    message: /corpus case mcp\/DomainMapping\/v1alpha1\/create\/a-host-outside-the-domain/,
  },
  {
    hole: "the sandbox binding's validationActions [Warn]",
    policy: MCP,
    apply: (res) => edit(res, BINDING, named("gumstack-mcp-sandbox"), (p) => (p.spec.validationActions = ["Warn"])),
    message: /\(attack sandbox\.[a-z-]+\) admitted/,
  },
  {
    hole: "the tenant binding's namespaceSelector points to another namespace",
    policy: MCP,
    apply: (res) =>
      edit(
        res,
        BINDING,
        named("gumstack-mcp-tenant"),
        (p) => (p.spec.matchResources.namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": "default" } }),
      ),
    message: /attack tenant\.missing\) admitted/,
  },
  {
    hole: "failurePolicy Ignore on the secrets policy, whose validations error",
    policy: MCP,
    apply: (res) =>
      edit(res, VAP, named("gumstack-mcp-secrets"), (p) => {
        p.spec.failurePolicy = "Ignore";
        // CEL's || absorbs an error when the other side is true: compliant requests still pass, attacks error.
        for (const v of p.spec.validations) v.expression = `object.spec.noSuchField.x == 1 || (${v.expression})`;
      }),
    message: /attack secrets\.other-tenant\) admitted/,
  },
  {
    hole: "the build guard's workloads policy (nothing but Jobs and their Pods) removed",
    policy: BUILD,
    apply: (res) => remove(res, VAP, "gumstack-build-workloads") + remove(res, BINDING, "gumstack-build-workloads"),
    message: /corpus case build\/(Deployment|ReplicaSet|CronJob|Service)\/create\/another-workload-kind \(attack workloads\) admitted/,
  },
  {
    hole: "the build pod policy no longer matches pods",
    policy: BUILD,
    apply: (res) => edit(res, VAP, named("gumstack-build-pod"), dropResource("pods")),
    message: /corpus case build\/Pod\/create\/no-gvisor/,
  },
  {
    hole: "the build Job policy's validations vacuous",
    policy: BUILD,
    apply: (res) => edit(res, VAP, named("gumstack-build-job"), (p) => p.spec.validations.forEach((v: Props) => (v.expression = "true"))),
    message: /corpus case build\/Job\/create\/(retries|no-ttl|no-job-deadline)/,
  },
  {
    hole: "a matchCondition exempting the backend from the build contract",
    policy: BUILD,
    apply: (res) =>
      edit(res, VAP, named("gumstack-build-contract"), (p) =>
        p.spec.matchConditions.push({ name: "trusted", expression: `request.userInfo.username != '${BACKEND}'` }),
      ),
    message: /corpus case build\/Job\/create\/a-push-to-another-tenant/,
  },
  {
    hole: "a build Job policy that refuses the compliant build Job too",
    policy: BUILD,
    apply: (res) =>
      edit(res, VAP, named("gumstack-build-job"), (p) =>
        p.spec.validations.push({ expression: "false", message: "no", reason: "Forbidden" }),
      ),
    message: /corpus case build\/Job\/create\/baseline \(a compliant request\) refused/,
  },
];

/** Makes vacuous every validation of policy `name` whose message matches `which` (all when omitted). */
const vacuous = (name: string, which?: RegExp) => (res: ExportResource[]) =>
  edit(res, VAP, named(name), (p) =>
    p.spec.validations.forEach((v: Props) => {
      if (!which || which.test(v.message)) v.expression = "true";
    }),
  );

/** One mutation per rule the tenant-fence and build-plane work added to the guards: each made vacuous must fail. */
export const newGuardRuleMutations: Mutation[] = [
  { hole: "Knative-derived names no longer refused (names policy vacuous)", policy: MCP, apply: vacuous("gumstack-mcp-names") },
  { hole: "traffic tags admitted again", policy: MCP, apply: vacuous("gumstack-mcp-names", /traffic tags/) },
  { hole: "enableServiceLinks admitted again", policy: MCP, apply: vacuous("gumstack-mcp-service-links") },
  {
    hole: "another tenant's Secret nameable through env secretKeyRef",
    policy: MCP,
    apply: vacuous("gumstack-mcp-secrets", /secretKeyRef/),
  },
  { hole: "another tenant's Secret mountable as a volume", policy: MCP, apply: vacuous("gumstack-mcp-secrets", /secret volumes/) },
  {
    hole: "the single-replica session label no longer caps scale",
    policy: MCP,
    apply: vacuous("gumstack-mcp-serving-path", /single-replica: "tr/),
  },
  {
    hole: "the push DESTINATION no longer pinned to the build's own package",
    policy: BUILD,
    apply: vacuous("gumstack-build-contract", /DESTINATION/),
  },
  { hole: "GIT_URL no longer pinned to the GitHub host", policy: BUILD, apply: vacuous("gumstack-build-contract", /GIT_URL/) },
  { hole: "the build steps' scripts no longer pinned", policy: BUILD, apply: vacuous("gumstack-build-contract", /exactly its script/) },
];
