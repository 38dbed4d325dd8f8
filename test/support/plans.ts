// One offline plan per stack per test run, shared by every test file that reads it, in whichever worker: a
// whole-stack plan costs about a second, and a dozen files in both workers read the prod and enterprise plans. The
// first worker to ask plans the stack and leaves the plan (its JSON, the form `npm run plan` prints; a round trip
// changes nothing) in this run's directory (test/support/plan-dir.ts); a worker that asks meanwhile waits for it
// rather than plan it again. Each caller gets its own deep copy, so a test that punches a hole into its plan
// changes nothing for the next one.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";
import { planStack, type StackExport } from "../../src/plan/plan.js";

const plans = new Map<string, Promise<StackExport>>();

/** The plan of `stack`, by this worker or read from the one that planned it first. */
async function planOnce(stack: string): Promise<StackExport> {
  const dir = inject("planDir");
  const done = join(dir, `${stack}.json`);
  const failed = join(dir, `${stack}.error`);
  try {
    writeFileSync(join(dir, `${stack}.lock`), String(process.pid), { flag: "wx" });
  } catch {
    // Another worker holds the lock: it is planning this stack.
    for (let waited = 0; waited < 180_000; waited += 25) {
      if (existsSync(done)) return JSON.parse(readFileSync(done, "utf8")) as StackExport;
      if (existsSync(failed)) throw new Error(`planning ${stack} failed in another worker: ${readFileSync(failed, "utf8")}`);
      await sleep(25);
    }
    throw new Error(`no plan of ${stack} from the worker planning it after 180 s`);
  }
  try {
    const plan = await planStack({ stack });
    // Written whole, then renamed: a reader never sees half a plan.
    writeFileSync(`${done}.tmp`, JSON.stringify(plan));
    renameSync(`${done}.tmp`, done);
    return plan;
  } catch (err) {
    writeFileSync(failed, String((err as Error).message));
    throw err;
  }
}

/** The plan of `Pulumi.<stack>.yaml`, as `npm run plan -- --stack <stack>` makes it; a private copy per call. */
export async function sharedPlan(stack: string): Promise<StackExport> {
  let plan = plans.get(stack);
  if (!plan) {
    plan = planOnce(stack);
    plans.set(stack, plan);
  }
  return structuredClone(await plan);
}
