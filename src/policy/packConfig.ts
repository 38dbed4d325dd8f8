// The policy pack's config follows the stack it checks: derived from the stack's own config (before a real
// `pulumi preview`/`up`, scripts/deploy.sh) or from the Stack outputs of a plan or export (the offline check).
// With a fixed default instead, a stack whose `gumstack:mcp.namespace` is renamed would be checked for a
// namespace it does not have, and every MCP-namespace rule would pass as "not applicable".
import type { PolicyPackConfig } from "@pulumi/policy";
import { expandPackConfig, PACK_CONFIG_DEFAULTS, readPackConfig, type PackConfig } from "../../policies/config.js";
import { defaultTenantRepositoryId } from "../../components/gcp/naming.js";
import { policies as packPolicies } from "../../policies/rules/index.js";
import type { StackConfig } from "../config/schema.js";
import type { ExportResource } from "./export.js";

// The names the program gives these, restated so `npm run pack-config` does not load the Kubernetes SDK (seconds
// before every deploy). test/cli/fleet.test.ts holds them equal to what the plan's Stack outputs name.
/** The MCP ServiceAccount the McpNamespace component creates (its default; the stack config does not set it). */
const MCP_SERVICE_ACCOUNT = PACK_CONFIG_DEFAULTS.mcpServiceAccount;
/** Knative Serving's namespace (components/serving/knativeServingManifests.ts KNATIVE_SERVING_NAMESPACE). */
const KNATIVE_SERVING_NAMESPACE = "knative-serving";
/** The admission guard's image prefix of a repository (components/kubernetes/admissionPolicies.ts). */
const repositoryPrefix = (region: string, project: string, repositoryId: string) => `${region}-docker.pkg.dev/${project}/${repositoryId}/`;

/** Id of the stack's tenant MCP repository: the configured one, else `mcp-<environment>`. */
const tenantRepositoryId = (config: { environment: string; artifactRegistry: { repositoryId?: string } }) =>
  config.artifactRegistry.repositoryId ?? defaultTenantRepositoryId(config.environment);

/** The stack's platform-images repository (`gumstack:platformImages.repository`), when its config has one. */
const platformImagesOf = (config: object): string | undefined =>
  (config as { platformImages?: { repository?: string } }).platformImages?.repository;

/**
 * The pack values of a stack, from its validated config: the same names the program gives the resources.
 * Values the config does not determine take the pack's defaults (readPackConfig, which also validates them).
 */
export function packValuesFromConfig(
  config: Pick<StackConfig, "region" | "project" | "environment" | "mcp" | "artifactRegistry"> & { build?: { namespace: string } },
): PackConfig {
  const platformImagesRepository = platformImagesOf(config);
  return readPackConfig({
    mcpNamespace: config.mcp.namespace,
    // A renamed build namespace must be the one the build rules judge, never a default that is absent.
    ...(config.build ? { buildNamespace: config.build.namespace } : {}),
    mcpServiceAccount: MCP_SERVICE_ACCOUNT,
    knativeNamespace: KNATIVE_SERVING_NAMESPACE,
    // MCP workloads pull only from the stack's own tenant repository, as the admission guard admits.
    allowedRegistries: [repositoryPrefix(config.region, config.project, tenantRepositoryId(config))],
    ...(platformImagesRepository ? { platformImagesRepository } : {}),
  });
}

/** The Stack outputs of a plan or export (the `pulumi:pulumi:Stack` resource's outputs), or undefined. */
export function stackOutputs(resources: readonly ExportResource[]): Record<string, unknown> | undefined {
  return resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs;
}

/**
 * The pack values named by a plan's or export's Stack outputs (`mcpNamespace`, `buildNamespace`, `mcpServiceAccount`,
 * `knativeNamespace`, the tenant repository URL `tenantRepositoryUrl` or, in older exports, `registryUrl`,
 * and `platformImagesRepository`); undefined when `mcpNamespace` is not among them.
 */
export function packValuesFromOutputs(resources: readonly ExportResource[]): PackConfig | undefined {
  const outputs = stackOutputs(resources) ?? {};
  const str = (k: string) => (typeof outputs[k] === "string" && outputs[k] !== "" ? (outputs[k] as string) : undefined);
  const mcpNamespace = str("mcpNamespace");
  if (!mcpNamespace) return undefined;
  const registry = str("tenantRepositoryUrl") ?? str("registryUrl");
  const platformImagesRepository = str("platformImagesRepository");
  const buildNamespace = str("buildNamespace");
  return readPackConfig({
    mcpNamespace,
    ...(buildNamespace ? { buildNamespace } : {}),
    mcpServiceAccount: str("mcpServiceAccount") ?? MCP_SERVICE_ACCOUNT,
    knativeNamespace: str("knativeNamespace") ?? KNATIVE_SERVING_NAMESPACE,
    allowedRegistries: registry ? [`${registry.replace(/\/+$/, "")}/`] : [...PACK_CONFIG_DEFAULTS.allowedRegistries],
    ...(platformImagesRepository ? { platformImagesRepository } : {}),
  });
}

/**
 * `explicit` (a `--config` file) over `derived`: a policy named in `explicit` keeps the derived properties it
 * does not set, so a file that only changes a level does not reset the namespace to the default.
 */
export function mergePackConfig(derived: PolicyPackConfig, explicit: PolicyPackConfig): PolicyPackConfig {
  const out: PolicyPackConfig = { ...derived };
  for (const [name, value] of Object.entries(explicit)) {
    const base = derived[name];
    const baseProps = typeof base === "object" && base !== null ? base : {};
    const own = typeof value === "string" ? { enforcementLevel: value } : (value ?? {});
    out[name] = { ...baseProps, ...own } as PolicyPackConfig[string];
  }
  return out;
}

/** The namespace named `values.mcpNamespace` is in the resources: a Kubernetes Namespace of that name. */
export function hasNamespace(resources: readonly ExportResource[], namespace: string): boolean {
  return resources.some((r) => {
    if (r.type !== "kubernetes:core/v1:Namespace") return false;
    for (const props of [r.inputs, r.outputs]) {
      const name = (props.metadata as { name?: unknown } | undefined)?.name;
      if (name === namespace) return true;
    }
    return false;
  });
}

/** The per-policy file `--policy-pack-config` takes, carrying `values` to every policy that reads them. */
export function packConfigFile(values: PackConfig): PolicyPackConfig {
  return expandPackConfig(values, packPolicies);
}

/**
 * Deletion-protection policies a deliberate teardown (`gumstack:allowDestroy: true`) lowers to advisory, so the
 * `pulumi up` that turns provider protection off is not blocked; every isolation policy stays mandatory.
 */
export const TEARDOWN_ADVISORY = [
  "gke-cluster-deletion-protection",
  "spanner-database-drop-protection",
  "spanner-instance-deletion-protection",
] as const;

/** The enforcement levels a stack's config sets: the teardown's advisory levels when allowDestroy is on. */
export function teardownLevels(config: Pick<StackConfig, "allowDestroy">): PolicyPackConfig {
  return config.allowDestroy ? Object.fromEntries(TEARDOWN_ADVISORY.map((p) => [p, { enforcementLevel: "advisory" }])) : {};
}

/** The pack config of a stack from its validated config: derived values, and teardown levels when allowed. */
export function stackPackConfig(config: StackConfig): PolicyPackConfig {
  return mergePackConfig(packConfigFile(packValuesFromConfig(config)), teardownLevels(config));
}
