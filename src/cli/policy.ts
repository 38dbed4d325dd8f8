// `npm run policy -- <plan-or-export.json> [--config <policy-pack-config.json>] [--json]`
// `npm run policy -- --stack <name> [--config-file <Pulumi.<stack>.yaml>] [--config ...] [--json]`
// Runs the CrossGuard pack offline, without credentials, over a plan (`npm run plan -- --json`), a real
// `pulumi stack export`, or a stack planned on the spot, with pack config that follows the stack (its config,
// or the Stack outputs of the file). Exit codes: src/cli/common.ts (0 passed, 1 mandatory violations or the
// stack's config refused, 2 usage or unreadable/malformed input).
import { readFileSync } from "node:fs";
import { markProse, unmarkExport } from "../plan/outputs.js";
import type { PolicyPackConfig } from "@pulumi/policy";
import { PackConfigError } from "../../policies/config.js";
import { PolicyConfigError } from "../policy/analyzer.js";
import { checkStack, teardownLevels, type StackCheck } from "../policy/check.js";
import { ExportError, parseExport, type ExportResource } from "../policy/export.js";
import { mergePackConfig, packValuesFromConfig } from "../policy/packConfig.js";
import { renderJson, renderText, summarize } from "../policy/report.js";
import { EXIT, UsageError, parseCli, runMain, type Io } from "./common.js";
import { planForCli, StackRefused } from "./stacks.js";

export const USAGE = `usage: npm run policy -- <plan-or-export.json> [--config <policy-pack-config.json>] [--json]
       npm run policy -- --stack <name> [--config-file <Pulumi.<stack>.yaml>] [--config <policy-pack-config.json>] [--json]

Runs the gumstack-isolation policy pack offline over a plan (npm run plan -- --json), a real
\`pulumi stack export\`, or the stack planned on the spot (--stack). The pack config follows the stack: from its
config with --stack, from the file's Stack outputs (mcpNamespace, registryUrl) otherwise; --config overrides it
per policy. An export with no resources, or without the MCP namespace the pack checks, fails.

  --stack <name>        plan Pulumi.<name>.yaml offline and check it
  --config-file <path>  with --stack: read the config from this stack file
  --config <file>       policy pack config (as for pulumi --policy-pack-config), over the derived one
  --json                print the run as JSON
  -h, --help            this text

Exit: 0 no mandatory violation; 1 mandatory violations, or the stack's config is refused; 2 usage or
unreadable/malformed input.`;

function readPolicyConfig(path: string): PolicyPackConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new PolicyConfigError(
      `${path}: ${(err as NodeJS.ErrnoException).code ? `cannot read (${(err as NodeJS.ErrnoException).code})` : `not valid JSON (${(err as Error).message})`}`,
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new PolicyConfigError(`${path}: must be an object of policy name to config`);
  return doc as PolicyPackConfig;
}

/**
 * Reads a plan or export. An offline plan (`npm run plan -- --json`) carries the mock engine's values marked; the
 * marks come off before the pack judges it (it judged the plan unmarked), and what was marked is returned.
 */
function readPlanOrExport(path: string): { resources: ExportResource[]; invented: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ExportError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { resources: parseExport(text, path), invented: [] }; // parseExport names the JSON error
  }
  const { doc: plain, marked } = unmarkExport(doc);
  return { resources: parseExport(JSON.stringify(plain), path), invented: marked };
}

export const OPTIONS = {
  stack: { type: "string" },
  "config-file": { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
} as const;

export async function main(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
  { planStack }: Pick<Io, "planStack"> = {},
): Promise<number> {
  const options = OPTIONS;
  let check: StackCheck;
  let source: string;
  let json = false;
  try {
    const parsed = parseCli(argv, options, true);
    if (parsed === "help") {
      out(USAGE);
      return EXIT.ok;
    }
    const { values, positionals } = parsed;
    json = values.json === true;
    if ((values.stack ? 1 : 0) + positionals.length !== 1)
      throw new UsageError("give either one plan/export file or --stack <name> (see --help)");
    let explicit = values.config ? readPolicyConfig(values.config) : {};
    let resources: ExportResource[];
    let derived: ReturnType<typeof packValuesFromConfig> | undefined;
    let invented: readonly string[] = [];
    if (values.stack) {
      source = `the offline plan of stack '${values.stack}'`;
      const planned = await planForCli(values.stack, { configFile: values["config-file"], planStack });
      resources = parseExport(JSON.stringify(planned.plan), source);
      derived = packValuesFromConfig(planned.config);
      invented = planned.plan.mockValues ?? [];
      explicit = mergePackConfig(teardownLevels(planned.config), explicit);
    } else {
      source = positionals[0]!;
      ({ resources, invented } = readPlanOrExport(source));
    }
    check = await checkStack(resources, source, derived, explicit);
    // A message naming a value the mock engine invented says so, as the plan and the fleet reports do.
    const marked = invented;
    check = {
      ...check,
      run: { ...check.run, diagnostics: check.run.diagnostics.map((d) => ({ ...d, message: markProse(d.message, [...marked]) })) },
    };
  } catch (e) {
    if (e instanceof StackRefused) {
      err(`error: ${e.message}`);
      return EXIT.refused;
    }
    if (e instanceof UsageError || e instanceof ExportError || e instanceof PolicyConfigError || e instanceof PackConfigError) {
      err(`error: ${e.message}`);
      return EXIT.usage;
    }
    // A policy threw: @pulumi/policy reports it as "Error validating resource with policy ..." plus a stack.
    err(`error: the policy pack failed to run: ${(e as Error).message.split("\n")[0]}`);
    return EXIT.usage;
  }
  const namespace = `MCP namespace checked: ${check.values.mcpNamespace} (from ${check.valuesFrom})`;
  out(
    json
      ? renderJson(check.run, source, { mcpNamespace: check.values.mcpNamespace, mcpNamespaceFrom: check.valuesFrom })
      : `${namespace}\n${renderText(check.run, source)}`,
  );
  return summarize(check.run).passed ? EXIT.ok : EXIT.refused;
}

runMain(import.meta.url, (argv, io) => main(argv, io.out, io.err, io));
