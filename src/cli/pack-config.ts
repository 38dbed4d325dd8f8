// `npm run -s pack-config -- --stack <name> [--config-file <path>] [--out <file>]`
// Prints (or writes) the policy pack config for `pulumi preview|up --policy-pack policies
// --policy-pack-config <file>`, derived from the stack's own config, so the pack checks the namespace, service
// account and registry this stack really has. scripts/deploy.sh runs it before every preview and up.
import { writeFileSync } from "node:fs";
import { EXIT, UsageError, consoleIo, parseCli, runMain, writeError, type Io } from "./common.js";

export const USAGE = `usage: npm run -s pack-config -- --stack <name> [--config-file <path>] [--out <file>]

Prints the policy pack config (per policy, as pulumi --policy-pack-config takes it) derived from the stack's
config: mcpNamespace (gumstack:mcp.namespace), mcpServiceAccount, knativeNamespace and allowedRegistries (the
stack's tenant MCP repository). With gumstack:allowDestroy true (a deliberate teardown) the deletion-protection
policies are advisory; every isolation policy stays mandatory.

  --stack <name>        the stack: config from Pulumi.<name>.yaml
  --config-file <path>  read the config from this stack file instead
  --out <file>          write the JSON there instead of printing it
  -h, --help            this text

Exit: 0 written; 1 the stack's config is refused; 2 usage or unreadable input.`;

export const OPTIONS = { stack: { type: "string" }, "config-file": { type: "string" }, out: { type: "string" } } as const;

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  try {
    const parsed = parseCli(argv, OPTIONS);
    if (parsed === "help") {
      io.out(USAGE);
      return EXIT.ok;
    }
    const { values } = parsed;
    if (!values.stack) throw new UsageError("--stack is required (see --help)");
    // Loaded after the arguments are parsed: the config schema's imports load @pulumi/pulumi (about 0.6 s of CPU),
    // which --help and a usage error do not need.
    const [{ namespaceValues, parseStackConfig }, { stackPackConfig }, { readStackForCli }] = await Promise.all([
      import("../config/load.js"),
      import("../policy/packConfig.js"),
      import("./stacks.js"),
    ]);
    const file = readStackForCli(values.stack, values["config-file"]);
    let text: string;
    try {
      text = `${JSON.stringify(stackPackConfig(parseStackConfig(namespaceValues(file.config))), null, 2)}\n`;
    } catch (e) {
      io.err(`error: stack '${values.stack}': ${(e as Error).message}`);
      return EXIT.refused;
    }
    if (!values.out) {
      io.out(text.trimEnd());
      return EXIT.ok;
    }
    try {
      writeFileSync(values.out, text);
    } catch (e) {
      throw writeError(values.out, e);
    }
    io.err(`Policy pack config of stack '${values.stack}' written to ${values.out}`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

runMain(import.meta.url, main);
