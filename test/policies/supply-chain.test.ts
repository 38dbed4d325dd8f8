// The supply-chain rules over the golden stack: each passes it, and each single escape is refused with a
// message that names the grant and the chain that makes its member reachable from the cluster.
import { describe, expect, it } from "vitest";
import { expandPackConfig } from "../../policies/config.js";
import { policies } from "../../policies/rules/index.js";
import { BACKEND_NS, golden, PROJECT, type FixtureExport } from "./fixtures/golden.js";
import { add, change, findings, resource, UNKNOWN, type Finding } from "./support.js";

const WRITE = "iam-grant-no-cluster-write-platform-images";
const MCP_SA = "gke-node-pool-mcp-own-service-account";
const ENTERPRISE = "iam-grant-enterprise-foreign-project-read-only";
const REPO_GRANT = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";
const SA_GRANT = "gcp:serviceaccount/iAMMember:IAMMember";
const PLATFORM = { project: "gumstack-admin", location: "us-west1", repository: "gumstack-platform" };
const PLATFORM_URL = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform";
const sa = (id: string, project = PROJECT) => `serviceAccount:${id}@${project}.iam.gserviceaccount.com`;
const NODES = sa("gke-nodes");
const KSA = `serviceAccount:${PROJECT}.svc.id.goog[${BACKEND_NS}/backend]`;
const WI_CHAIN = `${KSA} is a GKE Workload Identity; ${KSA} holds roles/iam.workloadIdentityUser on ${sa("backend")}`;
const only = (fs: Finding[], policy: string) => fs.filter((f) => f.policy === policy);
const repoGrant = (name: string, role: string, member: string, repo = PLATFORM) => resource(REPO_GRANT, name, { ...repo, role, member });
const withAll = (...rs: ReturnType<typeof resource>[]) => rs.reduce((e, r) => add(e, r), golden());

