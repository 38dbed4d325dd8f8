// The bench scripts' command lines, with the CLIs' conventions (src/cli/common.ts, README "Command lines"):
// `--help` prints the usage and exits 0, a mistake is one line and exit 2, a stack that does not exist is named
// with the stacks there are. Plain JavaScript, as the bench scripts run without a TypeScript loader.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** Prints `error: <message>` and exits 2. */
export function usageError(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** Parses `argv` strictly against `options`; `--help`/`-h` prints `usage` and exits 0, a bad flag exits 2. */
export function benchArgs(argv, options, usage) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return usageError(`${e.message.split("\n")[0].replace(/\. To specify a positional argument.*$/, "")} (see --help)`);
  }
}

/** A whole number of at least 1, or exit 2 naming the flag. */
export function positiveInt(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usageError(`--${flag} must be a whole number of at least 1 (got '${value}')`);
  return n;
}

/** Exits 2 unless `<dir>/Pulumi.<stack>.yaml` exists, naming the stacks there are. */
export function requireStack(stack, dir) {
  const stacks = readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s) => s !== undefined)
    .sort();
  if (!stacks.includes(stack))
    usageError(`no stack '${stack}': ${join(dir, `Pulumi.${stack}.yaml`)} does not exist; stacks here: ${stacks.join(", ") || "none"}`);
}
