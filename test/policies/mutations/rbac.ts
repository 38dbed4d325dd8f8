// Holes in the plan's RBAC: each binding is resolved to its role's rules by k8s-rbac-binding-tenant-namespace-least-privilege.
import { addResource, edit, named, type Mutation } from "./mutation.js";

const K8S = "pulumi:providers:kubernetes";
const RBAC = "rbac.authorization.k8s.io";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const POLICY = "k8s-rbac-binding-tenant-namespace-least-privilege";
const backend = [{ kind: "ServiceAccount", name: "backend", namespace: "gumstack-backend" }];

export const rbacMutations: Mutation[] = [
  {
    hole: "a ClusterRoleBinding of the backend to cluster-admin",
    policy: POLICY,
    message: /cluster-wide to ClusterRole cluster-admin/,
    apply: (r) =>
      addResource(
        r,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "backend-cluster-admin",
        {
          metadata: { name: "backend-cluster-admin" },
          roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "cluster-admin" },
          subjects: backend,
        },
        K8S,
      ),
  },
  {
    hole: "the backend's MCP-namespace Role lets it create pods/exec",
    policy: POLICY,
    message: /exec into tenant pods.*gumstack-mcp/,
    apply: (r) =>
      edit(
        r,
        ROLE,
        named("gumstack-backend-mcp-manager"),
        (p) => void p.rules.push({ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }),
      ),
  },
  {
    hole: "the backend's MCP-namespace Role lets it list Secrets (every tenant's)",
    policy: POLICY,
    message: /list every tenant's Secrets/,
    apply: (r) =>
      edit(
        r,
        ROLE,
        named("gumstack-backend-mcp-manager"),
        (p) => void p.rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }),
      ),
  },
  {
    hole: "the backend's build Role grants verb bind on roles",
    policy: POLICY,
    message: /bind any Role/,
    apply: (r) =>
      edit(
        r,
        ROLE,
        named("gumstack-backend-build-runner"),
        (p) => void p.rules.push({ apiGroups: [RBAC], resources: ["roles"], verbs: ["bind"] }),
      ),
  },
  {
    hole: "the backend bound in the MCP namespace to the default ClusterRole edit",
    policy: POLICY,
    message: /through ClusterRole edit/,
    apply: (r) =>
      addResource(
        r,
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "backend-edit",
        {
          metadata: { name: "backend-edit", namespace: "gumstack-mcp" },
          roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "edit" },
          subjects: backend,
        },
        K8S,
      ),
  },
];
