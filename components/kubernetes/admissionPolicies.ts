// The admission guard's manifests, as plain data: ValidatingAdmissionPolicies (CEL) and their bindings that
// make the cluster itself refuse MCP servers escaping their sandbox, leaving their tenant, or starving their
// neighbours. MCP servers are created at run time by the backend, so neither Pulumi nor the CrossGuard pack
// ever sees them. Knative facts cited by path are from knative/serving at tag knative-v1.22.1 (docs/admission-guard.md).
//
// CEL used here is limited to what Kubernetes CEL and both test evaluators (@marcbachmann/cel-js and
// @bufbuild/cel) support: has(), ternaries, `in`, size(), string(), duration(), the exists/all/filter/map macros,
// startsWith, matches, int(), join (Kubernetes' strings extension), and from Kubernetes' own libraries
// isQuantity()/quantity().asApproximateFloat() (quantity library) and sum() (lists library), which the tests
// emulate. No optional types, cel.bind or object indexing by field name. Fields named with CEL reserved words
// (metadata.namespace, spec.ref.namespace) would need escaping: none is read.
//
// Cost: the API server aborts an evaluation past its cost budget, and failurePolicy Fail then refuses the
// object (kubernetes/kubernetes#115747). Every list macro here ranges over one pod's containers, volumes or a
// container's own env/envFrom/ports/capabilities, or over a fixed list baked in below; macros nest at most two
// deep (containers x their env), never over two unbounded lists of different objects. The test
// "CEL cost is structurally bounded" enforces both, and times a worst case at the API server's request size.

import { KNATIVE_SERVING_DEFAULTS } from "../serving/knativeServingManifests.js";
import { MCP_NAMESPACE_DEFAULTS } from "./mcpNamespaceDefaults.js";
import { BUILD_IMAGE_PATH } from "./platformTenants.js";
import { GKE_SANDBOX_RUNTIME_CLASS } from "./gkeSandbox.js";

/**
 * Inputs of the guard. Values are baked into the CEL source, so they are plain values, validated here.
 *
 * The contract with the backend (which creates every MCP server, from fields the customer controls):
 * - every MCP Knative Service carries `gumstack.com/tenant: <tenant-id>`, the tenant the backend authenticated
 *   (never a value the customer chooses), on its metadata AND on
 *   `spec.template.metadata` (Knative copies the template's labels to every Revision, Deployment, ReplicaSet and
 *   Pod); the label is required on every workload object of the namespace and cannot change on UPDATE;
 * - its images are `<tenantImageRepository>/<tenant-id>/<name>`, pinned by digest (or by tag when the
 *   repository's tags are immutable); never the platform's own images;
 * - its settings are plain `env` values: no Secret or ConfigMap is ever named (the namespace is shared, and the
 *   kubelet hands any object of the namespace to any pod that names it);
 * - its only volumes are `emptyDir` with a `sizeLimit`; no probe or lifecycle hook names a `host`;
 * - its host is `<service-name>.<domain>`: one DomainMapping named exactly that, ref the Service, no `spec.tls`;
 * - no explicit revision name, no queue-proxy resource annotations, `initial-scale` within `max-scale`,
 *   `progress-deadline` within the bound, at most `maxContainers` containers within the per-pod CPU and memory.
 */
/**
 * Defaults of the guard's own bounds; the config schema takes gumstack:mcp's maxContainers, maxPodCpu, maxPodMemory
 * and maxProgressDeadlineSeconds from here.
 */
export const ADMISSION_DEFAULTS = {
  maxProgressDeadlineSeconds: 600,
  maxContainers: 2,
  maxPodCpu: "2",
  maxPodMemory: "2Gi",
} as const;

export interface AdmissionPolicyArgs {
  /** Namespace of the MCP servers, the only namespace the guard applies to. Default "gumstack-mcp", McpNamespace's. */
  readonly namespace?: string;
  /** The credential-less service account every MCP pod must run as. Default "mcp-server", McpNamespace's. */
  readonly serviceAccountName?: string;
  /** RuntimeClass every MCP pod must use; GKE Sandbox creates it. Default "gvisor". */
  readonly runtimeClassName?: string;
  /**
   * The stack's tenant MCP repository, `<host>/<project>/<repository>` (a trailing "/" is ignored): an MCP image
   * must be `<this>/<tenant-id>/<name>`, tenant-id being the object's `gumstack.com/tenant` label. Required.
   */
  readonly tenantImageRepository: string;
  /** Whether the tenant repository's tags are immutable: then a tag pins an image; otherwise only a digest does. Default false. */
  readonly tenantTagsImmutable?: boolean;
  /** The platform's own image repository (backend, builder, canary): refused by name for MCP servers. Default none (it is outside every tenant path anyway). */
  readonly platformImageRepository?: string;
  /**
   * Tenant ids reserved for platform images in the tenant repository, refused as the tenant label of any MCP
   * workload, so no MCP server can run images from those paths (the builder's copy, docs/build-plane.md). The
   * canary's id (gumstack-canary) is not among them: the canary runs as that MCP tenant on purpose. Default ["gumstack-build"].
   */
  readonly reservedTenants?: readonly string[];
  /** Images Knative injects itself, allowed only for its queue-proxy container in Deployments, ReplicaSets and Pods. Default [KNATIVE_QUEUE_PROXY_IMAGE_PREFIX]. */
  readonly knativeSystemImagePrefixes?: readonly string[];
  /** The platform domain: DomainMappings must be `<service>.<domain>`. Required. */
  readonly domain: string;
  /** Labels under the domain that no DomainMapping may take (`api` reserves `api.<domain>`). Default DEFAULT_RESERVED_HOSTNAMES. */
  readonly reservedHostnames?: readonly string[];
  /** Lowest autoscaling.knative.dev/min-scale a server may set (0: the annotation may be omitted). Default 1, KnativeServing's. */
  readonly minScale?: number;
  /** Highest autoscaling.knative.dev/max-scale a server may set (0, unlimited, is always refused). Default 20, KnativeServing's. */
  readonly maxScaleLimit?: number;
  /** Longest serving.knative.dev/progress-deadline (and Deployment progressDeadlineSeconds), seconds. Default 600 (Knative's default). */
  readonly maxProgressDeadlineSeconds?: number;
  /** Most containers an MCP pod may run (`spec.containers`, Knative's queue-proxy not counted). Default 2. */
  readonly maxContainers?: number;
  /** Largest sum of the containers' CPU (limit, or the LimitRange default when unset; the request if higher) per pod. Default "2". */
  readonly maxPodCpu?: string;
  /** Largest sum of the containers' memory (limit, or the LimitRange default when unset; the request if higher) per pod. Default "2Gi". */
  readonly maxPodMemory?: string;
  /** The CPU limit the MCP LimitRange gives a container that sets none (counted in the per-pod sum). Default "2", McpNamespace's maxCpu. */
  readonly containerDefaultCpuLimit?: string;
  /** The memory limit the MCP LimitRange gives a container that sets none (counted per pod). Default "256Mi" (McpNamespace's). */
  readonly containerDefaultMemoryLimit?: string;
  /** Largest emptyDir sizeLimit (the LimitRange's container ephemeral-storage max). Default "4Gi", McpNamespace's maxEphemeralStorage. */
  readonly maxEmptyDirSize?: string;
  /** Environment variable prefixes reserved for the platform. Default ["GUMSTACK_", "GUMLOOP_"]. */
  readonly reservedEnvPrefixes?: readonly string[];
}

