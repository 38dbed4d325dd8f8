// Whether the subnet's ranges hold every node the pools may grow to. GKE gives each node a slice of the pod range
// sized for at least twice its maximum pods (110, the Standard default: a /24 per node), and each node one address
// of the subnet's primary range, of which Compute Engine reserves four.
// https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr
// https://cloud.google.com/kubernetes-engine/docs/concepts/alias-ips#cluster_sizing_primary_range (the planning table: a /24 holds 252 nodes, a /20 4092)

/** GKE Standard's default (and hard) maximum pods per node; the node pools here do not lower it. */
export const DEFAULT_MAX_PODS_PER_NODE = 110;
/** Addresses Compute Engine reserves in every subnet's primary range (network, gateway, second-to-last, broadcast). */
export const RESERVED_PRIMARY_ADDRESSES = 4;
/** GKE's default surge upgrade setting (the GkeNodePool component's default maxSurge). */
export const DEFAULT_MAX_SURGE = 1;

/** Prefix length of the per-node pod range: the smallest block holding at least twice the maximum pods. */
export function perNodePodPrefix(maxPodsPerNode: number): number {
  if (!Number.isInteger(maxPodsPerNode) || maxPodsPerNode < 8 || maxPodsPerNode > 256) {
    throw new Error(`max pods per node must be an integer 8-256, got ${maxPodsPerNode}`);
  }
  let prefix = 32;
  while (2 ** (32 - prefix) < 2 * maxPodsPerNode) prefix--;
  return prefix;
}

export interface PoolSize {
  readonly role: string;
  /** totalMaxNodeCount: the pool's maximum across every zone. */
  readonly maxNodes: number;
  /** Surge nodes added during an upgrade, counted in each zone (an upper bound for regional pools). Default 1. */
  readonly maxSurge?: number;
}

export interface RangeNeeds {
  /** Nodes the pools may reach: every pool at its maximum plus its surge nodes in every zone. */
  readonly nodes: number;
  /** Nodes the pod range holds. */
  readonly podRangeNodes: number;
  /** Nodes the primary range holds. */
  readonly nodeRangeNodes: number;
}

/** The most nodes the pools may run at once, and how many each range holds. */
export function rangeNeeds(args: {
  readonly podPrefix: number;
  readonly nodePrefix: number;
  readonly zones: number;
  readonly pools: readonly PoolSize[];
  readonly maxPodsPerNode?: number;
}): RangeNeeds {
  const perNode = perNodePodPrefix(args.maxPodsPerNode ?? DEFAULT_MAX_PODS_PER_NODE);
  const nodes = args.pools.reduce((n, p) => n + p.maxNodes + (p.maxSurge ?? DEFAULT_MAX_SURGE) * args.zones, 0);
  const podRangeNodes = args.podPrefix > perNode ? 0 : 2 ** (perNode - args.podPrefix);
  const nodeRangeNodes = Math.max(0, 2 ** (32 - args.nodePrefix) - RESERVED_PRIMARY_ADDRESSES);
  return { nodes, podRangeNodes, nodeRangeNodes };
}

/** Problems (key, message) when a range cannot hold the pools at their maximum plus surge; empty when both fit. */
export function rangeProblems(args: Parameters<typeof rangeNeeds>[0]): Array<{ key: "podCidr" | "nodeCidr"; message: string }> {
  const need = rangeNeeds(args);
  const breakdown = args.pools.map((p) => `${p.role} ${p.maxNodes} + ${(p.maxSurge ?? DEFAULT_MAX_SURGE) * args.zones} surge`).join(", ");
  const out: Array<{ key: "podCidr" | "nodeCidr"; message: string }> = [];
  if (need.nodes > need.podRangeNodes) {
    const perNode = perNodePodPrefix(args.maxPodsPerNode ?? DEFAULT_MAX_PODS_PER_NODE);
    out.push({
      key: "podCidr",
      message: `holds ${need.podRangeNodes} nodes (a /${perNode} each at ${args.maxPodsPerNode ?? DEFAULT_MAX_PODS_PER_NODE} pods per node) but the pools may reach ${need.nodes} (${breakdown}); use a larger range or lower nodePools.*.maxNodes`,
    });
  }
  if (need.nodes > need.nodeRangeNodes) {
    out.push({
      key: "nodeCidr",
      message: `holds ${need.nodeRangeNodes} nodes (${RESERVED_PRIMARY_ADDRESSES} addresses are reserved) but the pools may reach ${need.nodes} (${breakdown}); use a larger range or lower nodePools.*.maxNodes`,
    });
  }
  return out;
}
