// `npm run plan -- --stack <name> [--config-file <path>] [--json <file>]`
// Plans a stack offline (no credentials, no network) and prints what `pulumi preview` would create.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { planStack, type PlannedResource, type StackExport } from "../plan/plan.js";

const USAGE = "usage: npm run plan -- --stack <name> [--config-file <path>] [--json <file>]";

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

export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "config-file": { type: "string" }, json: { type: "string" }, quiet: { type: "boolean" } },
      strict: true,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.stack) {
    err(`--stack is required\n${USAGE}`);
    return 2;
  }
  // Pulumi records `new Error().stack` on every promise it makes, for a leak report it prints only under
  // PULUMI_DEBUG_PROMISE_LEAKS (@pulumi/pulumi runtime/debuggable.js); formatting those stacks is an eighth of a plan.
  // This command prints error messages, not stacks: it records none, unless the leak report or GUMSTACK_STACK_TRACES
  // asks for them.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS && !process.env.GUMSTACK_STACK_TRACES) Error.stackTraceLimit = 0;
  let plan: StackExport;
  try {
    plan = await planStack({ stack: values.stack, ...(values["config-file"] ? { configFile: values["config-file"] } : {}) });
  } catch (e) {
    err(`error: plan of stack '${values.stack}' failed\n${(e as Error).message}`);
    return 1;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const resources = plan.deployment.resources;
  if (!values.quiet) {
    out(`Previewing stack '${values.stack}' offline (mock engine, no credentials)\n`);
    out(renderTree(resources));
    out("");
  }
  out(summarize(resources));
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify(plan, null, 2)}\n`);
    out(`\nPlan written to ${values.json} (pulumi stack export format, version 3)`);
  }
  return 0;
}

// Run only as a script (or as its bundle, dist/plan.mjs), so tests can call main() in-process. Pulumi's runtime
// keeps handles open: exit explicitly with the result.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
