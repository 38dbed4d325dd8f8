// The tenancy layer: the MCP namespace (Pod Security restricted, its ServiceAccount, quota and limits), its
// NetworkPolicies, the admission guard that refuses MCP servers escaping the sandbox or their tenant, and the
// backend's namespace (its KSA bound by Workload Identity, its NetworkPolicies).
import type * as pulumi from "@pulumi/pulumi";
import { AdmissionGuard } from "../../../components/kubernetes/admissionGuard.js";
import { BackendNamespace } from "../../../components/kubernetes/backendNamespace.js";
import { McpNamespace } from "../../../components/kubernetes/mcpNamespace.js";
import { McpNetworkPolicies } from "../../../components/kubernetes/mcpNetworkPolicies.js";
import type { Settings } from "../../config/index.js";
import { namespaceQuotas } from "../../config/quota.js";
import type { BaseLayer } from "./base.js";
import type { GkeLayer } from "./gke.js";

const BACKEND_NAMESPACE = "gumstack-backend";
const BACKEND_SERVICE_ACCOUNT = "backend";

/** What the layers above use from the tenancy layer. */
export interface TenancyLayer {
  readonly mcp: Pick<McpNamespace, "namespace" | "namespaceName" | "serviceAccountName">;
  /** The admission guard's ValidatingAdmissionPolicy names. */
  readonly admissionPolicies: pulumi.Output<string>[];
  /**
   * The MCP namespace, its NetworkPolicies and its admission guard: nothing may serve or run tenant code before
   * all of them exist. The serving layer takes them as the dependencies of Knative and the canary.
   */
  readonly fenced: readonly pulumi.Resource[];
  readonly backend: {
    /** The backend's namespace. */
    readonly namespace: string;
    /** The backend KSA's name, for pod specs. */
    readonly serviceAccountName: string;
    /** The backend KSA's name, resolving once the KSA exists: what RBAC bindings name. */
    readonly serviceAccount: pulumi.Output<string>;
    /** The namespace with its KSA, Workload Identity binding and NetworkPolicies: the backend's workloads wait for it. */
    readonly ready: pulumi.Resource;
  };
}

/** The address ranges NetworkPolicies are written from: the VPC's ranges and whether NodeLocal DNSCache runs. */
export function policyRanges(settings: Settings) {
  return { ...settings.network, nodeLocalDns: settings.cluster.nodeLocalDns };
}

export function tenancyLayer(settings: Settings, base: BaseLayer, gke: GkeLayer): TenancyLayer {
  const { project } = settings;
  const { provider } = gke;
  const ranges = policyRanges(settings);
  const m = settings.mcp;
  const mcp = new McpNamespace("mcp", {
    provider,
    namespace: m.namespace,
    // Derived from the gVisor pool with the build namespace's share (src/config/quota.ts), unless set explicitly.
    quotaCpu: namespaceQuotas(settings).mcp.cpu,
    quotaMemory: namespaceQuotas(settings).mcp.memory,
    quotaPods: m.quotaPods,
    defaultCpuRequest: m.defaultCpuRequest,
    defaultMemory: m.defaultMemory,
    maxMemory: m.maxMemory,
    maxCpu: m.maxCpu,
    defaultEphemeralStorageRequest: m.defaultEphemeralStorageRequest,
    defaultEphemeralStorage: m.defaultEphemeralStorage,
    maxEphemeralStorage: m.maxEphemeralStorage,
  });
  const mcpPolicies = new McpNetworkPolicies("mcp-netpol", {
    provider,
    namespace: settings.mcp.namespace,
    ranges,
    dependsOn: [mcp.namespace],
  });
  const guard = new AdmissionGuard("admission", {
    provider,
    namespace: m.namespace,
    tenantImageRepository: base.tenantImageRepository,
    tenantTagsImmutable: false,
    platformImageRepository: settings.platformImages.repository,
    domain: settings.domain,
    reservedHostnames: [...new Set([settings.edge.apiSubdomain, ...m.reservedHostnames])],
    minScale: settings.knative.minScale,
    maxScaleLimit: settings.knative.maxScaleLimit,
    maxProgressDeadlineSeconds: m.maxProgressDeadlineSeconds,
    maxContainers: m.maxContainers,
    maxPodCpu: m.maxPodCpu,
    maxPodMemory: m.maxPodMemory,
    containerDefaultCpuLimit: m.maxCpu,
    containerDefaultMemoryLimit: m.defaultMemory,
    maxEmptyDirSize: m.maxEphemeralStorage,
  });
  const backendNs = new BackendNamespace("backend-ns", {
    provider,
    project,
    namespace: BACKEND_NAMESPACE,
    serviceAccountName: BACKEND_SERVICE_ACCOUNT,
    backendServiceAccountEmail: base.accounts.backend.email,
    workloadPool: gke.cluster.workloadPool,
    port: settings.backend.port,
    egressPorts: [...new Set([443, settings.clickhouse.port])],
    ranges,
    dependsOn: [gke.cluster.cluster],
  });
  return {
    mcp,
    admissionPolicies: guard.policyNames,
    fenced: [mcp, mcpPolicies, guard],
    backend: {
      namespace: BACKEND_NAMESPACE,
      serviceAccountName: BACKEND_SERVICE_ACCOUNT,
      serviceAccount: backendNs.serviceAccountName,
      ready: backendNs,
    },
  };
}
