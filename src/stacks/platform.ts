// An environment stack (prod, staging, ...): the platform in the existing project `gumstack:project`.
import type { Settings } from "../config/index.js";
import { buildCore } from "./core.js";

export async function buildPlatform(settings: Settings): Promise<Record<string, unknown>> {
  // Enterprise stacks bill their Billing Budgets calls to the platform project (their quotaProject, default
  // enterprise.platformProject), so the API must be enabled here, where the call is billed.
  return buildCore(settings, { billingBudgets: true }).outputs;
}
