// `npm run critical-path -- --stack <name> [--config-file <path>] | <plan.json>`
// Plans the stack offline (or reads a plan / `pulumi stack export`) and prints the first deploy's critical path:
// the longest chain through the dependency graph, each resource weighted by its typical creation time (the table
// in src/plan/criticalPath.ts, with its basis), against the unavoidable chain that ends at the KnativeServing.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { criticalPaths, weightOf, type PathStep } from "../plan/criticalPath.js";
import type { PlannedResource } from "../plan/plan.js";
import type { Io } from "./common.js";

const USAGE = "usage: npm run critical-path -- --stack <name> [--config-file <path>]   |   npm run critical-path -- <plan.json>";
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
  let values: { stack?: string; "config-file"?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "config-file": { type: "string" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if ((values.stack ? 1 : 0) + positionals.length !== 1) {
    err(USAGE);
    return 2;
  }
  let resources: PlannedResource[];
  try {
    if (values.stack) {
      const options = { stack: values.stack, ...(values["config-file"] ? { configFile: values["config-file"] } : {}) };
      const plan = planStack ?? (await import("../plan/plan.js")).planStack;
      resources = (await plan(options)).deployment.resources;
    } else {
      resources = (JSON.parse(readFileSync(positionals[0]!, "utf8")) as { deployment: { resources: PlannedResource[] } }).deployment
        .resources;
    }
  } catch (e) {
    err(`error: ${(e as Error).message}`);
    return 1;
  }
  out(report(resources).text);
  return 0;
}

// Run only as a script (or its bundle), so tests can call main() in-process.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
