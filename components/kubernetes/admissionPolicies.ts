// The admission guard's manifests, as plain data: ValidatingAdmissionPolicies (CEL) and their bindings that
// make the cluster itself refuse MCP servers escaping their sandbox. MCP servers are created at run time by
// the backend, so neither Pulumi nor the CrossGuard pack ever sees them (docs/facts.md fact 21).
//
// CEL used here is limited to what both Kubernetes CEL and @marcbachmann/cel-js (the test evaluator) support:
// has(), ternaries, `in`, size(), the exists/all/filter/map macros, startsWith, matches, int(), and join
// (Kubernetes' strings extension). No optional types, cel.bind or object indexing by field name.
// Fields named with CEL reserved words (metadata.namespace) would need escaping: none is read.

/** Inputs of the guard. Values are baked into the CEL source, so they are plain values, validated here. */
export interface AdmissionPolicyArgs {
  /** Namespace of the MCP servers, the only namespace the guard applies to. Default "gumstack-mcp". */
  readonly namespace?: string;
  /** The credential-less service account every MCP pod must run as. Default "mcp-server". */
  readonly serviceAccountName?: string;
  /** RuntimeClass every MCP pod must use; GKE Sandbox creates it. Default "gvisor". */
  readonly runtimeClassName?: string;
  /** Image prefixes MCP containers may come from, each ending in "/" so a sibling repository cannot match. Required. */
  readonly allowedImagePrefixes: readonly string[];
  /** Images Knative injects itself, allowed only for its queue-proxy container in Deployments, ReplicaSets and Pods. Default [KNATIVE_QUEUE_PROXY_IMAGE_PREFIX]. */
  readonly knativeSystemImagePrefixes?: readonly string[];
  /** The platform domain: DomainMappings must be `<server>.<domain>`. Required. */
  readonly domain: string;
  /** Labels under the domain that no DomainMapping may take. Default ["api"] (the backend API host). */
  readonly reservedSubdomains?: readonly string[];
  /** Lowest autoscaling.knative.dev/min-scale a server may set; at 0 the annotation may be omitted. Default 1. */
  readonly minScale?: number;
  /** Highest autoscaling.knative.dev/max-scale a server may set (0, unlimited, is always refused). Default 20. */
  readonly maxScaleLimit?: number;
  /** Environment variable prefixes reserved for the platform. Default ["GUMSTACK_", "GUMLOOP_"]. */
  readonly reservedEnvPrefixes?: readonly string[];
}

/** Knative's release registry path of the queue-proxy binary (config-deployment `queue-sidecar-image`), digest-pinned. */
export const KNATIVE_QUEUE_PROXY_IMAGE_PREFIX = "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:";

/** The only capability Pod Security "restricted" allows in `capabilities.add`. */
export const RESTRICTED_ADDABLE_CAPABILITY = "NET_BIND_SERVICE";

/** Pod Security labels the MCP namespace must carry; the guard refuses the namespace without them. */
export function podSecurityRestrictedLabels(): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
}

/** `<region>-docker.pkg.dev/<project>/<repository>/`: the prefix of every image in one Artifact Registry repository. */
export function artifactRegistryImagePrefix(region: string, project: string, repositoryId: string): string {
  return `${region}-docker.pkg.dev/${project}/${repositoryId}/`;
}

interface NamedExpression { name: string; expression: string }
interface Validation { expression: string; message: string; messageExpression: string; reason: "Forbidden" }
/** DELETE is never judged: removing an MCP server cannot open an escape. */
type Operation = "CREATE" | "UPDATE";
interface ResourceRule {
  apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: Operation[]; scope: "Namespaced" | "Cluster";
}
interface MatchResources {
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
}

type Resolved = Required<AdmissionPolicyArgs>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Registry host with a dot (no implicit docker.io), at least one repository path segment, trailing "/".
const IMAGE_PREFIX = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?\/([a-z0-9._-]+\/)+$/;
const DIGEST_PREFIX = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?\/[a-z0-9._\/-]*[a-z0-9]@sha256:$/;
const ENV_PREFIX = /^[A-Z][A-Z0-9_]*_$/;

