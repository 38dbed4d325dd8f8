// One offline plan per stack per test worker, shared by every test file that reads it: a whole-stack plan costs
// about a second, and half a dozen files read the prod and enterprise plans. Each caller gets its own deep copy, so
// a test that punches a hole into its plan changes nothing for the next one.
import { planStack, type StackExport } from "../../src/plan/plan.js";

const plans = new Map<string, Promise<StackExport>>();

/** The plan of `Pulumi.<stack>.yaml`, as `npm run plan -- --stack <stack>` makes it; a private copy per call. */
export async function sharedPlan(stack: string): Promise<StackExport> {
  let plan = plans.get(stack);
  if (!plan) {
    plan = planStack({ stack });
    plans.set(stack, plan);
  }
  return structuredClone(await plan);
}
