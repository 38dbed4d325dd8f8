// The IAM permissions creating each planned resource type takes, for testIamPermissions
// (https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions). Names from the IAM
// permissions reference (https://cloud.google.com/iam/docs/permissions-reference). Kubernetes objects are
// authorized by GKE's IAM integration (https://cloud.google.com/kubernetes-engine/docs/how-to/iam#permissions):
// container.<resource>.create for built-in kinds, container.thirdPartyObjects.create for every other API group.

/** GCP resource types: the permissions their create (and, for IAM members, the policy read-modify-write) takes. */
const GCP: Readonly<Record<string, readonly string[]>> = {
  "gcp:projects/service:Service": ["serviceusage.services.enable", "serviceusage.services.get"],
  "gcp:projects/serviceIdentity:ServiceIdentity": ["serviceusage.services.enable"],
  "gcp:projects/iAMMember:IAMMember": ["resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"],
  "gcp:projects/iAMAuditConfig:IAMAuditConfig": ["resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"],
  "gcp:projects/iAMCustomRole:IAMCustomRole": ["iam.roles.create", "iam.roles.get"],
  "gcp:organizations/project:Project": ["resourcemanager.projects.create"],
  "gcp:serviceaccount/account:Account": ["iam.serviceAccounts.create", "iam.serviceAccounts.get"],
  "gcp:serviceaccount/iAMMember:IAMMember": ["iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy"],
  "gcp:kms/keyRing:KeyRing": ["cloudkms.keyRings.create", "cloudkms.keyRings.get"],
  "gcp:kms/cryptoKey:CryptoKey": ["cloudkms.cryptoKeys.create", "cloudkms.cryptoKeys.get"],
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ["cloudkms.cryptoKeys.getIamPolicy", "cloudkms.cryptoKeys.setIamPolicy"],
  "gcp:compute/network:Network": ["compute.networks.create"],
  "gcp:compute/subnetwork:Subnetwork": ["compute.subnetworks.create"],
  "gcp:compute/address:Address": ["compute.addresses.create"],
  "gcp:compute/globalAddress:GlobalAddress": ["compute.globalAddresses.create"],
  "gcp:compute/firewall:Firewall": ["compute.firewalls.create"],
  "gcp:compute/router:Router": ["compute.routers.create"],
  "gcp:compute/routerNat:RouterNat": ["compute.routers.update"],
  "gcp:compute/securityPolicy:SecurityPolicy": ["compute.securityPolicies.create"],
  "gcp:compute/sSLPolicy:SSLPolicy": ["compute.sslPolicies.create"],
  // The nodes run as the planned node service accounts: creating them acts as those accounts.
  "gcp:container/cluster:Cluster": ["container.clusters.create", "container.clusters.get", "iam.serviceAccounts.actAs"],
  "gcp:container/nodePool:NodePool": ["container.clusters.update", "iam.serviceAccounts.actAs"],
  "gcp:spanner/instance:Instance": ["spanner.instances.create"],
  "gcp:spanner/database:Database": ["spanner.databases.create"],
  "gcp:spanner/databaseIAMMember:DatabaseIAMMember": ["spanner.databases.getIamPolicy", "spanner.databases.setIamPolicy"],
  "gcp:spanner/backupSchedule:BackupSchedule": ["spanner.backupSchedules.create"],
  "gcp:storage/bucket:Bucket": ["storage.buckets.create"],
  "gcp:storage/bucketIAMMember:BucketIAMMember": ["storage.buckets.getIamPolicy", "storage.buckets.setIamPolicy"],
  "gcp:artifactregistry/repository:Repository": ["artifactregistry.repositories.create"],
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": [
    "artifactregistry.repositories.getIamPolicy",
    "artifactregistry.repositories.setIamPolicy",
  ],
  "gcp:certificatemanager/certificate:Certificate": ["certificatemanager.certs.create", "certificatemanager.dnsauthorizations.use"],
  "gcp:certificatemanager/certificateMap:CertificateMap": ["certificatemanager.certmaps.create"],
  "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": [
    "certificatemanager.certmapentries.create",
    "certificatemanager.certs.use",
  ],
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": ["certificatemanager.dnsauthorizations.create"],
  "gcp:monitoring/alertPolicy:AlertPolicy": ["monitoring.alertPolicies.create"],
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": ["monitoring.uptimeCheckConfigs.create"],
  "gcp:monitoring/notificationChannel:NotificationChannel": ["monitoring.notificationChannels.create"],
  "gcp:dns/recordSet:RecordSet": ["dns.resourceRecordSets.create", "dns.changes.create", "dns.managedZones.get"],
  "gcp:billing/budget:Budget": ["billing.budgets.create"],
  // Quota preferences: cloudquotas.quotas.update on the parent (Cloud Quotas REST reference, quotaPreferences.create).
  "gcp:cloudquota/sQuotaPreference:SQuotaPreference": ["cloudquotas.quotas.update"],
  "gcp:binaryauthorization/attestor:Attestor": ["binaryauthorization.attestors.create", "binaryauthorization.attestors.get"],
  "gcp:binaryauthorization/policy:Policy": ["binaryauthorization.policy.get", "binaryauthorization.policy.update"],
  "gcp:containeranalysis/note:Note": ["containeranalysis.notes.create", "containeranalysis.notes.get"],
  "gcp:containeranalysis/noteIamMember:NoteIamMember": ["containeranalysis.notes.getIamPolicy", "containeranalysis.notes.setIamPolicy"],
};

