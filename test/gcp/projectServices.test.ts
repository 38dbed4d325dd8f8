import * as organizations from "../../components/sdk/gcp/organizations.js";
import { describe, expect, it } from "vitest";
import { CORE_APIS, ProjectServices, QUOTA_PROJECT_APIS, platformApis, serviceAgentEmail } from "../../components/gcp/projectServices.js";
import { fakeNumber } from "../../src/plan/mocks.js";
import { ofType, one, record, valueOf } from "../support/harness.js";

const SERVICE = "gcp:projects/service:Service";
const IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity";

describe("platformApis", () => {
  it("lists every API the platform uses and adds billingbudgets only when asked", () => {
    const apis = platformApis({ billingBudgets: false });
    for (const api of [
      "container",
      "compute",
      "spanner",
      "cloudkms",
      "artifactregistry",
      "containerscanning",
      "certificatemanager",
      "dns",
      "monitoring",
      "logging",
      "iam",
      "iamcredentials",
      "storage",
      "cloudresourcemanager",
      "serviceusage",
      "containersecurity",
    ]) {
      expect(apis).toContain(api);
    }
    expect(apis).not.toContain("billingbudgets");
    expect(platformApis({ billingBudgets: true })).toContain("billingbudgets");
    for (const api of QUOTA_PROJECT_APIS) {
      expect(apis).not.toContain(api);
      expect(platformApis({ billingBudgets: true, quotaProjectApis: true })).toContain(api);
    }
  });
});

describe("serviceAgentEmail", () => {
  it("uses each agent's documented domain", () => {
    expect(serviceAgentEmail("container", "123")).toBe("service-123@container-engine-robot.iam.gserviceaccount.com");
    expect(serviceAgentEmail("compute", "123")).toBe("service-123@compute-system.iam.gserviceaccount.com");
    expect(serviceAgentEmail("spanner", "123")).toBe("service-123@gcp-sa-spanner.iam.gserviceaccount.com");
    expect(serviceAgentEmail("artifactregistry", "123")).toBe("service-123@gcp-sa-artifactregistry.iam.gserviceaccount.com");
    expect(serviceAgentEmail("storage", "123")).toBe("service-123@gs-project-accounts.iam.gserviceaccount.com");
    expect(() => serviceAgentEmail("container", "my-project")).toThrow(/digits/);
  });
});

describe("ProjectServices", () => {
  it("enables each API in the explicit project and leaves it enabled on destroy", async () => {
    const resources = await record(() => new ProjectServices("svc", { project: "gumstack-prod" }));
    const services = ofType(resources, SERVICE);
    expect(services).toHaveLength(CORE_APIS.length);
    for (const s of services) {
      expect(s.inputs).toMatchObject({ project: "gumstack-prod", disableOnDestroy: false, disableDependentServices: false });
      expect(s.parent).toMatch(/gumstack:gcp:ProjectServices::svc$/);
    }
    expect(one(resources, SERVICE, "svc-container").inputs.service).toBe("container.googleapis.com");
    expect(ofType(resources, SERVICE, "svc-billingbudgets")).toHaveLength(0);
  });

  it("enables Cloud Billing and Cloud Quotas where enterprise stacks bill those calls, and nowhere else", async () => {
    const resources = await record(() => new ProjectServices("svc", { project: "gumstack-prod", quotaProjectApis: true }));
    for (const api of ["cloudbilling", "cloudquotas"]) {
      expect(one(resources, SERVICE, `svc-${api}`).inputs).toMatchObject({ project: "gumstack-prod", service: `${api}.googleapis.com` });
    }
    const plain = await record(() => new ProjectServices("svc", { project: "gumstack-prod" }));
    expect(ofType(plain, SERVICE, "svc-cloudbilling")).toHaveLength(0);
  });

  it("enables billingbudgets for enterprise stacks", async () => {
    const resources = await record(() => new ProjectServices("svc", { project: "acme-prod", billingBudgets: true }));
    expect(one(resources, SERVICE, "svc-billingbudgets").inputs.service).toBe("billingbudgets.googleapis.com");
  });

  it("creates the container, spanner and artifactregistry agents after their APIs, and no compute identity", async () => {
    const resources = await record(() => new ProjectServices("svc", { project: "gumstack-prod" }));
    for (const kind of ["container", "spanner", "artifactregistry"]) {
      const identity = one(resources, IDENTITY, `svc-${kind}-agent`);
      expect(identity.inputs).toEqual({ project: "gumstack-prod", service: `${kind}.googleapis.com` });
      expect(identity.dependencies).toContain(one(resources, SERVICE, `svc-${kind}`).urn);
    }
    // compute.googleapis.com has no primary service identity: the agent comes with the API.
    expect(ofType(resources, IDENTITY)).toHaveLength(3);
  });

  it("derives the agents' emails from the project number", async () => {
    let svc!: ProjectServices;
    await record(() => {
      svc = new ProjectServices("svc", { project: "gumstack-prod" });
    });
    const n = fakeNumber("gumstack-prod");
    expect(await valueOf(svc.agents.container.member)).toBe(`serviceAccount:service-${n}@container-engine-robot.iam.gserviceaccount.com`);
    expect(await valueOf(svc.agents.compute.email)).toBe(`service-${n}@compute-system.iam.gserviceaccount.com`);
    expect(await valueOf(svc.agents.spanner.email)).toBe(`service-${n}@gcp-sa-spanner.iam.gserviceaccount.com`);
    expect(await valueOf(svc.agents.artifactregistry.email)).toBe(`service-${n}@gcp-sa-artifactregistry.iam.gserviceaccount.com`);
    expect(await valueOf(svc.agents.storage.email)).toBe(`service-${n}@gs-project-accounts.iam.gserviceaccount.com`);
    expect(svc.agents.container.dependsOn).toEqual([svc.identities.container]);
    expect(svc.agents.compute.dependsOn).toEqual([svc.apis.compute]);
  });

  it("takes the project and its number from a created project (enterprise)", async () => {
    let svc!: ProjectServices;
    const resources = await record(() => {
      const project = new organizations.Project("p", {
        projectId: "acme-gumstack",
        name: "acme",
        folderId: "123456",
        autoCreateNetwork: false,
      });
      svc = new ProjectServices("svc", { project: project.projectId, projectNumber: project.number });
    });
    const project = one(resources, "gcp:organizations/project:Project", "p");
    const container = one(resources, SERVICE, "svc-container");
    expect(container.inputs.project).toBe("acme-gumstack");
    expect(container.dependencies).toContain(project.urn);
    expect(await valueOf(svc.agents.spanner.email)).toBe(`service-${fakeNumber("acme-gumstack")}@gcp-sa-spanner.iam.gserviceaccount.com`);
  });
});