/** The label that binds every MCP object to its tenant. */
export const TENANT_LABEL = "gumstack.com/tenant";

/**
 * Names a platform uses for its own hosts: no MCP server may take `<name>.<domain>`. The tenancy layer always adds
 * the API subdomain (src/stacks/layers/tenancy.ts). The labels of enterprise customers' domains under the platform
 * domain are in the platform stack's `gumstack:mcp.reservedHostnames`: `npm run new-enterprise` writes them there
 * and `npm run fleet` refuses a platform stack that lacks one (src/config/enterpriseDomains.ts).
 */
export const DEFAULT_RESERVED_HOSTNAMES: readonly string[] = [
  "api",
  "www",
  "app",
  "auth",
  "login",
  "logout",
  "signin",
  "signup",
  "sso",
  "oauth",
  "id",
  "identity",
  "account",
  "accounts",
  "admin",
  "dashboard",
  "console",
  "portal",
  "docs",
  "help",
  "support",
  "status",
  "mail",
  "smtp",
  "imap",
  "pop",
  "mx",
  "ns1",
  "ns2",
  "billing",
  "blog",
  "cdn",
  "static",
  "assets",
  "mcp",
  "gateway",
  "internal",
  "metrics",
  "grafana",
  "webhooks",
  "security",
  "gumstack",
  "gumloop",
];

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

interface NamedExpression {
  name: string;
  expression: string;
}
interface Validation {
  expression: string;
  message: string;
  messageExpression: string;
  reason: "Forbidden";
}
/** DELETE is never judged: removing an MCP server cannot open an escape. */
type Operation = "CREATE" | "UPDATE";
interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: Operation[];
  scope: "Namespaced" | "Cluster";
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

type Resolved = Required<Omit<AdmissionPolicyArgs, "platformImageRepository">> & { platformImageRepository: string | undefined };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Registry host with a dot (no implicit docker.io), at least one repository path segment, no trailing "/".
const REPOSITORY = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?(\/[a-z0-9._-]+)+$/;
const IMAGE_PREFIX = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?\/([a-z0-9._-]+\/)+$/;
const DIGEST_PREFIX = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?\/[a-z0-9._\/-]*[a-z0-9]@sha256:$/;
const ENV_PREFIX = /^[A-Z][A-Z0-9_]*_$/;
/** A tenant id: a DNS label, so it is a valid label value and an Artifact Registry path segment. */
export const TENANT_ID = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
/** Most containers the maxContainers setting may allow; also the bound every per-container macro relies on. */
export const MAX_CONTAINERS_LIMIT = 10;

const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
/**
 * A Kubernetes resource quantity as a number (k8s.io/apimachinery resource.Quantity's grammar: decimal or binary
 * SI suffix, or a decimal exponent), or undefined when it is not one.
 */
export function quantityValue(q: string): number | undefined {
  const m = QUANTITY.exec(q);
  if (!m) return undefined;
  const [, sign, digits, suffix = ""] = m;
  const scale = BINARY[suffix] ?? DECIMAL[suffix] ?? (/^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : undefined);
  return scale === undefined ? undefined : (sign === "-" ? -1 : 1) * Number(digits) * scale;
}

