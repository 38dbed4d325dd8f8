// One GKE node pool per role. Every pool: Container-Optimized OS with containerd, the GKE metadata server
// (Workload Identity; pods never see the node's credentials, fact 12), the dedicated node service account,
// Secure Boot and integrity monitoring, auto-repair and auto-upgrade, surge upgrades, kubelet read-only port off,
// regional autoscaling limits (totals, not per zone), and an autonamed pool (fact 13).
//
// Placement: every node carries `gumstack.com/pool: <role>`. Backend nodes are tainted
// `gumstack.com/pool=backend:NoSchedule` (only the backend tolerates it); MCP nodes are GKE Sandbox nodes, which
// GKE itself taints `sandbox.gke.io/runtime=gvisor:NoSchedule` and which only pods with runtimeClassName gvisor
// tolerate (the RuntimeClass carries the toleration and a node selector). The system pool is untainted, so
// platform pods can land nowhere else.
import * as container from "../sdk/gcp/container.js";
import type * as types from "@pulumi/gcp/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { POOL_LABEL, type PoolRole } from "../platform.js";

export type NodePoolRole = PoolRole;
/** The taint GKE Sandbox puts on sandbox nodes itself (never set by this program). */
export const GKE_SANDBOX_TAINT = { key: "sandbox.gke.io/runtime", value: "gvisor", effect: "NO_SCHEDULE" } as const;

export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: "NO_SCHEDULE";
}
export interface Toleration {
  key: string;
  operator: "Equal";
  value: string;
  effect: "NoSchedule";
}

/** Kubernetes node labels of a pool. */
export function poolNodeLabels(role: NodePoolRole): Record<string, string> {
  return { [POOL_LABEL]: role };
}

/** Taints this program sets on a pool (GKE adds the sandbox taint to the MCP pool itself). */
export function poolTaints(role: NodePoolRole): NodeTaint[] {
  return role === "backend" ? [{ key: POOL_LABEL, value: "backend", effect: "NO_SCHEDULE" }] : [];
}

/** What a workload meant for a pool puts in its pod spec: the node selector and the tolerations. */
export function poolScheduling(role: NodePoolRole): { nodeSelector: Record<string, string>; tolerations: Toleration[] } {
  const taints: NodeTaint[] = role === "mcp" ? [GKE_SANDBOX_TAINT] : poolTaints(role);
  return {
    nodeSelector: poolNodeLabels(role),
    tolerations: taints.map((t) => ({ key: t.key, operator: "Equal", value: t.value, effect: "NoSchedule" })),
  };
}

/**
 * Nodes per zone at creation: enough for the regional minimum, at least 1 when the maximum allows it, never more
 * than the maximum in total. Only the creation size: autoscaling owns the size afterwards (ignoreChanges).
 */
export function initialNodeCountPerZone(minNodes: number, maxNodes: number, zoneCount: number): number {
  if (zoneCount < 1) throw new Error("a node pool needs at least one zone");
  if (!Number.isInteger(minNodes) || !Number.isInteger(maxNodes) || minNodes < 0 || maxNodes < 1 || minNodes > maxNodes) {
    throw new Error(`node pool limits must be integers with 0 <= minNodes <= maxNodes and maxNodes >= 1, got ${minNodes}-${maxNodes}`);
  }
  let perZone = Math.max(1, Math.ceil(minNodes / zoneCount));
  while (perZone > 0 && perZone * zoneCount > maxNodes) perZone--;
  return perZone;
}

/** Defaults of a pool's boot disk and upgrade surge (the config schema takes gumstack:nodePools' disk defaults from here). */
export const NODE_POOL_DEFAULTS = { diskSizeGb: 100, diskType: "pd-balanced", maxSurge: 1, maxUnavailable: 0 } as const;

