// The Compute Engine quota a stack's node pools need in its region, at their minimum and maximum sizes, so a
// first deploy is not stopped half-way by "Quota 'N2_CPUS' exceeded". Default quotas of a new project are far
// lower than prod's; request increases before the first `pulumi up`.
// Quota metrics: https://cloud.google.com/compute/resource-usage#cpu_quota (N1 and E2 count toward CPUS, most
// other families have their own <FAMILY>_CPUS; every vCPU counts toward CPUS_ALL_REGIONS) and
// https://cloud.google.com/compute/resource-usage#disk_quota (pd-balanced and pd-ssd count toward SSD_TOTAL_GB).
import { NODE_POOL_DEFAULTS, initialNodeCountPerZone } from "../../components/gke/nodePool.js";
import { sharedPoolQuotas, type SharedPoolQuotas } from "../../components/kubernetes/poolQuotas.js";
import type { StackConfig } from "./schema.js";

/** Shared-core machine types: vCPUs per node as quota counts them. */
const SHARED_CORE: Readonly<Record<string, number>> = { "e2-micro": 2, "e2-small": 2, "e2-medium": 2 };

/** vCPUs of a predefined machine type (`<family>-<standard|highmem|highcpu>-<n>` or shared-core), or undefined. */
export function machineVcpus(machineType: string): number | undefined {
  if (SHARED_CORE[machineType] !== undefined) return SHARED_CORE[machineType];
  const m = /^[a-z0-9]+-(?:standard|highmem|highcpu|highgpu|megamem|ultramem)-(\d+)(?:-lssd)?$/.exec(machineType);
  return m ? Number(m[1]) : undefined;
}

/** The regional CPU quota metric a machine type counts toward. */
export function cpuQuotaMetric(machineType: string): string {
  const family = machineType.split("-")[0]!;
  return family === "n1" || family === "e2" || family === "f1" || family === "g1" ? "CPUS" : `${family.toUpperCase()}_CPUS`;
}

export interface QuotaNeed {
  readonly metric: string;
  readonly min: number;
  readonly max: number;
  /**
   * What the pools hold while they are created: GKE starts a pool at initialNodeCount nodes in each of its zones
   * (components/gke/nodePool.ts initialNodeCountPerZone), which for a minimum that does not divide by the zone
   * count is more than the minimum; the autoscaler only scales down after that. Present when zones are known.
   */
  readonly creation?: number;
}

/**
 * Per quota metric, what the node pools use at their minimum and maximum node counts and, given the zones, at
 * creation (initialNodeCount nodes per zone).
 */
export function quotaNeeds(config: Pick<StackConfig, "nodePools"> & { readonly zones?: readonly string[] }): QuotaNeed[] {
  const zones = config.zones?.length;
  const needs = new Map<string, { min: number; max: number; creation: number }>();
  const add = (metric: string, perNode: number, min: number, max: number, creation: number) => {
    const cur = needs.get(metric) ?? { min: 0, max: 0, creation: 0 };
    needs.set(metric, { min: cur.min + perNode * min, max: cur.max + perNode * max, creation: cur.creation + perNode * creation });
  };
  for (const [role, pool] of Object.entries(config.nodePools)) {
    const vcpus = machineVcpus(pool.machineType);
    if (vcpus === undefined)
      throw new Error(`gumstack:nodePools.${role}.machineType: cannot tell the vCPUs of ${JSON.stringify(pool.machineType)}`);
    const creation = zones ? initialNodeCountPerZone(pool.minNodes, pool.maxNodes, zones) * zones : 0;
    add(cpuQuotaMetric(pool.machineType), vcpus, pool.minNodes, pool.maxNodes, creation);
    add("CPUS_ALL_REGIONS", vcpus, pool.minNodes, pool.maxNodes, creation);
    add(pool.diskType === "pd-standard" ? "DISKS_TOTAL_GB" : "SSD_TOTAL_GB", pool.diskSizeGb, pool.minNodes, pool.maxNodes, creation);
  }
  const order = (m: string) => (m === "CPUS_ALL_REGIONS" ? 2 : m.endsWith("_GB") ? 3 : m === "CPUS" ? 1 : 0);
  return [...needs]
    .map(([metric, { min, max, creation }]) => ({ metric, min, max, ...(zones ? { creation } : {}) }))
    .sort((a, b) => order(a.metric) - order(b.metric) || a.metric.localeCompare(b.metric));
}

/**
 * Two lines for the plan: `Quota (us-west1, node pools at min-max nodes): N2_CPUS 64-736, ...` and what the
 * first `pulumi up` needs while it creates the pools, `Quota at creation (...): N2_CPUS 72, ...`.
 */
export function renderQuota(config: Pick<StackConfig, "nodePools" | "region" | "zones">): string {
  const needs = quotaNeeds(config);
  return [
    `Quota (${config.region}, node pools at min-max nodes): ${needs.map((n) => `${n.metric} ${n.min}-${n.max}`).join(", ")}`,
    `Quota at creation (${config.region}, initialNodeCount per zone in ${config.zones.length} zones): ${needs
      .map((n) => `${n.metric} ${n.creation}`)
      .join(", ")}`,
  ].join("\n");
}

/**
 * Memory of a predefined machine type in GiB: N1 has 3.75 (standard), 6.5 (highmem) and 0.9 (highcpu) GB per
 * vCPU, the other general-purpose families 4, 8 and 1 GiB (https://cloud.google.com/compute/docs/general-purpose-machines).
 * Undefined for shared-core and other shapes.
 */