/** Applies the defaults and refuses values that would make a weak or broken guard. */
export function resolveAdmissionPolicyArgs(args: AdmissionPolicyArgs): Resolved {
  const r: Resolved = {
    namespace: args.namespace ?? "gumstack-mcp",
    serviceAccountName: args.serviceAccountName ?? "mcp-server",
    runtimeClassName: args.runtimeClassName ?? "gvisor",
    allowedImagePrefixes: args.allowedImagePrefixes,
    knativeSystemImagePrefixes: args.knativeSystemImagePrefixes ?? [KNATIVE_QUEUE_PROXY_IMAGE_PREFIX],
    domain: args.domain,
    reservedSubdomains: args.reservedSubdomains ?? ["api"],
    minScale: args.minScale ?? 1,
    maxScaleLimit: args.maxScaleLimit ?? 20,
    reservedEnvPrefixes: args.reservedEnvPrefixes ?? ["GUMSTACK_", "GUMLOOP_"],
  };
  const fail = (field: string, why: string): never => { throw new Error(`AdmissionGuard ${field}: ${why}`); };
  for (const f of ["namespace", "serviceAccountName", "runtimeClassName"] as const) {
    if (!DNS_LABEL.test(r[f])) fail(f, `${JSON.stringify(r[f])} is not a DNS-1123 label`);
  }
  if (r.allowedImagePrefixes.length === 0) fail("allowedImagePrefixes", "at least one registry prefix is required");
  for (const p of r.allowedImagePrefixes) {
    if (!IMAGE_PREFIX.test(p)) fail("allowedImagePrefixes", `${JSON.stringify(p)} must be <registry host>/<path>/ ending in "/"`);
  }
  for (const p of r.knativeSystemImagePrefixes) {
    if (!IMAGE_PREFIX.test(p) && !DIGEST_PREFIX.test(p)) {
      fail("knativeSystemImagePrefixes", `${JSON.stringify(p)} must end in "/" or "@sha256:"`);
    }
  }
  if (!DOMAIN.test(r.domain)) fail("domain", `${JSON.stringify(r.domain)} is not a lowercase DNS domain`);
  for (const s of r.reservedSubdomains) if (!DNS_LABEL.test(s)) fail("reservedSubdomains", `${JSON.stringify(s)} is not a DNS label`);
  if (!Number.isInteger(r.minScale) || r.minScale < 0) fail("minScale", "must be an integer >= 0");
  if (!Number.isInteger(r.maxScaleLimit) || r.maxScaleLimit < Math.max(1, r.minScale)) {
    fail("maxScaleLimit", `must be an integer >= max(1, minScale ${r.minScale})`);
  }
  if (r.reservedEnvPrefixes.length === 0) fail("reservedEnvPrefixes", "at least one prefix is required");
  for (const p of r.reservedEnvPrefixes) if (!ENV_PREFIX.test(p)) fail("reservedEnvPrefixes", `${JSON.stringify(p)} must look like GUMSTACK_`);
  return r;
}

