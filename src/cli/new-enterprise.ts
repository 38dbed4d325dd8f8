// `npm run new-enterprise -- --customer <id> --billing-account <XXXXXX-XXXXXX-XXXXXX> --folder <folder id>`
// Writes Pulumi.enterprise-<id>.yaml for a new enterprise customer and prints the next commands.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, parseAllConfig } from "../config/load.js";
import { labelUnder, withReservedLabel } from "../config/enterpriseDomains.js";
import { budgetApiNotes, type NamedStack } from "../config/stackSet.js";
import { EnterpriseInputError, renderEnterpriseStack, stackNameFor } from "../enterprise/newEnterpriseStack.js";
import { parseStackFile } from "../plan/stackFile.js";
import { EXIT, UsageError, parseCli, runMain } from "./common.js";

export const USAGE = `usage: npm run new-enterprise -- --customer <id> --billing-account <XXXXXX-XXXXXX-XXXXXX> --folder <folder id>
         [--project <gcp project id>] [--domain <domain>] [--platform-project <id>] [--budget <amount>]
         [--clickhouse-host <host>] [--template <stack file>] [--force]

Writes Pulumi.enterprise-<id>.yaml from the template (default Pulumi.enterprise.yaml), every derived name
checked with the program's own schema, and prints the next commands.
  --force updates an existing Pulumi.enterprise-<id>.yaml in place: only the flags given change (then
  --billing-account and --folder are optional); secrets, the secrets provider and hand edits are kept.
  -h, --help   this text

Exit: 0 written; 2 usage, refused input (every problem listed, no file written), or an unreadable template.`;

export const OPTIONS = {
  customer: { type: "string" },
  "billing-account": { type: "string" },
  folder: { type: "string" },
  project: { type: "string" },
  domain: { type: "string" },
  "platform-project": { type: "string" },
  budget: { type: "string" },
  "clickhouse-host": { type: "string" },
  template: { type: "string", default: "Pulumi.enterprise.yaml" },
  force: { type: "boolean", default: false },
} as const;

/**
 * A problem the template's value and a flag given make together is the flag's: `--project gumstack-prod` with the
 * template's platform project gumstack-prod is a wrong --project, not a wrong --platform-project the user never gave.
 * `given`: the flags on the command line, by name.
 */
export function blameGivenFlag(problem: string, given: Readonly<Record<string, unknown>>): string {
  if (problem.startsWith("--platform-project: must differ from project") && given["platform-project"] === undefined && given.project)
    return `--project: ${JSON.stringify(given.project)} is the template's platform project (gumstack:enterprise.platformProject); a customer gets a dedicated project: choose another --project, or pass --platform-project [config gumstack:project]`;
  return problem;
}

/** Where the command runs and writes: the working directory and the two output streams (tests pass their own). */
export interface CliIo {
  readonly cwd: string;
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

const PROCESS_IO: CliIo = { cwd: process.cwd(), out: (s) => console.log(s), err: (s) => console.error(s) };

/** The other stack files of `dir`, validated; files that do not validate are named in `skipped`. */
function otherStacks(dir: string, except: string): { stacks: NamedStack[]; skipped: string[] } {
  const stacks: NamedStack[] = [];
  const skipped: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f) && f !== except)
    .sort()) {
    try {
      const parsed = parseStackFile(readFileSync(join(dir, file), "utf8"), file);
      const config = parseAllConfig(parsed.config, { secretKeys: parsed.secretKeys, stack: file.slice("Pulumi.".length, -".yaml".length) });
      stacks.push({ stack: file.slice("Pulumi.".length, -".yaml".length), config });
    } catch (err) {
      if (!(err instanceof ConfigError) && !(err instanceof Error && err.message.startsWith(file))) throw err;
      skipped.push(file);
    }
  }
  return { stacks, skipped };
}