/** Built-in Kubernetes kinds with a permission of their own (container.<plural>.create). */
const KUBE_BUILTIN: Readonly<Record<string, string>> = {
  "core/v1:Namespace": "namespaces",
  "core/v1:ConfigMap": "configMaps",
  "core/v1:Secret": "secrets",
  "core/v1:Service": "services",
  "core/v1:ServiceAccount": "serviceAccounts",
  "core/v1:LimitRange": "limitRanges",
  "core/v1:ResourceQuota": "resourceQuotas",
  "apps/v1:Deployment": "deployments",
  "apps/v1:DaemonSet": "daemonSets",
  "apps/v1:StatefulSet": "statefulSets",
  "batch/v1:Job": "jobs",
  "autoscaling/v2:HorizontalPodAutoscaler": "horizontalPodAutoscalers",
  "policy/v1:PodDisruptionBudget": "podDisruptionBudgets",
  "networking.k8s.io/v1:NetworkPolicy": "networkPolicies",
  "networking.k8s.io/v1:Ingress": "ingresses",
  "rbac.authorization.k8s.io/v1:Role": "roles",
  "rbac.authorization.k8s.io/v1:RoleBinding": "roleBindings",
  "rbac.authorization.k8s.io/v1:ClusterRole": "clusterRoles",
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding": "clusterRoleBindings",
  "apiregistration.k8s.io/v1:APIService": "apiServices",
  "apiextensions.k8s.io/v1:CustomResourceDefinition": "customResourceDefinitions",
  "node.k8s.io/v1:RuntimeClass": "runtimeClasses",
  "admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration": "validatingWebhookConfigurations",
  "admissionregistration.k8s.io/v1:MutatingWebhookConfiguration": "mutatingWebhookConfigurations",
  "scheduling.k8s.io/v1:PriorityClass": "priorityClasses",
};

/** RBAC objects granting what the deployer may not hold itself need escalate/bind (Kubernetes RBAC privilege escalation prevention). */
const RBAC_EXTRA: Readonly<Record<string, readonly string[]>> = {
  "rbac.authorization.k8s.io/v1:Role": ["container.roles.escalate"],
  "rbac.authorization.k8s.io/v1:RoleBinding": ["container.roles.bind"],
  "rbac.authorization.k8s.io/v1:ClusterRole": ["container.clusterRoles.escalate"],
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ["container.clusterRoles.bind"],
};