/** Applies the defaults and refuses values that would make a weak or broken guard. */
export function resolveAdmissionPolicyArgs(args: AdmissionPolicyArgs): Resolved {
  const r: Resolved = {
    namespace: args.namespace ?? MCP_NAMESPACE_DEFAULTS.namespace,
    serviceAccountName: args.serviceAccountName ?? MCP_NAMESPACE_DEFAULTS.serviceAccountName,
    runtimeClassName: args.runtimeClassName ?? GKE_SANDBOX_RUNTIME_CLASS,
    tenantImageRepository: (args.tenantImageRepository ?? "").replace(/\/$/, ""),
    tenantTagsImmutable: args.tenantTagsImmutable ?? false,
    platformImageRepository: args.platformImageRepository?.replace(/\/$/, ""),
    reservedTenants: args.reservedTenants ?? [BUILD_IMAGE_PATH],
    knativeSystemImagePrefixes: args.knativeSystemImagePrefixes ?? [KNATIVE_QUEUE_PROXY_IMAGE_PREFIX],
    domain: args.domain,
    reservedHostnames: args.reservedHostnames ?? DEFAULT_RESERVED_HOSTNAMES,
    minScale: args.minScale ?? KNATIVE_SERVING_DEFAULTS.minScale,
    maxScaleLimit: args.maxScaleLimit ?? KNATIVE_SERVING_DEFAULTS.maxScaleLimit,
    maxProgressDeadlineSeconds: args.maxProgressDeadlineSeconds ?? ADMISSION_DEFAULTS.maxProgressDeadlineSeconds,
    maxContainers: args.maxContainers ?? ADMISSION_DEFAULTS.maxContainers,
    maxPodCpu: args.maxPodCpu ?? ADMISSION_DEFAULTS.maxPodCpu,
    maxPodMemory: args.maxPodMemory ?? ADMISSION_DEFAULTS.maxPodMemory,
    containerDefaultCpuLimit: args.containerDefaultCpuLimit ?? MCP_NAMESPACE_DEFAULTS.maxCpu,
    containerDefaultMemoryLimit: args.containerDefaultMemoryLimit ?? MCP_NAMESPACE_DEFAULTS.defaultMemory,
    maxEmptyDirSize: args.maxEmptyDirSize ?? MCP_NAMESPACE_DEFAULTS.maxEphemeralStorage,
    reservedEnvPrefixes: args.reservedEnvPrefixes ?? ["GUMSTACK_", "GUMLOOP_"],
  };
  const fail = (field: string, why: string): never => {
    throw new Error(`AdmissionGuard ${field}: ${why}`);
  };
  for (const f of ["namespace", "serviceAccountName", "runtimeClassName"] as const) {
    if (!DNS_LABEL.test(r[f])) fail(f, `${JSON.stringify(r[f])} is not a DNS-1123 label`);
  }
  if (!REPOSITORY.test(r.tenantImageRepository)) {
    fail(
      "tenantImageRepository",
      `${JSON.stringify(args.tenantImageRepository)} must be <registry host>/<project>/<repository>, e.g. us-west1-docker.pkg.dev/gumstack-prod/mcp-prod`,
    );
  }
  const platform = r.platformImageRepository;
  if (platform !== undefined) {
    if (!REPOSITORY.test(platform))
      fail("platformImageRepository", `${JSON.stringify(platform)} must be <registry host>/<project>/<repository>`);
    // One inside the other would let a tenant path name platform images, or refuse every tenant image.
    if (`${r.tenantImageRepository}/`.startsWith(`${platform}/`) || `${platform}/`.startsWith(`${r.tenantImageRepository}/`)) {
      fail(
        "platformImageRepository",
        `${JSON.stringify(platform)} overlaps tenantImageRepository ${JSON.stringify(r.tenantImageRepository)}: tenant and platform images must live in separate repositories`,
      );
    }
  }
  for (const p of r.knativeSystemImagePrefixes) {
    if (!IMAGE_PREFIX.test(p) && !DIGEST_PREFIX.test(p)) {
      fail("knativeSystemImagePrefixes", `${JSON.stringify(p)} must end in "/" or "@sha256:"`);
    }
  }
  if (!DOMAIN.test(r.domain)) fail("domain", `${JSON.stringify(r.domain)} is not a lowercase DNS domain`);
  for (const t of r.reservedTenants)
    if (!DNS_LABEL.test(t)) fail("reservedTenants", `${JSON.stringify(t)} is not a tenant id (a DNS label)`);
  for (const s of r.reservedHostnames)
    if (!DNS_LABEL.test(s)) fail("reservedHostnames", `${JSON.stringify(s)} is not a DNS label (a name under the domain, such as api)`);
  if (!Number.isInteger(r.minScale) || r.minScale < 0) fail("minScale", "must be an integer >= 0");
  if (!Number.isInteger(r.maxScaleLimit) || r.maxScaleLimit < Math.max(1, r.minScale)) {
    fail("maxScaleLimit", `must be an integer >= max(1, minScale ${r.minScale})`);
  }
  if (!Number.isInteger(r.maxProgressDeadlineSeconds) || r.maxProgressDeadlineSeconds < 1)
    fail("maxProgressDeadlineSeconds", "must be a positive integer");
  if (!Number.isInteger(r.maxContainers) || r.maxContainers < 1 || r.maxContainers > MAX_CONTAINERS_LIMIT) {
    fail("maxContainers", `must be an integer from 1 to ${MAX_CONTAINERS_LIMIT}`);
  }
  for (const f of ["maxPodCpu", "maxPodMemory", "containerDefaultCpuLimit", "containerDefaultMemoryLimit", "maxEmptyDirSize"] as const) {
    const v = quantityValue(r[f]);
    if (v === undefined || v <= 0) fail(f, `${JSON.stringify(r[f])} is not a positive Kubernetes quantity`);
  }
  // A container that sets no limit gets the LimitRange default: a pod of one such container must fit.
  if (quantityValue(r.containerDefaultCpuLimit)! > quantityValue(r.maxPodCpu)!)
    fail(
      "maxPodCpu",
      `${r.maxPodCpu} is below containerDefaultCpuLimit ${r.containerDefaultCpuLimit}: no server without a CPU limit could run`,
    );
  if (quantityValue(r.containerDefaultMemoryLimit)! > quantityValue(r.maxPodMemory)!)
    fail(
      "maxPodMemory",
      `${r.maxPodMemory} is below containerDefaultMemoryLimit ${r.containerDefaultMemoryLimit}: no server without a memory limit could run`,
    );
  if (r.reservedEnvPrefixes.length === 0) fail("reservedEnvPrefixes", "at least one prefix is required");
  for (const p of r.reservedEnvPrefixes)
    if (!ENV_PREFIX.test(p)) fail("reservedEnvPrefixes", `${JSON.stringify(p)} must look like GUMSTACK_`);
  return r;
}

