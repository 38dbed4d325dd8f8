// `npm run fleet -- [--out <dir>] [--dir <stack files dir>]`
// Plans every Pulumi.<stack>.yaml offline, checks each against the policy pack with pack config derived from
// that stack, and writes <out>/<stack>.md and .json per stack plus summary.md and summary.json. Exit codes:
// src/cli/common.ts (0 every stack passed, 1 a violation or a refused stack config, 2 usage or no stacks).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackReport } from "../policy/fleetReport.js";
import type { DomainStack } from "../config/enterpriseDomains.js";
import type { NamedStack } from "../config/stackSet.js";
import { EXIT, UsageError, consoleIo, listStacks, makeDirectory, oneLine, parseCli, runMain, writeError, type Io } from "./common.js";

/**
 * The planning, checking and report modules, loaded after the arguments are parsed: their imports load
 * @pulumi/pulumi (about 0.6 s of CPU), which --help and a usage error do not need.
 */
async function load() {
  const mods = await Promise.all([
    import("../policy/check.js"),
    import("../policy/export.js"),
    import("../policy/fleetReport.js"),
    import("../policy/packConfig.js"),
    import("../config/enterpriseDomains.js"),
    import("../config/stackSet.js"),
    import("./stacks.js"),
  ]);
  return Object.assign({}, ...mods) as (typeof mods)[0] &
    (typeof mods)[1] &
    (typeof mods)[2] &
    (typeof mods)[3] &
    (typeof mods)[4] &
    (typeof mods)[5] &
    (typeof mods)[6];
}
type Loaded = Awaited<ReturnType<typeof load>>;

export const USAGE = `usage: npm run fleet -- [--out <dir>] [--dir <dir>]

Plans every Pulumi.<stack>.yaml offline and checks each plan against the policy pack, with pack config derived
from that stack's own config. Writes, per stack, <stack>.md and <stack>.json (resources by type, violations,
isolation evidence, the MCP namespace, the outputs with secrets masked), and summary.md and summary.json.

  --out <dir>   where the reports go (default fleet-report)
  --dir <dir>   where the stack files are (default the current directory)
  -h, --help    this text

Exit: 0 every stack passed; 1 a mandatory violation or a refused stack config; 2 usage, no stacks, or the
reports cannot be written.`;

async function checkOne(
  m: Loaded,
  stack: string,
  dir: string,
  configs: (NamedStack & DomainStack)[],
  planStack: Io["planStack"],
): Promise<StackReport> {
  const { planForCli, StackRefused, refusedReport, parseExport, checkStack, packValuesFromConfig, teardownLevels, stackReport } = m;
  let planned;
  try {
    planned = await planForCli(stack, { dir, planStack });
    configs.push({ stack, config: planned.config });
  } catch (e) {
    if (e instanceof StackRefused || e instanceof UsageError) return refusedReport(stack, e.message);
    throw e;
  }
  const source = `the offline plan of stack '${stack}'`;
  const resources = parseExport(JSON.stringify(planned.plan), source);
  try {
    const check = await checkStack(resources, source, packValuesFromConfig(planned.config), teardownLevels(planned.config));
    return stackReport(stack, resources, check, planned.plan.mockValues);
  } catch (e) {
    return refusedReport(stack, oneLine(e));
  }
}

export const OPTIONS = { out: { type: "string" }, dir: { type: "string" } } as const;

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const reports: StackReport[] = [];
  let acrossStacks: string[] = [];
  let out: string;
  try {
    const parsed = parseCli(argv, OPTIONS);
    if (parsed === "help") {
      io.out(USAGE);
      return EXIT.ok;
    }
    out = parsed.values.out ?? "fleet-report";
    const dir = parsed.values.dir ?? process.cwd();
    const stacks = listStacks(dir);
    if (stacks.length === 0) throw new UsageError(`no Pulumi.<stack>.yaml files in ${dir}`);
    // Where the reports go is made first: a path that cannot hold them fails before minutes of planning.
    try {
      makeDirectory(out);
    } catch (e) {
      throw writeError(out, e);
    }
    const m = await load();
    const { stackSetProblems, unreservedEnterpriseDomains, renderStackMarkdown, renderSummaryMarkdown } = m;
    const configs: (NamedStack & DomainStack)[] = [];
    for (const stack of stacks) {
      const r = await checkOne(m, stack, dir, configs, io.planStack);
      const n = r.violations.filter((d) => d.level === "mandatory").length;
      io.out(
        `${r.status.padEnd(10)} ${stack}: ${r.resourceCount} resources, ${n} mandatory violation${n === 1 ? "" : "s"}${r.error ? `: ${oneLine(r.error)}` : ""}`,
      );
      reports.push(r);
    }
    // What no single stack can see: two stacks in one project, one name made twice (src/config/stackSet.ts), or an
    // enterprise domain under a platform domain that the platform stack does not reserve (src/config/enterpriseDomains.ts).
    acrossStacks = [...stackSetProblems(configs), ...unreservedEnterpriseDomains(configs)];
    for (const p of acrossStacks) io.out(`refused    ${p}`);
    try {
      for (const r of reports) {
        writeFileSync(join(out, `${r.stack}.json`), `${JSON.stringify(r, null, 2)}\n`);
        writeFileSync(join(out, `${r.stack}.md`), renderStackMarkdown(r));
      }
      writeFileSync(
        join(out, "summary.json"),
        `${JSON.stringify({ passed: acrossStacks.length === 0 && reports.every((r) => r.status === "passed"), acrossStacks, stacks: reports.map(({ stack, status, resourceCount, mcpNamespace }) => ({ stack, status, resourceCount, mcpNamespace })) }, null, 2)}\n`,
      );
      writeFileSync(join(out, "summary.md"), renderSummaryMarkdown(reports));
    } catch (e) {
      throw writeError(out, e);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  const failed = reports.filter((r) => r.status !== "passed");
  const ok = failed.length === 0 && acrossStacks.length === 0;
  io.out(
    `${ok ? "PASSED" : "FAILED"}: ${reports.length - failed.length} of ${reports.length} stacks passed${acrossStacks.length ? `, ${acrossStacks.length} problem(s) across stacks` : ""}; reports in ${out}/`,
  );
  return ok ? EXIT.ok : EXIT.refused;
}

runMain(import.meta.url, main);