/** A Helm release installs a chart's CRDs, RBAC and workloads (the Knative Operator's: deployments, services, accounts). */
const HELM_RELEASE = [
  "container.customResourceDefinitions.create",
  "container.deployments.create",
  "container.services.create",
  "container.serviceAccounts.create",
  "container.configMaps.create",
  "container.secrets.create",
  "container.clusterRoles.create",
  "container.clusterRoles.escalate",
  "container.clusterRoleBindings.create",
  "container.clusterRoles.bind",
];

/**
 * The permissions creating a planned resource of `type` takes on `target` (projects/..., folders/...,
 * billingAccounts/...), or undefined when the preflight does not know them.
 */
export function permissionsFor(type: string, target = "projects/"): readonly string[] | undefined {
  // Pulumi's own resources and providers that call no cloud API (@pulumiverse/time's Sleep, @pulumi/random).
  if (type.startsWith("pulumi:") || type.startsWith("time:") || type.startsWith("random:")) return [];
  // A project the stack creates is created in its folder and linked to its billing account
  // (https://cloud.google.com/billing/docs/how-to/modify-project#required-permissions).
  if (type === "gcp:organizations/project:Project" && target.startsWith("billingAccounts/")) return ["billing.resourceAssociations.create"];
  if (type === "kubernetes:helm.sh/v3:Release" || type === "kubernetes:helm.sh/v4:Chart") return HELM_RELEASE;
  if (type.startsWith("kubernetes:")) {
    const kind = type.slice("kubernetes:".length);
    const plural = KUBE_BUILTIN[kind];
    // The provider reaches the API server with the deployer's Google identity: getCredentials first.
    if (plural) return ["container.clusters.getCredentials", `container.${plural}.create`, ...(RBAC_EXTRA[kind] ?? [])];
    // Every other API group (Gateway API, Knative, GKE's networking.gke.io, admission policies, ...).
    return ["container.clusters.getCredentials", "container.thirdPartyObjects.create"];
  }
  if (type.startsWith("gumstack:")) return []; // components: their children carry the permissions
  return GCP[type];
}

/** The distinct permissions for a set of planned types, and the types the preflight has no permissions for. */
export function permissionsForTypes(types: readonly string[], target = "projects/"): { permissions: string[]; unknown: string[] } {
  const permissions = new Set<string>();
  const unknown: string[] = [];
  for (const t of types) {
    const p = permissionsFor(t, target);
    if (p === undefined) unknown.push(t);
    else for (const x of p) permissions.add(x);
  }
  return { permissions: [...permissions].sort(), unknown: unknown.sort() };
}

/** Which planned types need a permission (to name them in a line). */
export function typesNeeding(permission: string, types: readonly string[], target = "projects/"): string[] {
  return types.filter((t) => permissionsFor(t, target)?.includes(permission));
}

/**
 * One line per permission the caller lacks on `target`, grouped: the permission, the planned types needing it,
 * and the fix (a role that holds it is the operator's choice; the line names the permission to look up).
 */
export function checkPermissions(target: string, types: readonly string[], granted: readonly string[]): string[] {
  const { permissions, unknown } = permissionsForTypes(types, target);
  const have = new Set(granted);
  const lines = permissions
    .filter((p) => !have.has(p))
    .map((p) => {
      const needing = typesNeeding(p, types, target);
      return `permission ${p} missing on ${target} (needed to create ${needing[0]}${needing.length > 1 ? ` and ${needing.length - 1} more types` : ""}): the create would be refused (403); fix: grant the deployer a role with ${p} on ${target}`;
    });
  for (const t of unknown)
    lines.push(
      `permission check: no permission list for planned type ${t}; the preflight cannot tell whether it can be created; fix: add it to src/preflight/permissions.ts`,
    );
  return lines;
}
