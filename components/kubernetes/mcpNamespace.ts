// The MCP namespace: every customer MCP server runs here, apart from the backend's and the platform's namespaces.
// Pod Security "restricted" enforced; the MCP pods' ServiceAccount has NO Workload Identity annotation (zero GCP
// access) and no automounted token; a ResourceQuota and a LimitRange bound what tenants can take. The LimitRange
// gives every container both CPU and memory limits: GKE Sandbox applies limits only when every container has them.
// It also gives every container an ephemeral-storage request and limit (and a maximum), so that one server's
// writes to its filesystem, logs and emptyDirs cannot fill a node's disk: the kubelet evicts a pod past its limit
// instead of the node evicting its neighbours under disk pressure
// (https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/). The per-pod sums (a
// LimitRange caps each container, not the pod) are the admission guard's (admissionPolicies.ts, resources).
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { podSecurityRestrictedLabels } from "./admissionPolicies.js";
import { MCP_NAMESPACE_DEFAULTS } from "./mcpNamespaceDefaults.js";
import { QuotaNamespace, type QuotaNamespaceManifests } from "./quotaNamespace.js";

export const PART_OF_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/part-of": "gumstack",
  "app.kubernetes.io/managed-by": "pulumi",
};

/**
 * Pod Security Admission labels: restricted for enforce, audit and warn. The versions are pinned to "latest",
 * the only value (besides unset) the admission guard's pod-security policy accepts on this namespace.
 */
export function podSecurityLabels(): Record<string, string> {
  return {
    ...podSecurityRestrictedLabels(),
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn-version": "latest",
  };
}

export interface McpNamespaceSpec {
  /** Namespace name. Default "gumstack-mcp". */
  readonly namespace?: string;
  /** ServiceAccount of every MCP pod. Default "mcp-server". */
  readonly serviceAccountName?: string;
  /** Total CPU requests in the namespace (ResourceQuota requests.cpu). Default "160". */
  readonly quotaCpu?: string;
  /** Total memory requests in the namespace (ResourceQuota requests.memory). Default "640Gi". */
  readonly quotaMemory?: string;
  /** Maximum pods in the namespace (ResourceQuota pods). Default 1000. */
  readonly quotaPods?: number;
  /** Default CPU request of a container (LimitRange defaultRequest.cpu). Default "100m". */
  readonly defaultCpuRequest?: string;
  /** Default memory request and limit of a container (LimitRange). Default "256Mi". */
  readonly defaultMemory?: string;
  /** Largest memory limit of a container (LimitRange max.memory). Default "2Gi". */
  readonly maxMemory?: string;
  /** Largest CPU limit of a container, also its default limit (LimitRange max.cpu, default.cpu). Default "2". */
  readonly maxCpu?: string;
  /** Default ephemeral-storage request of a container (LimitRange defaultRequest), what the scheduler reserves on the node. Default "64Mi". */
  readonly defaultEphemeralStorageRequest?: string;
  /** Default ephemeral-storage limit of a container (LimitRange default). Default "1Gi". */
  readonly defaultEphemeralStorage?: string;
  /** Largest ephemeral-storage limit of a container (LimitRange max). Default "4Gi". */
  readonly maxEphemeralStorage?: string;
}

type Resources = { cpu: string; memory: string; "ephemeral-storage": string };
export interface LimitRangeItem {
  type: "Container";
  defaultRequest: Resources;
  default: Resources;
  max: Resources;
}
export type McpNamespaceManifests = QuotaNamespaceManifests<LimitRangeItem>;

/** The namespace's objects as plain manifests. */
export function mcpNamespaceManifests(spec: McpNamespaceSpec = {}): McpNamespaceManifests {
  const namespace = spec.namespace ?? MCP_NAMESPACE_DEFAULTS.namespace;
  const quotaPods = spec.quotaPods ?? MCP_NAMESPACE_DEFAULTS.quotaPods;
  if (!Number.isInteger(quotaPods) || quotaPods < 1) throw new Error(`quotaPods must be a positive integer, got ${quotaPods}`);
  const defaultMemory = spec.defaultMemory ?? MCP_NAMESPACE_DEFAULTS.defaultMemory;
  const maxCpu = spec.maxCpu ?? MCP_NAMESPACE_DEFAULTS.maxCpu;
  const storage = {
    request: spec.defaultEphemeralStorageRequest ?? MCP_NAMESPACE_DEFAULTS.defaultEphemeralStorageRequest,
    limit: spec.defaultEphemeralStorage ?? MCP_NAMESPACE_DEFAULTS.defaultEphemeralStorage,
    max: spec.maxEphemeralStorage ?? MCP_NAMESPACE_DEFAULTS.maxEphemeralStorage,
  };
  for (const [k, v] of Object.entries(storage)) {
    if (!/^\d+(Mi|Gi)$/.test(v)) throw new Error(`ephemeral-storage ${k} must be a quantity such as 1Gi, got ${JSON.stringify(v)}`);
  }
  const bytes = (q: string) => Number(q.slice(0, -2)) * (q.endsWith("Gi") ? 1024 : 1);
  if (!(bytes(storage.request) <= bytes(storage.limit) && bytes(storage.limit) <= bytes(storage.max))) {
    throw new Error(`ephemeral-storage must be request <= default <= max, got ${storage.request}, ${storage.limit}, ${storage.max}`);
  }
  const meta = (name: string) => ({ name, namespace, labels: { ...PART_OF_LABELS } });
  return {
    namespace: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { ...PART_OF_LABELS, "gumstack.com/tenancy": "untrusted", ...podSecurityLabels() } },
    },
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      // No annotations at all: in particular no iam.gke.io/gcp-service-account, so no GCP identity.
      metadata: meta(spec.serviceAccountName ?? MCP_NAMESPACE_DEFAULTS.serviceAccountName),
      automountServiceAccountToken: false,
    },
    resourceQuota: {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta("mcp-quota"),
      spec: {
        hard: {
          "requests.cpu": spec.quotaCpu ?? MCP_NAMESPACE_DEFAULTS.quotaCpu,
          "requests.memory": spec.quotaMemory ?? MCP_NAMESPACE_DEFAULTS.quotaMemory,
          pods: String(quotaPods),
          // MCP servers are reached only through Knative; they never get their own load balancer or node port.
          "services.loadbalancers": "0",
          "services.nodeports": "0",
        },
      },
    },
    limitRange: {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("mcp-limits"),
      spec: {
        limits: [
          {
            type: "Container",
            defaultRequest: {
              cpu: spec.defaultCpuRequest ?? MCP_NAMESPACE_DEFAULTS.defaultCpuRequest,
              memory: defaultMemory,
              "ephemeral-storage": storage.request,
            },
            default: { cpu: maxCpu, memory: defaultMemory, "ephemeral-storage": storage.limit },
            max: { cpu: maxCpu, memory: spec.maxMemory ?? MCP_NAMESPACE_DEFAULTS.maxMemory, "ephemeral-storage": storage.max },
          },
        ],
      },
    },
  };
}

export interface McpNamespaceArgs extends McpNamespaceSpec {
  /** Kubernetes provider of the cluster. Required; no default. */
  readonly provider: K8sProvider;
}

/** Namespace, ServiceAccount, ResourceQuota and LimitRange of the MCP servers. */
export class McpNamespace extends QuotaNamespace {
  constructor(name: string, args: McpNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    const { provider, ...spec } = args;
    super("gumstack:kubernetes:McpNamespace", name, mcpNamespaceManifests(spec), provider, opts);
  }
}
