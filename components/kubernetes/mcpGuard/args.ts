// The MCP admission guard's inputs: the contract with the backend (AdmissionPolicyArgs), their defaults, and
// the checks that refuse a weak or broken guard before anything is planned. Values are baked into the CEL
// source, so they are plain values, validated here. The policies are the sibling modules (one per policy).
import { KNATIVE_SERVING_DEFAULTS } from "../../serving/knativeServingManifests.js";
import { GKE_SANDBOX_RUNTIME_CLASS } from "../gkeSandbox.js";
import { MCP_NAMESPACE_DEFAULTS } from "../mcpNamespaceDefaults.js";
import { BUILD_IMAGE_PATH } from "../platformTenants.js";

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

/** The guard's inputs with every default applied, validated. */
export type Resolved = Required<Omit<AdmissionPolicyArgs, "platformImageRepository">> & { platformImageRepository: string | undefined };

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
