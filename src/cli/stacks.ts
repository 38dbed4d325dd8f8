// Finding a stack's config for a command line: a missing stack names the stacks there are, an unreadable or
// malformed stack file is one line naming the file (exit 2); what the config says is judged later (exit 1).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseAllConfig } from "../config/load.js";
import type { StackConfig } from "../config/schema.js";
import type { StackExport } from "../plan/plan.js";
import { readStackFile, type StackFileConfig } from "../plan/stackFile.js";
import { UsageError, missingStack, type Planner } from "./common.js";

/** Reads `--config-file` or `<dir>/Pulumi.<stack>.yaml`; throws UsageError. */
export function readStackForCli(stack: string, configFile?: string, dir = process.cwd()): StackFileConfig {
  const path = configFile ?? join(dir, `Pulumi.${stack}.yaml`);
  if (!configFile && !existsSync(path)) throw missingStack(stack, dir);
  try {
    return readStackFile(path);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\n/g, " "));
  }
}

/** The stack's config is refused (schema errors) or the program failed to plan it: exit 1, message multi-line. */
export class StackRefused extends Error {
  override name = "StackRefused";
}

/** Where a CLI's stack comes from: `--config-file`, the directory of the stack files, and the planner. */
export interface StackSource {
  readonly configFile?: string | undefined;
  /** Default: the current directory (the bootstrap's: bootstrap/). */
  readonly dir?: string;
  /** Default: src/plan/plan.ts's planStack, imported only here (planning imports the whole program). */
  readonly planStack?: Planner | undefined;
}

const defaultPlanner: Planner = async (options) => (await import("../plan/plan.js")).planStack(options);

/** The bootstrap program (bootstrap/), planned like a stack: `npm run plan -- --program bootstrap --stack admin`. */
export async function planBootstrapForCli(stack: string, source: StackSource = {}): Promise<StackExport> {
  const stackConfig = readStackForCli(stack, source.configFile, source.dir ?? "bootstrap");
  const { program } = await import("../../bootstrap/program.js");
  try {
    return await (source.planStack ?? defaultPlanner)({ stack, stackConfig, program, project: "gumstack-bootstrap" });
  } catch (e) {
    throw new StackRefused(`plan of bootstrap stack '${stack}' failed\n${(e as Error).message}`);
  }
}

/**
 * Plans a stack for a CLI, returning the plan and the validated config. Throws UsageError (missing or
 * unreadable stack) or StackRefused (config refused, plan failed).
 */
export async function planForCli(stack: string, source: StackSource = {}): Promise<{ plan: StackExport; config: StackConfig }> {
  const stackConfig = readStackForCli(stack, source.configFile, source.dir);
  let config: StackConfig;
  try {
    // Every namespace: the provider keys (gcp:project, gcp:region) must agree with the gumstack: ones.
    config = parseAllConfig(stackConfig.config, { secretKeys: stackConfig.secretKeys, stack });
  } catch (e) {
    throw new StackRefused(`plan of stack '${stack}' failed\n${(e as Error).message}`);
  }
  try {
    return { plan: await (source.planStack ?? defaultPlanner)({ stack, stackConfig }), config };
  } catch (e) {
    throw new StackRefused(`plan of stack '${stack}' failed\n${(e as Error).message}`);
  }
}
