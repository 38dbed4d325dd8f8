// The command lines, run as a test needs them: in-process through their main() with a planner that shares one
// plan per stack config per worker, or as the bundles `npm run` executes, in a real process.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { Planner } from "../../src/cli/common.js";
import { planStack, type StackExport } from "../../src/plan/plan.js";
import { readStackFile } from "../../src/plan/stackFile.js";
import { buildClis } from "../../scripts/build.mjs";
import { sharedPlan } from "./plans.js";

/** The stack files test/support/plans.ts plans once per worker for every file that reads them. */
const COMMITTED = ["prod", "enterprise"];
const plans = new Map<string, Promise<StackExport>>();

/**
 * planStack, once per worker for each stack name and config: a CLI's main() run in-process with it plans what it
 * would plan, from the config it read, and gets a private copy. The committed stacks' plans are sharedPlan's.
 * A program other than the real one (the bootstrap, a test's) is planned each time: a function is no cache key.
 * Pulumi's promise stacks are already quiet in every test worker (test/support/pulumi-reset.ts).
 */
export const sharedPlanner: Planner = async (options) => {
  if (options.program) return planStack(options);
  const stackConfig =
    options.stackConfig ?? readStackFile(options.configFile ?? join(options.dir ?? process.cwd(), `Pulumi.${options.stack}.yaml`));
  if (
    !options.project &&
    COMMITTED.includes(options.stack) &&
    isDeepStrictEqual(stackConfig, readStackFile(`Pulumi.${options.stack}.yaml`))
  )
    return sharedPlan(options.stack);
  const key = JSON.stringify([options.stack, options.project, stackConfig]);
  let plan = plans.get(key);
  if (!plan) {
    plan = planStack({ stack: options.stack, stackConfig, ...(options.project ? { project: options.project } : {}) });
    plans.set(key, plan);
    // A refused config is not kept: the next caller sees the error again, as planStack throws it each time.
    plan.catch(() => plans.delete(key));
  }
  return structuredClone(await plan);
};

let built: Promise<string[]> | undefined;

/** What a process printed and how it ended. */
export interface ProcessResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the bundle of `cli` (.build/cli/<cli>.mjs, as `npm run <cli>` does after scripts/build.mjs) in its own
 * process with node, asynchronously (the worker's other work goes on). The bundles are built once per worker,
 * and not at all when scripts/build.mjs finds them up to date.
 */
export async function runBundle(
  cli: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  built ??= buildClis();
  const bundle = (await built).find((b) => b.endsWith(`/${cli}.mjs`));
  if (!bundle) throw new Error(`no bundle for ${cli}: scripts/build.mjs builds ${(await built).join(", ")}`);
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [join(process.cwd(), bundle), ...args],
      { encoding: "utf8", maxBuffer: 1 << 26, ...options },
      (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
}
