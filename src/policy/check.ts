// The offline check of one stack's resources: pack config that follows the stack, the pack run, and the two
// ways a check could pass without proving anything, refused: an export with no resources, and a stack without
// the MCP namespace the pack is configured for (every MCP-namespace rule would then be "not applicable").
import type { PolicyPackConfig } from "@pulumi/policy";
import { readPackConfig, type PackConfig } from "../../policies/config.js";
import { policies as packPolicies } from "../../policies/rules/index.js";
import { runPolicyPack, type Diagnostic, type PolicyRun } from "./analyzer.js";
import { ExportError, type ExportResource } from "./export.js";
import { hasNamespace, mergePackConfig, packConfigFile, packValuesFromOutputs } from "./packConfig.js";

export { packConfigFile, stackPackConfig, TEARDOWN_ADVISORY, teardownLevels } from "./packConfig.js";

/** Name of the check that the MCP namespace exists, as it appears among a run's diagnostics. */
export const NAMESPACE_CHECK = "offline-check-mcp-namespace-present";

export interface StackCheck {
  readonly run: PolicyRun;
  /** The pack values the run used (derived, with the explicit config's namespace where it sets one). */
  readonly values: PackConfig;
  /** The per-policy config the run used. */
  readonly config: PolicyPackConfig;
  /** Where the MCP namespace checked came from, for the report. */
  readonly valuesFrom: "the stack's config" | "the Stack outputs" | "the --config file" | "the pack's defaults";
}

/**
 * The policies that judge isolation with this stack's own names: those configured with the MCP namespace
 * (tenant fencing) or the platform-images repository (what no cluster identity may write).
 */
export function isolationPolicies(): string[] {
  const keys = ["mcpNamespace", "platformImagesRepository"];
  return packPolicies.filter((p) => keys.some((k) => p.configSchema?.properties[k] !== undefined)).map((p) => p.name);
}

/** The MCP namespace a per-policy config checks: any policy's configured mcpNamespace, else `fallback`. */
function configuredNamespace(config: PolicyPackConfig, fallback: string | undefined): string | undefined {
  for (const value of Object.values(config)) {
    if (typeof value === "object" && value !== null && typeof (value as { mcpNamespace?: unknown }).mcpNamespace === "string") {
      return (value as { mcpNamespace: string }).mcpNamespace;
    }
  }
  return fallback;
}

/**
 * Checks `resources` (a plan or export named `source`) with pack values `derived` (from the stack's config)
 * or, when absent, those the Stack outputs name (else the pack's defaults); `explicit` (a --config file)
 * overrides per policy. Whichever namespace results must exist among the resources, or the run fails: that
 * keeps a wrong or defaulted namespace from passing every MCP rule as "not applicable".
 * Throws ExportError for an export with no resources.
 */
export async function checkStack(
  resources: readonly ExportResource[],
  source: string,
  derived?: PackConfig,
  explicit: PolicyPackConfig = {},
): Promise<StackCheck> {
  if (resources.length === 0) {
    throw new ExportError(`${source}: the export has no resources, so there is nothing to check (a stack never deployed, or destroyed)`);
  }
  const fromOutputs = derived ? undefined : packValuesFromOutputs(resources);
  const values = derived ?? fromOutputs ?? readPackConfig({});
  const config = mergePackConfig(packConfigFile(values), explicit);
  const namespace = configuredNamespace(config, values.mcpNamespace)!;
  const valuesFrom: StackCheck["valuesFrom"] =
    configuredNamespace(explicit, undefined) !== undefined
      ? "the --config file"
      : derived
        ? "the stack's config"
        : fromOutputs
          ? "the Stack outputs"
          : "the pack's defaults";
  const run = await runPolicyPack(resources, { config });
  const checked = { values: { ...values, mcpNamespace: namespace }, config, valuesFrom };
  if (hasNamespace(resources, namespace)) return { run, ...checked };
  const missing: Diagnostic = {
    policy: NAMESPACE_CHECK,
    level: "mandatory",
    description: "The stack has the MCP namespace the pack is configured for.",
    message: `no Kubernetes Namespace '${namespace}' (mcpNamespace from ${valuesFrom}) among the ${resources.length} resources: no MCP isolation rule could apply`,
  };
  return { run: { ...run, diagnostics: [...run.diagnostics, missing] }, ...checked };
}
