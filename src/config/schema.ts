// The one schema for the `gumstack:` config namespace. Every stack file (prod, other environments,
// enterprise customers) is validated against it once, in the entry point, before any resource is planned.
import { z } from "zod";
import { FIELD_RULES, derivedNameProblems } from "./derivedNames.js";
import { duplicates } from "./gcpNames.js";
import { maintenanceWindowProblem } from "./maintenanceWindow.js";
import { rangeProblems } from "./podRange.js";
import { namespaceQuotas } from "./quota.js";
import { ADMISSION_DEFAULTS, DEFAULT_RESERVED_HOSTNAMES } from "../../components/kubernetes/admissionPolicies.js";
import { BUILD_DEFAULTS } from "../../components/kubernetes/buildJob.js";
import { MCP_NAMESPACE_DEFAULTS } from "../../components/kubernetes/mcpNamespaceDefaults.js";
import { BACKEND_DEFAULTS } from "../../components/serving/backendApiManifests.js";
import { CANARY_TENANT, ISOLATION_CANARY_DEFAULTS } from "../../components/serving/isolationCanaryTenant.js";
import { BUILD_IMAGE_PATH } from "../../components/kubernetes/platformTenants.js";
import {
  assertOperatorSupports,
  KNATIVE_OPERATOR_CHART,
  KNATIVE_SERVING_DEFAULTS,
  KNATIVE_SERVING_VERSION,
} from "../../components/serving/knativeServingManifests.js";
import { cidrsOverlap, cidrSize, parseCidr } from "@gumstack/network/cidr";
import { DEFAULT_EGRESS, PODS_PER_NODE_RANGE, natPortCheck } from "../../components/gcp/network.js";
import { ALERTING_DEFAULTS } from "../../components/gcp/alerting.js";
import { ARTIFACT_REGISTRY_DEFAULTS } from "../../components/gcp/artifactRegistry.js";
import { CLOUD_ARMOR_DEFAULTS, MAX_SHARED_CLIENT_RANGES } from "../../components/gcp/cloudArmor.js";
import { defaultTenantRepositoryId } from "../../components/gcp/naming.js";
import { DEFAULT_MAINTENANCE_WINDOW, GKE_CLUSTER_DEFAULTS } from "../../components/gke/cluster.js";
import { NODE_POOL_DEFAULTS } from "../../components/gke/nodePool.js";
import { EDGE_DEFAULTS } from "../../components/serving/edgeManifests.js";

/** The backend's Prometheus metrics port (BackendApi's): the serving port must differ from it. */
const BACKEND_METRICS_PORT = BACKEND_DEFAULTS.metricsPort;

/** The Pulumi project name, which is also the config namespace. */
export const CONFIG_NAMESPACE = "gumstack";

/** A zod refinement from a rule of src/config/gcpNames.ts: the rule's sentence is the error. */
const rule = (check: (v: string) => string | undefined) => (v: string, ctx: z.RefinementCtx) => {
  const problem = check(v);
  if (problem) ctx.addIssue({ code: "custom", input: v, message: problem });
};

// GCP project ids: 6-30 chars, lowercase letters, digits, hyphens, start with a letter, no trailing hyphen, no
// restricted words (src/config/gcpNames.ts).
const projectId = z.string().superRefine(rule(FIELD_RULES.project));

const domain = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: "must be a lowercase DNS domain such as gumstack.com (no scheme, no trailing dot, no wildcard)",
  })
  .superRefine(rule(FIELD_RULES.domain));

/** A list whose entries must be distinct: a repeated entry would plan two resources with one URN. */
const distinct =
  <T>(what: string) =>
  (list: readonly T[], ctx: z.RefinementCtx) => {
    const twice = duplicates(list);
    if (twice.length > 0)
      ctx.addIssue({ code: "custom", input: list, message: `lists ${what} twice: ${twice.map((v) => JSON.stringify(v)).join(", ")}` });
  };

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, {
  error: "must be an IPv4 CIDR such as 10.0.0.0/20, with no host bits set",
});

/** A DNS-1123 label: Kubernetes namespace and resource names. */
const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: "must be a DNS-1123 label: lowercase letters, digits and hyphens, starting with a letter",
});

/**
 * An Artifact Registry Docker repository: `<location>-docker.pkg.dev/<project>/<repository>`
 * (https://cloud.google.com/artifact-registry/docs/docker/names).
 */
const DOCKER_REPOSITORY = /^[a-z][a-z0-9-]*[a-z0-9]-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The one-line way to turn a tag into the digest the schema asks for. */
export function digestHint(image: string): string {
  return `get the digest with: gcloud artifacts docker images describe ${image} --format='value(image_summary.digest)'`;
}

const positiveInt = z.number().int().positive();
/** A size in Mi or Gi (memory, ephemeral storage). */
const mebiOrGibi = z.string().regex(/^\d+(Mi|Gi)$/, { error: "must be a quantity in Mi or Gi such as 512Mi or 4Gi" });
const mebibytes = (q: string): number => Number(q.slice(0, -2)) * (q.endsWith("Gi") ? 1024 : 1);
const milliCpu = (q: string): number => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
const nonNegativeInt = z.number().int().nonnegative();
const percent = z.number().int().min(1).max(100);

/** Digits that YAML may have parsed as a number (folder ids, budget amounts): kept as a string. */
const digits = (what: string) =>
  z
    .union([z.string(), z.number().int().nonnegative()])
    .transform(String)
    .pipe(z.string().regex(/^\d{6,20}$/, { error: `must be a numeric ${what} (digits only)` }));

const nodePool = z.strictObject({
  /** Compute Engine machine type of the pool's nodes. */
  machineType: z.string().regex(/^[a-z0-9]+-[a-z0-9-]+$/, { error: "must be a machine type such as e2-standard-4" }),
  /** Minimum number of nodes across all zones of the region (GKE totalMinNodeCount). */
  minNodes: nonNegativeInt,
  /** Maximum number of nodes across all zones of the region (GKE totalMaxNodeCount). */
  maxNodes: positiveInt,
  /** Boot disk size in GB. */
  diskSizeGb: z.number().int().min(20).max(65536).default(NODE_POOL_DEFAULTS.diskSizeGb),
  /** Boot disk type. */
  diskType: z.enum(["pd-standard", "pd-balanced", "pd-ssd"]).default(NODE_POOL_DEFAULTS.diskType),
});

