// IAM members that are, or include, a Kubernetes identity of the MCP namespace (GKE Workload Identity).
// Forms (https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#kubernetes-resources-iam-policies):
//   serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA]                                   (old syntax)
//   principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/PROJECT.svc.id.goog/subject/ns/NAMESPACE/sa/KSA
//   principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/PROJECT.svc.id.goog/namespace/NAMESPACE
//   principalSet://.../workloadIdentityPools/PROJECT.svc.id.goog/kubernetes.cluster/URL  (every KSA of a cluster)
//   principalSet://.../workloadIdentityPools/PROJECT.svc.id.goog/*                       (every KSA of every cluster)
// plus allUsers / allAuthenticatedUsers, which include every identity an MCP server could present.

const OLD_SYNTAX = /^serviceAccount:[^[\]]+\.svc\.id\.goog\[([^/\]]+)\/([^\]]*)\]$/;
const POOL =
  /^(principal|principalSet):\/\/iam\.googleapis\.com\/projects\/[^/]+\/locations\/global\/workloadIdentityPools\/([^/]+)\/(.*)$/;

/** Why `member` reaches an identity of namespace `ns`, or undefined if it does not. */
export function mcpIdentityReason(member: string, ns: string): string | undefined {
  const m = member.trim();
  if (m === "allUsers" || m === "allAuthenticatedUsers") return `${m} includes every identity, MCP servers' included`;
  const old = OLD_SYNTAX.exec(m);
  if (old) return old[1] === ns ? `is the Workload Identity of ServiceAccount ${ns}/${old[2]}` : undefined;
  const pool = POOL.exec(m);
  // Only GKE Workload Identity pools (PROJECT.svc.id.goog) hold Kubernetes ServiceAccounts.
  if (!pool || !pool[2]!.endsWith(".svc.id.goog")) return undefined;
  const rest = pool[3]!;
  if (pool[1] === "principal") {
    const subject = /^subject\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(rest);
    if (subject) return subject[1] === ns ? `is the Workload Identity of ServiceAccount ${ns}/${subject[2]}` : undefined;
    // Any other subject spelling that names the namespace is treated as it.
    return rest.split(/[/:]/).indexOf(ns) >= 0 ? `names namespace ${ns}` : undefined;
  }
  const namespace = /^namespace\/([^/]+)$/.exec(rest);
  if (namespace) return namespace[1] === ns ? `is every Workload Identity of namespace ${ns}` : undefined;
  if (rest === "*") return `is every Workload Identity of pool ${pool[2]}, namespace ${ns} included`;
  if (rest.indexOf("kubernetes.cluster/") === 0) return `is every Workload Identity of a cluster, namespace ${ns} included`;
  if (rest.indexOf("kubernetes.serviceaccount.uid/") === 0) {
    return "names a Kubernetes ServiceAccount by UID, which cannot be checked against the MCP namespace; grant by namespace/name instead";
  }
  return `is a set of Workload Identities (${rest}) that may include namespace ${ns}`;
}
