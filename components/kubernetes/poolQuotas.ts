// The MCP and build namespaces' quotas from the gVisor pool both run on, as pure functions with no SDK import
// (the config schema validates with them before any component module loads). QuotaNamespace applies them.
/** One node pool's shape at its largest: nodes (regional total) and each node's vCPUs and memory. */
export interface PoolShape {
  readonly nodes: number;
  readonly vcpusPerNode: number;
  readonly memoryGibPerNode: number;
}

/**
 * What GKE's kubelet leaves allocatable on a Standard node: CPU minus 6% of the first core, 1% of the second,
 * 0.5% of the third and fourth and 0.25% of every core above four; memory minus 25% of the first 4 GiB, 20% of
 * the next 4, 10% of the next 8, 6% of the next 112 and 2% above 128 GiB, minus the 100 MiB eviction threshold
 * (https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_and_cpu_reservations).
 */
export function gkeAllocatable(vcpus: number, memoryGib: number): { cpuMillis: number; memoryMib: number } {
  const tiers = (total: number, steps: readonly [upTo: number, rate: number][]) => {
    let reserved = 0;
    let from = 0;
    for (const [upTo, rate] of steps) {
      reserved += Math.max(0, Math.min(total, upTo) - from) * rate;
      from = upTo;
    }
    return reserved;
  };
  const cpuReserved = tiers(vcpus, [
    [1, 0.06],
    [2, 0.01],
    [4, 0.005],
    [Infinity, 0.0025],
  ]);
  const memReservedGib = tiers(memoryGib, [
    [4, 0.25],
    [8, 0.2],
    [16, 0.1],
    [128, 0.06],
    [Infinity, 0.02],
  ]);
  return { cpuMillis: Math.floor((vcpus - cpuReserved) * 1000), memoryMib: Math.floor((memoryGib - memReservedGib) * 1024 - 100) };
}

/**
 * What GKE's own DaemonSets request on each node of a sandbox pool (logging, metrics, Dataplane V2, the metadata
 * server, image streaming, CSI), kept out of the namespaces' quotas: a margin, not a measurement (the exact sum
 * moves with GKE versions; `kubectl describe node` shows it on a real cluster).
 */
export const NODE_DAEMON_RESERVE = { cpuMillis: 500, memoryMib: 1536 } as const;
/** Share of the pool builds may hold at once by default: servers keep the rest. */
export const DEFAULT_BUILD_SHARE = 0.25;

export interface BuildShape {
  /** CPU limit of one build pod, millicores (its build step's: init containers run alone). */
  readonly cpuMillis: number;
  /** Memory limit of one build pod, MiB. */
  readonly memoryMib: number;
  /** Builds at once the config allows (the namespace's pod quota never exceeds it). */
  readonly maxConcurrent: number;
}

export interface SharedPoolQuotas {
  /** What the pool can give pods at its largest, after GKE's reservations and the DaemonSets' margin. */
  readonly pool: { readonly cpuMillis: number; readonly memoryMib: number };
  /** The MCP namespace's ResourceQuota requests.cpu and requests.memory. */
  readonly mcp: { readonly cpu: string; readonly memory: string };
  /** The build namespace's ResourceQuota limits.cpu, limits.memory and pods. */
  readonly build: { readonly cpu: string; readonly memory: string; readonly pods: number };
  /** Why the explicit values do not fit the pool, one line each naming the config key; empty when they do. */
  readonly problems: readonly string[];
}

const cpuMillisOf = (q: string): number => (q.endsWith("m") ? Number.parseInt(q, 10) : Number(q) * 1000);
const memoryMibOf = (q: string): number => {
  const m = /^(\d+)(Mi|Gi|Ti)$/.exec(q);
  if (!m) return NaN;
  return Number(m[1]) * { Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] as "Mi" | "Gi" | "Ti"];
};

