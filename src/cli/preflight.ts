// `npm run preflight -- --stack <name> [--config-file <path>]`
// Before a stack's first `pulumi up`, with the operator's own Google credentials: asks Google Cloud whether what
// the offline plan creates would be accepted (org policies, quota, billing, permissions, APIs, DNS delegation),
// and prints one line per problem: what, why it would fail, the fix. docs/preflight.md says what each check reads.
// Exit codes: src/cli/common.ts (0 every check passed, 1 a check found a problem or the stack's config is
// refused, 2 usage, unknown stack, no credentials or Google unreachable).
import { Resolver } from "node:dns/promises";
import { EXIT, UsageError, consoleIo, parseCli, runMain, type Io } from "./common.js";
import type { GoogleClient } from "../preflight/google.js";
import type { NsResolver } from "../preflight/run.js";

/**
 * The planning and checking modules, loaded after the arguments are parsed: their imports load @pulumi/pulumi
 * (about 0.6 s of CPU), which --help and a usage error do not need.
 */
async function load() {
  const [stacks, google, needs, run] = await Promise.all([
    import("./stacks.js"),
    import("../preflight/google.js"),
    import("../preflight/needs.js"),
    import("../preflight/run.js"),
  ]);
  return { ...stacks, ...google, ...needs, ...run };
}

export const USAGE = `usage: npm run preflight -- --stack <name> [--config-file <path>]

Plans the stack offline, then asks Google Cloud, with your own credentials (Application Default Credentials, or
an access token in GOOGLE_OAUTH_ACCESS_TOKEN), whether its first \`pulumi up\` would be accepted: the effective org
policies on the project (resource locations, Shielded VM, VM external IPs, allowed member domains, CMEK), Compute
Engine quota against what creation needs at once and the node pools' maximum, billing, your permissions for every
planned resource type (testIamPermissions), the APIs needed before the stack can enable the rest, and the public
DNS delegation of the domain. Each problem is one line: what, why it would fail, the fix. Read-only: it changes
nothing. What each check reads and cannot know: docs/preflight.md.

  --stack <name>        the stack: config from Pulumi.<name>.yaml
  --config-file <path>  read the config from this stack file instead
  -h, --help            this text

Environment: GUMSTACK_PREFLIGHT_ENDPOINT replaces every Google API endpoint (one root URL);
GUMSTACK_PREFLIGHT_DNS_SERVER (host:port) is the DNS server asked instead of the system's.

Exit: 0 every check passed; 1 a check found a problem (one line each), or the stack's config is refused; 2 usage,
unknown stack, no credentials, or Google Cloud or DNS could not be reached.`;

export const OPTIONS = { stack: { type: "string" }, "config-file": { type: "string" } } as const;

/** What the preflight talks to; tests give an environment pointing at fakes on loopback. */
export interface PreflightDeps {
  readonly env?: NodeJS.ProcessEnv;
  /** Default: operatorClient(env): ADC or GOOGLE_OAUTH_ACCESS_TOKEN. */
  readonly client?: (env: NodeJS.ProcessEnv) => Promise<GoogleClient>;
}

/** The public DNS resolver: the system's, or GUMSTACK_PREFLIGHT_DNS_SERVER. */
export function resolverFor(env: NodeJS.ProcessEnv): NsResolver {
  const resolver = new Resolver({ timeout: 10_000, tries: 3 });
  const server = env.GUMSTACK_PREFLIGHT_DNS_SERVER?.trim();
  if (server) {
    try {
      resolver.setServers([server]);
    } catch {
      throw new UsageError(`GUMSTACK_PREFLIGHT_DNS_SERVER: '${server}' is not an address such as 127.0.0.1:5353`);
    }
  }
  return resolver;
}

export async function preflight(argv: string[], io: Io = consoleIo, deps: PreflightDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let m: Awaited<ReturnType<typeof load>> | undefined;
  try {
    const parsed = parseCli(argv, OPTIONS);
    if (parsed === "help") {
      io.out(USAGE);
      return EXIT.ok;
    }
    const { stack, "config-file": configFile } = parsed.values;
    if (!stack) throw new UsageError("--stack is required (see --help)");
    m = await load();
    const { planForCli, preflightNeeds, operatorClient, runPreflight } = m;
    const dnsResolver = resolverFor(env);
    const { plan, config } = await planForCli(stack, { configFile, planStack: io.planStack });
    const needs = preflightNeeds(plan, config);
    const client = await (deps.client ?? operatorClient)(env);
    io.out(
      `Preflight of stack '${stack}': project ${needs.project}${needs.newProject ? ` (created by the stack in folders/${needs.newProject.folderId})` : ""}, region ${needs.region}, domain ${needs.domain}`,
    );
    const report = await runPreflight(needs, client, dnsResolver);
    for (const p of report.passed) io.out(`ok       ${p}`);
    for (const n of report.notes) io.out(`note:    ${n}`);
    for (const w of report.warnings) io.out(`warning: ${w}`);
    for (const f of report.failures) io.out(`FAIL:    ${f}`);
    io.out(
      report.failures.length === 0
        ? `Preflight passed: nothing found that would refuse the first up of '${stack}'${report.warnings.length ? ` (${report.warnings.length} warning(s))` : ""}`
        : `Preflight FAILED: ${report.failures.length} problem(s) would stop the first up of '${stack}'`,
    );
    return report.failures.length === 0 ? EXIT.ok : EXIT.refused;
  } catch (e) {
    if (m && e instanceof m.StackRefused) {
      io.err(`error: ${e.message}`);
      return EXIT.refused;
    }
    if (e instanceof UsageError || (m && e instanceof m.CannotConnect)) {
      io.err(`error: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  return preflight(argv, io);
}

runMain(import.meta.url, main);
