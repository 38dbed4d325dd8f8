// Facts and names several components share: one place to change them.

/** Source ranges of Google's load-balancer proxies and health checks (global external Application LB, NEGs). */
export const GOOGLE_LB_RANGES = ["130.211.0.0/22", "35.191.0.0/16"] as const;

/** Label every node pool carries (`system` | `backend` | `mcp`); the backend pool is also tainted with it. */
export const POOL_LABEL = "gumstack.com/pool";

export type PoolRole = "system" | "backend" | "mcp";

/** `serviceAccount:<pool>[<namespace>/<ksa>]`: the IAM member of a Kubernetes ServiceAccount under Workload Identity. */
export function workloadIdentityMember(workloadPool: string, namespace: string, serviceAccount: string): string {
  return `serviceAccount:${workloadPool}[${namespace}/${serviceAccount}]`;
}
