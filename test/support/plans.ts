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
import { readStackFile, type StackFileConfig } from "../../src/plan/stackFile.js";

/** A digest for the canary of `withCanaryOn` (any 64 hex; not the stack files' placeholder). */
export const TEST_CANARY_DIGEST = `sha256:${"c4a1".repeat(16)}`;

/**
 * The stack file's config with the isolation canary on (its image in the stack's tenant MCP repository): prod
 * starts with the canary off (enabled after its first deployment, README "Deploying for real"), and the canary's
 * tests plan prod as it runs from the second `up` on.
 */
export function withCanaryOn(file: StackFileConfig): StackFileConfig {
  const c = file.config;
  const env = c["gumstack:environment"]!;
  const repo = (JSON.parse(c["gumstack:artifactRegistry"] ?? "{}") as { repositoryId?: string }).repositoryId ?? `mcp-${env}`;
  const canary = { ...(JSON.parse(c["gumstack:canary"] ?? "{}") as object), enabled: true };
  const image = `${c["gumstack:region"]}-docker.pkg.dev/${c["gumstack:project"]}/${repo}/gumstack-canary/canary@${TEST_CANARY_DIGEST}`;
  return { ...file, config: { ...c, "gumstack:canary": JSON.stringify({ ...canary, image }) } };
}

const plans = new Map<string, Promise<StackExport>>();

/** The plan of `stack`, by this worker or read from the one that planned it first. */
async function planOnce(stack: string, canaryOn = false): Promise<StackExport> {
  const dir = inject("planDir");
  const id = canaryOn ? `${stack}+canary` : stack;
  const done = join(dir, `${id}.json`);
  const failed = join(dir, `${id}.error`);
  try {
    writeFileSync(join(dir, `${id}.lock`), String(process.pid), { flag: "wx" });
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
    const plan = await planStack(canaryOn ? { stack, stackConfig: withCanaryOn(readStackFile(`Pulumi.${stack}.yaml`)) } : { stack });
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

/**
 * The plan of `Pulumi.<stack>.yaml` with the isolation canary on: the stack's own plan when its file enables it,
 * else the file with `withCanaryOn` (planned once per run, like sharedPlan).
 */
export async function sharedCanaryPlan(stack: string): Promise<StackExport> {
  const file = readStackFile(`Pulumi.${stack}.yaml`);
  const on = (JSON.parse(file.config["gumstack:canary"] ?? "{}") as { enabled?: unknown }).enabled;
  if (on === true || on === "true") return sharedPlan(stack);
  const key = `${stack}+canary`;
  let plan = plans.get(key);
  if (!plan) {
    plan = planOnce(stack, true);
    plans.set(key, plan);
  }
  return structuredClone(await plan);
}