const minMax = <T extends { minNodes: number; maxNodes: number }>(v: T, ctx: z.RefinementCtx) => {
  if (v.minNodes > v.maxNodes) {
    ctx.addIssue({ code: "custom", path: ["minNodes"], input: v.minNodes, message: `must be <= maxNodes (${v.maxNodes})` });
  }
};

const maintenanceWindow = z
  .strictObject({
    /** RFC 3339 start of the first window, e.g. 2026-01-03T09:00:00Z. */
    startTime: z.iso.datetime({ error: "must be an RFC 3339 UTC time such as 2026-01-03T09:00:00Z" }),
    /** RFC 3339 end of the first window. */
    endTime: z.iso.datetime({ error: "must be an RFC 3339 UTC time such as 2026-01-03T17:00:00Z" }),
    /** RFC 5545 recurrence rule. */
    recurrence: z.string().regex(/^FREQ=(DAILY|WEEKLY|MONTHLY)(;[A-Z]+=[A-Z0-9,+-]+)*$/, {
      error: "must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SA,SU",
    }),
  })
  .superRefine((w, ctx) => {
    // GKE refuses a window with less than 48 h of availability in some 32 days (src/config/maintenanceWindow.ts).
    const problem = maintenanceWindowProblem(w);
    if (problem) ctx.addIssue({ code: "custom", path: [problem.key], input: w[problem.key], message: problem.message });
  });

/** A Cloud Armor rate-limit count per 60 s interval: 1 to 1,000,000 for throttle rules. */
const armorRate = z.number().int().min(1).max(1_000_000, { error: "must be at most 1000000 (Cloud Armor's largest throttle count)" });
/** Servers whose Cloud Armor limit may be raised individually (one rule each). */
const MAX_SERVER_OVERRIDES = 50;

