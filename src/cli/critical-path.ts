// `npm run critical-path -- --stack <name> [--config-file <path>] | <plan.json>`
// Plans the stack offline (or reads a plan / `pulumi stack export`) and prints the first deploy's critical path:
// the longest chain through the dependency graph, each resource weighted by its typical creation time (the table
// in src/plan/criticalPath.ts, with its basis), against the unavoidable chain that ends at the KnativeServing.
import { criticalPaths, weightOf, type PathStep } from "../plan/criticalPath.js";
import type { PlannedResource } from "../plan/plan.js";
import { ExportError, readExport } from "../policy/export.js";
import { EXIT, UsageError, parseCli, runMain, type Io } from "./common.js";

export const USAGE = `usage: npm run critical-path -- --stack <name> [--config-file <path>]
       npm run critical-path -- <plan-or-export.json>

Plans the stack offline (or reads a plan, npm run plan -- --json, or a \`pulumi stack export\`) and prints the
first deploy's critical path: the longest chain through the dependency graph, each resource weighted by its
typical creation time (src/plan/criticalPath.ts, with its basis), against the unavoidable chain that ends at
the KnativeServing.

  --stack <name>        plan Pulumi.<name>.yaml offline
  --config-file <path>  with --stack: read the config from this stack file
  -h, --help            this text

Exit: 0 printed; 1 the stack's config is refused; 2 usage, a missing stack, or an unreadable or malformed file.`;

export const OPTIONS = { stack: { type: "string" }, "config-file": { type: "string" } } as const;
const KNATIVE_SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing";

const minutes = (s: number) => `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

function render(title: string, steps: readonly PathStep[], resources: readonly PlannedResource[]): string[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const width = Math.max(...steps.map((s) => nameOf(s.urn).length));
  return [
    `${title}: ${minutes(steps.at(-1)?.finish ?? 0)}`,
    ...steps.map(
      (s) =>
        `  ${minutes(s.finish).padStart(6)}  +${String(s.seconds).padStart(3)} s  ${nameOf(s.urn).padEnd(width)}  ${s.type}  (${weightOf(byUrn.get(s.urn)!).basis})`,
    ),
  ];
}

/** Renders the report; returns it with the excess of the critical path over the KnativeServing chain, in percent. */
export function report(resources: readonly PlannedResource[]): { text: string; excessPercent: number | undefined } {
  const { critical, pathTo } = criticalPaths(resources);
  const lines = render("critical path", critical, resources);
  const serving = resources.find((r) => r.type === KNATIVE_SERVING);
  let excessPercent: number | undefined;
  if (serving) {
    const chain = pathTo(serving.urn);
    const total = critical.at(-1)?.finish ?? 0;
    const unavoidable = chain.at(-1)?.finish ?? 0;
    excessPercent = unavoidable > 0 ? (100 * (total - unavoidable)) / unavoidable : undefined;
    lines.push("", ...render("unavoidable chain (to the KnativeServing)", chain, resources));
    lines.push("", `critical path exceeds the unavoidable chain by ${minutes(total - unavoidable)} (${excessPercent?.toFixed(1)}%)`);
  }
  return { text: lines.join("\n"), excessPercent };
}

export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  { planStack }: Pick<Io, "planStack"> = {},
): Promise<number> {
  let resources: readonly PlannedResource[];
  // Loaded only to plan a stack: its imports load @pulumi/pulumi (about 0.6 s of CPU), which --help, a usage
  // error and a plan file do not need.
  let stacks: typeof import("./stacks.js") | undefined;
  try {
    const parsed = parseCli(argv, OPTIONS, true);
    if (parsed === "help") {
      out(USAGE);
      return EXIT.ok;
    }
    const { values, positionals } = parsed;
    if ((values.stack ? 1 : 0) + positionals.length !== 1)
      throw new UsageError("give either --stack <name> or one plan/export file (see --help)");
    if (values.stack) {
      stacks = await import("./stacks.js");
      resources = (await stacks.planForCli(values.stack, { configFile: values["config-file"], planStack })).plan.deployment.resources;
    }
    // An export's resources carry what the path reads (urn, type, dependencies, propertyDependencies).
    else resources = readExport(positionals[0]!) as unknown as PlannedResource[];
  } catch (e) {
    if (stacks && e instanceof stacks.StackRefused) {
      err(`error: ${e.message}`);
      return EXIT.refused;
    }
    if (e instanceof UsageError || e instanceof ExportError) {
      err(`error: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  out(report(resources).text);
  return EXIT.ok;
}

runMain(import.meta.url, (argv, io) => main(argv, io.out, io.err, io));
