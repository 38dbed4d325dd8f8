import * as organizations from "../sdk/gcp/organizations.js";
import * as projects from "../sdk/gcp/projects.js";
import * as storage from "../sdk/gcp/storage.js";
import * as pulumi from "@pulumi/pulumi";

/** APIs every Gumstack project enables, by short name (`<name>.googleapis.com`). */
export const CORE_APIS = [
  "serviceusage",
  "cloudresourcemanager",
  "iam",
  "iamcredentials", // Workload Identity token exchange for the backend
  "compute",
  "container",
  "containerfilesystem", // image streaming on the MCP pool (GKE refuses gcfsConfig without it)
  "containersecurity", // GKE security posture findings (workload vulnerability and configuration scanning)
  "spanner",
  "cloudkms",
  "artifactregistry",
  "containerscanning", // vulnerability scanning of pushed images (repository scanning is INHERITED from it)
  "binaryauthorization", // the cluster admits only attested images (components/gcp/binaryAuthorization.ts)
  "containeranalysis", // attestations are Container Analysis occurrences of the attestor's note
  "certificatemanager",
  "dns",
  "monitoring",
  "logging",
  "storage",
] as const;
export type CoreApi = (typeof CORE_APIS)[number];

/**
 * APIs a platform project needs as the quota project of enterprise stacks, besides Billing Budgets: Cloud Billing
 * (creating a customer's project links it to a billing account, a Cloud Billing call billed to the quota project) and
 * Cloud Quotas (the customer project's quota preferences). components/enterprise/customerProject.ts makes the calls.
 */
export const QUOTA_PROJECT_APIS = ["cloudbilling", "cloudquotas"] as const;
export type PlatformApi = CoreApi | "billingbudgets" | (typeof QUOTA_PROJECT_APIS)[number];

/**
 * The APIs to enable: the core set, plus Billing Budgets when the stack manages a budget or bills others' budget
 * calls, plus QUOTA_PROJECT_APIS when enterprise stacks bill their calls to this project.
 */
export function platformApis(options: { readonly billingBudgets: boolean; readonly quotaProjectApis?: boolean }): PlatformApi[] {
  return [
    ...CORE_APIS,
    ...(options.billingBudgets ? (["billingbudgets"] as const) : []),
    ...(options.quotaProjectApis ? QUOTA_PROJECT_APIS : []),
  ];
}

/** Google-managed service agents the platform grants keys to. */
export type AgentKind = "container" | "spanner" | "artifactregistry" | "compute" | "storage";

/** Service agent email domains (https://cloud.google.com/iam/docs/service-agents). */
const AGENT_DOMAINS: Record<AgentKind, string> = {
  container: "container-engine-robot",
  spanner: "gcp-sa-spanner",
  artifactregistry: "gcp-sa-artifactregistry",
  compute: "compute-system",
  storage: "gs-project-accounts",
};

/** The documented email of a project's service agent, `service-<number>@<domain>.iam.gserviceaccount.com`. */
export function serviceAgentEmail(kind: AgentKind, projectNumber: string): string {
  if (!/^\d+$/.test(projectNumber)) throw new Error(`project number must be digits, got "${projectNumber}"`);
  return `service-${projectNumber}@${AGENT_DOMAINS[kind]}.iam.gserviceaccount.com`;
}

/** A service agent: its identity, and the resources that must exist before it can be granted a role. */
export interface ServiceAgent {
  readonly email: pulumi.Output<string>;
  /** `serviceAccount:<email>`; depends on whatever creates the agent, so grants using it wait for it. */
  readonly member: pulumi.Output<string>;
  /** Resources after which the agent exists (its ServiceIdentity, or the API whose enablement creates it). */
  readonly dependsOn: readonly pulumi.Resource[];
}

export type ServiceAgents = Readonly<Record<AgentKind, ServiceAgent>>;
export type ProjectApis = Readonly<Record<CoreApi, projects.Service>> & {
  readonly billingbudgets?: projects.Service;
  readonly cloudbilling?: projects.Service;
  readonly cloudquotas?: projects.Service;
};