// CEL literals. Inputs are validated to plain ASCII above; JSON string escapes are valid CEL escapes.
const lit = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(lit).join(", ")}]`;
/** A CEL double literal (CEL has no implicit int/double comparison in every evaluator). */
const dbl = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));
const quoted = (expr: string): string => `${lit('"')} + ${expr} + ${lit('"')}`;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** "why (items: a, b)": the static message plus the offending items named by a list<string> variable. */
const withItems = (message: string, label: string, variable: string): string =>
  `${lit(`${message} (${label}: `)} + variables.${variable}.join(", ") + ${lit(")")}`;

const KNATIVE = "serving.knative.dev";
const WRITE: Operation[] = ["CREATE", "UPDATE"];
const rule = (
  group: string,
  versions: string[],
  resources: string[],
  operations = WRITE,
  scope: "Namespaced" | "Cluster" = "Namespaced",
): ResourceRule => ({ apiGroups: [group], apiVersions: versions, resources, operations, scope });

/** Every kind that is or stamps out a pod; the Pod rule is the backstop for kinds not listed. */
const WORKLOAD_RULES: ResourceRule[] = [
  rule(KNATIVE, ["v1"], ["services", "configurations", "revisions"]),
  rule("apps", ["v1"], ["deployments", "replicasets", "statefulsets", "daemonsets"]),
  rule("batch", ["v1"], ["jobs", "cronjobs"]),
  rule("", ["v1"], ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]),
];
const KNATIVE_RULES: ResourceRule[] = [rule(KNATIVE, ["v1"], ["services", "configurations", "revisions"])];

// An UPDATE that leaves the pod template alone (labels, finalizers, Knative's routing-state annotations, and
// `spec.replicas`, which the Deployment controller UPDATEs on a ReplicaSet at every scale step) cannot open an
// escape, and refusing it would wedge controllers on objects created before a limit changed: a ReplicaSet that
// no longer complies could then never be scaled, not even down to zero. Like Pod Security admission, only
// creations and changes of what the pods are made of are judged.
const TEMPLATE_CHANGED =
  `request.kind.kind in ["Pod", "Revision"] ? object.spec != oldObject.spec : ` +
  `request.kind.kind == "CronJob" ? object.spec.jobTemplate != oldObject.spec.jobTemplate : ` +
  `object.spec.template != oldObject.spec.template`;
const POD_TEMPLATE_CHANGED: NamedExpression = {
  name: "create-or-pod-template-change",
  expression: `request.operation != "UPDATE" || (${TEMPLATE_CHANGED})`,
};

/** The object's own labels, and the pod template's (a Pod's and a Revision's are their own). */
const labelsOf = (o: string) => `(has(${o}.metadata.labels) ? ${o}.metadata.labels : {})`;
const tenantOf = (labels: string) => `(${lit(TENANT_LABEL)} in ${labels} ? ${labels}[${lit(TENANT_LABEL)}] : "")`;
const TEMPLATE_META =
  `request.kind.kind in ["Pod", "Revision"] ? {} : request.kind.kind == "CronJob" ? (has(object.spec.jobTemplate.spec.template.metadata) ? object.spec.jobTemplate.spec.template.metadata : {}) : ` +
  `(has(object.spec.template.metadata) ? object.spec.template.metadata : {})`;
const TENANT_VARIABLES: NamedExpression[] = [
  { name: "tenant", expression: tenantOf(labelsOf("object")) },
  {
    name: "templateTenant",
    expression:
      `request.kind.kind in ["Pod", "Revision"] ? variables.tenant : ` +
      `(has(variables.templateMeta.labels) ? ${tenantOf("variables.templateMeta.labels")} : "")`,
  },
];

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
  { name: "volumes", expression: "has(variables.podSpec.volumes) ? variables.podSpec.volumes : []" },
  // Knative's controller adds the queue-proxy sidecar when it turns a Revision into a Deployment.
  { name: "knativeDerived", expression: `request.kind.kind in ["Deployment", "ReplicaSet", "Pod"]` },
];

function policy(
  r: Resolved,
  suffix: string,
  spec: Omit<ValidatingAdmissionPolicyManifest["spec"], "failurePolicy" | "matchConstraints"> & { rules: ResourceRule[] },
): ValidatingAdmissionPolicyManifest {
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

const guardLabels = (): Record<string, string> => ({
  "app.kubernetes.io/part-of": "gumstack",
  "app.kubernetes.io/component": "admission-guard",
});
// kubernetes.io/metadata.name is set by the API server and cannot be forged; for a Namespace object the
// selector is matched against its own labels, which is what the pod-security policy relies on.
const namespaceScope = (r: Resolved) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": r.namespace } } });

const check = (expression: string, message: string, messageExpression: string): Validation => ({
  expression,
  message,
  messageExpression,
  reason: "Forbidden",
});
/** A validation that passes when the list<string> variable of offenders is empty, naming them when not. */
const none = (variable: string, message: string, label: string): Validation =>
  check(`size(variables.${variable}) == 0`, message, withItems(message, label, variable));
const containerFlag = (field: string) =>
  `variables.containers.filter(c, has(c.securityContext) && has(c.securityContext.${field}) && c.securityContext.${field}).map(c, c.name)`;
/** A quantity field of `o` (a string, or an int that a CRD object may carry), as a double; callers check isQuantity first. */
const qty = (s: string) => `quantity(${s}).asApproximateFloat()`;

// The kubelet runs probes and lifecycle hooks from the node, outside the sandbox and the NetworkPolicies: a
// `host` points it at any address the node reaches (the metadata server, the control plane, other pods).
// gRPC probes have no host field (core/v1 GRPCAction: port, service) and always target the pod's IP.
// Knative keeps httpGet.host and tcpSocket.host (pkg/apis/serving/fieldmask.go HTTPGetActionMask,
// TCPSocketActionMask) and drops `lifecycle` from user containers; its own preStop hook names no host.
const HOOKS = ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"];
const hostSet = (c: string) =>
  HOOKS.map((h) => {
    const [outer, inner] = h.split(".");
    const path = inner ? `${c}.${outer}.${inner}` : `${c}.${outer}`;
    const guard = inner ? `has(${c}.${outer}) && has(${path})` : `has(${path})`;
    return ["httpGet", "tcpSocket"]
      .map((a) => `(${guard} && has(${path}.${a}) && has(${path}.${a}.host) && ${path}.${a}.host != "")`)
      .join(" || ");
  }).join(" || ");

function sandboxPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const p = "variables.podSpec";
  const sa = lit(r.serviceAccountName);
  const maxEmptyDir = quantityValue(r.maxEmptyDirSize)!;
  return policy(r, "sandbox", {
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      {
        name: "hostNamespaces",
        expression: ["hostNetwork", "hostPID", "hostIPC"].map((f) => `(has(${p}.${f}) && ${p}.${f} ? [${lit(f)}] : [])`).join(" + "),
      },
      {
        name: "hostPortContainers",
        expression:
          "variables.containers.filter(c, has(c.ports) && c.ports.exists(pt, has(pt.hostPort) && pt.hostPort != 0)).map(c, c.name)",
      },
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
        expression:
          "variables.volumes.filter(v, has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has(s.serviceAccountToken))).map(v, v.name)",
      },
      { name: "hostProbes", expression: `variables.containers.filter(c, ${hostSet("c")}).map(c, c.name)` },
      {
        // Knative needs no volume with the platform's config (no system-internal-tls, no queue-sidecar token
        // audiences, no var-log collection: pkg/reconciler/revision/resources/deploy.go makePodSpec), and the
        // platform intends scratch space only. Secret volumes and token volumes have their own refusals.
        name: "otherVolumes",
        expression:
          "variables.volumes.filter(v, !has(v.emptyDir) && !has(v.hostPath) && !has(v.secret) && " +
          "!(has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has(s.serviceAccountToken) || has(s.secret)))).map(v, v.name)",
      },
      {
        // Without a sizeLimit an emptyDir grows until the node's disk is full and the kubelet evicts neighbours.
        name: "unboundedEmptyDirs",
        expression:
          "variables.volumes.filter(v, has(v.emptyDir) && (!has(v.emptyDir.sizeLimit) || !isQuantity(string(v.emptyDir.sizeLimit)) || " +
          `${qty("string(v.emptyDir.sizeLimit)")} > ${dbl(maxEmptyDir)})).map(v, v.name)`,
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
      none(
        "tokenVolumes",
        "projected serviceAccountToken volumes are not allowed: they mount a Kubernetes API token into untrusted MCP code",
        "volumes",
      ),
      none(
        "hostNamespaces",
        "hostNetwork, hostPID and hostIPC are not allowed: they share the node's network, processes or IPC with untrusted MCP code",
        "set",
      ),
      none(
        "hostPortContainers",
        "hostPort is not allowed: it exposes the pod on the node's address, around the MCP NetworkPolicies",
        "containers",
      ),
      none("privilegedContainers", "privileged containers are not allowed: they get full access to the node", "containers"),
      none("escalatingContainers", "allowPrivilegeEscalation must not be true: MCP processes must not gain privileges", "containers"),
      none("hostPathVolumes", "hostPath volumes are not allowed: they expose the node's filesystem to untrusted MCP code", "volumes"),
      none(
        "addedCapabilities",
        `adding Linux capabilities other than ${RESTRICTED_ADDABLE_CAPABILITY} is not allowed: MCP containers run with the restricted capability set`,
        "containers",
      ),
      none(
        "hostProbes",
        "probes and lifecycle hooks may not set host: the kubelet would send them from the node, outside the sandbox and the NetworkPolicies",
        "containers",
      ),
      none(
        "otherVolumes",
        "only emptyDir volumes are allowed: Knative needs none, and an MCP server gets scratch space only, never another object or the node's storage",
        "volumes",
      ),
      none(
        "unboundedEmptyDirs",
        `emptyDir volumes need a sizeLimit of at most ${r.maxEmptyDirSize}: an unbounded one can fill the node's disk and get neighbours evicted`,
        "volumes",
      ),
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
      none(
        "reservedEnv",
        `environment variables starting with ${shown} are reserved for the platform and may not be set by an MCP server`,
        "containers",
      ),
      none(
        "reservedEnvFromPrefixes",
        `envFrom prefixes that would produce names starting with ${shown} are not allowed: those names are reserved for the platform`,
        "containers",
      ),
    ],
  });
}

