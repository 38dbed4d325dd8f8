import * as billing from "../sdk/gcp/billing.js";
import * as organizations from "../sdk/gcp/organizations.js";
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
   * Deliberate offboarding: deletionPolicy DELETE, so a destroy shuts the project down (recoverable for 30 days:
   * https://cloud.google.com/resource-manager/docs/creating-managing-projects#shutting_down_projects).
   * Default false (PREVENT).
   */
  readonly allowDestroy?: boolean;
}

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

  constructor(name: string, args: CustomerProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:enterprise:CustomerProject", name, {}, opts);

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
      { parent: this, protect: true },
    );
    this.projectId = this.project.projectId;
    this.projectNumber = this.project.number;

    // Budgets are billing-account resources; the API needs a quota project for service-account callers.
    const billingProvider = new GcpProvider(
      `${name}-billing`,
      { project: args.quotaProject, billingProject: args.quotaProject, userProjectOverride: true },
      { parent: this },
    );
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
