// Resource policies, table-driven: each row changes ONE thing in the compliant golden stack and asserts the
// exact findings (policy, level, resource, message) that @pulumi/policy's analyzer reports for it.
import { describe, expect, it } from "vitest";
import { golden, MCP_NS, mcpPodSpec, PROJECT, type FixtureExport } from "./fixtures/golden.js";
import { add, change, findings, resource, type Finding } from "./support.js";

interface Case {
  readonly title: string;
  readonly build: (exp: FixtureExport) => void;
  readonly expected: readonly Finding[];
}

const m = (policy: string, resource: string, message: string, level = "mandatory"): Finding => ({ policy, level, resource, message });

/** One change to resource `name`'s inputs, expecting `expected`. */
function edit(title: string, name: string, fn: (p: Record<string, any>) => void, ...expected: Finding[]): Case {
  return { title, build: (exp) => change(exp, name, fn), expected };
}

/** One resource added to the golden stack. */
function extra(title: string, type: string, name: string, inputs: Record<string, any>, ...expected: Finding[]): Case {
  return { title, build: (exp) => add(exp, resource(type, name, inputs)), expected };
}

const podSpecOf = (p: Record<string, any>) => p.spec.template.spec;
const container = (p: Record<string, any>) => podSpecOf(p).containers[0];

const WI_OLD = `serviceAccount:${PROJECT}.svc.id.goog[${MCP_NS}/mcp-server]`;
const POOL = `//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/${PROJECT}.svc.id.goog`;
const grant = (type: string, name: string, member: string, fields: Record<string, any> = {}, role = "roles/storage.objectViewer") =>
  extra(
    `${type.split(":")[2]} to ${member}`,
    type,
    name,
    { role, member, ...fields },
    m("iam-grant-no-mcp-identity", name, `grants ${role} to ${member}, which ${reasonFor(member)}: MCP servers must hold no GCP access`),
  );
function reasonFor(member: string): string {
  if (member === WI_OLD || member.includes("/subject/ns/")) return `is the Workload Identity of ServiceAccount ${MCP_NS}/mcp-server`;
  if (member.endsWith(`/namespace/${MCP_NS}`)) return `is every Workload Identity of namespace ${MCP_NS}`;
  if (member.endsWith("/*")) return `is every Workload Identity of pool ${PROJECT}.svc.id.goog, namespace ${MCP_NS} included`;
  if (member.includes("/kubernetes.cluster/")) return `is every Workload Identity of a cluster, namespace ${MCP_NS} included`;
  return `${member} includes every identity, MCP servers' included`;
}

