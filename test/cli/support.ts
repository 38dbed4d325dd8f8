// Runs a CLI's main() in-process (a tsx subprocess costs seconds) and captures what it prints.
import type { Io } from "../../src/cli/common.js";

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function run(main: (argv: string[], io: Io) => Promise<number> | number, ...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