export function machineMemoryGib(machineType: string): number | undefined {
  const m = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!m) return undefined;
  const perVcpu = m[1] === "n1" ? { standard: 3.75, highmem: 6.5, highcpu: 0.9 }[m[2]!]! : { standard: 4, highmem: 8, highcpu: 1 }[m[2]!]!;
  return perVcpu * Number(m[3]);
}

const cpuMillis = (q: string) => (q.endsWith("m") ? Number.parseInt(q, 10) : Number(q) * 1000);
const memMib = (q: string) => Number.parseInt(q, 10) * (q.endsWith("Ti") ? 1024 * 1024 : q.endsWith("Gi") ? 1024 : 1);

/**
 * The MCP and build namespaces' quotas from the gVisor (mcp) pool both run on (components/kubernetes/quotaNamespace.ts
 * sharedPoolQuotas): explicit `gumstack:mcp.quota*` and `gumstack:build.quota*` values are kept, the others derived.
 * Throws naming the field when the pool's machine type has no known shape.
 */
export function namespaceQuotas(
  config: Pick<StackConfig, "nodePools"> & {
    readonly mcp: { readonly quotaCpu?: string | undefined; readonly quotaMemory?: string | undefined };
    readonly build: {
      readonly quotaCpu?: string | undefined;
      readonly quotaMemory?: string | undefined;
      readonly cpu: string;
      readonly memory: string;
      readonly maxConcurrentBuilds: number;
    };
  },
): SharedPoolQuotas {
  const pool = config.nodePools.mcp;
  const vcpus = machineVcpus(pool.machineType);
  const memory = machineMemoryGib(pool.machineType);
  if (vcpus === undefined || memory === undefined)
    throw new Error(
      `gumstack:nodePools.mcp.machineType: cannot tell the vCPUs and memory of ${JSON.stringify(pool.machineType)} to size the namespaces' quotas; use a <family>-standard|highmem|highcpu-<n> type or set mcp.quotaCpu/quotaMemory and build.quotaCpu/quotaMemory`,
    );
  const explicit = {
    ...(config.mcp.quotaCpu !== undefined ? { mcpCpu: config.mcp.quotaCpu } : {}),
    ...(config.mcp.quotaMemory !== undefined ? { mcpMemory: config.mcp.quotaMemory } : {}),
    ...(config.build.quotaCpu !== undefined ? { buildCpu: config.build.quotaCpu } : {}),
    ...(config.build.quotaMemory !== undefined ? { buildMemory: config.build.quotaMemory } : {}),
  };
  return sharedPoolQuotas(
    { nodes: pool.maxNodes, vcpusPerNode: vcpus, memoryGibPerNode: memory },
    { cpuMillis: cpuMillis(config.build.cpu), memoryMib: memMib(config.build.memory), maxConcurrent: config.build.maxConcurrentBuilds },
    explicit,
  );
}

/** A Cloud Quotas preference for one Compute Engine quota (gcp.cloudquota.SQuotaPreference's service, quotaId, region). */
export interface QuotaRequest {
  /** The plan's metric name, e.g. N2_CPUS. */
  readonly metric: string;
  /** The Cloud Quotas quota id, e.g. N2-CPUS-per-project-region. */
  readonly quotaId: string;
  /** The region dimension; undefined for a quota across all regions (CPUS_ALL_REGIONS). */
  readonly region?: string;
  /** The value to prefer: every pool at its maximum plus an upgrade's surge nodes. */
  readonly value: number;
}

/**
 * The Cloud Quotas id of a Compute Engine quota metric: `<METRIC>-per-project-region` (N2_CPUS ->
 * N2-CPUS-per-project-region, SSD_TOTAL_GB -> SSD-TOTAL-GB-per-project-region), and CPUS-ALL-REGIONS-per-project for
 * the one global metric: the ids `gcloud beta quotas info list --service=compute.googleapis.com --project=<project>`
 * prints (https://cloud.google.com/sdk/gcloud/reference/beta/quotas/info/list).
 */
export function computeQuotaId(metric: string): { quotaId: string; regional: boolean } {
  if (!/^[A-Z0-9]+(?:_[A-Z0-9]+)*$/.test(metric)) throw new Error(`not a Compute Engine quota metric: ${JSON.stringify(metric)}`);
  const dashed = metric.replace(/_/g, "-");
  return metric === "CPUS_ALL_REGIONS"
    ? { quotaId: `${dashed}-per-project`, regional: false }
    : { quotaId: `${dashed}-per-project-region`, regional: true };
}

/**
 * What an enterprise customer's new project asks Cloud Quotas for: per metric, every pool at its maximum plus the
 * surge an upgrade adds (maxSurge nodes in each zone of a pool: GKE applies surge settings per zone,
 * https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies#surge).
 */
export function quotaRequests(config: Pick<StackConfig, "nodePools" | "region" | "zones">): QuotaRequest[] {
  const surge = NODE_POOL_DEFAULTS.maxSurge * config.zones.length;
  const surged = Object.fromEntries(
    Object.entries(config.nodePools).map(([role, p]) => [role, { ...p, minNodes: p.maxNodes, maxNodes: p.maxNodes + surge }]),
  ) as StackConfig["nodePools"];
  return quotaNeeds({ nodePools: surged }).map((n) => {
    const { quotaId, regional } = computeQuotaId(n.metric);
    return { metric: n.metric, quotaId, ...(regional ? { region: config.region } : {}), value: n.max };
  });
}
