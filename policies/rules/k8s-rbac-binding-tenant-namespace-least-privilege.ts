import { configSchema } from "../config";
import { isKind, namespaceOf } from "../lib/k8s";
import { objectName } from "../lib/mcp";
import { platformRule, stackPolicy, type StackResource } from "../lib/policy";
import { asArray, at, isObject, UNKNOWN, unknownPaths } from "../lib/props";

const RBAC = "rbac.authorization.k8s.io";

interface Rule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
}

/**
 * The default ClusterRoles a binding may name without the plan defining them, read as their rules allow
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles): cluster-admin is every verb
 * on everything; admin and edit include Secrets, pods/exec, pods/attach, pods/portforward and creating pods; view
 * reads most resources but no Secrets.
 */
const BUILTIN: Readonly<Record<string, readonly Rule[]>> = {
  "cluster-admin": [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
  admin: [
    {
      verbs: ["*"],
      apiGroups: ["", "apps", "batch"],
      resources: ["pods", "pods/exec", "pods/attach", "pods/portforward", "secrets", "roles", "rolebindings"],
    },
  ],
  edit: [
    { verbs: ["*"], apiGroups: ["", "apps", "batch"], resources: ["pods", "pods/exec", "pods/attach", "pods/portforward", "secrets"] },
  ],
  view: [{ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods", "pods/log", "configmaps", "services", "events"] }],
};

const strings = (v: unknown): string[] => asArray(v).filter((x): x is string => typeof x === "string");

function rulesOf(props: unknown): Rule[] {
  return asArray(at(props, "rules")).map((r) => ({
    verbs: strings(at(r, "verbs")),
    apiGroups: strings(at(r, "apiGroups")),
    resources: strings(at(r, "resources")),
  }));
}

/** Whether `rule` grants `verb` on `group`/`resource` (RBAC wildcards: "*" verbs, groups and resources; "*" + "/sub" and "res/*" subresources). */
export function grants(rule: Rule, verb: string, group: string, resource: string): boolean {
  const [res, sub] = resource.split("/");
  const resOk = rule.resources.some((r) => r === "*" || r === resource || (sub !== undefined && (r === `*/${sub}` || r === `${res}/*`)));
  return (
    (rule.verbs.includes("*") || rule.verbs.includes(verb)) && (rule.apiGroups.includes("*") || rule.apiGroups.includes(group)) && resOk
  );
}

/** What no subject bound in a tenant namespace (the MCP or build namespace) may do there. */
const FORBIDDEN_IN_TENANT_NS: readonly { verb: string; group: string; resource: string; what: string }[] = [
  { verb: "create", group: "", resource: "pods/exec", what: "exec into tenant pods" },
  { verb: "get", group: "", resource: "pods/exec", what: "exec into tenant pods" },
  { verb: "create", group: "", resource: "pods/attach", what: "attach to tenant pods" },
  { verb: "create", group: "", resource: "pods/portforward", what: "port-forward to tenant pods" },
  { verb: "create", group: "", resource: "pods", what: "create pods directly (bypassing Knative and the guard's owner)" },
  { verb: "create", group: "", resource: "pods/ephemeralcontainers", what: "add ephemeral containers" },
  { verb: "patch", group: "", resource: "pods/ephemeralcontainers", what: "add ephemeral containers" },
  { verb: "list", group: "", resource: "secrets", what: "list every tenant's Secrets" },
  { verb: "watch", group: "", resource: "secrets", what: "watch every tenant's Secrets" },
];
/** What no binding of the plan may grant anywhere: privilege escalation through RBAC itself. */
const FORBIDDEN_ANYWHERE: readonly { verb: string; group: string; resource: string; what: string }[] = [
  { verb: "bind", group: RBAC, resource: "roles", what: "bind any Role" },
  { verb: "bind", group: RBAC, resource: "clusterroles", what: "bind any ClusterRole" },
  { verb: "escalate", group: RBAC, resource: "roles", what: "escalate Roles" },
  { verb: "escalate", group: RBAC, resource: "clusterroles", what: "escalate ClusterRoles" },
  { verb: "impersonate", group: "", resource: "serviceaccounts", what: "impersonate ServiceAccounts" },
  { verb: "impersonate", group: "", resource: "users", what: "impersonate users" },
  { verb: "impersonate", group: "", resource: "groups", what: "impersonate groups" },
  { verb: "create", group: "", resource: "serviceaccounts/token", what: "mint ServiceAccount tokens" },
];
/** ServiceAccounts and the user names that stand for them (broad groups are k8s-rbac-binding-no-mcp-subjects'): what runs in the cluster, not the people operating it. */
const isWorkload = (s: string): boolean => s.startsWith("ServiceAccount ") || s.startsWith("User system:serviceaccount:");

const CLUSTER_WIDE_READ = { verb: "get", group: "", resource: "secrets", what: "read Secrets of every namespace" };

function subjectsOf(props: unknown, bindingNs: string | undefined): string[] {
  return asArray(at(props, "subjects"))
    .filter(isObject)
    .map((s) => {
      const kind = String(at(s, "kind"));
      return kind === "ServiceAccount"
        ? `ServiceAccount ${String(at(s, "namespace") ?? bindingNs)}/${String(at(s, "name"))}`
        : `${kind} ${String(at(s, "name"))}`;
    });
}

// Resolves every RoleBinding and ClusterRoleBinding of the plan to its Role's or ClusterRole's rules (aggregated
// ClusterRoles included, https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles)
// and judges what they grant. A subject with a binding in a tenant namespace (the backend, which manages the MCP
// namespace and runs builds) holds no cluster-wide binding, cannot exec, attach, port-forward, create pods or
// enumerate Secrets there; no binding grants bind, escalate, impersonate or token minting, nor Secrets cluster-wide.
// The backend reads tenants' Secrets by name (get) in the MCP namespace and creates/deletes build Secrets by design
// (README "Tenant secrets"): enumeration (list/watch) is what this rule refuses.
export const k8sRbacBindingTenantNamespaceLeastPrivilege = stackPolicy(
  {
    name: "k8s-rbac-binding-tenant-namespace-least-privilege",
    description:
      "Every RBAC binding of a workload identity resolved to its rules (wildcards, aggregated ClusterRoles, default roles): subjects bound in the MCP or build namespace hold no cluster-wide binding and cannot exec, attach, port-forward, create pods or list Secrets there; nothing grants bind, escalate, impersonate, token minting or Secrets cluster-wide.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "credentials",
      "the backend manages MCP servers and builds but cannot enter tenants' pods or read all their Secrets",
    ),
    remediationSteps:
      "Bind the backend only namespaced Roles listing the verbs it needs (components/kubernetes/backendRbac.ts); never pods/exec, attach, portforward, pods create, secrets list/watch, bind, escalate or impersonate; no ClusterRoleBinding.",
    configSchema: configSchema("mcpNamespace", "buildNamespace"),
  },
  (ctx) => {
    const tenantNs = [ctx.config.mcpNamespace, ctx.config.buildNamespace];
    const roles = new Map<string, StackResource>();
    const clusterRoles = new Map<string, StackResource>();
    const bindings: { r: StackResource; ns: string | undefined }[] = [];
    for (const r of ctx.resources) {
      const isRole = isKind(r.type, RBAC, "Role");
      const isCR = isKind(r.type, RBAC, "ClusterRole");
      const isRB = isKind(r.type, RBAC, "RoleBinding");
      const isCRB = isKind(r.type, RBAC, "ClusterRoleBinding");
      if (!isRole && !isCR && !isRB && !isCRB) continue;
      const unknown = unknownPaths(r.props);
      const ns = isRole || isRB ? namespaceOf(r.props, r.providerProps) : undefined;
      if (unknown.length > 0 || ns === UNKNOWN)
        return ctx.report(`cannot verify ${objectName(r.props, r.name)}: a value is unknown during preview`, r.urn);
      if (isRole) roles.set(`${ns}/${objectName(r.props, r.name)}`, r);
      else if (isCR) clusterRoles.set(objectName(r.props, r.name), r);
      else bindings.push({ r, ns });
    }
    const clusterRoleRules = (name: string, seen = new Set<string>()): Rule[] | undefined => {
      const cr = clusterRoles.get(name);
      if (!cr) return BUILTIN[name] ? [...BUILTIN[name]!] : undefined;
      if (seen.has(name)) return [];
      seen.add(name);
      const out = rulesOf(cr.props);
      for (const sel of asArray(at(cr.props, "aggregationRule.clusterRoleSelectors"))) {
        const want = at(sel, "matchLabels");
        for (const [other, o] of clusterRoles) {
          const labels = at(o.props, "metadata.labels");
          if (other !== name && isObject(want) && isObject(labels) && Object.entries(want).every(([k, v]) => labels[k] === v))
            out.push(...(clusterRoleRules(other, seen) ?? []));
        }
      }
      return out;
    };
    const tenantSubjects = new Set(
      bindings.filter((b) => b.ns !== undefined && tenantNs.includes(b.ns)).flatMap((b) => subjectsOf(b.r.props, b.ns)),
    );
    for (const { r, ns } of bindings) {
      const kind = at(r.props, "roleRef.kind");
      const name = String(at(r.props, "roleRef.name"));
      const rules = kind === "Role" ? (ns !== undefined ? roles.get(`${ns}/${name}`) : undefined)?.props : undefined;
      const resolved = kind === "Role" ? (rules ? rulesOf(rules) : undefined) : clusterRoleRules(name);
      // Workload identities only: a group of people bound to cluster-admin (platform-admins) is the operators'.
      // MCP subjects and the groups containing them are k8s-rbac-binding-no-mcp-subjects' (any role at all).
      const subjects = subjectsOf(r.props, ns).filter(
        (s) =>
          isWorkload(s) &&
          !s.startsWith(`ServiceAccount ${ctx.config.mcpNamespace}/`) &&
          !s.startsWith(`User system:serviceaccount:${ctx.config.mcpNamespace}:`),
      );
      if (subjects.length === 0) continue;
      const id = `${kind === "Role" || ns ? "RoleBinding" : "ClusterRoleBinding"} ${ns ? `${ns}/` : ""}${objectName(r.props, r.name)}`;
      const clusterWide = ns === undefined;
      const tenantBound = subjects.filter((s) => tenantSubjects.has(s));
      if (clusterWide && tenantBound.length > 0)
        ctx.report(
          `${id} binds ${tenantBound.join(", ")}, which is bound in a tenant namespace, cluster-wide to ${String(kind)} ${name}: it holds no cluster-wide binding`,
          r.urn,
        );
      if (!resolved) {
        if (tenantBound.length > 0 || (ns !== undefined && tenantNs.includes(ns)))
          ctx.report(
            `${id} names ${String(kind)} ${name}, which the plan does not define: its rules cannot be judged; bind a role the stack defines`,
            r.urn,
          );
        continue;
      }
      const grant = (f: { verb: string; group: string; resource: string; what: string }) =>
        resolved.some((x) => grants(x, f.verb, f.group, f.resource));
      for (const f of FORBIDDEN_ANYWHERE)
        if (grant(f))
          ctx.report(`${id} lets ${subjects.join(", ")} ${f.what} (${f.verb} ${f.resource}) through ${String(kind)} ${name}`, r.urn);
      if (clusterWide && grant(CLUSTER_WIDE_READ))
        ctx.report(`${id} lets ${subjects.join(", ")} ${CLUSTER_WIDE_READ.what} through ClusterRole ${name}`, r.urn);
      if (clusterWide || (ns !== undefined && tenantNs.includes(ns)))
        for (const f of FORBIDDEN_IN_TENANT_NS)
          if (grant(f))
            ctx.report(
              `${id} lets ${subjects.join(", ")} ${f.what} (${f.verb} ${f.resource}) in ${clusterWide ? "every namespace" : `namespace ${ns}`} through ${String(kind)} ${name}`,
              r.urn,
            );
    }
  },
);