export interface ProjectServicesArgs {
  /** Project to enable the APIs in. Required; never the provider default (enterprise stacks create the project). */
  readonly project: pulumi.Input<string>;
  /** Project number; default: looked up from `project` (enterprise stacks pass the created project's number). */
  readonly projectNumber?: pulumi.Input<string>;
  /**
   * Also enable billingbudgets.googleapis.com: in the project Billing Budgets calls are billed to (platform stacks:
   * enterprise stacks bill their budget calls to the platform project). Default false.
   */
  readonly billingBudgets?: boolean;
  /** Also enable QUOTA_PROJECT_APIS (cloudbilling, cloudquotas): platform stacks, the quota project of enterprise stacks. Default false. */
  readonly quotaProjectApis?: boolean;
}

/**
 * The project's APIs and the service agents the CMEK grants need. Each API is a `projects.Service` left
 * enabled on destroy (disabling APIs under live resources breaks them). The container, spanner and
 * artifactregistry agents are created explicitly with `projects.ServiceIdentity` (each is its API's primary
 * agent); the Compute Engine agent (`compute-system`) has no ServiceIdentity support and is created when the
 * Compute API is enabled; the Cloud Storage agent is created by the storage `getProjectServiceAccount` call.
 *
 * Agent emails are built from the project number in the documented form rather than read from
 * ServiceIdentity.email, which the API leaves empty for some services; the outputs still carry the dependency on
 * the resource that creates the agent.
 *
 * Enablement returns before an API is fully usable and IAM grants take up to a few minutes to propagate. The
 * cluster, whose failed create can leave it stuck, waits for its key's grants to propagate (Kms.gkeKeyId); another
 * CMEK resource created before its grant has propagated fails cleanly, and a second run creates it.
 */
export class ProjectServices extends pulumi.ComponentResource {
  /** Enabled APIs by short name; depend on the one a resource uses. */
  readonly apis: ProjectApis;
  /** Service agents by kind, with email, member and the resources they need. */
  readonly agents: ServiceAgents;
  /** The explicitly created service identities. */
  readonly identities: Readonly<Record<"container" | "spanner" | "artifactregistry", projects.ServiceIdentity>>;
  /** The project number the agent emails are built from. */
  readonly projectNumber: pulumi.Output<string>;

  constructor(name: string, args: ProjectServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:ProjectServices", name, {}, opts);

    const apis: Partial<Record<PlatformApi, projects.Service>> = {};
    for (const api of platformApis({ billingBudgets: args.billingBudgets ?? false, quotaProjectApis: args.quotaProjectApis ?? false })) {
      apis[api] = new projects.Service(
        `${name}-${api}`,
        {
          project: args.project,
          service: `${api}.googleapis.com`,
          // Disabling an API on destroy would break whatever still runs in the project.
          disableOnDestroy: false,
          disableDependentServices: false,
        },
        { parent: this },
      );
    }
    this.apis = apis as ProjectApis;

    this.projectNumber =
      args.projectNumber !== undefined
        ? pulumi.output(args.projectNumber)
        : organizations.getProjectOutput({ projectId: args.project }, { parent: this }).number;

    const identity = (kind: "container" | "spanner" | "artifactregistry") =>
      new projects.ServiceIdentity(
        `${name}-${kind}-agent`,
        { project: args.project, service: `${kind}.googleapis.com` },
        { parent: this, dependsOn: [this.apis[kind]] },
      );
    this.identities = { container: identity("container"), spanner: identity("spanner"), artifactregistry: identity("artifactregistry") };

    // The email waits for `creator` (its id is part of the expression), so grants on it are ordered after it.
    const agent = (kind: AgentKind, creator: pulumi.CustomResource): ServiceAgent => {
      const email = pulumi.all([creator.id, this.projectNumber]).apply(([, n]) => serviceAgentEmail(kind, n));
      return { email, member: pulumi.interpolate`serviceAccount:${email}`, dependsOn: [creator] };
    };

    // Calling the storage service-account endpoint creates the agent if it does not exist yet.
    const gcs = storage.getProjectServiceAccountOutput({ project: args.project }, { parent: this, dependsOn: [this.apis.storage] });

    this.agents = {
      container: agent("container", this.identities.container),
      spanner: agent("spanner", this.identities.spanner),
      artifactregistry: agent("artifactregistry", this.identities.artifactregistry),
      compute: agent("compute", this.apis.compute),
      storage: { email: gcs.emailAddress, member: gcs.member, dependsOn: [this.apis.storage] },
    };

    this.registerOutputs({
      apis: this.apis,
      projectNumber: this.projectNumber,
      agentEmails: Object.fromEntries(Object.entries(this.agents).map(([k, a]) => [k, a.email])),
    });
  }
}