/**
 * The MCP and build namespaces' quotas, from the one pool both run on (the gVisor pool), so that together they
 * never promise more than it has: builds get `buildShare` of it (at most what `maxConcurrent` builds need, at
 * least one build), servers the rest. A value given explicitly is kept, and the rest derived around it; if the
 * explicit values together exceed the pool, `problems` says so (the config schema reports them).
 */
export function sharedPoolQuotas(
  pool: PoolShape,
  build: BuildShape,
  explicit: { mcpCpu?: string; mcpMemory?: string; buildCpu?: string; buildMemory?: string } = {},
  buildShare: number = DEFAULT_BUILD_SHARE,
): SharedPoolQuotas {
  const node = gkeAllocatable(pool.vcpusPerNode, pool.memoryGibPerNode);
  const cpu = pool.nodes * (node.cpuMillis - NODE_DAEMON_RESERVE.cpuMillis);
  const mem = pool.nodes * (node.memoryMib - NODE_DAEMON_RESERVE.memoryMib);
  // Builds: a share of the pool, whole builds only, at least one, at most what the configured builds need.
  const builds = Math.max(
    1,
    Math.min(build.maxConcurrent, Math.floor((cpu * buildShare) / build.cpuMillis), Math.floor((mem * buildShare) / build.memoryMib)),
  );
  const problems: string[] = [];
  const poolText = `the gVisor pool (${pool.nodes} nodes of ${pool.vcpusPerNode} vCPUs, ${pool.memoryGibPerNode} GiB)`;
  if (build.cpuMillis > cpu || build.memoryMib > mem)
    problems.push(
      `build.cpu and build.memory (${build.cpuMillis / 1000} CPUs, ${Math.round(build.memoryMib / 1024)}Gi) do not fit ${poolText}, which can give pods ${Math.floor(cpu / 1000)} CPUs and ${Math.floor(mem / 1024)}Gi: use larger or more nodes, or smaller builds`,
    );
  const buildCpu = explicit.buildCpu !== undefined ? cpuMillisOf(explicit.buildCpu) : builds * build.cpuMillis;
  const buildMem = explicit.buildMemory !== undefined ? memoryMibOf(explicit.buildMemory) : builds * build.memoryMib;
  const mcpCpu = explicit.mcpCpu !== undefined ? cpuMillisOf(explicit.mcpCpu) : Math.max(0, cpu - buildCpu);
  const mcpMem = explicit.mcpMemory !== undefined ? memoryMibOf(explicit.mcpMemory) : Math.max(0, mem - buildMem);
  if (problems.length === 0 && buildCpu + mcpCpu > cpu)
    problems.push(
      `mcp.quotaCpu + build.quotaCpu (${mcpCpu / 1000} + ${buildCpu / 1000} CPUs) exceed the ${Math.floor(cpu / 1000)} CPUs ${poolText} can give pods: lower them, or leave them unset to derive them from the pool`,
    );
  if (problems.length === 0 && buildMem + mcpMem > mem)
    problems.push(
      `mcp.quotaMemory + build.quotaMemory (${Math.round(mcpMem / 1024)}Gi + ${Math.round(buildMem / 1024)}Gi) exceed the ${Math.floor(mem / 1024)}Gi ${poolText} can give pods: lower them, or leave them unset to derive them from the pool`,
    );
  const pods = Math.max(1, Math.min(build.maxConcurrent, Math.floor(buildCpu / build.cpuMillis), Math.floor(buildMem / build.memoryMib)));
  return {
    pool: { cpuMillis: cpu, memoryMib: mem },
    mcp: {
      cpu: explicit.mcpCpu ?? String(Math.floor(mcpCpu / 1000)),
      memory: explicit.mcpMemory ?? `${Math.floor(mcpMem / 1024)}Gi`,
    },
    build: {
      cpu: explicit.buildCpu ?? String(Math.floor(buildCpu / 1000)),
      memory: explicit.buildMemory ?? `${Math.floor(buildMem / 1024)}Gi`,
      pods,
    },
    problems,
  };
}