describe(`${WRITE}`, () => {
  it("passes the golden stack, and a read grant on the platform-images repository", async () => {
    expect(only(await findings(), WRITE)).toEqual([]);
    expect(await findings(withAll(repoGrant("nodes-read", "roles/artifactregistry.reader", NODES)))).toEqual([]);
  });

  it("passes the build plane's pusher writing the stack's own tenant repository", async () => {
    const e = withAll(
      resource(SA_GRANT, "backend-mints-pusher", {
        serviceAccountId: `projects/${PROJECT}/serviceAccounts/pusher@${PROJECT}.iam.gserviceaccount.com`,
        role: "roles/iam.serviceAccountTokenCreator",
        member: sa("backend"),
      }),
      repoGrant("pusher-writes-tenant", "roles/artifactregistry.writer", sa("pusher"), {
        project: PROJECT,
        location: "us-west1",
        repository: "gumstack",
      }),
    );
    expect(only(await findings(e), WRITE)).toEqual([]);
  });

  it("refuses a node account that can write the platform-images repository", async () => {
    expect(await findings(withAll(repoGrant("nodes-write", "roles/artifactregistry.writer", NODES)))).toEqual([
      {
        policy: WRITE,
        level: "mandatory",
        resource: "nodes-write",
        message: `${NODES} holds roles/artifactregistry.writer on the platform-images repository ${PLATFORM_URL}, and is reachable from the cluster: ${NODES} runs GKE nodes (system-pool)`,
      },
    ]);
  });

  it("refuses a writer the backend's Workload Identity may impersonate (closure: KSA -> backend -> pusher)", async () => {
    const e = withAll(
      resource(SA_GRANT, "backend-mints-pusher", {
        serviceAccountId: `projects/${PROJECT}/serviceAccounts/pusher@${PROJECT}.iam.gserviceaccount.com`,
        role: "roles/iam.serviceAccountTokenCreator",
        member: sa("backend"),
      }),
      repoGrant("pusher-writes-platform", "roles/artifactregistry.repoAdmin", sa("pusher")),
    );
    expect(only(await findings(e), WRITE)).toEqual([
      {
        policy: WRITE,
        level: "mandatory",
        resource: "pusher-writes-platform",
        message: `${sa("pusher")} holds roles/artifactregistry.repoAdmin on the platform-images repository ${PLATFORM_URL}, and is reachable from the cluster: ${WI_CHAIN}; ${sa("backend")} holds roles/iam.serviceAccountTokenCreator on ${sa("pusher")}`,
      },
    ]);
  });

  it("refuses a principal:// Workload Identity member with editor on the platform-images project", async () => {
    const member = `principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/${PROJECT}.svc.id.goog/subject/ns/gumstack-build/sa/builder`;
    const e = withAll(
      resource("gcp:projects/iAMMember:IAMMember", "builder-editor", { project: "gumstack-admin", role: "roles/editor", member }),
    );
    expect(only(await findings(e), WRITE).map((f) => f.message)).toEqual([
      `${member} holds roles/editor on every repository of project gumstack-admin, the platform-images repository's, and is reachable from the cluster: ${member} is a GKE Workload Identity`,
    ]);
  });

  it("refuses a reachable writer on a repository the stack does not create (another stack's tenant images)", async () => {
    const e = withAll(
      repoGrant("nodes-write-prod", "roles/artifactregistry.writer", NODES, {
        project: "gumstack-prod",
        location: "us-west1",
        repository: "mcp-prod",
      }),
    );
    expect(only(await findings(e), WRITE).map((f) => f.message)).toEqual([
      `${NODES} holds roles/artifactregistry.writer on repository us-west1-docker.pkg.dev/gumstack-prod/mcp-prod, which this stack does not create, and is reachable from the cluster: ${NODES} runs GKE nodes (system-pool)`,
    ]);
  });

  it("refuses a writer whose member is unknown during preview (it may be a cluster identity)", async () => {
    const fs = only(await findings(withAll(repoGrant("who-writes", "roles/artifactregistry.writer", UNKNOWN))), WRITE);
    expect(fs.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^unknown:.*::who-writes holds roles\/artifactregistry\.writer on the platform-images repository .*the member of who-writes is unknown during preview, so it may be a cluster identity$/,
      ),
    ]);
  });

  it("refuses a reachable identity that may act as an account the stack does not create (the release identity), or as a whole project's", async () => {
    const release = "release@gumstack-admin.iam.gserviceaccount.com";
    const e = withAll(
      resource(SA_GRANT, "nodes-mint-release", {
        serviceAccountId: `projects/gumstack-admin/serviceAccounts/${release}`,
        role: "roles/iam.serviceAccountTokenCreator",
        member: NODES,
      }),
      resource("gcp:projects/iAMMember:IAMMember", "backend-acts-as-admin", {
        project: "gumstack-admin",
        role: "roles/iam.serviceAccountUser",
        member: sa("backend"),
      }),
    );
    expect(only(await findings(e), WRITE).map((f) => `${f.resource}: ${f.message}`)).toEqual([
      `nodes-mint-release: ${NODES} holds roles/iam.serviceAccountTokenCreator on service account ${release}, outside the stack's projects (in the platform-images project), so its own grants cannot be checked, and is reachable from the cluster: ${NODES} runs GKE nodes (system-pool)`,
      `backend-acts-as-admin: ${sa("backend")} holds roles/iam.serviceAccountUser on every service account of project gumstack-admin, including any whose grants this stack cannot check, and is reachable from the cluster: ${WI_CHAIN}`,
    ]);
  });

  it("leaves the release identity alone: not reachable from the cluster", async () => {
    expect(
      only(await findings(withAll(repoGrant("release-writes", "roles/artifactregistry.writer", sa("release", "gumstack-admin")))), WRITE),
    ).toEqual([]);
  });

  it("follows the configured platformImagesRepository", async () => {
    const e = withAll(
      repoGrant("nodes-write", "roles/artifactregistry.writer", NODES, {
        project: "other-admin",
        location: "europe-west1",
        repository: "images",
      }),
    );
    const config = expandPackConfig({ platformImagesRepository: "europe-west1-docker.pkg.dev/other-admin/images" }, policies);
    expect(only(await findings(e, config), WRITE).map((f) => f.message)).toEqual([
      `${NODES} holds roles/artifactregistry.writer on the platform-images repository europe-west1-docker.pkg.dev/other-admin/images, and is reachable from the cluster: ${NODES} runs GKE nodes (system-pool)`,
    ]);
    await expect(findings(golden(), { [WRITE]: { platformImagesRepository: "gcr.io/x" } })).rejects.toThrow(
      'platformImagesRepository: "gcr.io/x" is not <location>-docker.pkg.dev/<project>/<repository>',
    );
  });
});

