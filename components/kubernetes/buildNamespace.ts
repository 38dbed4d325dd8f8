// The build namespace: where customers' Dockerfiles run, one Job per build (buildJob.ts), apart from the MCP
// servers, the backend and the platform. Its ServiceAccount has no Workload Identity annotation and no token;
// a ResourceQuota caps concurrent builds and what they may take; a LimitRange gives every container defaults and
// maxima for CPU, memory and ephemeral storage (GKE Sandbox applies limits only when every container has them).
//
// Pod Security: the builder needs CAP_SYS_ADMIN inside the gVisor sandbox (buildah's chroot isolation sets up a
// mount namespace), and every Pod Security level above "privileged" forbids adding it ("baseline" allows only
// containerd's default capabilities). So Pod Security enforces "privileged" here, explicitly, and audits against
// "baseline"; the real fence is the build admission guard (buildAdmissionPolicies.ts), which allows that one
// capability set to the one untrusted container and holds the others to "restricted" (docs/build-plane.md).
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { BUILD_DEFAULTS } from "./buildJob.js";
import * as schedulingv1 from "@pulumi/kubernetes/scheduling/v1/index.js";
import { BUILD_PRIORITY_CLASS } from "./buildJob.js";
import { QuotaNamespace, type QuotaNamespaceManifests } from "./quotaNamespace.js";

const PART_OF = { "app.kubernetes.io/part-of": "gumstack", "app.kubernetes.io/managed-by": "pulumi" } as const;

/** Pod Security labels of the build namespace (see the file comment for why enforce is "privileged"). */
export function buildPodSecurityLabels(): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "baseline",
    "pod-security.kubernetes.io/audit-version": "latest",
  };
}

export interface BuildNamespaceSpec {
  /** Namespace name. Default "gumstack-build". */
  readonly namespace?: string;
  /** ServiceAccount of every build pod. Default "builder". */
  readonly serviceAccountName?: string;
  /** Concurrent builds: maximum pods in the namespace (ResourceQuota pods). Default 20. */
  readonly maxConcurrentBuilds?: number;
  /** Largest CPU limit of one container (LimitRange max.cpu). Default "2". */
  readonly maxCpu?: string;
  /** Largest memory limit of one container (LimitRange max.memory). Default "4Gi". */
  readonly maxMemory?: string;
  /** Largest ephemeral-storage limit of one container (LimitRange max). Default "20Gi". */
  readonly maxEphemeralStorage?: string;
  /** Total CPU limits in the namespace (ResourceQuota limits.cpu). Default "50". */
  readonly quotaCpu?: string;
  /** Total memory limits in the namespace (ResourceQuota limits.memory). Default "100Gi". */
  readonly quotaMemory?: string;
  /** Total ephemeral-storage limits in the namespace (ResourceQuota limits.ephemeral-storage). Default "600Gi". */
  readonly quotaEphemeralStorage?: string;
}

export type BuildNamespaceManifests = QuotaNamespaceManifests<Record<string, unknown>>;

const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/;

/** The namespace's objects as plain manifests. */
export function buildNamespaceManifests(spec: BuildNamespaceSpec = {}): BuildNamespaceManifests {
  const namespace = spec.namespace ?? BUILD_DEFAULTS.namespace;
  const builds = spec.maxConcurrentBuilds ?? BUILD_DEFAULTS.maxConcurrentBuilds;
  if (!Number.isInteger(builds) || builds < 1) throw new Error(`maxConcurrentBuilds must be a positive integer, got ${builds}`);
  const max = {
    cpu: spec.maxCpu ?? BUILD_DEFAULTS.build.cpu,
    memory: spec.maxMemory ?? BUILD_DEFAULTS.build.memory,
    "ephemeral-storage": spec.maxEphemeralStorage ?? BUILD_DEFAULTS.build.ephemeralStorage,
  };
  const step = {
    cpu: BUILD_DEFAULTS.step.cpu,
    memory: BUILD_DEFAULTS.step.memory,
    "ephemeral-storage": BUILD_DEFAULTS.step.ephemeralStorage,
  };
  const hard = {
    pods: String(builds),
    "limits.cpu": spec.quotaCpu ?? BUILD_DEFAULTS.quota.cpu,
    "limits.memory": spec.quotaMemory ?? BUILD_DEFAULTS.quota.memory,
    "limits.ephemeral-storage": spec.quotaEphemeralStorage ?? BUILD_DEFAULTS.quota.ephemeralStorage,
    // Builds are Jobs, their pods and two Secrets each: nothing here is ever exposed or given a volume claim.
    services: "0",
    persistentvolumeclaims: "0",
  };
  for (const [k, v] of Object.entries({ ...max, ...hard })) {
    if (!["pods", "services", "persistentvolumeclaims"].includes(k) && !QUANTITY.test(v)) {
      throw new Error(`build namespace ${k} "${v}" is not a Kubernetes quantity`);
    }
  }
  const meta = (name: string) => ({ name, namespace, labels: { ...PART_OF } });
  return {
    namespace: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { ...PART_OF, "gumstack.com/tenancy": "untrusted", ...buildPodSecurityLabels() } },
    },
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      // No annotations at all: no iam.gke.io/gcp-service-account, so no GCP identity; no RoleBinding names it.
      metadata: meta(spec.serviceAccountName ?? BUILD_DEFAULTS.serviceAccountName),
      automountServiceAccountToken: false,
    },
    resourceQuota: { apiVersion: "v1", kind: "ResourceQuota", metadata: meta("build-quota"), spec: { hard } },
    limitRange: {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("build-limits"),
      spec: {
        limits: [
          // A container that names no resources gets the small step's; none may exceed the build step's maxima.
          { type: "Container", defaultRequest: { ...step }, default: { ...step }, max: { ...max } },
        ],
      },
    },
  };
}

/**
 * Builds never take a server's place: their pods run at a priority below every pod without a class (MCP servers,
 * which the MCP guard keeps class-less, run at 0), so when the gVisor pool is full the scheduler preempts a build
 * for a pending server, and `preemptionPolicy: Never` keeps a build from ever preempting anything itself
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/). The build guard requires it.
 */
export function buildPriorityClassManifest() {
  return {
    apiVersion: "scheduling.k8s.io/v1" as const,
    kind: "PriorityClass" as const,
    metadata: { name: BUILD_PRIORITY_CLASS.name, labels: { ...PART_OF } },
    value: BUILD_PRIORITY_CLASS.value,
    globalDefault: false,
    preemptionPolicy: "Never",
    description: "Customer builds: below MCP servers (priority 0), preempted first, never preempting",
  };
}

export interface BuildNamespaceArgs extends BuildNamespaceSpec {
  /** Kubernetes provider of the cluster. Required; no default. */
  readonly provider: K8sProvider;
}

/** Namespace, ServiceAccount, ResourceQuota and LimitRange of the build plane, and the builds' PriorityClass. */
export class BuildNamespace extends QuotaNamespace {
  public readonly priorityClass: schedulingv1.PriorityClass;

  constructor(name: string, args: BuildNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { provider, ...spec } = args;
    super("gumstack:kubernetes:BuildNamespace", name, buildNamespaceManifests(spec), provider, opts);
    const { apiVersion: _a, kind: _k, ...pc } = buildPriorityClassManifest();
    this.priorityClass = new schedulingv1.PriorityClass(`${name}-priority`, pc, { parent: this, provider });
  }
}