const CASES: Record<string, Case[]> = {
  "gcp:container/cluster:Cluster": [
    edit(
      "no Dataplane V2 and no network policy add-on",
      "gke",
      (p) => delete p.datapathProvider,
      m(
        "gke-cluster-network-policy-enforcement",
        "gke",
        "NetworkPolicies are not enforced: set datapathProvider to ADVANCED_DATAPATH (Dataplane V2), or networkPolicy.enabled: true with addonsConfig.networkPolicyConfig.disabled: false",
      ),
    ),
    edit(
      "Calico enforcement without the add-on",
      "gke",
      (p) => {
        p.datapathProvider = "LEGACY_DATAPATH";
        p.networkPolicy = { enabled: true };
      },
      m(
        "gke-cluster-network-policy-enforcement",
        "gke",
        "NetworkPolicies are not enforced: set datapathProvider to ADVANCED_DATAPATH (Dataplane V2), or networkPolicy.enabled: true with addonsConfig.networkPolicyConfig.disabled: false",
      ),
    ),
    edit(
      "Workload Identity off",
      "gke",
      (p) => delete p.workloadIdentityConfig,
      m(
        "gke-cluster-workload-identity",
        "gke",
        "Workload Identity is disabled: set workloadIdentityConfig.workloadPool to PROJECT_ID.svc.id.goog",
      ),
    ),
    edit(
      "a workload pool that is not GKE's",
      "gke",
      (p) => (p.workloadIdentityConfig.workloadPool = "github-pool"),
      m(
        "gke-cluster-workload-identity",
        "gke",
        'workloadIdentityConfig.workloadPool "github-pool" is not a GKE Workload Identity pool (PROJECT_ID.svc.id.goog)',
      ),
    ),
    edit(
      "public nodes",
      "gke",
      (p) => (p.privateClusterConfig.enablePrivateNodes = false),
      m("gke-cluster-private-nodes", "gke", "nodes get public IP addresses: set privateClusterConfig.enablePrivateNodes to true"),
    ),
    edit(
      "no private cluster config at all",
      "gke",
      (p) => delete p.privateClusterConfig,
      m("gke-cluster-private-nodes", "gke", "nodes get public IP addresses: set privateClusterConfig.enablePrivateNodes to true"),
      m(
        "gke-cluster-control-plane-private",
        "gke",
        "the public endpoint admits every address (no privateClusterConfig.enablePrivateEndpoint, no masterAuthorizedNetworksConfig)",
      ),
    ),
    edit(
      "shielded nodes off",
      "gke",
      (p) => (p.enableShieldedNodes = false),
      m(
        "gke-cluster-shielded-nodes",
        "gke",
        "Shielded GKE Nodes are disabled (enableShieldedNodes: false): nodes can join without verified identity",
      ),
    ),
    edit(
      "secrets not encrypted",
      "gke",
      (p) => (p.databaseEncryption.state = "DECRYPTED"),
      m(
        "gke-cluster-secrets-encryption",
        "gke",
        'Secrets are not encrypted with Cloud KMS: databaseEncryption.state is "DECRYPTED", expected "ENCRYPTED"',
      ),
    ),
    edit(
      "encrypted without a key",
      "gke",
      (p) => delete p.databaseEncryption.keyName,
      m("gke-cluster-secrets-encryption", "gke", "databaseEncryption.state is ENCRYPTED but databaseEncryption.keyName names no KMS key"),
    ),
    edit(
      "deletion protection off",
      "gke",
      (p) => (p.deletionProtection = false),
      m(
        "gke-cluster-deletion-protection",
        "gke",
        "deletionProtection is false: a replacement or `pulumi destroy` deletes the cluster and every MCP server on it",
      ),
    ),
  ],
  "gcp:container/nodePool:NodePool": [
    edit(
      "GCE metadata exposed on the system pool",
      "system-pool",
      (p) => (p.nodeConfig.workloadMetadataConfig.mode = "GCE_METADATA"),
      m(
        "gke-node-pool-gke-metadata",
        "system-pool",
        'nodeConfig.workloadMetadataConfig.mode is "GCE_METADATA", expected "GKE_METADATA": pods on this pool can read the node service account\'s token from the metadata server',
      ),
    ),
    edit(
      "no metadata config on the MCP pool",
      "mcp-pool",
      (p) => delete p.nodeConfig.workloadMetadataConfig,
      m(
        "gke-node-pool-gke-metadata",
        "mcp-pool",
        'nodeConfig.workloadMetadataConfig.mode is null, expected "GKE_METADATA": pods on this pool can read the node service account\'s token from the metadata server',
      ),
    ),
    edit(
      "no node service account",
      "system-pool",
      (p) => delete p.nodeConfig.serviceAccount,
      m(
        "gke-node-pool-dedicated-service-account",
        "system-pool",
        "nodeConfig.serviceAccount is not set: the pool runs as the Compute Engine default service account (Editor on the project)",
      ),
    ),
    edit(
      "the default compute service account",
      "mcp-pool",
      (p) => (p.nodeConfig.serviceAccount = "123456789012-compute@developer.gserviceaccount.com"),
      m(
        "gke-node-pool-dedicated-service-account",
        "mcp-pool",
        "nodeConfig.serviceAccount 123456789012-compute@developer.gserviceaccount.com is the Compute Engine default service account",
      ),
    ),
    edit(
      'serviceAccount "default"',
      "system-pool",
      (p) => (p.nodeConfig.serviceAccount = "default"),
      m(
        "gke-node-pool-dedicated-service-account",
        "system-pool",
        "nodeConfig.serviceAccount is not set: the pool runs as the Compute Engine default service account (Editor on the project)",
      ),
    ),
    edit(
      "MCP-labelled pool without a sandbox",
      "mcp-pool",
      (p) => delete p.nodeConfig.sandboxConfig,
      m(
        "gke-node-pool-mcp-sandbox",
        "mcp-pool",
        'the MCP node pool is not sandboxed: nodeConfig.sandboxConfig.type is null, expected "GVISOR"',
      ),
    ),
    edit(
      "sandboxed pool on Ubuntu",
      "mcp-pool",
      (p) => (p.nodeConfig.imageType = "UBUNTU_CONTAINERD"),
      m("gke-node-pool-mcp-sandbox", "mcp-pool", 'nodeConfig.imageType is "UBUNTU_CONTAINERD": GKE Sandbox needs "COS_CONTAINERD"'),
    ),
    edit(
      "an unlabelled pool found by its (empty) sandbox config",
      "system-pool",
      (p) => (p.nodeConfig.sandboxConfig = {}),
      m(
        "gke-node-pool-mcp-sandbox",
        "system-pool",
        'the MCP node pool is not sandboxed: nodeConfig.sandboxConfig.type is null, expected "GVISOR"',
      ),
    ),
    edit(
      "Secure Boot off",
      "mcp-pool",
      (p) => (p.nodeConfig.shieldedInstanceConfig.enableSecureBoot = false),
      m("gke-node-pool-secure-boot", "mcp-pool", "Secure Boot is off: set nodeConfig.shieldedInstanceConfig.enableSecureBoot to true"),
    ),
    edit(
      "edge case, still compliant: the deprecated sandboxType spelling",
      "mcp-pool",
      (p) => (p.nodeConfig.sandboxConfig = { sandboxType: "gvisor" }),
    ),
    edit("edge case, still compliant: imageType left to GKE's default", "mcp-pool", (p) => delete p.nodeConfig.imageType),
  ],
  "kubernetes:core/v1:Namespace": [
    edit(
      "MCP namespace enforcing only baseline",
      "mcp-namespace",
      (p) => (p.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline"),
      m(
        "k8s-mcp-namespace-pod-security-restricted",
        "mcp-namespace",
        'namespace gumstack-mcp does not enforce Pod Security "restricted": label pod-security.kubernetes.io/enforce is "baseline"',
      ),
    ),
    edit(
      "MCP namespace without labels",
      "mcp-namespace",
      (p) => delete p.metadata.labels,
      m(
        "k8s-mcp-namespace-pod-security-restricted",
        "mcp-namespace",
        'namespace gumstack-mcp does not enforce Pod Security "restricted": label pod-security.kubernetes.io/enforce is null',
      ),
    ),
  ],
  "kubernetes:core/v1:ServiceAccount": [
    edit(
      "Workload Identity annotation on the MCP ServiceAccount",
      "mcp-sa",
      (p) => (p.metadata.annotations = { "iam.gke.io/gcp-service-account": `mcp@${PROJECT}.iam.gserviceaccount.com` }),
      m(
        "k8s-mcp-service-account-no-workload-identity",
        "mcp-sa",
        `ServiceAccount gumstack-mcp/mcp-server is annotated iam.gke.io/gcp-service-account=mcp@${PROJECT}.iam.gserviceaccount.com: MCP servers must hold no GCP identity`,
      ),
    ),
    edit(
      "token automount left on",
      "mcp-sa",
      (p) => delete p.automountServiceAccountToken,
      m(
        "k8s-mcp-service-account-no-token-automount",
        "mcp-sa",
        "ServiceAccount gumstack-mcp/mcp-server mounts its API token into pods: set automountServiceAccountToken to false",
      ),
    ),
    extra(
      "a second MCP-namespace ServiceAccount with an identity",
      "kubernetes:core/v1:ServiceAccount",
      "mcp-other-sa",
      {
        metadata: { name: "other", namespace: MCP_NS, annotations: { "iam.gke.io/gcp-service-account": "x@p.iam.gserviceaccount.com" } },
        automountServiceAccountToken: false,
      },
      m(
        "k8s-mcp-service-account-no-workload-identity",
        "mcp-other-sa",
        "ServiceAccount gumstack-mcp/other is annotated iam.gke.io/gcp-service-account=x@p.iam.gserviceaccount.com: MCP servers must hold no GCP identity",
      ),
    ),
  ],
  "IAM grants (every resource kind, every member syntax)": [
    {
      ...grant("gcp:projects/iAMMember:IAMMember", "project-grant", WI_OLD, { project: PROJECT }, "roles/viewer"),
      // Viewer on the project also reads every cluster's Pods and Knative objects (GKE authorizes by IAM).
      expected: [
        ...grant("gcp:projects/iAMMember:IAMMember", "project-grant", WI_OLD, { project: PROJECT }, "roles/viewer").expected,
        m(
          "iam-grant-no-cluster-kubernetes-access",
          "project-grant",
          `${WI_OLD} holds the basic role roles/viewer on project ${PROJECT}, which reaches the Kubernetes API of every cluster there, and is reachable from the cluster: ${WI_OLD} is a GKE Workload Identity`,
        ),
      ],
    },
    grant(
      "gcp:serviceaccount/iAMMember:IAMMember",
      "sa-grant",
      WI_OLD,
      { serviceAccountId: `projects/${PROJECT}/serviceAccounts/x@${PROJECT}.iam.gserviceaccount.com` },
      "roles/iam.workloadIdentityUser",
    ),
    grant("gcp:storage/bucketIAMMember:BucketIAMMember", "bucket-grant", `principal:${POOL}/subject/ns/${MCP_NS}/sa/mcp-server`, {
      bucket: "b",
    }),
    grant(
      "gcp:spanner/databaseIAMMember:DatabaseIAMMember",
      "db-grant",
      `principalSet:${POOL}/namespace/${MCP_NS}`,
      { instance: "i", database: "d" },
      "roles/spanner.databaseReader",
    ),
    grant(
      "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
      "key-grant",
      `principalSet:${POOL}/*`,
      { cryptoKeyId: "k" },
      "roles/cloudkms.cryptoKeyDecrypter",
    ),
    grant(
      "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
      "repo-grant",
      `principalSet:${POOL}/kubernetes.cluster/https://container.googleapis.com/v1/projects/${PROJECT}/locations/us-west1/clusters/gumstack-test`,
      { repository: "r" },
      "roles/artifactregistry.reader",
    ),
    grant("gcp:storage/bucketIAMMember:BucketIAMMember", "public-grant", "allUsers", { bucket: "b" }),
    extra(
      "IAMBinding with the MCP identity among others",
      "gcp:projects/iAMBinding:IAMBinding",
      "binding-grant",
      { project: PROJECT, role: "roles/viewer", members: ["group:ops@gumstack.com", WI_OLD] },
      m(
        "iam-grant-no-mcp-identity",
        "binding-grant",
        `grants roles/viewer to ${WI_OLD}, which is the Workload Identity of ServiceAccount gumstack-mcp/mcp-server: MCP servers must hold no GCP access`,
      ),
      m(
        "iam-grant-no-cluster-kubernetes-access",
        "binding-grant",
        `${WI_OLD} holds the basic role roles/viewer on project ${PROJECT}, which reaches the Kubernetes API of every cluster there, and is reachable from the cluster: ${WI_OLD} is a GKE Workload Identity`,
      ),
    ),
    extra(
      "IAMPolicy whose policyData names the MCP namespace",
      "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
      "policy-grant",
      {
        bucket: "b",
        policyData: JSON.stringify({ bindings: [{ role: "roles/storage.admin", members: [`principalSet:${POOL}/namespace/${MCP_NS}`] }] }),
      },
      m(
        "iam-grant-no-mcp-identity",
        "policy-grant",
        `grants roles/storage.admin to principalSet:${POOL}/namespace/${MCP_NS}, which is every Workload Identity of namespace gumstack-mcp: MCP servers must hold no GCP access`,
      ),
    ),
    extra("edge case, still compliant: another namespace's principalSet", "gcp:storage/bucketIAMMember:BucketIAMMember", "other-ns-grant", {
      bucket: "b",
      role: "roles/storage.objectViewer",
      member: `principalSet:${POOL}/namespace/gumstack-backend`,
    }),
  ],
  "RoleBinding / ClusterRoleBinding": [
    extra(
      "MCP ServiceAccount bound to view",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      "mcp-view",
      {
        metadata: { name: "mcp-view", namespace: MCP_NS },
        roleRef: { kind: "ClusterRole", name: "view", apiGroup: "rbac.authorization.k8s.io" },
        subjects: [{ kind: "ServiceAccount", name: "mcp-server" }],
      },
      m(
        "k8s-rbac-binding-no-mcp-subjects",
        "mcp-view",
        "binds ServiceAccount gumstack-mcp/mcp-server to ClusterRole view: MCP servers get no Kubernetes API permissions",
      ),
    ),
    extra(
      "the namespace's ServiceAccount group bound cluster-wide",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "mcp-group-admin",
      {
        metadata: { name: "mcp-group-admin" },
        roleRef: { kind: "ClusterRole", name: "cluster-admin", apiGroup: "rbac.authorization.k8s.io" },
        subjects: [{ kind: "Group", name: `system:serviceaccounts:${MCP_NS}` }],
      },
      m(
        "k8s-rbac-binding-no-mcp-subjects",
        "mcp-group-admin",
        "binds group system:serviceaccounts:gumstack-mcp to ClusterRole cluster-admin: MCP servers get no Kubernetes API permissions",
      ),
    ),
    extra(
      "the MCP ServiceAccount as a user name",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "mcp-user-edit",
      {
        metadata: { name: "mcp-user-edit" },
        roleRef: { kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "User", name: `system:serviceaccount:${MCP_NS}:mcp-server` }],
      },
      m(
        "k8s-rbac-binding-no-mcp-subjects",
        "mcp-user-edit",
        "binds user system:serviceaccount:gumstack-mcp:mcp-server to ClusterRole edit: MCP servers get no Kubernetes API permissions",
      ),
    ),
    extra(
      "every authenticated caller bound to edit",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "authenticated-edit",
      {
        metadata: { name: "authenticated-edit" },
        roleRef: { kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "Group", name: "system:authenticated" }],
      },
      m(
        "k8s-rbac-binding-no-mcp-subjects",
        "authenticated-edit",
        "binds group system:authenticated, which includes the ServiceAccounts of gumstack-mcp, to ClusterRole edit",
      ),
    ),
    extra(
      "edge case, still compliant: every caller bound to discovery",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "authenticated-discovery",
      {
        metadata: { name: "authenticated-discovery" },
        roleRef: { kind: "ClusterRole", name: "system:discovery" },
        subjects: [{ kind: "Group", name: "system:authenticated" }],
      },
    ),
  ],
  "kubernetes:serving.knative.dev/v1:Service": [
    edit(
      "no runtimeClassName",
      "mcp-example",
      (p) => delete podSpecOf(p).runtimeClassName,
      m(
        "k8s-mcp-workload-gvisor-runtime",
        "mcp-example",
        'runtimeClassName is null, expected "gvisor": the pod would share the node\'s kernel',
      ),
    ),
    edit(
      "runc runtime class",
      "mcp-example",
      (p) => (podSpecOf(p).runtimeClassName = "runc"),
      m(
        "k8s-mcp-workload-gvisor-runtime",
        "mcp-example",
        'runtimeClassName is "runc", expected "gvisor": the pod would share the node\'s kernel',
      ),
    ),
    edit(
      "token mounted",
      "mcp-example",
      (p) => (podSpecOf(p).automountServiceAccountToken = true),
      m(
        "k8s-mcp-workload-no-token-automount",
        "mcp-example",
        "automountServiceAccountToken is true, expected false: the pod could call the Kubernetes API",
      ),
    ),
    edit(
      "image from Docker Hub",
      "mcp-example",
      (p) => (container(p).image = "nginx:1.27"),
      m(
        "k8s-mcp-workload-allowed-registries",
        "mcp-example",
        "container 'server' uses image \"nginx:1.27\", which is not under an allowed registry (*-docker.pkg.dev/)",
      ),
    ),
    edit(
      "privilege escalation allowed",
      "mcp-example",
      (p) => (container(p).securityContext.allowPrivilegeEscalation = true),
      m(
        "k8s-mcp-workload-pod-security-restricted",
        "mcp-example",
        "container 'server': securityContext.allowPrivilegeEscalation must be false",
      ),
    ),
  ],
  "kubernetes:apps/v1:Deployment": [
    edit(
      "hostNetwork",
      "mcp-warmup",
      (p) => (podSpecOf(p).hostNetwork = true),
      m("k8s-mcp-workload-no-host-namespaces", "mcp-warmup", "hostNetwork is true: the pod shares the node's network namespace"),
    ),
    edit(
      "hostPID",
      "mcp-warmup",
      (p) => (podSpecOf(p).hostPID = true),
      m("k8s-mcp-workload-no-host-namespaces", "mcp-warmup", "hostPID is true: the pod shares the node's pid namespace"),
    ),
    edit(
      "hostIPC",
      "mcp-warmup",
      (p) => (podSpecOf(p).hostIPC = true),
      m("k8s-mcp-workload-no-host-namespaces", "mcp-warmup", "hostIPC is true: the pod shares the node's ipc namespace"),
    ),
    edit(
      "a privileged container",
      "mcp-warmup",
      (p) => (container(p).securityContext.privileged = true),
      m("k8s-mcp-workload-not-privileged", "mcp-warmup", "container 'server' is privileged: it can reach every device of the node"),
    ),
    edit(
      "a privileged init container",
      "mcp-warmup",
      (p) =>
        (podSpecOf(p).initContainers = [
          { ...structuredClone(container(p)), name: "init", securityContext: { ...container(p).securityContext, privileged: true } },
        ]),
      m("k8s-mcp-workload-not-privileged", "mcp-warmup", "init container 'init' is privileged: it can reach every device of the node"),
    ),
    edit(
      "SYS_ADMIN added",
      "mcp-warmup",
      (p) => (container(p).securityContext.capabilities.add = ["SYS_ADMIN"]),
      m(
        "k8s-mcp-workload-pod-security-restricted",
        "mcp-warmup",
        "container 'server': capabilities.add may only hold NET_BIND_SERVICE, not SYS_ADMIN",
      ),
    ),
    edit(
      "capabilities not dropped",
      "mcp-warmup",
      (p) => delete container(p).securityContext.capabilities,
      m("k8s-mcp-workload-pod-security-restricted", "mcp-warmup", "container 'server': capabilities.drop must include ALL"),
    ),
    edit(
      "a hostPath volume",
      "mcp-warmup",
      (p) => (podSpecOf(p).volumes = [{ name: "host", hostPath: { path: "/" } }]),
      m("k8s-mcp-workload-pod-security-restricted", "mcp-warmup", "volume 'host' is of type hostPath, not allowed by restricted"),
    ),
    edit(
      "seccomp Unconfined",
      "mcp-warmup",
      (p) => (podSpecOf(p).securityContext.seccompProfile.type = "Unconfined"),
      m(
        "k8s-mcp-workload-pod-security-restricted",
        "mcp-warmup",
        'securityContext.seccompProfile.type is "Unconfined", expected RuntimeDefault or Localhost',
      ),
    ),
    edit(
      "no seccomp profile anywhere",
      "mcp-warmup",
      (p) => delete podSpecOf(p).securityContext.seccompProfile,
      m(
        "k8s-mcp-workload-pod-security-restricted",
        "mcp-warmup",
        "container 'server': seccompProfile.type must be RuntimeDefault or Localhost (in the container or the pod securityContext)",
      ),
    ),
    edit(
      "runs as root",
      "mcp-warmup",
      (p) => (podSpecOf(p).securityContext.runAsUser = 0),
      m("k8s-mcp-workload-pod-security-restricted", "mcp-warmup", "securityContext.runAsUser is 0 (root)"),
    ),
    edit(
      "runAsNonRoot nowhere",
      "mcp-warmup",
      (p) => {
        delete podSpecOf(p).securityContext.runAsNonRoot;
        delete container(p).securityContext.runAsNonRoot;
      },
      m(
        "k8s-mcp-workload-pod-security-restricted",
        "mcp-warmup",
        "container 'server': runAsNonRoot must be true (in the container or the pod securityContext)",
      ),
    ),
    edit(
      "a hostPort",
      "mcp-warmup",
      (p) => (container(p).ports = [{ containerPort: 8080, hostPort: 8080 }]),
      m("k8s-mcp-workload-pod-security-restricted", "mcp-warmup", "container 'server': hostPort 8080 binds a port of the node"),
    ),
    edit(
      "an unsafe sysctl",
      "mcp-warmup",
      (p) => (podSpecOf(p).securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]),
      m("k8s-mcp-workload-pod-security-restricted", "mcp-warmup", "sysctl kernel.msgmax is not in the safe set"),
    ),
    edit(
      "edge case, still compliant: NET_BIND_SERVICE added",
      "mcp-warmup",
      (p) => (container(p).securityContext.capabilities.add = ["NET_BIND_SERVICE"]),
    ),
    edit("edge case, outside the MCP namespace nothing applies", "mcp-warmup", (p) => {
      p.metadata.namespace = "gumstack-backend";
      podSpecOf(p).hostNetwork = true;
      delete podSpecOf(p).runtimeClassName;
    }),
  ],
  "other kinds that make pods": [
    extra(
      "a bare Pod without gVisor",
      "kubernetes:core/v1:Pod",
      "mcp-pod",
      { metadata: { name: "debug", namespace: MCP_NS }, spec: { ...mcpPodSpec(), runtimeClassName: undefined } },
      m(
        "k8s-mcp-workload-gvisor-runtime",
        "mcp-pod",
        'runtimeClassName is null, expected "gvisor": the pod would share the node\'s kernel',
      ),
    ),
    extra(
      "a CronJob without gVisor",
      "kubernetes:batch/v1:CronJob",
      "mcp-cron",
      {
        metadata: { name: "cron", namespace: MCP_NS },
        spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: { ...mcpPodSpec(), runtimeClassName: "runc" } } } } },
      },
      m(
        "k8s-mcp-workload-gvisor-runtime",
        "mcp-cron",
        'runtimeClassName is "runc", expected "gvisor": the pod would share the node\'s kernel',
      ),
    ),
    extra(
      "a Helm release into the MCP namespace",
      "kubernetes:helm.sh/v3:Release",
      "mcp-chart",
      { chart: "whatever", namespace: MCP_NS },
      m(
        "k8s-mcp-workload-gvisor-runtime",
        "mcp-chart",
        "Helm release installs into gumstack-mcp, where its workloads escape this pack's checks: declare MCP-namespace workloads as Kubernetes resources",
      ),
    ),
  ],
  "kubernetes:core/v1:Service": [
    edit(
      "LoadBalancer in the MCP namespace",
      "mcp-internal",
      (p) => (p.spec.type = "LoadBalancer"),
      m(
        "k8s-mcp-service-no-external-exposure",
        "mcp-internal",
        "Service type LoadBalancer exposes MCP pods outside the cluster's ingress path",
      ),
    ),
    edit(
      "NodePort in the MCP namespace",
      "mcp-internal",
      (p) => (p.spec.type = "NodePort"),
      m(
        "k8s-mcp-service-no-external-exposure",
        "mcp-internal",
        "Service type NodePort exposes MCP pods outside the cluster's ingress path",
      ),
    ),
    edit(
      "externalIPs in the MCP namespace",
      "mcp-internal",
      (p) => (p.spec.externalIPs = ["203.0.113.7"]),
      m(
        "k8s-mcp-service-no-external-exposure",
        "mcp-internal",
        "spec.externalIPs 203.0.113.7 exposes MCP pods outside the cluster's ingress path",
      ),
    ),
    extra(
      "a LoadBalancer for the Kourier gateway",
      "kubernetes:core/v1:Service",
      "kourier-lb",
      {
        metadata: { name: "kourier", namespace: "knative-serving" },
        spec: { type: "LoadBalancer", selector: { app: "3scale-kourier-gateway" }, ports: [{ port: 80 }] },
      },
      m(
        "knative-serving-kourier-cluster-ip",
        "kourier-lb",
        "Service for the Kourier gateway has type LoadBalancer: Kourier must be reachable only through the global load balancer",
      ),
    ),
  ],
  "kubernetes:operator.knative.dev/v1beta1:KnativeServing": [
    edit(
      "Kourier service type left to the Operator's default",
      "knative-serving",
      (p) => delete p.spec.ingress.kourier["service-type"],
      m(
        "knative-serving-kourier-cluster-ip",
        "knative-serving",
        'spec.ingress.kourier["service-type"] is null: the Operator then exposes Kourier through a LoadBalancer of its own; set it to "ClusterIP"',
      ),
    ),
    edit(
      "Kourier as a LoadBalancer",
      "knative-serving",
      (p) => (p.spec.ingress.kourier["service-type"] = "LoadBalancer"),
      m(
        "knative-serving-kourier-cluster-ip",
        "knative-serving",
        'spec.ingress.kourier["service-type"] is "LoadBalancer": the Operator then exposes Kourier through a LoadBalancer of its own; set it to "ClusterIP"',
      ),
    ),
    edit(
      "runtimeClassName not accepted",
      "knative-serving",
      (p) => delete p.spec.config.features,
      m(
        "knative-serving-runtime-class-enabled",
        "knative-serving",
        'spec.config.features["kubernetes.podspec-runtimeclassname"] is null, expected "enabled": Knative would reject runtimeClassName: gvisor',
      ),
      m("knative-serving-config-safe", "knative-serving", 'spec.config.features["secure-pod-defaults"] is null, expected "Enabled"'),
    ),
  ],
  "gcp:compute/sSLPolicy:SSLPolicy": [
    edit(
      "COMPATIBLE profile",
      "tls",
      (p) => (p.profile = "COMPATIBLE"),
      m("compute-ssl-policy-modern-tls", "tls", "profile is COMPATIBLE, expected MODERN or RESTRICTED"),
    ),
    edit(
      "TLS 1.0",
      "tls",
      (p) => (p.minTlsVersion = "TLS_1_0"),
      m("compute-ssl-policy-modern-tls", "tls", "minTlsVersion is TLS_1_0, expected TLS_1_2 or higher"),
    ),
    edit(
      "API defaults",
      "tls",
      (p) => {
        delete p.profile;
        delete p.minTlsVersion;
      },
      m("compute-ssl-policy-modern-tls", "tls", "profile is COMPATIBLE (the default), expected MODERN or RESTRICTED"),
      m("compute-ssl-policy-modern-tls", "tls", "minTlsVersion is TLS_1_0 (the default), expected TLS_1_2 or higher"),
    ),
    edit("edge case, still compliant: RESTRICTED with TLS 1.3", "tls", (p) => {
      p.profile = "RESTRICTED";
      p.minTlsVersion = "TLS_1_3";
    }),
  ],
  "gcp:artifactregistry/repository:Repository": [
    edit(
      "cleanup as a dry run",
      "registry",
      (p) => (p.cleanupPolicyDryRun = true),
      m(
        "artifact-registry-repository-cleanup",
        "registry",
        "cleanupPolicyDryRun is true: the cleanup policies only log what they would delete",
      ),
    ),
    edit(
      "cleanup after 90 days",
      "registry",
      (p) => (p.cleanupPolicies[0].condition.olderThan = "7776000s"),
      m(
        "artifact-registry-repository-cleanup",
        "registry",
        "no DELETE cleanup policy with condition.olderThan of 30 days (2592000s) or less",
      ),
    ),
    edit(
      "no KEEP most-recent rule",
      "registry",
      (p) => (p.cleanupPolicies = p.cleanupPolicies.filter((x: any) => !x.mostRecentVersions)),
      m(
        "artifact-registry-repository-cleanup",
        "registry",
        "no KEEP cleanup policy with mostRecentVersions.keepCount: images still deployed would be deleted after 30 days",
      ),
    ),
    edit(
      "no KEEP rule for live tags: a Revision's image ages out",
      "registry",
      (p) => (p.cleanupPolicies = p.cleanupPolicies.filter((x: any) => x.id !== "keep-live")),
      m(
        "artifact-registry-repository-cleanup",
        "registry",
        "the cleanup would delete a running image: version tagged live-gumstack-probe-00001 in acme/weather, ten years old, 1000 versions behind",
      ),
    ),
    edit(
      "live KEEP rule narrowed to one package: other tenants' running images age out",
      "registry",
      (p) => (p.cleanupPolicies.find((x: any) => x.id === "keep-live").condition.packageNamePrefixes = ["globex/"]),
      m(
        "artifact-registry-repository-cleanup",
        "registry",
        "the cleanup would delete a running image: version tagged live-gumstack-probe-00001 in acme/weather, ten years old, 1000 versions behind",
      ),
    ),
    edit(
      "reserved paths kept with a trailing slash: the API's encoded package names (gumstack-build%2Fbuilder) age out",
      "registry",
      (p) =>
        (p.cleanupPolicies.find((x: any) => x.id === "keep-platform-paths").condition.packageNamePrefixes = [
          "gumstack-build/",
          "gumstack-canary/",
        ]),
      ...["gumstack-build%2Fbuilder", "gumstack-canary%2Fcanary"].map((pkg) =>
        m(
          "artifact-registry-repository-cleanup",
          "registry",
          `the cleanup would delete the stack's own image: untagged version of ${pkg}, ten years old, 1000 versions behind`,
        ),
      ),
    ),
  ],
  "gcp:kms/cryptoKey:CryptoKey": [
    edit(
      "rotation every 100 days",
      "gke-secrets",
      (p) => (p.rotationPeriod = "8640000s"),
      m("kms-crypto-key-rotation", "gke-secrets", "rotationPeriod 8640000s is longer than 90 days (7776000s)"),
    ),
    edit(
      "no rotation",
      "gke-secrets",
      (p) => delete p.rotationPeriod,
      m("kms-crypto-key-rotation", "gke-secrets", "rotationPeriod is not set: the key never rotates"),
    ),
    edit("edge case, still compliant: an asymmetric key does not rotate", "signing", (p) => delete p.rotationPeriod),
  ],
  "gcp:spanner/database:Database": [
    edit(
      "no drop protection",
      "gumstack-db",
      (p) => (p.enableDropProtection = false),
      m(
        "spanner-database-drop-protection",
        "gumstack-db",
        "enableDropProtection is not true: any client with spanner.databases.drop can drop the database",
      ),
      // The instance is protected only through its database's drop protection: the stack policy sees it too.
      m(
        "spanner-instance-deletion-protection",
        "spanner",
        "the Spanner instance can be deleted: no database in it has enableDropProtection, and it is neither protected nor deletionPolicy PREVENT",
      ),
    ),
    edit(
      "deletion protection off",
      "gumstack-db",
      (p) => (p.deletionProtection = false),
      m(
        "spanner-database-drop-protection",
        "gumstack-db",
        "deletionProtection is false: a replacement or `pulumi destroy` deletes the database",
      ),
    ),
  ],
  "gcp:storage/bucket:Bucket": [
    edit(
      "object ACLs",
      "assets",
      (p) => (p.uniformBucketLevelAccess = false),
      m(
        "storage-bucket-uniform-access",
        "assets",
        "uniformBucketLevelAccess is not true: object ACLs can grant access that IAM does not show",
      ),
    ),
    edit(
      "public access prevention inherited",
      "assets",
      (p) => delete p.publicAccessPrevention,
      m("storage-bucket-public-access-prevention", "assets", 'publicAccessPrevention is "inherited", expected "enforced"'),
    ),
  ],
};

describe.each(Object.entries(CASES))("%s", (_kind, cases) => {
  it.each(cases.map((c) => [c.title, c] as const))("%s", async (_title, c) => {
    const exp = golden();
    c.build(exp);
    expect(await findings(exp)).toEqual(c.expected);
  });
});
