import * as billing from "../sdk/gcp/billing.js";
import * as cloudquota from "../sdk/gcp/cloudquota.js";
import * as organizations from "../sdk/gcp/organizations.js";
import * as projects from "../sdk/gcp/projects.js";
import type * as types from "@pulumi/gcp/types/index.js";
import { Provider as GcpProvider } from "@pulumi/gcp/provider.js";
import * as pulumi from "@pulumi/pulumi";

export interface CustomerProjectArgs {
  /** Customer id; used in the project's display name and labels. Required. */
  readonly customer: string;
  /** Project id to create. Required. */
  readonly projectId: string;
  /** Numeric id of the folder the project is created in. Required. */
  readonly folderId: string;
  /** Billing account paying for the project, XXXXXX-XXXXXX-XXXXXX. Required. */
  readonly billingAccount: string;
  /** Monthly budget amount, whole units of `budgetCurrency`. Required. */
  readonly budgetAmount: number;
  /** ISO currency of the budget; must be the billing account's currency. Required. */
  readonly budgetCurrency: string;
  /** Alert thresholds as fractions of the budget (1.0 = 100%). Required. */
  readonly budgetThresholds: readonly number[];
  /**
   * Project the Billing Budgets API calls are billed to (it must have billingbudgets.googleapis.com enabled):
   * the budget API refuses calls without a quota project when the caller is a service account. Required.
   */
  readonly quotaProject: string;
  /**
   * Compute Engine quota the project asks Cloud Quotas for once it exists (the node pools at their maximum plus an
   * upgrade's surge): one `cloudquota.SQuotaPreference` each, created after the project and the Cloud Quotas API in
   * it; `quotaReady` lists them. Region undefined: a quota across all regions. Default [] (none asked for).
   */
  readonly quotaRequests?: readonly { readonly quotaId: string; readonly region?: string; readonly value: number }[];
  /**
   * Deliberate offboarding: deletionPolicy DELETE, so a destroy shuts the project down (recoverable for 30 days:
   * https://cloud.google.com/resource-manager/docs/creating-managing-projects#shutting_down_projects).
   * Default false (PREVENT).
   */
  readonly allowDestroy?: boolean;
}

/**
 * APIs the quota project must have besides Billing Budgets: Cloud Billing, because linking the new project to its
 * billing account (projects.updateBillingInfo, and the provider's billingAccounts.testIamPermissions check before
 * it, resource_google_project.go) is billed there; Cloud Quotas, because the quota preferences are; and Resource
 * Manager and Service Usage, for the project's creation. Every call of this component goes out with that project
 * as its quota project (userProjectOverride, https://cloud.google.com/docs/quotas/set-quota-project). The platform
 * stack enables them in its own project (ProjectServices, quotaProjectApis); another quota project needs them enabled by hand.
 */
export const QUOTA_PROJECT_REQUIRED_APIS = [
  "cloudbilling",
  "cloudquotas",
  "billingbudgets",
  "cloudresourcemanager",
  "serviceusage",
] as const;

/** Budget threshold rules for the fractions, each on current spend. */
export function budgetThresholdRules(thresholds: readonly number[]): types.input.billing.BudgetThresholdRule[] {
  return [...thresholds].sort((a, b) => a - b).map((thresholdPercent) => ({ thresholdPercent, spendBasis: "CURRENT_SPEND" }));
}

/**
 * The enterprise customer's dedicated GCP project: created in the configured folder on the configured billing
 * account with no default network, protected from deletion, with a monthly budget and alerts.
 */
export class CustomerProject extends pulumi.ComponentResource {
  /** The created project; every resource of the customer's stack names `projectId` explicitly. */
  readonly project: organizations.Project;
  /** The project id, resolved only once the project exists (so dependents wait for it). */
  readonly projectId: pulumi.Output<string>;
  /** The project number. */
  readonly projectNumber: pulumi.Output<string>;
  readonly budget: billing.Budget;
  /** The Cloud Quotas preferences; what must exist before the cluster's creation counts against the quota. */
  readonly quotaReady: readonly pulumi.Resource[];

  constructor(name: string, args: CustomerProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:enterprise:CustomerProject", name, {}, opts);

    // Budgets are billing-account resources; the API needs a quota project for service-account callers. The
    // project's creation and billing link, and the quota preferences, are billed there too: one provider for all.
    const billingProvider = new GcpProvider(
      `${name}-billing`,
      { project: args.quotaProject, billingProject: args.quotaProject, userProjectOverride: true },
      { parent: this },
    );
    this.project = new organizations.Project(
      `${name}-project`,
      {
        projectId: args.projectId,
        name: `Gumstack ${args.customer}`.slice(0, 30),
        folderId: args.folderId,
        billingAccount: args.billingAccount,
        // The default network has permissive firewall rules; the stack builds its own VPC.
        autoCreateNetwork: false,
        // A customer's data lives here: deleting the project must never be a side effect of `pulumi up`.
        deletionPolicy: args.allowDestroy ? "DELETE" : "PREVENT",
        labels: { "gumstack-customer": args.customer, "managed-by": "pulumi" },
      },
      { parent: this, protect: true, provider: billingProvider },
    );
    this.projectId = this.project.projectId;
    this.projectNumber = this.project.number;

    // Quota for the node pools, asked for as soon as the project exists. An increase needs a contact with quota
    // update permission on the project: the deploying identity. Safety check QUOTA_DECREASE_PERCENTAGE_TOO_HIGH is
    // waived: a new project's default may be above what the stack needs, and the preference then lowers it to that
    // need (still above what the stack ever uses) instead of failing the deploy.
    const requests = args.quotaRequests ?? [];
    if (requests.length > 0) {
      const quotasApi = new projects.Service(
        `${name}-cloudquotas`,
        {
          project: this.project.projectId,
          service: "cloudquotas.googleapis.com",
          disableOnDestroy: false,
          disableDependentServices: false,
        },
        { parent: this, provider: billingProvider },
      );
      const contact = organizations.getClientOpenIdUserInfoOutput({ parent: this, provider: billingProvider }).email;
      this.quotaReady = requests.map(
        (q) =>
          new cloudquota.SQuotaPreference(
            `${name}-quota-${q.quotaId}`,
            {
              parent: pulumi.interpolate`projects/${this.project.projectId}`,
              name: `compute_googleapis_com-${q.quotaId}${q.region ? `_${q.region}` : ""}`,
              service: "compute.googleapis.com",
              quotaId: q.quotaId,
              ...(q.region ? { dimensions: { region: q.region } } : {}),
              quotaConfig: { preferredValue: String(q.value) },
              contactEmail: contact,
              justification: `Gumstack ${args.customer}: GKE node pools at their maximum size plus upgrade surge`,
              ignoreSafetyChecks: "QUOTA_DECREASE_PERCENTAGE_TOO_HIGH",
            },
            { parent: this, provider: billingProvider, dependsOn: [quotasApi] },
          ),
      );
    } else {
      this.quotaReady = [];
    }

    this.budget = new billing.Budget(
      `${name}-budget`,
      {
        billingAccount: args.billingAccount,
        displayName: `gumstack-${args.customer}`.slice(0, 60),
        budgetFilter: {
          projects: [pulumi.interpolate`projects/${this.project.number}`],
          calendarPeriod: "MONTH",
        },
        amount: { specifiedAmount: { currencyCode: args.budgetCurrency, units: String(args.budgetAmount) } },
        thresholdRules: budgetThresholdRules(args.budgetThresholds),
      },
      { parent: this, provider: billingProvider },
    );

    this.registerOutputs({ projectId: this.projectId, projectNumber: this.projectNumber });
  }
}
