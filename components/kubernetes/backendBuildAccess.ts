// RBAC of the backend in the build namespace: it runs builds (creates a Job, then the Job's two Secrets, watches
// the pod, reads its logs and the push step's termination message, deletes the Job) and nothing else: no update
// or patch of anything, no read of Secrets (it only writes the ones it mints), no exec, attach or port-forward
// into a build, no RBAC. What it creates is judged by the build admission guard.
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as rbacv1 from "@pulumi/kubernetes/rbac/v1/index.js";
import type * as types from "@pulumi/kubernetes/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { BUILD_DEFAULTS } from "./buildJob.js";

/** The Role's rules (namespaced to the build namespace by the Role itself). */
export function backendBuildRules(): types.input.rbac.v1.PolicyRule[] {
  return [
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    // create and delete only: a Secret once written is never read back (RBAC cannot scope create by name).
    { apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"] },
  ];
}

export interface BackendBuildAccessArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** The build namespace. Default "gumstack-build". */
  readonly buildNamespace?: pulumi.Input<string>;
  /** Namespace of the backend's ServiceAccount. Required. */
  readonly backendNamespace: pulumi.Input<string>;
  /** The backend's ServiceAccount. Required. */
  readonly backendServiceAccount: pulumi.Input<string>;
  /** Resources to create first (the build namespace). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A Role and RoleBinding in the build namespace for the backend's ServiceAccount. */
export class BackendBuildAccess extends pulumi.ComponentResource {
  readonly role: rbacv1.Role;
  readonly binding: rbacv1.RoleBinding;

  constructor(name: string, args: BackendBuildAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:BackendBuildAccess", name, {}, opts);
    const namespace = args.buildNamespace ?? BUILD_DEFAULTS.namespace;
    const childOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn ?? [] };
    this.role = new rbacv1.Role(
      `${name}-role`,
      { metadata: { name: "gumstack-backend-build-runner", namespace }, rules: backendBuildRules() },
      childOpts,
    );
    this.binding = new rbacv1.RoleBinding(
      `${name}-binding`,
      {
        metadata: { name: "gumstack-backend-build-runner", namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: args.backendServiceAccount, namespace: args.backendNamespace }],
      },
      childOpts,
    );
    this.registerOutputs({ role: this.role.metadata.name });
  }
}
