// Holes in IAM, the registry, keys and data.
import { addResource, all, edit, type Mutation } from "./mutation.js";

const GCP = "pulumi:providers:gcp";
const nodeAccount = (r: { type: string; inputs: Record<string, any> }[], pool: RegExp): string | undefined =>
  (
    r.find(
      (x) => x.type === "gcp:container/nodePool:NodePool" && pool.test(JSON.stringify(x.inputs.nodeConfig?.sandboxConfig ?? "none")),
    ) as any
  )?.inputs.nodeConfig.serviceAccount;

export const gcpMutations: Mutation[] = [
  {
    hole: "the MCP ServiceAccount's Workload Identity granted a project role",
    policy: "iam-grant-no-mcp-identity",
    apply: (r) => {
      const project = (r.find((x) => x.type === "gcp:container/cluster:Cluster")?.inputs as any)?.project ?? "gumstack-prod";
      return addResource(
        r,
        "gcp:projects/iAMMember:IAMMember",
        "hostile-mcp-grant",
        { project, role: "roles/storage.objectViewer", member: `serviceAccount:${project}.svc.id.goog[gumstack-mcp/mcp-server]` },
        GCP,
      );
    },
  },
  {
    hole: "the MCP node account may write the platform images",
    policy: "iam-grant-no-cluster-write-platform-images",
    apply: (r) => {
      const sa = nodeAccount(r as any, /GVISOR/);
      return sa
        ? addResource(
            r,
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            "hostile-writer",
            {
              project: "gumstack-admin",
              location: "us-west1",
              repository: "gumstack-platform",
              role: "roles/artifactregistry.writer",
              member: `serviceAccount:${sa}`,
            },
            GCP,
          )
        : 0;
    },
  },
  {
    hole: "an enterprise stack granted write on the platform-images repository",
    policy: "iam-grant-enterprise-foreign-project-read-only",
    kinds: ["enterprise"],
    apply: (r) =>
      edit(
        r,
        "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
        (p) => p.repository === "gumstack-platform",
        (p) => void (p.role = "roles/artifactregistry.writer"),
      ),
  },
  {
    hole: "the cleanup only a dry run",
    policy: "artifact-registry-repository-cleanup",
    apply: (r) =>
      edit(
        r,
        "gcp:artifactregistry/repository:Repository",
        (p) => (p.cleanupPolicies ?? []).length > 0,
        (p) => void (p.cleanupPolicyDryRun = true),
      ),
  },
  {
    hole: "a key rotated yearly",
    policy: "kms-crypto-key-rotation",
    apply: (r) =>
      edit(
        r,
        "gcp:kms/cryptoKey:CryptoKey",
        (_p, x) => /gke/.test(x.urn),
        (p) => void (p.rotationPeriod = "31536000s"),
      ),
  },
  {
    hole: "a database without drop protection",
    policy: "spanner-database-drop-protection",
    apply: (r) => edit(r, "gcp:spanner/database:Database", all, (p) => void (p.enableDropProtection = false)),
  },
  {
    hole: "the Spanner instance deletable",
    policy: "spanner-instance-deletion-protection",
    apply: (r) => {
      let n = edit(r, "gcp:spanner/instance:Instance", all, (p) => void (p.deletionPolicy = "DELETE"));
      for (const x of r) if (x.type === "gcp:spanner/instance:Instance") (x as { protect: boolean }).protect = false;
      for (const x of r)
        if (x.type === "gcp:spanner/database:Database")
          n += edit([x], x.type, all, (p) => void (p.enableDropProtection = false)) > 0 ? 0 : 0;
      return n;
    },
  },
  {
    hole: "a bucket with object ACLs",
    policy: "storage-bucket-uniform-access",
    apply: (r) => edit(r, "gcp:storage/bucket:Bucket", all, (p) => void (p.uniformBucketLevelAccess = false)),
  },
  {
    hole: "a bucket that may be made public",
    policy: "storage-bucket-public-access-prevention",
    apply: (r) => edit(r, "gcp:storage/bucket:Bucket", all, (p) => void (p.publicAccessPrevention = "inherited")),
  },
];
