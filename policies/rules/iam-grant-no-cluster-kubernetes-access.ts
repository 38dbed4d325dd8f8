import roleData from "../data/iam-roles-gke.json";
import { clusterIdentities, readStackIam, type StackGrant } from "../lib/iam";
import { platformRule, stackPolicy } from "../lib/policy";
import { asArray, at } from "../lib/props";

// GKE authorizes every Kubernetes API request by IAM as well as RBAC: a role with container.* permissions on the
// project reads Pods (their env), Knative objects or Secrets of every namespace, whatever RBAC says
// (https://cloud.google.com/kubernetes-engine/docs/concepts/access-control). So no identity a cluster's workloads
// can reach (node accounts after an escape, Workload Identities, and everything they may impersonate, transitively:
// clusterIdentities) may hold one on a project, folder or organization. What a predefined role holds comes from
// IAM's own role data (policies/data/iam-roles-gke.json, cited there); a custom role's from the plan.
const BASIC = new Set(["roles/owner", "roles/editor", "roles/viewer"]);

interface RoleData {
  readonly roles: Record<string, Record<string, boolean>>;
  readonly holders: Record<string, readonly string[]>;
}
const data = roleData as unknown as RoleData;
const CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole";
const ORG_CUSTOM_ROLE = "gcp:organizations/iAMCustomRole:IAMCustomRole";

/**
 * The container.* permissions `role` holds: a custom role's all, from the plan; a predefined role's among the
 * permissions IAM's data records (reading Secrets, Pods and their env, custom resources, ConfigMaps), whose holder
 * lists cover every predefined role, so a predefined role on none of them holds none of those. undefined for a
 * custom role the stack does not define.
 */
export function containerPermissionsOf(role: string, custom: ReadonlyMap<string, readonly string[]>): readonly string[] | undefined {
  const own = custom.get(role);
  if (own) return own.filter((p) => p.startsWith("container."));
  if (!role.startsWith("roles/")) return undefined;
  const known = Object.entries(data.roles[role] ?? {})
    .filter(([, v]) => v)
    .map(([p]) => p);
  const held = Object.entries(data.holders)
    .filter(([, roles]) => roles.includes(role))
    .map(([p]) => p);
  return [...new Set([...known, ...held])];
}

export const iamGrantNoClusterKubernetesAccess = stackPolicy(
  {
    name: "iam-grant-no-cluster-kubernetes-access",
    description:
      "No identity reachable from the cluster (node accounts, Workload Identities, anything they may impersonate, transitively) holds a basic role or a role with container.* permissions on a project, folder or organization (GKE authorizes Kubernetes requests by IAM).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("credentials", "MCP servers and nodes hold no GCP access that reaches the Kubernetes API"),
    remediationSteps:
      "Remove the grant (or the impersonation or Workload Identity grant that makes the member reachable); give workloads Kubernetes access through RBAC only. Define custom roles in the stack, so their permissions can be read.",
  },
  (ctx) => {
    const iam = readStackIam(ctx.resources);
    const reach = clusterIdentities(iam);
    const custom = new Map<string, readonly string[]>();
    for (const r of ctx.resources) {
      if (r.type !== CUSTOM_ROLE && r.type !== ORG_CUSTOM_ROLE) continue;
      const parent =
        r.type === CUSTOM_ROLE ? `projects/${String(at(r.props, "project"))}` : `organizations/${String(at(r.props, "orgId"))}`;
      const perms = asArray(at(r.props, "permissions")).map(String);
      custom.set(`${parent}/roles/${String(at(r.props, "roleId"))}`, perms);
      const name = at(r.props, "name");
      if (typeof name === "string") custom.set(name, perms);
    }
    const broad = (g: StackGrant) =>
      g.scope.kind === "project" || g.scope.kind === "folder" || g.scope.kind === "organization" || g.scope.kind === "unknown";
    for (const g of iam.grants) {
      const chain = reach.get(g.member);
      if (!chain || !broad(g)) continue;
      const where =
        g.scope.kind === "project"
          ? `project ${g.scope.project}`
          : g.scope.kind === "unknown"
            ? `a target unknown during preview`
            : `${g.scope.kind} ${"id" in g.scope ? g.scope.id : ""}`;
      const why = `, and is reachable from the cluster: ${chain.join("; ")}`;
      if (g.role === undefined) {
        ctx.report(`${g.member} holds a role unknown during preview on ${where}, which may carry container.* permissions${why}`, g.urn);
        continue;
      }
      if (BASIC.has(g.role)) {
        ctx.report(
          `${g.member} holds the basic role ${g.role} on ${where}, which reaches the Kubernetes API of every cluster there${why}`,
          g.urn,
        );
        continue;
      }
      const perms = containerPermissionsOf(g.role, custom);
      if (perms === undefined) {
        ctx.report(
          `${g.member} holds custom role ${g.role} on ${where}, which the stack does not define, so its permissions cannot be checked${why}`,
          g.urn,
        );
      } else if (perms.length > 0) {
        ctx.report(
          `${g.member} holds ${g.role} on ${where}, with ${perms.join(", ")}: GKE authorizes Kubernetes requests by it${why}`,
          g.urn,
        );
      }
    }
  },
);