export interface GkeNodePoolArgs {
  /** GCP project of the cluster. Required; no default. */
  readonly project: string;
  /** Region of the (regional) cluster. Required; no default. */
  readonly location: string;
  /** The cluster's name (GkeCluster.name): the pool waits for the cluster through it. Required; no default. */
  readonly cluster: pulumi.Input<string>;
  /** What the pool runs: system (kube-system, Knative, Kourier, gateway), backend, or mcp (GKE Sandbox). Required. */
  readonly role: NodePoolRole;
  /** Zones of the pool's nodes. Required; no default (the cluster's zones). */
  readonly zones: readonly string[];
  /** Machine type. Required; no default. */
  readonly machineType: string;
  /** Minimum nodes across the whole region (totalMinNodeCount). Required; no default. */
  readonly minNodes: number;
  /** Maximum nodes across the whole region (totalMaxNodeCount). Required; no default. */
  readonly maxNodes: number;
  /** Boot disk size, GB. Default 100. */
  readonly diskSizeGb?: number;
  /** Boot disk type. Default "pd-balanced". */
  readonly diskType?: "pd-standard" | "pd-balanced" | "pd-ssd";
  /**
   * Cloud KMS key (same region as the pool) encrypting the nodes' boot disks. The Compute Engine service agent
   * must already hold roles/cloudkms.cryptoKeyEncrypterDecrypter on it: pass that grant in `dependsOn`.
   * Default none (Google-managed encryption).
   */
  readonly bootDiskKmsKey?: pulumi.Input<string>;
  /** Email of the dedicated, minimal node service account (never the Compute Engine default). Required; no default. */
  readonly serviceAccountEmail: pulumi.Input<string>;
  /** Extra nodes during upgrades. Default 1. */
  readonly maxSurge?: number;
  /** Nodes that may be unavailable during upgrades. Default 0. */
  readonly maxUnavailable?: number;
  /** Network tags of the nodes (firewall targets). Default []. */
  readonly networkTags?: readonly string[];
  /** GCE resource labels of the nodes. Default {}. */
  readonly resourceLabels?: Readonly<Record<string, string>>;
  /**
   * Name of a secondary range of the cluster's subnet the pool's pods take their IPs from instead of the
   * cluster's default pod range (GKE multi-Pod CIDR, https://cloud.google.com/kubernetes-engine/docs/how-to/multi-pod-cidr):
   * the MCP pool's pods then leave through a Cloud NAT of their own. Default none: the cluster's pod range.
   */
  readonly podRange?: string;
  /** Resources the pool waits for besides the cluster: Cloud NAT, the node SA's IAM grants. Default []. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** The pool's nodeConfig (exported so the tests and the policy pack read exactly what is deployed). */
export function nodePoolNodeConfig(args: GkeNodePoolArgs): types.input.container.NodePoolNodeConfig {
  const taints = poolTaints(args.role);
  return {
    machineType: args.machineType,
    imageType: "COS_CONTAINERD",
    diskSizeGb: args.diskSizeGb ?? NODE_POOL_DEFAULTS.diskSizeGb,
    diskType: args.diskType ?? NODE_POOL_DEFAULTS.diskType,
    ...(args.bootDiskKmsKey !== undefined ? { bootDiskKmsKey: args.bootDiskKmsKey } : {}),
    serviceAccount: args.serviceAccountEmail,
    // Access is governed by the service account's IAM roles, not by legacy scopes.
    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
    workloadMetadataConfig: { mode: "GKE_METADATA" },
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    kubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" },
    labels: poolNodeLabels(args.role),
    ...(taints.length > 0 ? { taints: taints.map((t) => ({ ...t })) } : {}),
    ...(args.role === "mcp" ? { sandboxConfig: { type: "GVISOR" }, gcfsConfig: { enabled: true } } : {}),
    ...(args.networkTags && args.networkTags.length > 0 ? { tags: [...args.networkTags] } : {}),
    resourceLabels: { ...(args.resourceLabels ?? {}), "gumstack-pool": args.role },
  };
}

/**
 * The pool's networkConfig for its own pod range: an existing range of the subnet (createPodRange false; the
 * network component owns the ranges), and enablePrivateNodes true, always. The provider's expandNodeNetworkConfig
 * (hashicorp/terraform-provider-google, google/services/container/resource_container_node_pool.go) sends
 * enable_private_nodes with ForceSendFields whenever a networkConfig block exists, so leaving it unset sends
 * `false`, and GKE refuses that on a cluster with private nodes: "EnablePrivateNodes must be enabled for private
 * clusters with valid masterIpv4Cidr" (terraform-google-modules/terraform-google-kubernetes-engine#1491). Every
 * cluster of this program has private nodes (GkeCluster), so the pool says so too (docs/deploy-traps.md).
 */
export function nodePoolNetworkConfig(podRange: string): types.input.container.NodePoolNetworkConfig {
  return { createPodRange: false, podRange, enablePrivateNodes: true };
}

/** A regional, autoscaled, autonamed node pool for one role. */
export class GkeNodePool extends pulumi.ComponentResource {
  /** The node pool resource. */
  public readonly nodePool: container.NodePool;
  /** The generated pool name. */
  public readonly name: pulumi.Output<string>;
  /** The pool's role. */
  public readonly role: NodePoolRole;
  /** Node selector and tolerations a workload for this pool needs (plain values). */
  public readonly scheduling: { nodeSelector: Record<string, string>; tolerations: Toleration[] };

  constructor(name: string, args: GkeNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gke:GkeNodePool", name, {}, opts);
    if (args.zones.length === 0) throw new Error(`node pool ${name}: zones must name at least one zone`);
    for (const z of args.zones) {
      if (!z.startsWith(`${args.location}-`)) throw new Error(`node pool ${name}: zone ${z} is not in region ${args.location}`);
    }
    const maxSurge = args.maxSurge ?? NODE_POOL_DEFAULTS.maxSurge;
    const maxUnavailable = args.maxUnavailable ?? NODE_POOL_DEFAULTS.maxUnavailable;
    if (maxSurge < 0 || maxUnavailable < 0 || maxSurge + maxUnavailable === 0) {
      throw new Error(`node pool ${name}: maxSurge and maxUnavailable must be >= 0 and not both 0`);
    }

    this.nodePool = new container.NodePool(
      `${name}-pool`,
      {
        // No `name`: Pulumi autonames the pool, so a replacement is created before the old pool is deleted.
        project: args.project,
        location: args.location,
        cluster: args.cluster,
        nodeLocations: [...args.zones],
        initialNodeCount: initialNodeCountPerZone(args.minNodes, args.maxNodes, args.zones.length),
        autoscaling: {
          totalMinNodeCount: args.minNodes,
          totalMaxNodeCount: args.maxNodes,
          locationPolicy: "BALANCED",
        },
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { strategy: "SURGE", maxSurge, maxUnavailable },
        nodeConfig: nodePoolNodeConfig(args),
        ...(args.podRange !== undefined ? { networkConfig: nodePoolNetworkConfig(args.podRange) } : {}),
      },
      // initialNodeCount is creation-only (ForceNew) and drifts as the autoscaler works: never replace the pool for it.
      { parent: this, dependsOn: [...(args.dependsOn ?? [])], ignoreChanges: ["initialNodeCount"] },
    );

    this.name = this.nodePool.name;
    this.role = args.role;
    this.scheduling = poolScheduling(args.role);
    this.registerOutputs({ name: this.name, role: this.role });
  }
}
