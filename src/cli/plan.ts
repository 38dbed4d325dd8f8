// `npm run plan -- --stack <name> [--config-file <path>] [--json <file>] [--quiet]`
// Plans a stack offline (no credentials, no network) and prints what `pulumi preview` would create.
// Exit codes: src/cli/common.ts (0 planned, 1 the stack's config is refused, 2 usage or unreadable input).
import { writeFileSync } from "node:fs";
import { MOCK_MARK, markInvented, markedExport, maskSecrets } from "../plan/outputs.js";
import type { PlannedResource, StackExport } from "../plan/plan.js";
import { EXIT, UsageError, consoleIo, parseCli, runMain, writeError, type Io } from "./common.js";
import { renderQuota } from "../config/quota.js";
import { planBootstrapForCli, planForCli, StackRefused } from "./stacks.js";

export const USAGE = `usage: npm run plan -- --stack <name> [--program platform|bootstrap] [--config-file <path>] [--json <file>] [--quiet]

Plans the stack offline under Pulumi's mock engine (no credentials, no network) and prints the resource tree,
a count by type and the stack outputs (secrets masked), like \`pulumi preview\`, and the Compute Engine quota
the node pools need at their minimum and maximum sizes.

  --stack <name>        the stack: config from Pulumi.<name>.yaml
  --program <name>      platform (default: the program in src/) or bootstrap (bootstrap/, its stack files there)
  --config-file <path>  read the config from this stack file instead
  --json <file>         also write the plan in the shape of \`pulumi stack export\` (version 3)
  --quiet               print only the count by type and the outputs
  -h, --help            this text

Exit: 0 planned; 1 the stack's config is refused (every problem listed); 2 usage or unreadable input.`;

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Renders the resources as a tree by parent, each line `type  name`, like `pulumi preview`. */
export function renderTree(resources: readonly PlannedResource[]): string {
  const children = new Map<string | undefined, PlannedResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    if (r.type.startsWith("pulumi:providers:") && !r.parent) continue;
    const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, prefix: string) => {
    const kids = children.get(parent) ?? [];
    kids.forEach((r, i) => {
      const last = i === kids.length - 1;
      const branch = parent === undefined ? "" : last ? "└─ " : "├─ ";
      lines.push(`${prefix}${branch}${r.external ? ">" : "+"} ${r.type}  ${nameOf(r.urn)}${r.protect ? "  [protected]" : ""}`);
      walk(r.urn, parent === undefined ? prefix : prefix + (last ? "   " : "│  "));
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

/** Counts resources by type, most numerous first. */
export function summarize(resources: readonly PlannedResource[]): string {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map(([t]) => t.length));
  const reads = resources.filter((r) => r.external).length;
  return [
    `Resources: ${resources.length - reads} to create${reads ? `, ${reads} to read` : ""}`,
    ...rows.map(([t, n]) => `  ${t.padEnd(width)}  ${n}`),
  ].join("\n");
}

/** The value of an output for people: secrets (masked in the plan already) as [secret], invented values marked, the rest as JSON. */
function showOutput(v: unknown, invented: readonly string[]): string {
  const m = markInvented(maskSecrets(v), invented);
  return typeof m === "string" ? m : JSON.stringify(m);
}

/** What the mark means, printed under the outputs when one carries it. */
export const MOCK_LEGEND = `${MOCK_MARK.trim()}: invented by the offline mock engine (an address, project number or id GCP assigns); a real \`pulumi up\` assigns it, \`pulumi preview\` shows it as unknown`;

/**
 * The stack's outputs, one `name: value` line each, like the Outputs section of `pulumi preview`; every string
 * holding a value the mock engine invented (`invented`, the plan's mockValues) marked.
 */
export function renderOutputs(resources: readonly PlannedResource[], invented: readonly string[] = []): string {
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const outputs = Object.entries(stack?.outputs ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (outputs.length === 0) return "Outputs: none";
  const lines = outputs.map(([k, v]) => `  ${k}: ${showOutput(v, invented)}`);
  return ["Outputs:", ...lines, ...(lines.some((l) => l.includes(MOCK_MARK)) ? ["", MOCK_LEGEND] : [])].join("\n");
}

export const OPTIONS = {
  stack: { type: "string" },
  program: { type: "string" },
  "config-file": { type: "string" },
  json: { type: "string" },
  quiet: { type: "boolean" },
} as const;

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const options = OPTIONS;
  let plan: StackExport;
  let quota: string | undefined;
  let values;
  try {
    const parsed = parseCli(argv, options);
    if (parsed === "help") {
      io.out(USAGE);
      return EXIT.ok;
    }
    values = parsed.values;
    if (!values.stack) throw new UsageError("--stack is required (see --help)");
    const which = values.program ?? "platform";
    if (which !== "platform" && which !== "bootstrap")
      throw new UsageError(`--program: '${which}' is not a program here; platform or bootstrap`);
    if (which === "bootstrap")
      plan = await planBootstrapForCli(values.stack, { configFile: values["config-file"], planStack: io.planStack });
    else {
      const planned = await planForCli(values.stack, { configFile: values["config-file"], planStack: io.planStack });
      plan = planned.plan;
      quota = renderQuota(planned.config);
    }
    if (values.json) {
      try {
        writeFileSync(values.json, `${JSON.stringify(markedExport(plan), null, 2)}\n`);
      } catch (e) {
        throw writeError(values.json, e);
      }
    }
  } catch (e) {
    if (e instanceof StackRefused) {
      io.err(`error: ${e.message}`);
      return EXIT.refused;
    }
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  const resources = plan.deployment.resources;
  if (!values.quiet) {
    io.out(`Previewing stack '${values.stack}' offline (mock engine, no credentials)\n`);
    io.out(renderTree(resources));
    io.out("");
  }
  io.out(summarize(resources));
  io.out("");
  io.out(renderOutputs(resources, plan.mockValues));
  if (quota) io.out(`\n${quota}`);
  if (values.json) io.out(`\nPlan written to ${values.json} (pulumi stack export format, version 3)`);
  return EXIT.ok;
}

runMain(import.meta.url, main);