describe(`${ENTERPRISE}`, () => {
  /** The golden stack as an enterprise customer's: it creates its own project. */
  const enterprise = (): FixtureExport =>
    add(
      // Like the program's enterprise stacks, it names its project on each resource (here the one bucket without it).
      change(golden(), "assets", (p) => (p.project = PROJECT)),
      resource("gcp:organizations/project:Project", "customer-project", {
        projectId: PROJECT,
        folderId: "301234567890",
        billingAccount: "01A2B3-C4D5E6-F7A8B9",
      }),
    );
  const withGrants = (...rs: ReturnType<typeof resource>[]) => rs.reduce((e, r) => add(e, r), enterprise());

  it("does not apply to a stack that creates no project", async () => {
    expect(
      only(
        await findings(
          withAll(
            repoGrant("prod-read", "roles/artifactregistry.reader", NODES, {
              project: "gumstack-prod",
              location: "us-west1",
              repository: "mcp-prod",
            }),
          ),
        ),
        ENTERPRISE,
      ),
    ).toEqual([]);
  });

  it("passes grants in its own project and a read grant on the platform-images repository", async () => {
    expect(await findings(enterprise())).toEqual([]);
    expect(await findings(withGrants(repoGrant("nodes-read", "roles/artifactregistry.reader", NODES)))).toEqual([]);
  });

  it("refuses read access to prod's multi-tenant MCP repository", async () => {
    const e = withGrants(
      repoGrant("prod-read", "roles/artifactregistry.reader", NODES, {
        project: "gumstack-prod",
        location: "us-west1",
        repository: "mcp-prod",
      }),
    );
    expect(await findings(e)).toEqual([
      {
        policy: ENTERPRISE,
        level: "mandatory",
        resource: "prod-read",
        message: `grants roles/artifactregistry.reader to ${NODES} on repository us-west1-docker.pkg.dev/gumstack-prod/mcp-prod in project gumstack-prod, outside the stack's project (${PROJECT}): only roles/artifactregistry.reader on the platform-images repository ${PLATFORM_URL} may be granted there`,
      },
    ]);
  });

  it("refuses more than read on the platform-images repository, and an authoritative binding of read", async () => {
    const fs = only(
      await findings(
        withGrants(
          repoGrant("nodes-admin", "roles/artifactregistry.repoAdmin", sa("backend")),
          resource("gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding", "readers-binding", {
            ...PLATFORM,
            role: "roles/artifactregistry.reader",
            members: [NODES],
          }),
        ),
      ),
      ENTERPRISE,
    );
    expect(fs.map((f) => `${f.resource}: ${f.message}`)).toEqual([
      `nodes-admin: grants roles/artifactregistry.repoAdmin to ${sa("backend")} on repository ${PLATFORM_URL} in project gumstack-admin, outside the stack's project (${PROJECT}): only roles/artifactregistry.reader on the platform-images repository ${PLATFORM_URL} may be granted there`,
      `readers-binding: grants roles/artifactregistry.reader to ${NODES} on repository ${PLATFORM_URL} in project gumstack-admin as an authoritative binding/policy, outside the stack's project (${PROJECT}): only roles/artifactregistry.reader on the platform-images repository ${PLATFORM_URL} may be granted there`,
    ]);
  });

  it("refuses project-, folder- and service-account-level grants elsewhere, and a grant whose project cannot be read", async () => {
    const fs = only(
      await findings(
        withGrants(
          resource("gcp:projects/iAMMember:IAMMember", "admin-viewer", { project: "gumstack-admin", role: "roles/viewer", member: NODES }),
          resource("gcp:folder/iAMMember:IAMMember", "folder-viewer", {
            folder: "folders/301234567890",
            role: "roles/viewer",
            member: NODES,
          }),
          resource(SA_GRANT, "prod-backend-user", {
            serviceAccountId: "projects/gumstack-prod/serviceAccounts/backend-prod@gumstack-prod.iam.gserviceaccount.com",
            role: "roles/iam.serviceAccountUser",
            member: NODES,
          }),
          resource("gcp:storage/bucketIAMMember:BucketIAMMember", "foreign-bucket", {
            bucket: "gumstack-prod-data",
            role: "roles/storage.objectViewer",
            member: NODES,
          }),
        ),
      ),
      ENTERPRISE,
    );
    expect(fs.map((f) => f.resource)).toEqual(["admin-viewer", "folder-viewer", "prod-backend-user", "foreign-bucket"]);
    expect(fs[1]!.message).toMatch(/^grants roles\/viewer to .* on folder folders\/301234567890, outside the stack's project/);
    expect(fs[3]!.message).toMatch(/on a target it cannot verify \(the project of this storage grant is unknown\)/);
  });

  it("accepts a grant whose project is unknown during preview but depends on the stack's own project", async () => {
    const e = withGrants(
      resource(
        "gcp:projects/iAMMember:IAMMember",
        "own-viewer",
        { project: UNKNOWN, role: "roles/viewer", member: NODES },
        { propertyDependencies: { project: ["urn:pulumi:test::gumstack::gcp:organizations/project:Project::customer-project"] } },
      ),
    );
    expect(only(await findings(e), ENTERPRISE)).toEqual([]);
  });
});

describe(`${MCP_SA}`, () => {
  const MCP_NODES = sa("gke-mcp");

  it("passes the golden stack (the MCP pool has its own account) and the MCP account reading the stack's repository", async () => {
    expect(only(await findings(), MCP_SA)).toEqual([]);
    const e = withAll(
      repoGrant("mcp-reads-tenant", "roles/artifactregistry.reader", MCP_NODES, {
        project: PROJECT,
        location: "us-west1",
        repository: "gumstack",
      }),
    );
    expect(await findings(e)).toEqual([]);
  });

  it("refuses an MCP pool that shares the system pool's account", async () => {
    const e = change(golden(), "mcp-pool", (p) => (p.nodeConfig.serviceAccount = `gke-nodes@${PROJECT}.iam.gserviceaccount.com`));
    expect(only(await findings(e), MCP_SA)).toEqual([
      {
        policy: MCP_SA,
        level: "mandatory",
        resource: "mcp-pool",
        message: `the MCP pool mcp-pool runs as ${NODES}, which pool system-pool also uses: a sandbox escape would get the platform pool's access`,
      },
    ]);
  });

  it("refuses the MCP pool's account reading platform images, or every repository of a project", async () => {
    const e = withAll(
      repoGrant("mcp-reads-platform", "roles/artifactregistry.reader", MCP_NODES),
      resource("gcp:projects/iAMMember:IAMMember", "mcp-reads-project", {
        project: PROJECT,
        role: "roles/artifactregistry.reader",
        member: MCP_NODES,
      }),
    );
    expect(only(await findings(e), MCP_SA).map((f) => `${f.resource}: ${f.message}`)).toEqual([
      `mcp-reads-platform: the MCP pool's account ${MCP_NODES} holds roles/artifactregistry.reader on repository ${PLATFORM_URL}, which this stack does not create: it may read only the stack's own tenant repository`,
      `mcp-reads-project: the MCP pool's account ${MCP_NODES} holds roles/artifactregistry.reader on every repository of project ${PROJECT}: it may read only the stack's own tenant repository`,
    ]);
  });
});