// The namespace is shared by every tenant, and the kubelet hands any Secret or ConfigMap of the namespace to any
// pod that names it (there is no per-pod authorization): a reference is a read of another tenant's object. MCP
// servers get their settings as plain `env` values that the backend writes into the Service; `valueFrom` may
// only read the pod's own fields (fieldRef, resourceFieldRef).
function secretsPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const p = "variables.podSpec";
  const envWith = (ref: string) =>
    `variables.containers.filter(c, has(c.env) && c.env.exists(e, has(e.valueFrom) && has(e.valueFrom.${ref})))` +
    `.map(c, c.name + " env " + c.env.filter(e, has(e.valueFrom) && has(e.valueFrom.${ref})).map(e, e.name).join("+"))`;
  const why =
    "the namespace is shared by every tenant and the kubelet gives any pod the objects it names; settings come as plain env values";
  return policy(r, "secrets", {
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      { name: "secretEnv", expression: envWith("secretKeyRef") },
      { name: "envFromContainers", expression: "variables.containers.filter(c, has(c.envFrom) && size(c.envFrom) > 0).map(c, c.name)" },
      {
        name: "secretVolumes",
        expression:
          "variables.volumes.filter(v, has(v.secret) || (has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has(s.secret)))).map(v, v.name)",
      },
      { name: "pullSecrets", expression: `has(${p}.imagePullSecrets) ? ${p}.imagePullSecrets.map(s, has(s.name) ? s.name : "") : []` },
      { name: "configMapEnv", expression: envWith("configMapKeyRef") },
    ],
    validations: [
      none("secretEnv", `env valueFrom.secretKeyRef is not allowed: ${why}`, "containers"),
      none("envFromContainers", `envFrom is not allowed (it only names Secrets and ConfigMaps): ${why}`, "containers"),
      none("secretVolumes", `secret volumes (and projected secret sources) are not allowed: ${why}`, "volumes"),
      none(
        "pullSecrets",
        "imagePullSecrets are not allowed: MCP nodes pull from the tenant repository with their own identity, and a pull secret is another tenant's readable Secret",
        "secrets",
      ),
      none("configMapEnv", `env valueFrom.configMapKeyRef is not allowed: ${why}`, "containers"),
    ],
  });
}

// Tenant binding, part one: the label. Judged on CREATE, on a template change, and whenever the label itself
// changes (so immutability holds on an UPDATE that touches only metadata). Replicas-only UPDATEs are skipped.
function tenantPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const was = tenantOf(labelsOf("oldObject"));
  const label = TENANT_LABEL;
  const required = `label ${label} is required on every MCP workload: a DNS label naming the tenant, on metadata.labels`;
  const template = `the pod template must carry the same ${label} label as the object: Knative copies the template's labels to every Revision and pod`;
  const immutable = `label ${label} cannot change: an MCP server never moves to another tenant`;
  const reserved = `label ${label} must not be a tenant id the platform reserves for its own images (${r.reservedTenants.join(", ")})`;
  return policy(r, "tenant", {
    rules: WORKLOAD_RULES,
    matchConditions: [
      {
        name: "create-template-or-tenant-change",
        expression: `request.operation != "UPDATE" || (${TEMPLATE_CHANGED}) || ${tenantOf(labelsOf("object"))} != ${was}`,
      },
    ],
    variables: [{ name: "templateMeta", expression: TEMPLATE_META }, ...TENANT_VARIABLES],
    validations: [
      check(
        `variables.tenant.matches(${lit(TENANT_ID)})`,
        required,
        `${lit(`${required}; got `)} + (variables.tenant == "" ? "none" : ${quoted("variables.tenant")})`,
      ),
      check(`!(variables.tenant in ${list(r.reservedTenants)})`, reserved, `${lit(`${reserved}; got `)} + ${quoted("variables.tenant")}`),
      check(
        `variables.templateTenant == variables.tenant`,
        template,
        `${lit(`${template}; got `)} + (variables.templateTenant == "" ? "none" : ${quoted("variables.templateTenant")})`,
      ),
      check(
        `request.operation != "UPDATE" || ${was} == variables.tenant`,
        immutable,
        `${lit(`${immutable}; was `)} + (${was} == "" ? "none" : ${quoted(was)}) + ", now " + (variables.tenant == "" ? "none" : ${quoted("variables.tenant")})`,
      ),
    ],
  });
}

