import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as rbacv1 from "@pulumi/kubernetes/rbac/v1/index.js";
import type * as types from "@pulumi/kubernetes/types/index.js";
import * as pulumi from "@pulumi/pulumi";

export interface BackendMcpAccessArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** Namespace the backend deploys MCP servers into. Default "gumstack-mcp". */
  readonly mcpNamespace?: string;
  /** Namespace of the backend's ServiceAccount. Required. */
  readonly backendNamespace: pulumi.Input<string>;
  /** The backend's ServiceAccount. Required. */
  readonly backendServiceAccount: pulumi.Input<string>;
  /**
   * Resources to create first: the MCP namespace. Not Knative: RBAC rules may name serving.knative.dev before its
   * CRDs exist (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#role-example). Default none.
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * RBAC rules of the backend in the MCP namespace: it creates MCP servers (Knative Services and their
 * DomainMappings) at run time, writes each tenant's settings Secrets (`<tenant>.<name>`, the only Secrets an MCP
 * pod may name: docs/tenant-isolation.md) and reads their status and logs. Namespaced only; nothing that reaches
 * into a pod (no exec, attach, port-forward), no list or watch of Secrets, no RBAC: the admission guard judges
 * what it creates.
 */
export function backendMcpRules(): types.input.rbac.v1.PolicyRule[] {
  const write = ["get", "list", "watch", "create", "update", "patch", "delete"];
  const read = ["get", "list", "watch"];
  return [
    { apiGroups: ["serving.knative.dev"], resources: ["services"], verbs: write },
    { apiGroups: ["serving.knative.dev"], resources: ["configurations", "revisions", "routes"], verbs: read },
    { apiGroups: ["serving.knative.dev"], resources: ["domainmappings"], verbs: write },
    { apiGroups: [""], resources: ["pods", "pods/log", "events"], verbs: read },
    // Settings are tenant credentials: the backend writes them and may read one back by name, never list them all.
    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "create", "update", "patch", "delete"] },
  ];
}

/** Lets the backend manage MCP servers in the MCP namespace, and nothing else there. */
export class BackendMcpAccess extends pulumi.ComponentResource {
  readonly role: rbacv1.Role;
  readonly binding: rbacv1.RoleBinding;

  constructor(name: string, args: BackendMcpAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:BackendMcpAccess", name, {}, opts);
    const namespace = args.mcpNamespace ?? "gumstack-mcp";
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn ?? [] };
    this.role = new rbacv1.Role(
      `${name}-role`,
      { metadata: { name: "gumstack-backend-mcp-manager", namespace }, rules: backendMcpRules() },
      childOpts,
    );
    this.binding = new rbacv1.RoleBinding(
      `${name}-binding`,
      {
        metadata: { name: "gumstack-backend-mcp-manager", namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: args.backendServiceAccount, namespace: args.backendNamespace }],
      },
      childOpts,
    );
    this.registerOutputs({ role: this.role.metadata.name });
  }
}
