// An enterprise customer's stack planned end to end: one dedicated project, everything inside it.
import { describe, expect, it } from "vitest";
import { QUOTA_PROJECT_REQUIRED_APIS } from "../../components/enterprise/customerProject.js";
import { quotaRequests } from "../../src/config/quota.js";
import { prodConfig } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";
import { nameOf, ofType, one, waitsFor, type PlannedResource } from "../support/harness.js";

const CUSTOMER_PROJECT = "gumstack-acme";
/** Prod's project: holds the multi-tenant MCP repository, which no enterprise identity may touch. */
const PROD_PROJECT = "gumstack-prod";
/** The admin project of the platform-images repository (gumstack:platformImages.repository). */
const PLATFORM_PROJECT = "gumstack-admin";
const plan = await sharedPlan("enterprise");
const resources = plan.deployment.resources;
const gcpResources = resources.filter((r) => r.custom && r.type.startsWith("gcp:"));

/**
 * The projects a GCP resource is placed in or acts on: its `project` input, and the projects named by the
 * resource paths and service-account emails in its inputs (keys, networks, service accounts, buckets).
 */
function projectsNamedBy(r: PlannedResource): Set<string> {
  const found = new Set<string>();
  if (typeof r.inputs.project === "string") found.add(r.inputs.project);
  if (r.type === "gcp:organizations/project:Project") found.add(String(r.inputs.projectId));
  const text = JSON.stringify(r.inputs);
  for (const m of text.matchAll(/projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])(?:\/|")/g)) found.add(m[1]!);
  for (const m of text.matchAll(/@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com/g)) found.add(m[1]!);
  for (const m of text.matchAll(/"bucket":"([a-z0-9-]+)"/g)) found.add(m[1]!.startsWith(CUSTOMER_PROJECT) ? CUSTOMER_PROJECT : m[1]!);
  return found;
}

describe("enterprise plan: the customer's project", () => {
  it("creates exactly one project, in the configured folder, on the configured billing account, with no default network", () => {
    const projects = ofType(resources, "gcp:organizations/project:Project");
    expect(projects).toHaveLength(1);
    expect(projects[0]!.inputs).toMatchObject({
      projectId: CUSTOMER_PROJECT,
      folderId: "301234567890",
      billingAccount: "01A2B3-C4D5E6-F7A8B9",
      autoCreateNetwork: false,
      deletionPolicy: "PREVENT",
    });
    expect(projects[0]!.protect).toBe(true);
  });

  it("sets a monthly budget on that project with alert thresholds", () => {
    const budget = one(resources, "gcp:billing/budget:Budget");
    expect(budget.inputs).toMatchObject({
      billingAccount: "01A2B3-C4D5E6-F7A8B9",
      amount: { specifiedAmount: { currencyCode: "USD", units: "10000" } },
    });
    expect((budget.inputs.budgetFilter as { projects: string[] }).projects).toEqual([expect.stringMatching(/^projects\/\d+$/)]);
    expect((budget.inputs.thresholdRules as Array<{ thresholdPercent: number }>).map((t) => t.thresholdPercent)).toEqual([0.5, 0.9, 1]);
  });
});

describe("enterprise plan: isolation from the platform project", () => {
  const grantInPlatform = (r: PlannedResource) =>
    r.type === "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember" && r.inputs.project === PLATFORM_PROJECT;

  it("names the customer's project on every project-scoped resource", () => {
    const unscoped = gcpResources.filter((r) => r.type !== "gcp:billing/budget:Budget" && !projectsNamedBy(r).has(CUSTOMER_PROJECT));
    expect(unscoped.map((r) => `${r.type} ${nameOf(r)}`)).toEqual([]);
  });

  it("puts nothing outside its project but read grants on the platform-images repository, for the system and backend nodes", () => {
    // Service agents' emails (service-N@gcp-sa-*.iam..., container-engine-robot, ...) are Google's domains, not projects.
    const agentDomain = /^(gcp-sa-[a-z-]+|container-engine-robot|compute-system|gs-project-accounts)$/;
    const touching = gcpResources.filter((r) => [...projectsNamedBy(r)].some((p) => p !== CUSTOMER_PROJECT && !agentDomain.test(p)));
    expect(touching.map(nameOf).sort()).toEqual([
      "accounts-nodes-backend-platform-images-reader",
      "accounts-nodes-system-platform-images-reader",
      "binauthz-release-attaches",
      "binauthz-release-signs",
      "registry-publisher-writer",
    ]);
    // The release identity signs platform images for this stack's Binary Authorization attestor: its own key and the note.
    const signing = touching.filter((r) => nameOf(r).startsWith("binauthz-release-"));
    expect(signing.map((r) => r.inputs.role).sort()).toEqual(["roles/cloudkms.signerVerifier", "roles/containeranalysis.notes.attacher"]);
    for (const r of signing) expect(r.inputs.member).toBe(`serviceAccount:gumstack-release@${PLATFORM_PROJECT}.iam.gserviceaccount.com`);
    // The one grant naming the admin project by its member: the release identity may write the customer's own tenant
    // repository (to copy the builder and canary there), on that repository only.
    const publisher = touching.find((r) => nameOf(r) === "registry-publisher-writer")!;
    expect(publisher.inputs).toMatchObject({
      project: CUSTOMER_PROJECT,
      repository: "mcp-ent-acme",
      location: "us-west1",
      role: "roles/artifactregistry.writer",
      member: `serviceAccount:gumstack-release@${PLATFORM_PROJECT}.iam.gserviceaccount.com`,
    });
    for (const grant of touching.filter((r) => r !== publisher && !signing.includes(r))) {
      expect(grantInPlatform(grant)).toBe(true);
      expect(grant.inputs).toMatchObject({ role: "roles/artifactregistry.reader", repository: "gumstack-platform", location: "us-west1" });
      expect(grant.inputs.member).toMatch(
        new RegExp(`^serviceAccount:gke-(system|backend)-ent-acme@${CUSTOMER_PROJECT}\\.iam\\.gserviceaccount\\.com$`),
      );
    }
  });

  it("grants nothing at all in prod's project: never the multi-tenant MCP repository", () => {
    expect(gcpResources.filter((r) => projectsNamedBy(r).has(PROD_PROJECT)).map(nameOf)).toEqual([]);
  });

  it("keeps the customer's MCP images in the customer's own registry, and admits only those", () => {
    expect(one(resources, "gcp:artifactregistry/repository:Repository").inputs.project).toBe(CUSTOMER_PROJECT);
    const images = one(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "admission-images");
    const variable = (name: string) =>
      JSON.stringify((images.inputs as { spec: { variables: { name: string }[] } }).spec.variables.find((v) => v.name === name));
    // Admitted: the customer's own tenant repository, under the object's tenant. Named only to be refused: the
    // platform-images repository. Never prod's.
    expect(variable("imageRoot")).toContain(`us-west1-docker.pkg.dev/${CUSTOMER_PROJECT}/mcp-ent-acme/\\" + variables.tenant`);
    expect(variable("imageRoot")).not.toContain(`docker.pkg.dev/${PLATFORM_PROJECT}/`);
    expect(variable("platformImages")).toContain(`us-west1-docker.pkg.dev/${PLATFORM_PROJECT}/`);
    expect(JSON.stringify(images.inputs)).not.toContain(`docker.pkg.dev/${PROD_PROJECT}/`);
  });

  it("creates every project-scoped resource after the project exists", () => {
    const project = one(resources, "gcp:organizations/project:Project");
    const late = gcpResources.filter(
      (r) => r !== project && r.type !== "gcp:billing/budget:Budget" && !grantInPlatform(r) && !waitsFor(resources, r, project),
    );
    expect(late.map((r) => `${r.type} ${nameOf(r)}`)).toEqual([]);
  });

  it("has its own cluster, Spanner instance, keys and domain", () => {
    expect(one(resources, "gcp:container/cluster:Cluster").inputs.project).toBe(CUSTOMER_PROJECT);
    expect(one(resources, "gcp:spanner/instance:Instance").inputs.project).toBe(CUSTOMER_PROJECT);
    expect(one(resources, "gcp:kms/keyRing:KeyRing").inputs.project).toBe(CUSTOMER_PROJECT);
    expect(one(resources, "gcp:certificatemanager/dnsAuthorization:DnsAuthorization").inputs.domain).toBe("acme.gumstack.com");
  });
});

describe("enterprise plan: the backend image", () => {
  it("is pulled only after the customer's backend nodes may read the platform-images repository", () => {
    const grant = one(
      resources,
      "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
      "accounts-nodes-backend-platform-images-reader",
    );
    const deployment = one(resources, "kubernetes:apps/v1:Deployment", "backend-deployment");
    expect(waitsFor(resources, deployment, grant)).toBe(true);
  });
});

describe("enterprise plan: billing and quota of the new project", () => {
  const project = one(resources, "gcp:organizations/project:Project");
  const preferences = ofType(resources, "gcp:cloudquota/sQuotaPreference:SQuotaPreference");
  const billingProvider = (r: PlannedResource) => r.provider;
  const provider = one(resources, "pulumi:providers:gcp", "customer-billing");

  it("creates the project and links its billing through a provider that bills those calls to the quota project", () => {
    expect(provider.inputs).toMatchObject({ project: PROD_PROJECT, billingProject: PROD_PROJECT, userProjectOverride: "true" });
    expect(billingProvider(project)).toBe(provider.urn);
  });

  it("asks Cloud Quotas for the pools' maximum plus surge, in the new project, after the project and its Cloud Quotas API", () => {
    const api = one(resources, "gcp:projects/service:Service", "customer-cloudquotas");
    expect(api.inputs).toMatchObject({ project: CUSTOMER_PROJECT, service: "cloudquotas.googleapis.com", disableOnDestroy: false });
    expect(waitsFor(resources, api, project)).toBe(true);
    const cfg = { region: "us-west1", zones: ["us-west1-a", "us-west1-b", "us-west1-c"], nodePools: enterprisePools() };
    const expected = quotaRequests(cfg);
    expect(preferences.map((p) => p.inputs.quotaId).sort()).toEqual(expected.map((q) => q.quotaId).sort());
    for (const q of expected) {
      const p = preferences.find((r) => r.inputs.quotaId === q.quotaId)!;
      expect(p.inputs).toMatchObject({
        parent: `projects/${CUSTOMER_PROJECT}`,
        service: "compute.googleapis.com",
        quotaConfig: { preferredValue: String(q.value) },
        contactEmail: "deployer@example.com",
      });
      expect(p.inputs.dimensions).toEqual(q.region ? { region: "us-west1" } : undefined);
      expect(p.dependencies).toContain(api.urn);
      expect(waitsFor(resources, p, project)).toBe(true);
      expect(billingProvider(p)).toBe(provider.urn);
    }
  });

  it("creates the cluster only after every quota preference", () => {
    const cluster = one(resources, "gcp:container/cluster:Cluster");
    expect(preferences.length).toBeGreaterThanOrEqual(4);
    for (const p of preferences) expect(cluster.dependencies, nameOf(p)).toContain(p.urn);
  });

  it("bills to a quota project the platform stack enables every API it needs in", async () => {
    const prod = (await sharedPlan("prod")).deployment.resources;
    const enabled = ofType(prod, "gcp:projects/service:Service")
      .filter((r) => r.inputs.project === PROD_PROJECT)
      .map((r) => String(r.inputs.service));
    for (const api of QUOTA_PROJECT_REQUIRED_APIS) expect(enabled, api).toContain(`${api}.googleapis.com`);
  });
});

/** Pulumi.enterprise.yaml's node pools, as the plan's node pool inputs carry them. */
function enterprisePools() {
  const pools = ofType(resources, "gcp:container/nodePool:NodePool");
  const byRole = (role: string) => pools.find((p) => nameOf(p) === `pool-${role}-pool`)!.inputs as Record<string, any>;
  const pool = (role: string) => {
    const p = byRole(role);
    return {
      machineType: p.nodeConfig.machineType,
      minNodes: p.autoscaling.totalMinNodeCount,
      maxNodes: p.autoscaling.totalMaxNodeCount,
      diskSizeGb: p.nodeConfig.diskSizeGb,
      diskType: p.nodeConfig.diskType,
    };
  };
  return { ...prodConfig().nodePools, system: pool("system"), backend: pool("backend"), mcp: pool("mcp") };
}
