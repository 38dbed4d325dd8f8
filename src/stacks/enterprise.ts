// An enterprise customer's stack: a dedicated project, then the whole platform inside it. The only resources
// outside that project are read grants on the platform-images repository for the customer's system and
// backend node accounts (components/gcp/serviceAccounts.ts); never any grant on prod's tenant MCP repository.
// The customer's MCP server images live in the customer's own tenant repository.
import * as pulumi from "@pulumi/pulumi";
import { CustomerProject } from "../../components/enterprise/customerProject.js";
import type { Settings } from "../config/index.js";
import { quotaRequests } from "../config/quota.js";
import { buildCore } from "./core.js";

export async function buildEnterprise(settings: Settings): Promise<Record<string, unknown>> {
  const enterprise = settings.enterprise;
  if (!enterprise) throw new pulumi.RunError("gumstack:enterprise is required for an enterprise stack");

  const customer = new CustomerProject("customer", {
    customer: enterprise.customer,
    projectId: settings.project,
    folderId: enterprise.folderId,
    billingAccount: enterprise.billingAccount,
    budgetAmount: enterprise.budgetAmount,
    budgetCurrency: enterprise.budgetCurrency,
    budgetThresholds: enterprise.budgetThresholds,
    quotaProject: enterprise.quotaProject ?? enterprise.platformProject,
    // A new project's default quota is far below the pools' maximum, and nobody can raise it before this `up`
    // creates the project: the stack asks Cloud Quotas itself, before the cluster (docs/deploy-traps.md).
    quotaRequests: quotaRequests(settings),
    allowDestroy: settings.allowDestroy,
  });

  const core = buildCore(settings, {
    createdProjectId: customer.projectId,
    projectNumber: customer.projectNumber,
    billingBudgets: true,
    clusterDependsOn: customer.quotaReady,
  });

  return {
    ...core.outputs,
    customer: enterprise.customer,
    projectNumber: customer.projectNumber,
    folderId: enterprise.folderId,
  };
}