// CEL literals. Inputs are validated to plain ASCII above; JSON string escapes are valid CEL escapes.
const lit = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(lit).join(", ")}]`;
const quoted = (expr: string): string => `${lit('"')} + ${expr} + ${lit('"')}`;
/** "why (items: a, b)": the static message plus the offending items named by a list<string> variable. */
const withItems = (message: string, label: string, variable: string): string =>
  `${lit(`${message} (${label}: `)} + variables.${variable}.join(", ") + ${lit(")")}`;

const KNATIVE = "serving.knative.dev";
const WRITE: Operation[] = ["CREATE", "UPDATE"];
const rule = (group: string, versions: string[], resources: string[], operations = WRITE, scope: "Namespaced" | "Cluster" = "Namespaced"): ResourceRule =>
  ({ apiGroups: [group], apiVersions: versions, resources, operations, scope });

/** Every kind that is or stamps out a pod; the Pod rule is the backstop for kinds not listed. */
const WORKLOAD_RULES: ResourceRule[] = [
  rule(KNATIVE, ["v1"], ["services", "configurations", "revisions"]),
  rule("apps", ["v1"], ["deployments", "replicasets", "statefulsets", "daemonsets"]),
  rule("batch", ["v1"], ["jobs", "cronjobs"]),
  rule("", ["v1"], ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]),
];

// An UPDATE that leaves the pod template alone (labels, finalizers, Knative's routing-state annotations, and
// `spec.replicas`, which the Deployment controller UPDATEs on a ReplicaSet at every scale step) cannot open an
// escape, and refusing it would wedge controllers on objects created before a limit changed: a ReplicaSet that
// no longer complies could then never be scaled, not even down to zero. Like Pod Security admission, only
// creations and changes of what the pods are made of are judged.
const POD_TEMPLATE_CHANGED: NamedExpression = {
  name: "create-or-pod-template-change",
  expression:
    `request.operation != "UPDATE" || (` +
    `request.kind.kind in ["Pod", "Revision"] ? object.spec != oldObject.spec : ` +
    `request.kind.kind == "CronJob" ? object.spec.jobTemplate != oldObject.spec.jobTemplate : ` +
    `object.spec.template != oldObject.spec.template)`,
};

/** The pod spec wherever the kind keeps it, and every container in it (init and ephemeral included). */
const WORKLOAD_VARIABLES: NamedExpression[] = [
  {
    name: "podSpec",
    expression:
      `request.kind.kind in ["Pod", "Revision"] ? object.spec : ` +
      `request.kind.kind == "CronJob" ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec`,
  },
  {
    name: "containers",
    expression: ["containers", "initContainers", "ephemeralContainers"]
      .map((f) => `(has(variables.podSpec.${f}) ? variables.podSpec.${f} : [])`)
      .join(" + "),
  },
];

function policy(r: Resolved, suffix: string, spec: Omit<ValidatingAdmissionPolicyManifest["spec"], "failurePolicy" | "matchConstraints"> & { rules: ResourceRule[] }): ValidatingAdmissionPolicyManifest {
  const { rules, ...rest } = spec;
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: `${r.namespace}-${suffix}`, labels: guardLabels() },
    spec: {
      // Fail: an evaluation error refuses the object rather than letting it through unchecked.
      failurePolicy: "Fail",
      matchConstraints: { ...namespaceScope(r), resourceRules: rules, matchPolicy: "Equivalent" },
      ...rest,
    },
  };
}

const guardLabels = (): Record<string, string> => ({ "app.kubernetes.io/part-of": "gumstack", "app.kubernetes.io/component": "admission-guard" });
// kubernetes.io/metadata.name is set by the API server and cannot be forged; for a Namespace object the
// selector is matched against its own labels, which is what the pod-security policy relies on.
const namespaceScope = (r: Resolved) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": r.namespace } } });

const check = (expression: string, message: string, messageExpression: string): Validation =>
  ({ expression, message, messageExpression, reason: "Forbidden" });
/** A validation that passes when the list<string> variable of offenders is empty, naming them when not. */
const none = (variable: string, message: string, label: string): Validation =>
  check(`size(variables.${variable}) == 0`, message, withItems(message, label, variable));
const containerFlag = (field: string) =>
  `variables.containers.filter(c, has(c.securityContext) && has(c.securityContext.${field}) && c.securityContext.${field}).map(c, c.name)`;

function sandboxPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const p = "variables.podSpec";
  const sa = lit(r.serviceAccountName);
  return policy(r, "sandbox", {
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      { name: "volumes", expression: "has(variables.podSpec.volumes) ? variables.podSpec.volumes : []" },
      {
        name: "hostNamespaces",
        expression: ["hostNetwork", "hostPID", "hostIPC"].map((f) => `(has(${p}.${f}) && ${p}.${f} ? [${lit(f)}] : [])`).join(" + "),
      },
      { name: "hostPortContainers", expression: "variables.containers.filter(c, has(c.ports) && c.ports.exists(pt, has(pt.hostPort) && pt.hostPort != 0)).map(c, c.name)" },
      { name: "privilegedContainers", expression: containerFlag("privileged") },
      { name: "escalatingContainers", expression: containerFlag("allowPrivilegeEscalation") },
      {
        // NET_BIND_SERVICE is the one capability Pod Security "restricted" lets a container add, and Knative's
        // secure-pod-defaults adds it itself to every container with a port below 1024 (revision_defaults.go).
        name: "addedCapabilities",
        expression:
          `variables.containers.filter(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.add) && c.securityContext.capabilities.add.exists(a, a != ${lit(RESTRICTED_ADDABLE_CAPABILITY)}))` +
          `.map(c, c.name + " adds " + c.securityContext.capabilities.add.filter(a, a != ${lit(RESTRICTED_ADDABLE_CAPABILITY)}).join("+"))`,
      },
      { name: "hostPathVolumes", expression: "variables.volumes.filter(v, has(v.hostPath)).map(v, v.name)" },
      {
        name: "tokenVolumes",
        expression: "variables.volumes.filter(v, has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has(s.serviceAccountToken))).map(v, v.name)",
      },
    ],
    validations: [
      check(
        `has(${p}.runtimeClassName) && ${p}.runtimeClassName == ${lit(r.runtimeClassName)}`,
        `runtimeClassName must be "${r.runtimeClassName}": MCP servers run untrusted code and only the gVisor sandbox keeps it off the node kernel`,
        `${lit(`runtimeClassName must be "${r.runtimeClassName}": MCP servers run untrusted code and only the gVisor sandbox keeps it off the node kernel; got `)} + ` +
          `(has(${p}.runtimeClassName) ? ${quoted(`${p}.runtimeClassName`)} : "none")`,
      ),
      check(
        `has(${p}.serviceAccountName) && ${p}.serviceAccountName == ${sa} && (!has(${p}.serviceAccount) || ${p}.serviceAccount == ${sa})`,
        `serviceAccountName must be "${r.serviceAccountName}", the MCP service account with no cloud or cluster permissions`,
        `${lit(`serviceAccountName must be "${r.serviceAccountName}", the MCP service account with no cloud or cluster permissions; got `)} + ` +
          `(has(${p}.serviceAccountName) ? ${quoted(`${p}.serviceAccountName`)} : "none")`,
      ),
      check(
        `has(${p}.automountServiceAccountToken) && ${p}.automountServiceAccountToken == false`,
        "automountServiceAccountToken must be false: a Kubernetes API token must never be mounted into untrusted MCP code",
        `${lit("automountServiceAccountToken must be false: a Kubernetes API token must never be mounted into untrusted MCP code; got ")} + ` +
          `(has(${p}.automountServiceAccountToken) ? "true" : "unset (defaults to true)")`,
      ),
      none("tokenVolumes", "projected serviceAccountToken volumes are not allowed: they mount a Kubernetes API token into untrusted MCP code", "volumes"),
      none("hostNamespaces", "hostNetwork, hostPID and hostIPC are not allowed: they share the node's network, processes or IPC with untrusted MCP code", "set"),
      none("hostPortContainers", "hostPort is not allowed: it exposes the pod on the node's address, around the MCP NetworkPolicies", "containers"),
      none("privilegedContainers", "privileged containers are not allowed: they get full access to the node", "containers"),
      none("escalatingContainers", "allowPrivilegeEscalation must not be true: MCP processes must not gain privileges", "containers"),
      none("hostPathVolumes", "hostPath volumes are not allowed: they expose the node's filesystem to untrusted MCP code", "volumes"),
      none("addedCapabilities", `adding Linux capabilities other than ${RESTRICTED_ADDABLE_CAPABILITY} is not allowed: MCP containers run with the restricted capability set`, "containers"),
    ],
  });
}

function reservedEnvPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const prefixes = list(r.reservedEnvPrefixes);
  const reserved = (name: string) => `${prefixes}.exists(p, ${name}.startsWith(p))`;
  const shown = r.reservedEnvPrefixes.join(" or ");
  return policy(r, "reserved-env", {
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      {
        name: "reservedEnv",
        expression:
          `variables.containers.filter(c, has(c.env) && c.env.exists(e, ${reserved("e.name")}))` +
          `.map(c, c.name + " sets " + c.env.filter(e, ${reserved("e.name")}).map(e, e.name).join("+"))`,
      },
      {
        // An envFrom prefix such as "GUMSTACK_" or "GUM" turns ordinary keys into reserved names.
        name: "reservedEnvFromPrefixes",
        expression: `variables.containers.filter(c, has(c.envFrom) && c.envFrom.exists(f, has(f.prefix) && f.prefix != "" && ${prefixes}.exists(p, f.prefix.startsWith(p) || p.startsWith(f.prefix)))).map(c, c.name)`,
      },
    ],
    validations: [
      none("reservedEnv", `environment variables starting with ${shown} are reserved for the platform and may not be set by an MCP server`, "containers"),
      none("reservedEnvFromPrefixes", `envFrom prefixes that would produce names starting with ${shown} are not allowed: those names are reserved for the platform`, "containers"),
    ],
  });
}

function imagesPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const allowed = `has(c.image) && (${list(r.allowedImagePrefixes)}.exists(p, c.image.startsWith(p))` +
    ` || (variables.knativeDerived && c.name == "queue-proxy" && ${list(r.knativeSystemImagePrefixes)}.exists(p, c.image.startsWith(p))))`;
  const message = `images must come from the platform's Artifact Registry (${r.allowedImagePrefixes.join(", ")}): only images the platform built from the customer's code may run`;
  return policy(r, "images", {
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      // Knative's controller adds the queue-proxy sidecar when it turns a Revision into a Deployment.
      { name: "knativeDerived", expression: `request.kind.kind in ["Deployment", "ReplicaSet", "Pod"]` },
      { name: "refusedImages", expression: `variables.containers.filter(c, !(${allowed})).map(c, c.name + "=" + (has(c.image) ? c.image : "<none>"))` },
    ],
    validations: [none("refusedImages", message, "refused")],
  });
}

const scaleKeys = (key: string): string[] => [`autoscaling.knative.dev/${key}-scale`, `autoscaling.knative.dev/${key}Scale`];

function scalePolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  // Knative reads the scale bounds from the revision template (Service, Configuration) or the Revision's own
  // annotations, under the current key and its legacy camelCase alias: every present alias is checked.
  const annotations =
    `request.kind.kind == "Revision" ? (has(object.metadata.annotations) ? object.metadata.annotations : {}) : ` +
    `(has(object.spec.template.metadata) && has(object.spec.template.metadata.annotations) ? object.spec.template.metadata.annotations : {})`;
  const valuesOf = (key: string) => `${list(scaleKeys(key))}.filter(k, k in variables.annotations).map(k, variables.annotations[k])`;
  const number = (v: string) => `${v}.matches("^[0-9]{1,9}$")`;
  const got = (variable: string) => `(size(variables.${variable}) == 0 ? "none" : variables.${variable}.map(v, ${quoted("v")}).join(", "))`;
  // Knative's shipped defaults (min-scale 0, max-scale 0 = unlimited) are outside the limits, so the bounds
  // must be explicit: the cluster-wide defaults in config-autoscaler are not visible to admission.
  const minMessage = `autoscaling.knative.dev/min-scale must be at least ${r.minScale} so every MCP server keeps a warm pod`;
  const maxMessage = `autoscaling.knative.dev/max-scale must be between 1 and ${r.maxScaleLimit} (0 means unlimited): MCP servers share the node pool`;
  const minExpression = `variables.minScale.all(v, ${number("v")} && int(v) >= ${r.minScale})`;
  return policy(r, "scale", {
    rules: [rule(KNATIVE, ["v1"], ["services", "configurations", "revisions"])],
    matchConditions: [{
      name: "create-or-scale-change",
      // A Revision's bounds live in its metadata, so its scale annotations count as part of the spec here.
      expression:
        `request.operation != "UPDATE" || object.spec != oldObject.spec || ${list([...scaleKeys("min"), ...scaleKeys("max")])}.exists(k, ` +
        ["object", "oldObject"].map((o) => `(has(${o}.metadata.annotations) && k in ${o}.metadata.annotations ? ${o}.metadata.annotations[k] : "")`).join(" != ") +
        ")",
    }],
    variables: [
      { name: "annotations", expression: annotations },
      { name: "minScale", expression: valuesOf("min") },
      { name: "maxScale", expression: valuesOf("max") },
    ],
    validations: [
      check(r.minScale > 0 ? `size(variables.minScale) > 0 && ${minExpression}` : minExpression, minMessage, `${lit(`${minMessage}; got `)} + ${got("minScale")}`),
      check(
        `size(variables.maxScale) > 0 && variables.maxScale.all(v, ${number("v")} && int(v) >= 1 && int(v) <= ${r.maxScaleLimit})`,
        maxMessage,
        `${lit(`${maxMessage}; got `)} + ${got("maxScale")}`,
      ),
    ],
  });
}

function domainMappingPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const hostPattern = `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.${r.domain.replaceAll(".", "\\.")}$`;
  const reserved = r.reservedSubdomains.map((s) => `${s}.${r.domain}`);
  const shape = `a DomainMapping host must be <server>.${r.domain}, one label under the platform domain, whose certificate and DNS the platform manages`;
  const taken = `the host is reserved for the platform (${reserved.join(", ")}) and cannot be mapped to an MCP server`;
  return policy(r, "domain-mappings", {
    // The name is the host and is immutable, so only creation needs judging.
    rules: [rule(KNATIVE, ["v1beta1", "v1alpha1"], ["domainmappings"], ["CREATE"])],
    validations: [
      check(`object.metadata.name.matches(${lit(hostPattern)})`, shape, `${lit(`${shape}; got `)} + ${quoted("object.metadata.name")}`),
      check(`!(object.metadata.name in ${list(reserved)})`, taken, `${quoted("object.metadata.name")} + ${lit(`: ${taken}`)}`),
    ],
  });
}

function podSecurityPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const labels = "object.metadata.labels";
  const enforce = "pod-security.kubernetes.io/enforce";
  const version = "pod-security.kubernetes.io/enforce-version";
  const message = `namespace ${r.namespace} must enforce Pod Security "restricted" (label ${enforce}=restricted, ${version} unset or latest): it runs untrusted MCP code`;
  return policy(r, "pod-security", {
    rules: [rule("", ["v1"], ["namespaces"], WRITE, "Cluster")],
    validations: [
      check(
        `has(${labels}) && ${lit(enforce)} in ${labels} && ${labels}[${lit(enforce)}] == "restricted" && ` +
          `(!(${lit(version)} in ${labels}) || ${labels}[${lit(version)}] == "latest")`,
        message,
        lit(message),
      ),
    ],
  });
}

/** The guard's policies and one Deny binding per policy, scoped to the MCP namespace. */
export function admissionGuardManifests(args: AdmissionPolicyArgs): AdmissionGuardManifests {
  const r = resolveAdmissionPolicyArgs(args);
  const policies = [sandboxPolicy(r), reservedEnvPolicy(r), imagesPolicy(r), scalePolicy(r), domainMappingPolicy(r), podSecurityPolicy(r)];
  const bindings = policies.map((p): ValidatingAdmissionPolicyBindingManifest => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: p.metadata.name, labels: guardLabels() },
    spec: { policyName: p.metadata.name, validationActions: ["Deny"], matchResources: namespaceScope(r) },
  }));
  return { ids: policies.map((p) => p.metadata.name.slice(r.namespace.length + 1)), policies, bindings };
}