export function main(argv: string[], io: CliIo = PROCESS_IO): number {
  let values;
  try {
    const parsed = parseCli(argv, OPTIONS);
    if (parsed === "help") {
      io.out(USAGE);
      return EXIT.ok;
    }
    values = parsed.values;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`error: ${e.message}`);
    return EXIT.usage;
  }
  const updating =
    values.force && values.customer !== undefined && existsSync(resolve(io.cwd, `Pulumi.${stackNameFor(values.customer)}.yaml`));
  const missing = (updating ? (["customer"] as const) : (["customer", "billing-account", "folder"] as const)).filter((k) => !values[k]);
  if (missing.length > 0) {
    io.err(`error: missing ${missing.map((k) => `--${k}`).join(", ")} (see --help)`);
    return EXIT.usage;
  }
  const budget = values.budget === undefined ? undefined : Number(values.budget);
  if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) {
    io.err(`error: --budget: must be a positive whole amount (got ${JSON.stringify(values.budget)})`);
    return 2;
  }
  const stack = stackNameFor(values.customer!);
  const file = `Pulumi.${stack}.yaml`;
  const path = resolve(io.cwd, file);
  if (existsSync(path) && !values.force) {
    io.err(`error: ${file} already exists; pass --force to update it (only the flags given change)`);
    return 2;
  }
  const { stacks, skipped } = otherStacks(io.cwd, file);
  const template = values.template ?? OPTIONS.template.default;
  let templateText: string;
  try {
    templateText = readFileSync(resolve(io.cwd, template), "utf8");
  } catch (err) {
    io.err(`error: --template: cannot read ${template}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 2;
  }
  let text: string;
  try {
    text = renderEnterpriseStack(
      templateText,
      {
        customer: values.customer!,
        ...(values["billing-account"] ? { billingAccount: values["billing-account"] } : {}),
        ...(values.folder ? { folderId: values.folder } : {}),
        ...(values.project ? { project: values.project } : {}),
        ...(values.domain ? { domain: values.domain } : {}),
        ...(values["platform-project"] ? { platformProject: values["platform-project"] } : {}),
        ...(budget !== undefined ? { budgetAmount: budget } : {}),
        ...(values["clickhouse-host"] ? { clickhouseHost: values["clickhouse-host"] } : {}),
      },
      { ...(updating ? { existingText: readFileSync(path, "utf8") } : {}), otherStacks: stacks },
    );
  } catch (err) {
    if (err instanceof EnterpriseInputError) {
      // parseArgs fills in defaults (template, force); only what the command line says counts as given.
      const given = Object.fromEntries(Object.entries(values).filter(([k]) => argv.some((a) => a === `--${k}` || a.startsWith(`--${k}=`))));
      io.err(`Refused, no file written:\n${err.problems.map((p) => `  - ${blameGivenFlag(p, given)}`).join("\n")}`);
      return 2;
    }
    throw err;
  }
  const parsedFile = parseStackFile(text, file);
  const written = parseAllConfig(parsedFile.config, { secretKeys: parsedFile.secretKeys, stack });
  // The customer's label is reserved in every platform stack whose domain the new domain sits under, so no MCP
  // server there is ever given the customer's apex host (src/config/enterpriseDomains.ts; npm run fleet checks it).
  const reservations: { file: string; label: string; text: string }[] = [];
  for (const p of stacks.filter((s) => s.config.kind === "platform")) {
    const label = labelUnder(p.config.domain, written.domain);
    if (label === undefined) continue;
    const platformFile = `Pulumi.${p.stack}.yaml`;
    let edited: string | undefined;
    try {
      edited = withReservedLabel(readFileSync(resolve(io.cwd, platformFile), "utf8"), label);
    } catch (err) {
      io.err(
        `Refused, no file written: ${platformFile}: cannot reserve "${label}": ${(err as Error).message}; fix that file, then run again`,
      );
      return 2;
    }
    if (edited !== undefined) reservations.push({ file: platformFile, label, text: edited });
  }
  writeFileSync(path, text);
  for (const r of reservations) {
    writeFileSync(resolve(io.cwd, r.file), r.text);
    io.out(
      `Reserved "${r.label}" in ${r.file} (gumstack:mcp.reservedHostnames): no MCP server there may take ${written.domain}. Deploy that stack too.`,
    );
  }
  for (const f of skipped) io.err(`note: ${f} does not validate, so it was not compared with ${file}`);
  for (const note of budgetApiNotes([...stacks, { stack, config: written }])) if (note.startsWith(`${stack}:`)) io.err(`note: ${note}`);
  io.out(`${updating ? "Updated" : "Wrote"} ${file}. Next:
  npm run plan -- --stack ${stack}                  # offline plan and policy check: npm run policy -- --stack ${stack}
  pulumi stack init ${stack} --secrets-provider gcpkms://projects/<state project>/locations/global/keyRings/<ring>/cryptoKeys/<key>
  pulumi config set --secret gumstack:clickhousePassword --stack ${stack}
  pulumi up --stack ${stack}`);
  return 0;
}

runMain(import.meta.url, (argv, io) => main(argv, { cwd: process.cwd(), out: io.out, err: io.err }));
