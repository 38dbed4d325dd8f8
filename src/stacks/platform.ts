// An environment stack (prod, staging, ...): the platform in the existing project `gumstack:project`.
import type { Settings } from "../config/index.js";
import { buildCore } from "./core.js";

export async function buildPlatform(settings: Settings): Promise<Record<string, unknown>> {
  // Enterprise stacks bill their Billing Budgets, Cloud Billing and Cloud Quotas calls to the platform project (their
  // quotaProject, default enterprise.platformProject), so those APIs must be enabled here, where the calls are billed.
  return buildCore(settings, { billingBudgets: true, quotaProjectApis: true }).outputs;
}