// Tenant binding, part two: images. An image must be <tenant repository>/<the object's tenant>/<name>, pinned.
// Without a valid tenant label nothing is judged here: the tenant policy, matched on a superset of these
// requests, refuses the object then.
function imagesPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const repo = r.tenantImageRepository;
  const name = "[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*";
  const tag = ":[A-Za-z0-9_][A-Za-z0-9._-]{0,127}";
  const digest = "@sha256:[a-f0-9]{64}";
  const pin = r.tenantTagsImmutable ? `((${tag})?${digest}|${tag})` : `(${tag})?${digest}`;
  const shape = `^${escapeRe(repo)}/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/${name}${pin}$`;
  const system = `(variables.knativeDerived && c.name == "queue-proxy" && ${list(r.knativeSystemImagePrefixes)}.exists(p, c.image.startsWith(p)))`;
  const platform = r.platformImageRepository;
  const isPlatform = platform ? `c.image.startsWith(${lit(`${platform}/`)})` : "false";
  const pinned = r.tenantTagsImmutable
    ? "by digest or by tag (the repository's tags are immutable)"
    : "by digest (@sha256:...; the repository's tags are mutable)";
  const message = `images must be ${repo}/<tenant>/<name> for the object's ${TENANT_LABEL} tenant, pinned ${pinned}: a tenant runs only images built from its own code`;
  return policy(r, "images", {
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      { name: "tenant", expression: tenantOf(labelsOf("object")) },
      { name: "imageRoot", expression: `${lit(`${repo}/`)} + variables.tenant + "/"` },
      {
        name: "platformImages",
        expression: `variables.containers.filter(c, has(c.image) && ${isPlatform}).map(c, c.name + "=" + c.image)`,
      },
      {
        name: "refusedImages",
        expression:
          `!variables.tenant.matches(${lit(TENANT_ID)}) ? [] : variables.containers.filter(c, !has(c.image) || (!${isPlatform} && !${system} && ` +
          `!(c.image.startsWith(variables.imageRoot) && c.image.matches(${lit(shape)})))).map(c, c.name + "=" + (has(c.image) ? c.image : "<none>"))`,
      },
    ],
    validations: [
      ...(platform
        ? [
            none(
              "platformImages",
              `the platform's own images (${platform}/) may not run as MCP servers: they carry the platform's code and trust`,
              "refused",
            ),
          ]
        : []),
      none("refusedImages", message, "refused"),
    ],
  });
}

/** The containers a tenant controls: a derived pod's queue-proxy (Knative's image, Knative's name) is the platform's. */
const runContainers = (r: Resolved): NamedExpression => ({
  name: "runContainers",
  expression:
    "(has(variables.podSpec.containers) ? variables.podSpec.containers : []).filter(c, " +
    `!(variables.knativeDerived && c.name == "queue-proxy" && has(c.image) && ${list(r.knativeSystemImagePrefixes)}.exists(p, c.image.startsWith(p))))`,
});

// Starving neighbours: the LimitRange caps each container, not the pod, and a pod may run many containers.
function resourcesPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const field = (c: string, kind: "limits" | "requests", res: string, fallback: string) =>
    `(has(${c}.resources) && has(${c}.resources.${kind}) && has(${c}.resources.${kind}.${res}) ? string(${c}.resources.${kind}.${res}) : ${lit(fallback)})`;
  const amount = (res: "cpu" | "memory", fallback: string) => {
    const lim = field("c", "limits", res, fallback);
    const req = field("c", "requests", res, "0");
    return { valid: `isQuantity(${lim}) && isQuantity(${req})`, value: `(${qty(lim)} > ${qty(req)} ? ${qty(lim)} : ${qty(req)})` };
  };
  const cpu = amount("cpu", r.containerDefaultCpuLimit);
  const memory = amount("memory", r.containerDefaultMemoryLimit);
  const count = `at most ${r.maxContainers} containers per MCP pod (Knative's queue-proxy not counted): each one costs the node memory and processes`;
  const cpuMessage = `the containers of an MCP pod may use at most ${r.maxPodCpu} CPU together (limit, or ${r.containerDefaultCpuLimit} when unset): one server must not starve its node`;
  const memMessage = `the containers of an MCP pod may use at most ${r.maxPodMemory} of memory together (limit, or ${r.containerDefaultMemoryLimit} when unset): one server must not starve its node`;
  const deadline = `progressDeadlineSeconds may be at most ${r.maxProgressDeadlineSeconds}: a revision that never gets ready holds its pods until then`;
  const replicas = `a Deployment may start with at most ${r.maxScaleLimit} replicas, the highest max-scale`;
  const priority = "priorityClassName is not allowed: a higher priority lets an MCP pod evict its neighbours";
  const progress = "(has(object.spec.progressDeadlineSeconds) ? object.spec.progressDeadlineSeconds : 0)";
  const oldProgress = progress.replaceAll("object.", "oldObject.");
  return policy(r, "resources", {
    rules: WORKLOAD_RULES,
    matchConditions: [
      {
        name: "create-pod-template-or-deadline-change",
        expression: `${POD_TEMPLATE_CHANGED.expression} || (request.kind.kind == "Deployment" && ${progress} != ${oldProgress})`,
      },
    ],
    variables: [
      ...WORKLOAD_VARIABLES,
      runContainers(r),
      // Bounded: the count check refuses more than maxContainers; past MAX_CONTAINERS_LIMIT nothing is summed.
      { name: "tooMany", expression: `size(variables.runContainers) > ${MAX_CONTAINERS_LIMIT}` },
      {
        name: "badQuantities",
        expression: `variables.tooMany ? [] : variables.runContainers.filter(c, !(${cpu.valid} && ${memory.valid})).map(c, c.name)`,
      },
      {
        name: "podCpu",
        expression: `variables.tooMany || size(variables.badQuantities) > 0 ? 0.0 : variables.runContainers.map(c, ${cpu.value}).sum()`,
      },
      {
        name: "podMemory",
        expression: `variables.tooMany || size(variables.badQuantities) > 0 ? 0.0 : variables.runContainers.map(c, ${memory.value}).sum()`,
      },
    ],
    validations: [
      check(
        `size(variables.runContainers) <= ${r.maxContainers}`,
        count,
        `${lit(`${count}; got `)} + string(size(variables.runContainers))`,
      ),
      none("badQuantities", "container resources must be Kubernetes quantities", "containers"),
      check(
        `variables.podCpu <= ${dbl(quantityValue(r.maxPodCpu)!)}`,
        cpuMessage,
        `${lit(`${cpuMessage}; got `)} + string(variables.podCpu)`,
      ),
      check(
        `variables.podMemory <= ${dbl(quantityValue(r.maxPodMemory)!)}`,
        memMessage,
        `${lit(`${memMessage}; got `)} + string(variables.podMemory) + " bytes"`,
      ),
      // A priority class lets a pod preempt (evict) lower-priority neighbours; MCP pods all run at the default.
      // Knative drops it unless kubernetes.podspec-priorityclassname is enabled (pkg/apis/config/features.go).
      check(
        `!has(variables.podSpec.priorityClassName) || variables.podSpec.priorityClassName == ""`,
        priority,
        `${lit(`${priority}; got `)} + (has(variables.podSpec.priorityClassName) ? ${quoted("variables.podSpec.priorityClassName")} : "none")`,
      ),
      check(
        `request.kind.kind != "Deployment" || ${progress} <= ${r.maxProgressDeadlineSeconds}`,
        deadline,
        `${lit(`${deadline}; got `)} + string(${progress})`,
      ),
      check(
        `request.operation != "CREATE" || request.kind.kind != "Deployment" || !has(object.spec.replicas) || object.spec.replicas <= ${r.maxScaleLimit}`,
        replicas,
        `${lit(`${replicas}; got `)} + string(object.spec.replicas)`,
      ),
    ],
  });
}

