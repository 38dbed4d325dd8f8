// What every command line of this repository shares: `--help`, one-line errors, and the same exit code for the
// same kind of failure.
//
//   0  done: the plan was made, the stack passed, the file was written
//   1  the stack was checked and refused: invalid stack config, mandatory policy violations, an MCP namespace
//      the check cannot find (isolation that cannot be verified)
//   2  the command could not do what was asked: usage (unknown flag, missing argument), a stack or file that
//      does not exist or cannot be read or written, malformed input (JSON, export, template, pack config)
//
// A CLI's `main(argv, io)` returns the code and never throws for the user's mistakes; scripts call `runMain`,
// which turns anything unexpected into one line (the stack trace only with GUMSTACK_DEBUG=1).
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { PlanOptions, StackExport } from "../plan/plan.js";

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Plans a stack offline: `planStack` of src/plan/plan.ts, or a stand-in with its contract (tests share one plan per config). */
export type Planner = (options: PlanOptions) => Promise<StackExport>;

/** Where a CLI writes: stdout and stderr, replaceable so tests run `main` in-process. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** What the CLI plans a stack with. Default: src/plan/plan.ts's planStack, loaded only when a stack is planned. */
  readonly planStack?: Planner;
}
export const consoleIo: Io = { out: (s) => console.log(s), err: (s) => console.error(s) };

/** The user asked for something the command cannot do (exit 2); `message` is the one line to print. */
export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;
export type Parsed<O extends Options> = {
  values: { [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : string };
  positionals: string[];
};

/** `--help` or `-h` among the arguments: the CLI prints its usage and exits 0, whatever else was given. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/**
 * Parses `argv` with node's parseArgs (strict: an unknown flag is an error). Returns "help" when `--help`/`-h`
 * is given (the caller prints its usage and exits 0), throws UsageError naming the bad flag otherwise.
 */
export function parseCli<O extends Options>(argv: readonly string[], options: O, allowPositionals = false): Parsed<O> | "help" {
  if (wantsHelp(argv)) return "help";
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals, strict: true });
    return { values: values as Parsed<O>["values"], positionals };
  } catch (e) {
    // node's messages are one line already ("Unknown option '--x'. To specify a positional argument, ...").
    throw new UsageError(((e as Error).message.split("\n")[0] ?? "").replace(/\. To specify a positional argument.*$/, ""));
  }
}

/** The stacks there are: the names of the `Pulumi.<stack>.yaml` files in `dir`. */
export function listStacks(dir = process.cwd()): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The one-line error for a stack without a stack file, naming the stacks there are. */
export function missingStack(stack: string, dir = process.cwd()): UsageError {
  const stacks = listStacks(dir);
  return new UsageError(
    `no stack '${stack}': ${resolve(dir, `Pulumi.${stack}.yaml`)} does not exist; stacks here: ${stacks.length ? stacks.join(", ") : "none"}`,
  );
}

/** One line for a failed write (`--json`, `--out`): the path and the system's reason. */
export function writeError(path: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  return new UsageError(`cannot write ${path}: ${code ?? (e as Error).message}`);
}

/**
 * `mkdir -p` that fails instead of spinning: node's recursive mkdir takes ENOENT to mean "make the parent first"
 * and retries forever where the parent exists but refuses children with ENOENT (procfs: `--out /proc/x` spun at
 * 100% CPU). Each missing directory is made on its own, so the first refusal is thrown with the system's code.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const d of missing) mkdirSync(d);
}

/** The first line of an error's message (multi-line config errors are printed whole by their callers). */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

/**
 * Runs `main` when `moduleUrl` is the script node was started with (so tests import `main` without running it),
 * then exits with its code: Pulumi's runtime keeps handles open.
 */
export function runMain(moduleUrl: string, main: (argv: string[], io: Io) => Promise<number> | number): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  Promise.resolve()
    .then(() => main(process.argv.slice(2), consoleIo))
    .then(
      (code) => process.exit(code),
      (e: unknown) => {
        console.error(`error: ${oneLine(e)}`);
        if (process.env.GUMSTACK_DEBUG === "1" && e instanceof Error && e.stack) console.error(e.stack);
        process.exit(EXIT.usage);
      },
    );
}
