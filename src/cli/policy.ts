// `npm run policy -- <plan-or-export.json> [--config <policy-pack-config.json>] [--json]`
// `npm run policy -- --stack <name> [--config-file <Pulumi.<stack>.yaml>] [--config ...] [--json]`
// Runs the CrossGuard pack offline, without credentials, over a plan (`npm run plan -- --json`), a real
// `pulumi stack export`, or a stack planned on the spot. Exit 0: no mandatory violation; 1: mandatory
// violations; 2: unreadable or malformed input (or config), or a policy that could not run.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { PolicyPackConfig } from "@pulumi/policy";
import { PolicyConfigError, runPolicyPack, type PolicyRun } from "../policy/analyzer.js";
import { ExportError, parseExport, readExport, type ExportResource } from "../policy/export.js";
import { renderJson, renderText, summarize } from "../policy/report.js";

const USAGE = [
  "usage: npm run policy -- <plan-or-export.json> [--config <policy-pack-config.json>] [--json]",
  "       npm run policy -- --stack <name> [--config-file <Pulumi.<stack>.yaml>] [--config <policy-pack-config.json>] [--json]",
].join("\n");

function readPolicyConfig(path: string): PolicyPackConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new PolicyConfigError(`${path}: ${(err as NodeJS.ErrnoException).code ? `cannot read (${(err as NodeJS.ErrnoException).code})` : `not valid JSON (${(err as Error).message})`}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new PolicyConfigError(`${path}: must be an object of policy name to config`);
  return doc as PolicyPackConfig;
}

export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  let values: { stack?: string; "config-file"?: string; config?: string; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "config-file": { type: "string" }, config: { type: "string" }, json: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if ((values.stack ? 1 : 0) + positionals.length !== 1) {
    err(`give either one plan/export file or --stack <name>\n${USAGE}`);
    return 2;
  }

  let resources: ExportResource[];
  let source: string;
  let config: PolicyPackConfig = {};
  try {
    if (values.config) config = readPolicyConfig(values.config);
    if (values.stack) {
      source = `the offline plan of stack '${values.stack}'`;
      // Loaded only here: planning imports the whole program.
      const { planStack } = await import("../plan/plan.js");
      let plan;
      try {
        plan = await planStack({ stack: values.stack, ...(values["config-file"] ? { configFile: values["config-file"] } : {}) });
      } catch (e) {
        err(`error: planning stack '${values.stack}' failed\n${(e as Error).message}`);
        return 2;
      }
      resources = parseExport(JSON.stringify(plan), source);
    } else {
      source = positionals[0]!;
      resources = readExport(source);
    }
  } catch (e) {
    if (e instanceof ExportError || e instanceof PolicyConfigError) {
      err(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }

  let run: PolicyRun;
  try {
    run = await runPolicyPack(resources, { config });
  } catch (e) {
    if (e instanceof PolicyConfigError) {
      err(`error: ${e.message}`);
      return 2;
    }
    // A policy threw: @pulumi/policy reports it as "Error validating resource with policy ...".
    err(`error: the policy pack failed to run\n${(e as Error).message}`);
    return 2;
  }
  out(values.json ? renderJson(run, source) : renderText(run, source));
  return summarize(run).passed ? 0 : 1;
}

// Run only as a script, so tests can call main() in-process. Pulumi's runtime keeps handles open: exit explicitly.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(2);
    },
  );
}