const scaleKeys = (key: string): string[] => [`autoscaling.knative.dev/${key}-scale`, `autoscaling.knative.dev/${key}Scale`];
/** Knative reads the revision's annotations from the template (Service, Configuration) or the Revision itself. */
const REVISION_ANNOTATIONS =
  `request.kind.kind == "Revision" ? (has(object.metadata.annotations) ? object.metadata.annotations : {}) : ` +
  `(has(object.spec.template.metadata) && has(object.spec.template.metadata.annotations) ? object.spec.template.metadata.annotations : {})`;
const NUMBER = "^[0-9]{1,9}$";
const valuesOf = (keys: readonly string[]) => `${list(keys)}.filter(k, k in variables.annotations).map(k, variables.annotations[k])`;
const got = (variable: string) => `(size(variables.${variable}) == 0 ? "none" : variables.${variable}.map(v, ${quoted("v")}).join(", "))`;
/** On a Revision UPDATE, whether any of these annotation keys changed (a Revision's bounds live in its metadata). */
const annotationsChanged = (keys: readonly string[]) =>
  `${list(keys)}.exists(k, ` +
  ["object", "oldObject"]
    .map((o) => `(has(${o}.metadata.annotations) && k in ${o}.metadata.annotations ? ${o}.metadata.annotations[k] : "")`)
    .join(" != ") +
  ")";

function scalePolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  // Knative reads the scale bounds under the current key and its legacy camelCase alias (pkg/apis/autoscaling/
  // register.go): every present alias is checked.
  const number = (v: string) => `${v}.matches(${lit(NUMBER)})`;
  // Knative's shipped defaults (min-scale 0, max-scale 0 = unlimited) are outside the limits, so the bounds
  // must be explicit: the cluster-wide defaults in config-autoscaler are not visible to admission.
  const minMessage = `autoscaling.knative.dev/min-scale must be at least ${r.minScale} so every MCP server keeps a warm pod`;
  const maxMessage = `autoscaling.knative.dev/max-scale must be between 1 and ${r.maxScaleLimit} (0 means unlimited): MCP servers share the node pool`;
  const minExpression = `variables.minScale.all(v, ${number("v")} && int(v) >= ${r.minScale})`;
  return policy(r, "scale", {
    rules: KNATIVE_RULES,
    matchConditions: [
      {
        name: "create-or-scale-change",
        expression: `request.operation != "UPDATE" || object.spec != oldObject.spec || ${annotationsChanged([...scaleKeys("min"), ...scaleKeys("max")])}`,
      },
    ],
    variables: [
      { name: "annotations", expression: REVISION_ANNOTATIONS },
      { name: "minScale", expression: valuesOf(scaleKeys("min")) },
      { name: "maxScale", expression: valuesOf(scaleKeys("max")) },
    ],
    validations: [
      check(
        r.minScale > 0 ? `size(variables.minScale) > 0 && ${minExpression}` : minExpression,
        minMessage,
        `${lit(`${minMessage}; got `)} + ${got("minScale")}`,
      ),
      check(
        `size(variables.maxScale) > 0 && variables.maxScale.all(v, ${number("v")} && int(v) >= 1 && int(v) <= ${r.maxScaleLimit})`,
        maxMessage,
        `${lit(`${maxMessage}; got `)} + ${got("maxScale")}`,
      ),
    ],
  });
}

const QUEUE_SIDECAR_PREFIX = "queue.sidecar.serving.knative.dev/";
const PROGRESS_DEADLINE = "serving.knative.dev/progress-deadline";
// Go duration syntax (time.ParseDuration), which Knative parses the annotation with (revision_validation.go).
const GO_DURATION = "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$";

