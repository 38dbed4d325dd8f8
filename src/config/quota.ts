// The Compute Engine quota a stack's node pools need in its region, at their minimum and maximum sizes, so a
// first deploy is not stopped half-way by "Quota 'N2_CPUS' exceeded". Default quotas of a new project are far
// lower than prod's; request increases before the first `pulumi up`.
// Quota metrics: https://cloud.google.com/compute/resource-usage#cpu_quota (N1 and E2 count toward CPUS, most
// other families have their own <FAMILY>_CPUS; every vCPU counts toward CPUS_ALL_REGIONS) and
// https://cloud.google.com/compute/resource-usage#disk_quota (pd-balanced and pd-ssd count toward SSD_TOTAL_GB).
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
}

/** Per quota metric, what the node pools use at their minimum and maximum node counts. */
export function quotaNeeds(config: Pick<StackConfig, "nodePools">): QuotaNeed[] {
  const needs = new Map<string, { min: number; max: number }>();
  const add = (metric: string, min: number, max: number) => {
    const cur = needs.get(metric) ?? { min: 0, max: 0 };
    needs.set(metric, { min: cur.min + min, max: cur.max + max });
  };
  for (const [role, pool] of Object.entries(config.nodePools)) {
    const vcpus = machineVcpus(pool.machineType);
    if (vcpus === undefined)
      throw new Error(`gumstack:nodePools.${role}.machineType: cannot tell the vCPUs of ${JSON.stringify(pool.machineType)}`);
    add(cpuQuotaMetric(pool.machineType), vcpus * pool.minNodes, vcpus * pool.maxNodes);
    add("CPUS_ALL_REGIONS", vcpus * pool.minNodes, vcpus * pool.maxNodes);
    add(
      pool.diskType === "pd-standard" ? "DISKS_TOTAL_GB" : "SSD_TOTAL_GB",
      pool.diskSizeGb * pool.minNodes,
      pool.diskSizeGb * pool.maxNodes,
    );
  }
  const order = (m: string) => (m === "CPUS_ALL_REGIONS" ? 2 : m.endsWith("_GB") ? 3 : m === "CPUS" ? 1 : 0);
  return [...needs]
    .map(([metric, v]) => ({ metric, ...v }))
    .sort((a, b) => order(a.metric) - order(b.metric) || a.metric.localeCompare(b.metric));
}

/** One line for the plan: `Quota (us-west1, node pools min-max): N2_CPUS 64-736, ...`. */
export function renderQuota(config: Pick<StackConfig, "nodePools" | "region">): string {
  return `Quota (${config.region}, node pools at min-max nodes): ${quotaNeeds(config)
    .map((n) => `${n.metric} ${n.min}-${n.max}`)
    .join(", ")}`;
}
