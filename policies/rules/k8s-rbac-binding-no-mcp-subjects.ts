import { configSchema } from "../config";
import { isKind, namespaceOf } from "../lib/k8s";
import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, at, deferUnknown, isObject, UNKNOWN } from "../lib/props";

const RBAC = "rbac.authorization.k8s.io";
/** Groups that contain every ServiceAccount of every namespace (or every caller at all). */
const BROAD_GROUPS = ["system:serviceaccounts", "system:authenticated", "system:unauthenticated"];
/** The discovery roles Kubernetes itself binds to everyone. */
const HARMLESS_ROLES = ["system:basic-user", "system:discovery", "system:public-info-viewer"];

// MCP pods mount no token, so they need no Kubernetes API access at all: any binding of an MCP subject is
// a grant nobody needs, and a broad group bound to anything beyond discovery includes them.
export const k8sRbacBindingNoMcpSubjects = resourcePolicy(
  {
    name: "k8s-rbac-binding-no-mcp-subjects",
    description: "No RoleBinding or ClusterRoleBinding gives MCP-namespace subjects (or groups that contain them) any role.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("credentials", "MCP servers get no access beyond serving their own requests"),
    remediationSteps: "Remove the subject from the binding, or bind a narrower group that excludes the MCP namespace.",
    configSchema: configSchema("mcpNamespace"),
  },
  (type) => isKind(type, RBAC, "RoleBinding") || isKind(type, RBAC, "ClusterRoleBinding"),
  ({ type, props, proxied, providerProps, config, report }) => {
    const ns = config.mcpNamespace;
    const roleKind = at(props, "roleRef.kind");
    const roleName = at(props, "roleRef.name");
    const role = `${typeof roleKind === "string" ? roleKind : "role"} ${typeof roleName === "string" ? roleName : "<unknown>"}`;
    const subjects = at(props, "subjects");
    if (subjects === UNKNOWN) return deferUnknown(proxied, "subjects");
    const bindingNs = isKind(type, RBAC, "RoleBinding") ? namespaceOf(props, providerProps) : undefined;
    for (const [i, s] of asArray(subjects).entries()) {
      if (!isObject(s)) continue;
      const kind = at(s, "kind");
      const name = at(s, "name");
      if (kind === UNKNOWN || name === UNKNOWN) return deferUnknown(proxied, ["subjects", i]);
      if (kind === "ServiceAccount") {
        // A ServiceAccount subject without namespace means the binding's own namespace.
        const sNs = at(s, "namespace") ?? bindingNs;
        if (sNs === UNKNOWN) return deferUnknown(proxied, ["subjects", i, "namespace"]);
        if (sNs === ns) report(`binds ServiceAccount ${ns}/${String(name)} to ${role}: MCP servers get no Kubernetes API permissions`);
      } else if (kind === "User" && typeof name === "string" && name.indexOf(`system:serviceaccount:${ns}:`) === 0) {
        report(`binds user ${name} to ${role}: MCP servers get no Kubernetes API permissions`);
      } else if (kind === "Group" && name === `system:serviceaccounts:${ns}`) {
        report(`binds group ${name} to ${role}: MCP servers get no Kubernetes API permissions`);
      } else if (kind === "Group" && typeof name === "string" && BROAD_GROUPS.indexOf(name) >= 0) {
        if (roleName === UNKNOWN) return deferUnknown(proxied, "roleRef.name");
        if (HARMLESS_ROLES.indexOf(String(roleName)) < 0) {
          report(`binds group ${name}, which includes the ServiceAccounts of ${ns}, to ${role}`);
        }
      }
    }
  },
);
