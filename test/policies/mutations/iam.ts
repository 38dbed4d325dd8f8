// Holes in IAM as GKE enforces it: roles that reach the Kubernetes API, held by an identity the cluster can reach.
import type { ExportResource } from "../../../src/policy/export.js";
import { addResource, type Mutation } from "./mutation.js";

const GCP = "pulumi:providers:gcp";
const PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember";

const projectOf = (r: ExportResource[]): string =>
  String((r.find((x) => x.type === "gcp:container/cluster:Cluster")?.inputs as any)?.project);
const mcpNodeAccount = (r: ExportResource[]): string =>
  String(
    (
      r.find((x) => x.type === "gcp:container/nodePool:NodePool" && (x.inputs as any).nodeConfig?.sandboxConfig?.type === "GVISOR")
        ?.inputs as any
    )?.nodeConfig.serviceAccount,
  );
/** The Google account the backend's KSA acts as (its Workload Identity binding's target). */
const backendAccount = (r: ExportResource[]): string => {
  const wi = r.find(
    (x) => x.type === "gcp:serviceaccount/iAMMember:IAMMember" && /\[gumstack-backend\/backend\]/.test(String((x.inputs as any).member)),
  );
  return String((wi?.inputs as any)?.serviceAccountId)
    .split("/")
    .pop()!;
};

export const iamMutations: Mutation[] = [
  {
    hole: "the MCP node account granted container.developer on the project",
    policy: "iam-grant-no-cluster-kubernetes-access",
    apply: (r) =>
      addResource(
        r,
        PROJECT_MEMBER,
        "hostile-node-developer",
        { project: projectOf(r), role: "roles/container.developer", member: `serviceAccount:${mcpNodeAccount(r)}` },
        GCP,
      ),
    message: /container\.secrets\.get/,
  },
  {
    hole: "the backend's Workload Identity account granted Viewer",
    policy: "iam-grant-no-cluster-kubernetes-access",
    apply: (r) =>
      addResource(
        r,
        PROJECT_MEMBER,
        "hostile-backend-viewer",
        { project: projectOf(r), role: "roles/viewer", member: `serviceAccount:${backendAccount(r)}` },
        GCP,
      ),
    message: /basic role roles\/viewer/,
  },
  {
    hole: "the backend may mint tokens for an account that is container.admin (a chain)",
    policy: "iam-grant-no-cluster-kubernetes-access",
    apply: (r) => {
      const project = projectOf(r);
      const admin = `ops-admin@${project}.iam.gserviceaccount.com`;
      addResource(r, "gcp:serviceaccount/account:Account", "hostile-ops", { project, accountId: "ops-admin", email: admin }, GCP);
      addResource(
        r,
        PROJECT_MEMBER,
        "hostile-ops-admin",
        { project, role: "roles/container.admin", member: `serviceAccount:${admin}` },
        GCP,
      );
      return addResource(
        r,
        "gcp:serviceaccount/iAMMember:IAMMember",
        "hostile-backend-mints-ops",
        {
          serviceAccountId: `projects/${project}/serviceAccounts/${admin}`,
          role: "roles/iam.serviceAccountTokenCreator",
          member: `serviceAccount:${backendAccount(r)}`,
        },
        GCP,
      );
    },
    message: /ops-admin@.*container\.admin/,
  },
  {
    hole: "a custom role with container.pods.exec granted to a node account",
    policy: "iam-grant-no-cluster-kubernetes-access",
    apply: (r) => {
      const project = projectOf(r);
      addResource(
        r,
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        "hostile-exec-role",
        { project, roleId: "podExec", title: "exec", permissions: ["container.pods.exec", "container.pods.get"] },
        GCP,
      );
      return addResource(
        r,
        PROJECT_MEMBER,
        "hostile-node-exec",
        { project, role: `projects/${project}/roles/podExec`, member: `serviceAccount:${mcpNodeAccount(r)}` },
        GCP,
      );
    },
    message: /container\.pods\.exec/,
  },
];