const powerOfTwo = (min: number, max: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(max)
    .refine((n) => (n & (n - 1)) === 0, { error: `must be a power of two from ${min} to ${max} (Cloud NAT dynamic port allocation)` });

/** One Cloud NAT gateway: reserved addresses and dynamic port allocation bounds per VM. */
const natGateway = (d: { addresses: number; minPortsPerVm: number; maxPortsPerVm: number }) =>
  z
    .strictObject({
      /** Reserved static external addresses (MANUAL_ONLY) of the gateway. */
      addresses: z.number().int().min(1).max(50).default(d.addresses),
      /** Ports every VM is guaranteed (dynamic port allocation minimum, a power of two 32-32768). */
      minPortsPerVm: powerOfTwo(32, 32768).default(d.minPortsPerVm),
      /** Ports one VM may grow to (dynamic port allocation maximum, a power of two 64-65536). */
      maxPortsPerVm: powerOfTwo(64, 65536).default(d.maxPortsPerVm),
    })
    .prefault({})
    .superRefine((g, ctx) => {
      if (g.maxPortsPerVm <= g.minPortsPerVm) {
        ctx.addIssue({
          code: "custom",
          path: ["maxPortsPerVm"],
          input: g.maxPortsPerVm,
          message: `must be greater than minPortsPerVm (${g.minPortsPerVm})`,
        });
      }
    });

export const stackConfigSchema = z
  .strictObject({
    /** What this stack provisions: the shared platform of an environment, or one enterprise customer. */
    kind: z.enum(["platform", "enterprise"]).default("platform"),
    /** Short environment name used in resource names (prod, staging, or enterprise-<customer>). */
    environment: z.string().regex(/^[a-z][a-z0-9-]{0,23}[a-z0-9]$/, {
      error: "must be 2-25 lowercase letters, digits or hyphens, starting with a letter",
    }),
    /** GCP project: the existing platform project, or (enterprise) the project this stack creates. */
    project: projectId,
    /** GCP region of every regional resource. */
    region: z
      .string()
      .regex(/^[a-z]+-[a-z]+\d$/, { error: "must be a GCP region such as us-west1" })
      .default("us-west1"),
    /** Zones the cluster's nodes run in; each must be in the region. */
    zones: z
      .array(z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/, { error: "must be a GCP zone such as us-west1-a" }))
      .min(1)
      .default(["us-west1-a", "us-west1-b", "us-west1-c"]),
    /** The platform domain: MCP servers are `<server>.<domain>`, the API `api.<domain>`. */
    domain,
    /**
     * The deliberate teardown switch: turns provider-level deletion protection off (Spanner instance and
     * databases, the cluster, buckets, an enterprise project) and abandons KMS keys instead of destroying them.
     * `protect` stays: README "Tearing down an environment or offboarding a customer".
     */
    allowDestroy: z.boolean().default(false),
    network: z
      .strictObject({
        /** Primary range of the GKE subnet (node IPs). */
        nodeCidr: cidr.default("10.10.0.0/20"),
        /** Secondary range for pod IPs. */
        podCidr: cidr.default("10.16.0.0/14"),
        /** Secondary range for Service ClusterIPs. */
        serviceCidr: cidr.default("10.20.0.0/20"),
        /** Secondary range for the MCP (gVisor) pool's pod IPs: tenant pods egress through their own NAT. */
        mcpPodCidr: cidr.default("10.24.0.0/14"),
        /** /28 for the GKE control plane's private endpoint. */
        masterCidr: cidr.default("172.16.0.0/28"),
      })
      .prefault({})
      .superRefine((n, ctx) => {
        const entries = Object.entries(n).map(([k, v]) => [k, parseCidr(v)] as const);
        for (let i = 0; i < entries.length; i++) {
          for (let j = i + 1; j < entries.length; j++) {
            const [ka, a] = entries[i]!;
            const [kb, b] = entries[j]!;
            if (a && b && cidrsOverlap(a, b)) {
              ctx.addIssue({
                code: "custom",
                path: [kb],
                input: n[kb as keyof typeof n],
                message: `overlaps ${ka} (${n[ka as keyof typeof n]}); the node, pod, MCP pod, service and master ranges must be disjoint`,
              });
            }
          }
        }
        if (!n.masterCidr.endsWith("/28")) {
          ctx.addIssue({
            code: "custom",
            path: ["masterCidr"],
            input: n.masterCidr,
            message: "must be a /28 (GKE requires exactly /28 for the control plane range)",
          });
        }
      }),
    cluster: z
      .strictObject({
        /** GKE release channel. */
        releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).default(GKE_CLUSTER_DEFAULTS.releaseChannel),
        /** Recurring maintenance window; GKE upgrades only inside it. */
        maintenanceWindow: maintenanceWindow.default({ ...DEFAULT_MAINTENANCE_WINDOW }),
        /**
         * CIDRs allowed to reach the control plane's IP endpoint. Empty (default): only the DNS endpoint,
         * authenticated by Google IAM, is used by the Pulumi Kubernetes provider.
         */
        authorizedNetworks: z
          .array(z.strictObject({ displayName: z.string().min(1), cidr }))
          .superRefine((nets, ctx) =>
            distinct<string>("a CIDR")(
              nets.map((n) => n.cidr),
              ctx,
            ),
          )
          .default([]),
        /** Deletion protection on the cluster; turning it off is how you deliberately delete it. */
        deletionProtection: z.boolean().default(GKE_CLUSTER_DEFAULTS.deletionProtection),
        /** Enable NodeLocal DNSCache; the MCP egress policy then allows 169.254.20.10:53. */
        nodeLocalDns: z.boolean().default(GKE_CLUSTER_DEFAULTS.nodeLocalDns),
      })
      .prefault({}),
    nodePools: z.strictObject({
      /** Platform components: kube-system, Knative, Kourier, gateway and metrics adapters. */
      system: nodePool.superRefine(minMax),
      /** The backend API. */
      backend: nodePool.superRefine(minMax),
      /** Customer MCP servers, sandboxed by gVisor. */
      mcp: nodePool.superRefine(minMax),
    }),
    kms: z
      .strictObject({
        /** Rotation period of every key, in days; at most 90. */
        rotationDays: z.number().int().min(1).max(90, { error: "must be at most 90 days" }).default(90),
      })
      .prefault({}),
    spanner: z.strictObject({
      /** Instance compute capacity in processing units (100-900 in steps of 100, then multiples of 1000). */
      processingUnits: positiveInt.refine((p) => (p < 1000 ? p % 100 === 0 : p % 1000 === 0), {
        error: "must be 100-900 in steps of 100, or a multiple of 1000",
      }),
      /** Databases to create in the instance. */
      databases: z
        .array(
          z.string().regex(/^[a-z][a-z0-9_-]{0,28}[a-z0-9]$/, {
            error: "must be a Spanner database id: 2-30 lowercase letters, digits, _ or -, starting with a letter",
          }),
        )
        .min(1)
        .superRefine(distinct<string>("a database")),
      /** Point-in-time recovery window, in days (1-7). */
      versionRetentionDays: z.number().int().min(1).max(7).default(7),
      /** Retention of the automatic daily backups, in days (1-365). */
      backupRetentionDays: z.number().int().min(1).max(365).default(30),
    }),
    /** Storage buckets to create, by purpose (names become `<project>-<environment>-<purpose>`). */
    buckets: z
      .array(
        z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/, {
            error: "must be a short bucket purpose: 2-22 lowercase letters, digits or hyphens",
          })
          .refine((p) => !p.includes("goog"), { error: 'must not contain "goog" (Cloud Storage refuses such bucket names)' }),
      )
      .refine((ps) => new Set(ps).size === ps.length, { error: "lists a purpose twice" })
      .default(["data"]),
    platformImages: z
      .strictObject({
        /**
         * The platform-images repository (backend, builder and every other image the platform runs), created by the
         * bootstrap in the admin project and written only by the release identity, never by this stack.
         */
        repository: z.string().regex(DOCKER_REPOSITORY, {
          error:
            "must be an Artifact Registry Docker repository such as us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform (no image, no trailing slash)",
        }),
        /**
         * The release identity (bootstrap/), granted artifactregistry.writer on this stack's tenant MCP repository
         * only, to copy the canary and builder images there. Default `gumstack-release@<project of repository>.iam.gserviceaccount.com`
         * (the bootstrap's default account id in the admin project).
         */
        releaseIdentity: z
          .string()
          .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/, {
            error: "must be a user-managed service account email such as gumstack-release@gumstack-admin.iam.gserviceaccount.com",
          })
          .optional(),
      })
      .transform((p) => ({
        ...p,
        releaseIdentity: p.releaseIdentity ?? `gumstack-release@${p.repository.split("/")[1]}.iam.gserviceaccount.com`,
      })),
    artifactRegistry: z
      .strictObject({
        /** Id of the tenant MCP repository; default `mcp-<environment>`; must end in `-<environment>`. */
        repositoryId: dnsLabel.optional(),
        /** Images older than this many days are deleted. */
        retentionDays: positiveInt.default(ARTIFACT_REGISTRY_DEFAULTS.retentionDays),
        /** The most recent versions of each image kept regardless of age, so deployed images survive. */
        keepRecentVersions: positiveInt.default(ARTIFACT_REGISTRY_DEFAULTS.keepRecentVersions),
      })
      .prefault({}),
    knative: z
      .strictObject({
        /** Knative Serving version installed by the operator (KnativeServing spec.version). */
        version: z
          .string()
          .regex(/^\d+\.\d+(\.\d+)?$/, { error: "must be a Knative version such as 1.22.1" })
          .default(KNATIVE_SERVING_VERSION),
        /** Knative Operator Helm chart version. */
        operatorChartVersion: z
          .string()
          .regex(/^v?\d+\.\d+\.\d+$/, { error: "must be a chart version such as v1.22.3" })
          .default(KNATIVE_OPERATOR_CHART.version),
        /** Default minimum replicas per MCP server (1 keeps a pod warm). */
        minScale: nonNegativeInt.default(KNATIVE_SERVING_DEFAULTS.minScale),
        /** Default maximum replicas per MCP server. */
        maxScale: positiveInt.default(KNATIVE_SERVING_DEFAULTS.maxScale),
        /** Highest max-scale a single MCP server may request. */
        maxScaleLimit: positiveInt.default(KNATIVE_SERVING_DEFAULTS.maxScaleLimit),
        /** Target concurrent requests per pod. */
        targetConcurrency: positiveInt.default(KNATIVE_SERVING_DEFAULTS.targetConcurrency),
        /** Default request timeout of a revision, seconds. */
        revisionTimeoutSeconds: positiveInt.default(KNATIVE_SERVING_DEFAULTS.revisionTimeoutSeconds),
        /** Longest request timeout a revision may set, seconds. */
        maxRevisionTimeoutSeconds: positiveInt.default(KNATIVE_SERVING_DEFAULTS.maxRevisionTimeoutSeconds),
      })
      .prefault({})
      .superRefine((k, ctx) => {
        if (k.minScale > k.maxScale)
          ctx.addIssue({ code: "custom", path: ["minScale"], input: k.minScale, message: `must be <= maxScale (${k.maxScale})` });
        if (k.maxScale > k.maxScaleLimit)
          ctx.addIssue({ code: "custom", path: ["maxScale"], input: k.maxScale, message: `must be <= maxScaleLimit (${k.maxScaleLimit})` });
        // Checked here, not only in the component, so a mismatched pair fails before any resource is planned.
        try {
          assertOperatorSupports(k.operatorChartVersion, k.version);
        } catch (err) {
          ctx.addIssue({ code: "custom", path: ["version"], input: k.version, message: (err as Error).message });
        }
        if (k.revisionTimeoutSeconds > k.maxRevisionTimeoutSeconds) {
          ctx.addIssue({
            code: "custom",
            path: ["revisionTimeoutSeconds"],
            input: k.revisionTimeoutSeconds,
            message: `must be <= maxRevisionTimeoutSeconds (${k.maxRevisionTimeoutSeconds})`,
          });
        }
      }),
    mcp: z
      .strictObject({
        /** Namespace of every MCP server. */
        namespace: dnsLabel.default(MCP_NAMESPACE_DEFAULTS.namespace),
        /**
         * Total CPU requests allowed in the namespace (ResourceQuota). Default: derived from the gVisor pool, what
         * builds do not take of it (src/config/quota.ts namespaceQuotas).
         */
        quotaCpu: z
          .string()
          .regex(/^\d+m?$/, { error: "must be a CPU quantity such as 64 or 500m" })
          .optional(),
        /** Total memory requests allowed in the namespace (ResourceQuota). Default: derived from the gVisor pool. */
        quotaMemory: z
          .string()
          .regex(/^\d+(Mi|Gi|Ti)$/, { error: "must be a memory quantity such as 320Gi" })
          .optional(),
        /** Maximum pods in the namespace (ResourceQuota). */
        quotaPods: positiveInt.default(MCP_NAMESPACE_DEFAULTS.quotaPods),
        /** Default CPU request of an MCP container (LimitRange). */
        defaultCpuRequest: z
          .string()
          .regex(/^\d+m?$/)
          .default(MCP_NAMESPACE_DEFAULTS.defaultCpuRequest),
        /** Default memory request and limit of an MCP container (LimitRange). */
        defaultMemory: z
          .string()
          .regex(/^\d+(Mi|Gi)$/)
          .default(MCP_NAMESPACE_DEFAULTS.defaultMemory),
        /** Largest memory limit one MCP container may set (LimitRange). */
        maxMemory: z
          .string()
          .regex(/^\d+(Mi|Gi)$/)
          .default(MCP_NAMESPACE_DEFAULTS.maxMemory),
        /** Largest CPU limit one MCP container may set (LimitRange). */
        maxCpu: z
          .string()
          .regex(/^\d+m?$/)
          .default(MCP_NAMESPACE_DEFAULTS.maxCpu),
        /** Default ephemeral-storage request of an MCP container, what the scheduler reserves on the node's disk (LimitRange). */
        defaultEphemeralStorageRequest: mebiOrGibi.default(MCP_NAMESPACE_DEFAULTS.defaultEphemeralStorageRequest),
        /** Default ephemeral-storage limit of an MCP container: past it the kubelet evicts the pod, not its neighbours (LimitRange). */
        defaultEphemeralStorage: mebiOrGibi.default(MCP_NAMESPACE_DEFAULTS.defaultEphemeralStorage),
        /** Largest ephemeral-storage limit, and emptyDir sizeLimit, one MCP container may set (LimitRange, admission guard). */
        maxEphemeralStorage: mebiOrGibi.default(MCP_NAMESPACE_DEFAULTS.maxEphemeralStorage),
        /** Largest CPU of all containers of one MCP pod together, Knative's queue-proxy aside (admission guard). */
        maxPodCpu: z
          .string()
          .regex(/^\d+m?$/, { error: "must be a CPU quantity such as 2 or 1500m" })
          .default(ADMISSION_DEFAULTS.maxPodCpu),
        /** Largest memory of all containers of one MCP pod together, Knative's queue-proxy aside (admission guard). */
        maxPodMemory: mebiOrGibi.default(ADMISSION_DEFAULTS.maxPodMemory),
        /** Most containers one MCP pod may run, Knative's queue-proxy aside (admission guard, 1-10). */
        maxContainers: z.number().int().min(1).max(10).default(ADMISSION_DEFAULTS.maxContainers),
        /** Longest serving.knative.dev/progress-deadline a server may set, seconds (admission guard; Knative's default is 600). */
        maxProgressDeadlineSeconds: z.number().int().min(60).max(3600).default(ADMISSION_DEFAULTS.maxProgressDeadlineSeconds),
        /** Labels under the domain no MCP server may take as its host (the API subdomain is always added). Add enterprise customers' labels. */
        reservedHostnames: z.array(dnsLabel).default([...DEFAULT_RESERVED_HOSTNAMES]),
      })
      .prefault({})
      .superRefine((m, ctx) => {
        const issue = (path: string, input: unknown, message: string) => ctx.addIssue({ code: "custom", path: [path], input, message });
        // A container without limits gets the LimitRange defaults: a pod of one such container must fit the pod bounds.
        if (milliCpu(m.maxPodCpu) < milliCpu(m.maxCpu))
          issue("maxPodCpu", m.maxPodCpu, `must be >= maxCpu (${m.maxCpu}), the CPU limit a container gets when it sets none`);
        if (mebibytes(m.maxPodMemory) < mebibytes(m.defaultMemory))
          issue(
            "maxPodMemory",
            m.maxPodMemory,
            `must be >= defaultMemory (${m.defaultMemory}), the memory limit a container gets when it sets none`,
          );
        if (mebibytes(m.defaultEphemeralStorageRequest) > mebibytes(m.defaultEphemeralStorage)) {
          issue(
            "defaultEphemeralStorageRequest",
            m.defaultEphemeralStorageRequest,
            `must be <= defaultEphemeralStorage (${m.defaultEphemeralStorage})`,
          );
        }
        if (mebibytes(m.defaultEphemeralStorage) > mebibytes(m.maxEphemeralStorage))
          issue("defaultEphemeralStorage", m.defaultEphemeralStorage, `must be <= maxEphemeralStorage (${m.maxEphemeralStorage})`);
      }),
    build: z
      .strictObject({
        /** Namespace of the build Jobs (the build plane). */
        namespace: dnsLabel.default(BUILD_DEFAULTS.namespace),
        /**
         * Builder image (git, buildah, skopeo), the release identity's copy in this stack's tenant MCP repository
         * (the only one the MCP pool's nodes can pull from), pinned by digest: `<tenant repo>/gumstack-build/builder@sha256:<64 hex>`.
         */
        builderImage: z
          .string()
          .regex(/^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9._-]+\/[a-z0-9._\/-]*[a-z0-9]@sha256:[a-f0-9]{64}$/, {
            error:
              "must be the builder image in this stack's tenant MCP repository pinned by digest, <region>-docker.pkg.dev/<project>/<repository>/gumstack-build/builder@sha256:<64 hex>; " +
              "scripts/publish-platform-image.sh prints it (or `gcloud artifacts docker images describe <image>:<tag> --format 'value(image_summary.digest)'`)",
          }),
        /** Hard deadline of one build, seconds (Job and pod activeDeadlineSeconds); at most 600. */
        deadlineSeconds: z
          .number()
          .int()
          .min(60)
          .max(600, { error: "must be at most 600: a build is stopped after 10 minutes" })
          .default(BUILD_DEFAULTS.deadlineSeconds),
        /** Seconds a finished build Job (pod, Secrets, emptyDirs) is kept before deletion. */
        ttlSecondsAfterFinished: z.number().int().min(0).max(3600).default(BUILD_DEFAULTS.ttlSecondsAfterFinished),
        /** Builds running at once (ResourceQuota pods of the namespace). */
        maxConcurrentBuilds: positiveInt.default(BUILD_DEFAULTS.maxConcurrentBuilds),
        /** CPU limit of the build step, also the largest of any container there (LimitRange). */
        cpu: z
          .string()
          .regex(/^\d+m?$/, { error: "must be a CPU quantity such as 2 or 500m" })
          .default(BUILD_DEFAULTS.build.cpu),
        /** Memory limit of the build step, also the largest of any container there. */
        memory: z
          .string()
          .regex(/^\d+(Mi|Gi)$/, { error: "must be a memory quantity such as 4Gi" })
          .default(BUILD_DEFAULTS.build.memory),
        /** Ephemeral-storage limit of the build step (it holds the build's emptyDirs, 18Gi), also the largest of any container there. */
        ephemeralStorage: z
          .string()
          .regex(/^\d+(Mi|Gi)$/, { error: "must be a storage quantity such as 20Gi" })
          .default(BUILD_DEFAULTS.build.ephemeralStorage),
        /**
         * Total CPU limits of all builds at once (ResourceQuota limits.cpu). Default: derived from the gVisor pool
         * (a quarter of it, whole builds, at most maxConcurrentBuilds; src/config/quota.ts namespaceQuotas).
         */
        quotaCpu: z
          .string()
          .regex(/^\d+m?$/, { error: "must be a CPU quantity such as 50" })
          .optional(),
        /** Total memory limits of all builds at once (ResourceQuota limits.memory). Default: derived from the gVisor pool. */
        quotaMemory: z
          .string()
          .regex(/^\d+(Mi|Gi|Ti)$/, { error: "must be a memory quantity such as 100Gi" })
          .optional(),
        /** Total ephemeral-storage limits of all builds at once (ResourceQuota limits.ephemeral-storage). */
        quotaEphemeralStorage: z
          .string()
          .regex(/^\d+(Mi|Gi|Ti)$/, { error: "must be a storage quantity such as 600Gi" })
          .default(BUILD_DEFAULTS.quota.ephemeralStorage),
      })
      .superRefine((b, ctx) => {
        // buildJob.ts: the build step's ephemeral storage is the pod's and holds its emptyDirs (2Gi + 12Gi + 4Gi).
        const mi = (q: string) => Number.parseInt(q, 10) * (q.endsWith("Ti") ? 1024 * 1024 : q.endsWith("Gi") ? 1024 : 1);
        if (mi(b.ephemeralStorage) < 18 * 1024) {
          ctx.addIssue({
            code: "custom",
            path: ["ephemeralStorage"],
            input: b.ephemeralStorage,
            message: "must be at least 18Gi: it holds the build's source (2Gi), image storage (12Gi) and OCI layout (4Gi) emptyDirs",
          });
        }
      }),
    backend: z
      .strictObject({
        /** Backend image, by digest, from the platform-images repository: `<platformImages.repository>/backend@sha256:<64 hex>`. */
        image: z.string().regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+@sha256:[a-f0-9]{64}$/, {
          // A tag can be moved by whoever can push; a digest names the bytes the release identity published.
          error: (iss) =>
            `must be pinned by digest (<platformImages.repository>/backend@sha256:<64 hex>), not a tag; ${digestHint(typeof iss.input === "string" ? iss.input : "<image>:<tag>")}`,
        }),
        /** Minimum replicas (HPA). */
        minReplicas: positiveInt.default(BACKEND_DEFAULTS.minReplicas),
        /** Maximum replicas (HPA). */
        maxReplicas: positiveInt.default(BACKEND_DEFAULTS.maxReplicas),
        /** Target active concurrent requests per pod. */
        targetConcurrentRequests: positiveInt.default(BACKEND_DEFAULTS.targetConcurrentRequests),
        /** Target average CPU utilization, percent of requests. */
        cpuUtilization: percent.default(BACKEND_DEFAULTS.cpuUtilization),
        /** Target average memory utilization, percent of requests. */
        memoryUtilization: percent.default(BACKEND_DEFAULTS.memoryUtilization),
        /** Scale-down stabilization window, seconds (Kubernetes allows at most 3600). */
        scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(BACKEND_DEFAULTS.scaleDownStabilizationSeconds),
        /** Rolling update surge. */
        maxSurge: nonNegativeInt.default(BACKEND_DEFAULTS.maxSurge),
        /** Rolling update unavailability. */
        maxUnavailable: nonNegativeInt.default(BACKEND_DEFAULTS.maxUnavailable),
        /** Container port the FastAPI server listens on. */
        port: z.number().int().min(1).max(65535).default(BACKEND_DEFAULTS.port),
        /** HTTP path answering readiness and liveness probes and load-balancer health checks. */
        healthPath: z
          .string()
          .regex(/^\/[A-Za-z0-9._~\/-]*$/)
          .default(BACKEND_DEFAULTS.healthPath),
        /** CPU request of a backend container. */
        cpuRequest: z
          .string()
          .regex(/^\d+m?$/)
          .default(BACKEND_DEFAULTS.cpuRequest),
        /** Memory request of a backend container. */
        memoryRequest: z
          .string()
          .regex(/^\d+(Mi|Gi)$/)
          .default(BACKEND_DEFAULTS.memoryRequest),
      })
      .superRefine((b, ctx) => {
        if (b.minReplicas > b.maxReplicas)
          ctx.addIssue({
            code: "custom",
            path: ["minReplicas"],
            input: b.minReplicas,
            message: `must be <= maxReplicas (${b.maxReplicas})`,
          });
        if (b.port === BACKEND_METRICS_PORT)
          ctx.addIssue({
            code: "custom",
            path: ["port"],
            input: b.port,
            message: `must differ from the metrics port ${BACKEND_METRICS_PORT} (the load balancer must not reach metrics)`,
          });
        if (b.maxSurge === 0 && b.maxUnavailable === 0)
          ctx.addIssue({ code: "custom", path: ["maxUnavailable"], input: 0, message: "maxSurge and maxUnavailable cannot both be 0" });
      }),
    edge: z
      .strictObject({
        /** Cloud DNS managed zone (in this project) for the domain; empty: DNS records are stack outputs to create by hand. */
        dnsZone: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,62}$/)
          .optional(),
        /** Subdomain of the backend API. */
        apiSubdomain: dnsLabel.default(EDGE_DEFAULTS.apiSubdomain),
        /** Load-balancer backend timeout, seconds, long enough for streaming MCP sessions. */
        backendTimeoutSeconds: z.number().int().min(30).max(86400).default(EDGE_DEFAULTS.backendTimeoutSeconds),
        /** Fraction of requests the load balancer logs on both backends (Cloud Armor decisions included), 0-1. */
        logSampleRate: z.number().min(0).max(1).default(EDGE_DEFAULTS.logSampleRate),
        armor: z
          .strictObject({
            /** Cloud Armor Adaptive Protection (layer 7 DDoS defense) on the policy. */
            adaptiveProtection: z.boolean().default(CLOUD_ARMOR_DEFAULTS.adaptiveProtection),
            /** Requests per minute one MCP server (one Host) may receive from all clients in sharedClientRanges together; above: 429. */
            serverRequestsPerMinute: armorRate.default(CLOUD_ARMOR_DEFAULTS.serverRequestsPerMinute),
            /** Requests per minute one client IP may send to every MCP host together (outside sharedClientRanges); above: 429. */
            mcpRequestsPerMinutePerClient: armorRate.default(CLOUD_ARMOR_DEFAULTS.mcpRequestsPerMinutePerClient),
            /** Documented egress ranges of hosted MCP clients, counted per server rather than per address (IPv4 CIDRs, at most 10). */
            sharedClientRanges: z
              .array(
                z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/, {
                  error: "must be an IPv4 CIDR such as 203.0.113.0/24",
                }),
              )
              .max(MAX_SHARED_CLIENT_RANGES, {
                error: `may list at most ${MAX_SHARED_CLIENT_RANGES} ranges (one Cloud Armor source-range match)`,
              })
              .default([]),
            /** Per-server limits replacing serverRequestsPerMinute, keyed by server name (`<server>.<domain>`). */
            serverOverrides: z
              .record(z.string(), armorRate)
              .default({})
              .refine((o) => Object.keys(o).length <= MAX_SERVER_OVERRIDES, {
                error: `may raise the limit of at most ${MAX_SERVER_OVERRIDES} servers (Cloud Armor counts rules per policy)`,
              }),
            /** Requests per minute one client IP may send to the API host; above: 429. */
            apiRequestsPerMinutePerClient: armorRate.default(CLOUD_ARMOR_DEFAULTS.apiRequestsPerMinutePerClient),
            /** Preconfigured WAF rules only log (preview) instead of answering 403. */
            wafPreview: z.boolean().default(CLOUD_ARMOR_DEFAULTS.wafPreview),
          })
          .prefault({}),
      })
      .prefault({})
      .superRefine((e, ctx) => {
        for (const server of Object.keys(e.armor.serverOverrides)) {
          if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(server)) {
            ctx.addIssue({
              code: "custom",
              path: ["armor", "serverOverrides", server],
              input: server,
              message: "must be a server name: the DNS label <server> of <server>.<domain> (lowercase letters, digits, hyphens)",
            });
          }
        }
        if (e.armor.serverOverrides[e.apiSubdomain] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["armor", "serverOverrides", e.apiSubdomain],
            input: e.armor.serverOverrides[e.apiSubdomain],
            message: `names the API host (edge.apiSubdomain ${e.apiSubdomain}); set edge.armor.apiRequestsPerMinutePerClient instead`,
          });
        }
      }),
    egress: z
      .strictObject({
        /** Cloud NAT of the platform: nodes (every pool's primary addresses) and the system/backend pods. */
        platform: natGateway(DEFAULT_EGRESS.platform),
        /** Cloud NAT of the tenants: the MCP pool's pods (mcpPodCidr) only, on addresses of its own. */
        tenant: natGateway(DEFAULT_EGRESS.tenant),
      })
      .prefault({}),
    alerting: z
      .strictObject({
        /** Email addresses notified of every alert; empty: incidents open in Cloud Monitoring only. */
        emails: z
          .array(z.email({ error: "must be an email address such as oncall@example.com" }))
          .max(16)
          .refine((es) => new Set(es).size === es.length, { error: "lists an address twice" })
          .default([]),
        /** Alert when this percentage of load-balancer responses are 5xx over 5 minutes. */
        lb5xxPercent: z.number().min(0.1).max(100).default(ALERTING_DEFAULTS.lb5xxPercent),
        /** Alert when the API host's certificate expires in fewer days than this (renewal has failed). */
        certificateExpiryDays: z.number().int().min(1).max(60).default(ALERTING_DEFAULTS.certificateExpiryDays),
      })
      .prefault({}),
    naming: z
      .strictObject({
        /**
         * Add a random part kept in state (6 hex characters) to the key ring and bucket names, which GCP never
         * lets a stack reuse. Default false, so existing stacks keep their names; new stacks set true.
         */
        randomSuffix: z.boolean().default(false),
      })
      .prefault({}),
    canary: z
      .strictObject({
        /** Run the isolation canary (docs/canary.md) in the MCP namespace; needs canary.image. */
        enabled: z.boolean().default(true),
        /** Canary image in this stack's tenant MCP repository, by digest: `<repository>/gumstack-canary/canary@sha256:<64 hex>`. */
        image: z
          .string()
          .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+@sha256:[a-f0-9]{64}$/, {
            error: "must be pinned by digest: <tenant MCP repository>/gumstack-canary/canary@sha256:<64 hex>",
          })
          .optional(),
        /** Seconds between probe rounds. */
        intervalSeconds: z.number().int().min(10).max(3600).default(ISOLATION_CANARY_DEFAULTS.intervalSeconds),
        /** Public HTTPS URL the canary must reach (DNS, NAT and TLS). */
        reachUrl: z
          .string()
          .regex(/^https:\/\/[a-z0-9.-]+\.[a-z]{2,}(:\d+)?(\/[A-Za-z0-9._~\/?&=%-]*)?$/, {
            error: "must be a public https:// URL such as https://www.gstatic.com/generate_204",
          })
          .default(ISOLATION_CANARY_DEFAULTS.reachUrl),
      })
      .prefault({}),
    clickhouse: z.strictObject({
      /** ClickHouse Cloud service host name. */
      host: z.string().regex(/^[a-z0-9.-]+$/, { error: "must be a host name such as abc123.us-west1.gcp.clickhouse.cloud" }),
      /** Native-protocol TLS port (ClickHouse Cloud: 9440) or HTTPS port (8443). */
      port: z.number().int().min(1).max(65535).default(8443),
      /** Database name. */
      database: z.string().min(1).default("gumstack"),
      /** User name; the password is the secret `gumstack:clickhousePassword`. */
      username: z.string().min(1).default("gumstack"),
    }),
    /** ClickHouse password: set with `pulumi config set --secret gumstack:clickhousePassword`. */
    clickhousePassword: z
      .string()
      .min(1, { error: "must be set with `pulumi config set --secret gumstack:clickhousePassword <password>`" }),
    enterprise: z
      .strictObject({
        /** Customer id: lowercase letters, digits and hyphens. */
        customer: z.string().regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, {
          error: "must be 3-20 lowercase letters, digits or hyphens, starting with a letter",
        }),
        /** Folder the customer's project is created in (numeric folder id). */
        folderId: digits("folder id"),
        /** Billing account of the customer's project. */
        billingAccount: z.string().regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, {
          error: "must be a billing account id such as 01A2B3-C4D5E6-F7A8B9 (uppercase hex)",
        }),
        /** The platform's own project (default quota project of the budget API); never receives customer resources. */
        platformProject: projectId,
        /** Monthly budget of the customer's project, in the billing account's currency. */
        budgetAmount: positiveInt.default(10000),
        /** Currency of the budget. */
        budgetCurrency: z
          .string()
          .regex(/^[A-Z]{3}$/)
          .default("USD"),
        /** Alert thresholds as fractions of the budget. */
        budgetThresholds: z
          .array(z.number().positive().max(2))
          .min(1)
          .superRefine(distinct<number>("a threshold"))
          .default([0.5, 0.9, 1.0]),
        /** Project whose quota the Billing Budgets API is billed to (the deploying identity's project). */
        quotaProject: projectId.optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    // An environment equal to the project id drops out of bucket names (like prod in gumstack-prod), giving
    // this stack the bucket names of the environment whose name ends the project id.
    if (c.environment === c.project) {
      ctx.addIssue({
        code: "custom",
        path: ["environment"],
        input: c.environment,
        message: `must differ from project (${c.project}): bucket names leave out an environment the project id ends with, so this stack would make the bucket names of that project's other environment`,
      });
    }
    // Every name the program derives from config, against GCP's rules, before anything is planned.
    try {
      for (const p of derivedNameProblems(c))
        ctx.addIssue({ code: "custom", path: keyPathSegments(p.key), input: valueAtKey(c, p.key), message: p.message });
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["environment"], input: c.environment, message: (err as Error).message });
    }
    // The pod and node ranges must hold every node the pools may reach, surge included (src/config/podRange.ts).
    const prefix = (cidrText: string) => parseCidr(cidrText)?.prefix;
    const podPrefix = prefix(c.network.podCidr);
    const nodePrefix = prefix(c.network.nodeCidr);
    if (podPrefix !== undefined && nodePrefix !== undefined) {
      const pools = (roles: readonly ("system" | "backend" | "mcp")[]) =>
        roles.map((role) => ({ role, maxNodes: c.nodePools[role].maxNodes }));
      // podCidr holds the system and backend pools (the MCP pool has mcpPodCidr, checked below); the node range
      // holds every pool.
      const problems = [
        ...rangeProblems({ podPrefix, nodePrefix: 0, zones: c.zones.length, pools: pools(["system", "backend"]) }).filter(
          (p) => p.key === "podCidr",
        ),
        ...rangeProblems({ podPrefix: 0, nodePrefix, zones: c.zones.length, pools: pools(["system", "backend", "mcp"]) }).filter(
          (p) => p.key === "nodeCidr",
        ),
      ];
      for (const p of problems) {
        ctx.addIssue({ code: "custom", path: ["network", p.key], input: c.network[p.key], message: p.message });
      }
    }
    // MCP servers and builds share the gVisor pool: their quotas together never promise more than it has.
    try {
      for (const message of namespaceQuotas(c).problems)
        ctx.addIssue({ code: "custom", path: ["mcp", "quotaCpu"], input: c.mcp.quotaCpu, message });
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        path: ["nodePools", "mcp", "machineType"],
        input: c.nodePools.mcp.machineType,
        message: (err as Error).message,
      });
    }
    c.zones.forEach((zone, i) => {
      if (!zone.startsWith(`${c.region}-`)) {
        ctx.addIssue({
          code: "custom",
          path: ["zones", i],
          input: zone,
          message: `is not in region ${c.region}; use ${c.region}-a, ${c.region}-b, ...`,
        });
      }
    });
    if (new Set(c.zones).size !== c.zones.length) {
      ctx.addIssue({ code: "custom", path: ["zones"], input: c.zones, message: "lists a zone twice" });
    }
    if (c.kind === "enterprise" && !c.enterprise) {
      ctx.addIssue({
        code: "custom",
        path: ["enterprise"],
        input: undefined,
        message: "is required when kind is enterprise (customer, folderId, billingAccount, platformProject)",
      });
    }
    if (c.kind === "platform" && c.enterprise) {
      ctx.addIssue({ code: "custom", path: ["enterprise"], input: c.enterprise, message: "is only allowed when kind is enterprise" });
    }
    // GKE gives each node a /24 of its pool's pod range (110 pods per node by default): a range too small for a
    // pool's maximum leaves new nodes without pod addresses (docs/edge-egress-ops.md).
    // (podCidr, for the system and backend pools, is checked above with surge nodes counted.)
    const podRanges: ["mcpPodCidr", number][] = [["mcpPodCidr", c.nodePools.mcp.maxNodes]];
    for (const [key, nodes] of podRanges) {
      const range = parseCidr(c.network[key]);
      if (range && cidrSize(range) < nodes * PODS_PER_NODE_RANGE) {
        ctx.addIssue({
          code: "custom",
          path: ["network", key],
          input: c.network[key],
          message: `holds ${cidrSize(range) / PODS_PER_NODE_RANGE} node ranges (/24 each) but its pools may grow to ${nodes} nodes; use a larger range`,
        });
      }
    }
    // Every VM a NAT serves must get its minimum ports even with every pool at its maximum.
    const natVms = {
      platform: c.nodePools.system.maxNodes + c.nodePools.backend.maxNodes + c.nodePools.mcp.maxNodes,
      tenant: c.nodePools.mcp.maxNodes,
    };
    for (const gw of ["platform", "tenant"] as const) {
      const problem = natPortCheck({ ...c.egress[gw], maxVms: natVms[gw] });
      if (problem) ctx.addIssue({ code: "custom", path: ["egress", gw, "addresses"], input: c.egress[gw].addresses, message: problem });
    }
    const platformRepo = c.platformImages.repository;
    if (!c.backend.image.startsWith(`${platformRepo}/`)) {
      ctx.addIssue({
        code: "custom",
        path: ["backend", "image"],
        input: c.backend.image,
        message: `must be in gumstack:platformImages.repository (${platformRepo}/...): only the release identity publishes platform images`,
      });
    }
    const repoId = c.artifactRegistry.repositoryId;
    if (repoId !== undefined && !repoId.endsWith(`-${c.environment}`)) {
      ctx.addIssue({
        code: "custom",
        path: ["artifactRegistry", "repositoryId"],
        input: repoId,
        message: `must end in -${c.environment} (e.g. mcp-${c.environment}) so two environments in one project never share a tenant repository; or leave it unset`,
      });
    }
    // The tenant repository (mcp-<environment> unless set) must never be the platform-images repository.
    const tenantRepo = `${c.region}-docker.pkg.dev/${c.project}/${repoId ?? defaultTenantRepositoryId(c.environment)}`;
    if (tenantRepo === platformRepo) {
      ctx.addIssue({
        code: "custom",
        path: ["platformImages", "repository"],
        input: platformRepo,
        message: `must differ from this stack's tenant MCP repository (${tenantRepo}): tenant images never share the platform's repository`,
      });
    }
    // The canary passes the same admission guard as customers' servers: its image lives under its reserved
    // tenant path of this stack's tenant MCP repository (components/serving/isolationCanary.ts checks it too).
    const canaryPath = `${tenantRepo}/${CANARY_TENANT}/`;
    if (c.canary.enabled && !c.canary.image) {
      ctx.addIssue({
        code: "custom",
        path: ["canary", "image"],
        input: undefined,
        message: `is required when canary.enabled is true: the digest the release identity pushed, ${canaryPath}canary@sha256:<64 hex> (or set canary.enabled: false)`,
      });
    }
    // Only against a well-formed project: a malformed one is reported on its own key.
    if (c.canary.image && projectId.safeParse(c.project).success && !c.canary.image.startsWith(canaryPath)) {
      ctx.addIssue({
        code: "custom",
        path: ["canary", "image"],
        input: c.canary.image,
        message: `must be in this stack's tenant MCP repository under the canary's tenant path: ${canaryPath}<name>@sha256:<64 hex>`,
      });
    }
    if (c.build.namespace === c.mcp.namespace || c.build.namespace === "gumstack-backend") {
      ctx.addIssue({
        code: "custom",
        path: ["build", "namespace"],
        input: c.build.namespace,
        message: "must be a namespace of its own, not the MCP or backend namespace: builds run untrusted Dockerfiles",
      });
    }
    // Build pods run on the MCP pool, whose nodes read only the tenant MCP repository: the builder is the release
    // identity's copy (same digest) under the reserved platform path there, which no MCP server may take as tenant.
    const buildPath = `${tenantRepo}/${BUILD_IMAGE_PATH}/`;
    if (
      projectId.safeParse(c.project).success &&
      !(
        c.build.builderImage.startsWith(buildPath) &&
        /^[a-z0-9._-]+@sha256:[a-f0-9]{64}$/.test(c.build.builderImage.slice(buildPath.length))
      )
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["build", "builderImage"],
        input: c.build.builderImage,
        message: `must be in this stack's tenant MCP repository under the build plane's reserved path: ${buildPath}builder@sha256:<64 hex> (scripts/publish-platform-image.sh copies it there and prints the digest)`,
      });
    }
    // The load balancer must outlast the longest request Knative lets run, so Knative (not the LB) ends it at its
    // timeout (docs/serving-timeouts.md).
    if (c.edge.backendTimeoutSeconds <= c.knative.maxRevisionTimeoutSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["edge", "backendTimeoutSeconds"],
        input: c.edge.backendTimeoutSeconds,
        message: `must be greater than knative.maxRevisionTimeoutSeconds (${c.knative.maxRevisionTimeoutSeconds}): the load balancer would cut requests Knative still allows (docs/serving-timeouts.md)`,
      });
    }
    if (c.enterprise && c.enterprise.platformProject === c.project) {
      ctx.addIssue({
        code: "custom",
        path: ["enterprise", "platformProject"],
        input: c.enterprise.platformProject,
        message: "must differ from project: the customer gets a dedicated project",
      });
    }
  });

/** "buckets[0]" -> ["buckets", 0]; "edge.apiSubdomain" -> ["edge", "apiSubdomain"]. */
function keyPathSegments(key: string): Array<string | number> {
  return key
    .split(/[.[\]]/)
    .filter((s) => s !== "")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAtKey(root: unknown, key: string): unknown {
  let cur: unknown = root;
  for (const seg of keyPathSegments(key))
    cur = cur === null || typeof cur !== "object" ? undefined : (cur as Record<string | number, unknown>)[seg];
  return cur;
}

/** The validated, defaulted stack configuration passed down to every component. */
export type StackConfig = z.output<typeof stackConfigSchema>;
/** What a stack file may hold (before defaults). */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
