// Runs a CLI's main() in-process (a process costs seconds: it loads the SDKs again) and captures what it prints.
// Stacks are planned with sharedPlanner (test/support/cli.ts): one plan per stack config per worker.
import type { Io } from "../../src/cli/common.js";
import { sharedPlanner } from "../support/cli.js";

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function run(main: (argv: string[], io: Io) => Promise<number> | number, ...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), planStack: sharedPlanner });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