// What a revision is made of beyond its pod: how many pods its first rollout starts, how long a failing one
// holds them, its queue-proxy's resources, and its name.
function revisionsPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const initialKeys = scaleKeys("initial");
  const initial = `autoscaling.knative.dev/initial-scale (and initialScale) must be a number no higher than the server's max-scale (and ${r.maxScaleLimit}): the first rollout must not start more pods than the server may ever run`;
  const deadline = `${PROGRESS_DEADLINE} may be at most ${r.maxProgressDeadlineSeconds}s: a revision that never gets ready holds its pods until then`;
  const sidecar = `${QUEUE_SIDECAR_PREFIX}* annotations are not allowed: queue-proxy's resources are the platform's, outside the per-pod bound`;
  const named =
    "spec.template.metadata.name and generateName are not allowed: Knative names revisions itself, and an explicit name can take another server's next revision";
  const sidecarKeys = (o: string, other: string) =>
    `(has(${o}.metadata.annotations) ? ${o}.metadata.annotations : {}).exists(k, k.startsWith(${lit(QUEUE_SIDECAR_PREFIX)}) && ` +
    `!(has(${other}.metadata.annotations) && k in ${other}.metadata.annotations && ${other}.metadata.annotations[k] == ${o}.metadata.annotations[k]))`;
  return policy(r, "revisions", {
    rules: KNATIVE_RULES,
    matchConditions: [
      {
        name: "create-or-revision-change",
        expression:
          `request.operation != "UPDATE" || object.spec != oldObject.spec || ${annotationsChanged([...initialKeys, ...scaleKeys("max"), PROGRESS_DEADLINE])} || ` +
          `${sidecarKeys("object", "oldObject")} || ${sidecarKeys("oldObject", "object")}`,
      },
    ],
    variables: [
      { name: "annotations", expression: REVISION_ANNOTATIONS },
      { name: "initialScale", expression: valuesOf(initialKeys) },
      { name: "maxScale", expression: valuesOf(scaleKeys("max")) },
      // The server's effective max-scale: the lowest numeric one of at most two keys (no nested macro needed),
      // the limit when none is set (the scale policy refuses that case anyway); 0 (unlimited) counts as the limit.
      { name: "maxNumbers", expression: `variables.maxScale.filter(m, m.matches(${lit(NUMBER)}) && int(m) > 0).map(m, int(m))` },
      {
        name: "maxBound",
        expression:
          `size(variables.maxNumbers) == 0 ? ${r.maxScaleLimit} : ` +
          `(size(variables.maxNumbers) == 1 || variables.maxNumbers[0] < variables.maxNumbers[1] ? variables.maxNumbers[0] : variables.maxNumbers[1]) < ${r.maxScaleLimit} ? ` +
          `(size(variables.maxNumbers) == 1 || variables.maxNumbers[0] < variables.maxNumbers[1] ? variables.maxNumbers[0] : variables.maxNumbers[1]) : ${r.maxScaleLimit}`,
      },
      { name: "progressDeadline", expression: valuesOf([PROGRESS_DEADLINE]) },
      { name: "sidecarAnnotations", expression: `variables.annotations.filter(k, k.startsWith(${lit(QUEUE_SIDECAR_PREFIX)}))` },
      {
        name: "revisionName",
        expression:
          `request.kind.kind == "Revision" || !has(object.spec.template.metadata) ? "" : ` +
          `has(object.spec.template.metadata.name) && object.spec.template.metadata.name != "" ? object.spec.template.metadata.name : ` +
          `has(object.spec.template.metadata.generateName) && object.spec.template.metadata.generateName != "" ? object.spec.template.metadata.generateName : ""`,
      },
    ],
    validations: [
      check(
        `variables.initialScale.all(i, i.matches(${lit(NUMBER)}) && int(i) <= variables.maxBound)`,
        initial,
        `${lit(`${initial}; got initial `)} + ${got("initialScale")} + ", max " + ${got("maxScale")}`,
      ),
      check(
        `variables.progressDeadline.all(v, v.matches(${lit(GO_DURATION)}) && duration(v) <= duration(${lit(`${r.maxProgressDeadlineSeconds}s`)}))`,
        deadline,
        `${lit(`${deadline}; got `)} + ${got("progressDeadline")}`,
      ),
      none("sidecarAnnotations", sidecar, "annotations"),
      check(`variables.revisionName == ""`, named, `${lit(`${named}; got `)} + ${quoted("variables.revisionName")}`),
    ],
  });
}

function domainMappingPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const hostPattern = `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.${escapeRe(r.domain)}$`;
  const reserved = r.reservedHostnames.map((s) => `${s}.${r.domain}`);
  const shape = `a DomainMapping host must be <server>.${r.domain}, one label under the platform domain, whose certificate and DNS the platform manages`;
  const taken = `the host is reserved for the platform (${reserved.join(", ")}) and cannot be mapped to an MCP server`;
  const bound = `a DomainMapping must be named <its Service>.${r.domain}: a server's host is its own name, so no server can take another's`;
  const target = "a DomainMapping must point at a Knative Service (spec.ref apiVersion serving.knative.dev/v1, kind Service)";
  const tls = "spec.tls is not allowed on a DomainMapping: TLS ends at the platform's load balancer";
  const isShaped = `object.metadata.name.matches(${lit(hostPattern)})`;
  const isReserved = `object.metadata.name in ${list(reserved)}`;
  const ref = "object.spec.ref";
  return policy(r, "domain-mappings", {
    // The name is the host and is immutable, but spec.ref can change: both CREATE and UPDATE are judged. Knative
    // itself refuses a ref to another namespace (knative.dev/pkg apis/duck/v1/knative_reference.go, "mismatched namespaces").
    rules: [rule(KNATIVE, ["v1beta1", "v1alpha1"], ["domainmappings"])],
    validations: [
      check(isShaped, shape, `${lit(`${shape}; got `)} + ${quoted("object.metadata.name")}`),
      check(`!(${isReserved})`, taken, `${quoted("object.metadata.name")} + ${lit(`: ${taken}`)}`),
      check(
        `!${isShaped} || ${isReserved} || (has(${ref}) && has(${ref}.name) && object.metadata.name == ${ref}.name + ${lit(`.${r.domain}`)})`,
        bound,
        `${lit(`${bound}; got `)} + ${quoted("object.metadata.name")} + " for Service " + (has(${ref}) && has(${ref}.name) ? ${quoted(`${ref}.name`)} : "none")`,
      ),
      check(
        `has(${ref}) && has(${ref}.kind) && ${ref}.kind == "Service" && has(${ref}.apiVersion) && ${ref}.apiVersion == "serving.knative.dev/v1"`,
        target,
        lit(target),
      ),
      check("!has(object.spec.tls)", tls, lit(tls)),
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
  const policies = [
    sandboxPolicy(r),
    reservedEnvPolicy(r),
    secretsPolicy(r),
    tenantPolicy(r),
    imagesPolicy(r),
    resourcesPolicy(r),
    scalePolicy(r),
    revisionsPolicy(r),
    domainMappingPolicy(r),
    podSecurityPolicy(r),
  ];
  const bindings = policies.map((p): ValidatingAdmissionPolicyBindingManifest => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: p.metadata.name, labels: guardLabels() },
    spec: { policyName: p.metadata.name, validationActions: ["Deny"], matchResources: namespaceScope(r) },
  }));
  return { ids: policies.map((p) => p.metadata.name.slice(r.namespace.length + 1)), policies, bindings };
}
