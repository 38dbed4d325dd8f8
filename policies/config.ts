// The pack's configurable values. Pulumi policy config is per policy (`--policy-pack-config` maps a policy
// name to its properties), so each policy declares the properties it reads (`configSchema(...)`) and reads
// them through `readPackConfig`, which applies the defaults below. `expandPackConfig` turns one set of
// values into the per-policy file both `pulumi preview --policy-pack-config` and the offline check accept.
import type { PolicyConfigSchema, PolicyPackConfig } from "@pulumi/policy";

export interface PackConfig {
  /** Namespace of every customer MCP server. */
  readonly mcpNamespace: string;
  /** The Kubernetes ServiceAccount MCP pods run as. */
  readonly mcpServiceAccount: string;
  /** Namespace of Knative Serving's data plane (Kourier gateway, activator, autoscaler) when the Operator installs it. */
  readonly knativeNamespace: string;
  /** Namespace where customers' Dockerfiles are built (one Job per build). */
  readonly buildNamespace: string;
  /**
   * Image reference prefixes MCP-namespace workloads may pull from, e.g.
   * "us-west1-docker.pkg.dev/gumstack-prod/gumstack/". A "*" matches within one path segment.
   */
  readonly allowedRegistries: readonly string[];
  /**
   * The platform-images repository, `<location>-docker.pkg.dev/<project>/<repository>` (stack config
   * `gumstack:platformImages.repository`): no identity reachable from a cluster may write it, and it is the only
   * thing outside an enterprise stack's project the stack may grant (read) access to.
   */
  readonly platformImagesRepository: string;
}

export const PACK_CONFIG_DEFAULTS: PackConfig = {
  mcpNamespace: "gumstack-mcp",
  mcpServiceAccount: "mcp-server",
  knativeNamespace: "knative-serving",
  buildNamespace: "gumstack-build",
  // Any Artifact Registry Docker host; narrow it to the platform's repository per stack.
  allowedRegistries: ["*-docker.pkg.dev/"],
  // The bootstrap's repository in the admin project (the stacks' gumstack:platformImages.repository).
  platformImagesRepository: "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform",
};

type PropertySchema = PolicyConfigSchema["properties"][string];
const DNS_LABEL = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
const DOCKER_REPOSITORY = "^([a-z][a-z0-9-]*[a-z0-9])-docker\\.pkg\\.dev/([a-z][a-z0-9-]{4,28}[a-z0-9])/([a-z]([a-z0-9-]{0,61}[a-z0-9])?)$";

/** The parts of a `<location>-docker.pkg.dev/<project>/<repository>` value (validated by readPackConfig). */
export function repositoryParts(url: string): { location: string; project: string; repository: string } {
  const m = new RegExp(DOCKER_REPOSITORY).exec(url);
  if (!m)
    throw new PackConfigError(`platformImagesRepository: ${JSON.stringify(url)} is not <location>-docker.pkg.dev/<project>/<repository>`);
  return { location: m[1]!, project: m[2]!, repository: m[3]! };
}

export const CONFIG_PROPERTIES: Record<keyof PackConfig, PropertySchema> = {
  mcpNamespace: {
    type: "string",
    pattern: DNS_LABEL,
    default: PACK_CONFIG_DEFAULTS.mcpNamespace,
    description: "Namespace of the customer MCP servers.",
  },
  mcpServiceAccount: {
    type: "string",
    pattern: DNS_LABEL,
    default: PACK_CONFIG_DEFAULTS.mcpServiceAccount,
    description: "ServiceAccount of the MCP pods.",
  },
  knativeNamespace: {
    type: "string",
    pattern: DNS_LABEL,
    default: PACK_CONFIG_DEFAULTS.knativeNamespace,
    description: "Namespace of the Kourier gateway, activator and autoscaler.",
  },
  buildNamespace: {
    type: "string",
    pattern: DNS_LABEL,
    default: PACK_CONFIG_DEFAULTS.buildNamespace,
    description: "Namespace of the build Jobs (customers' Dockerfiles).",
  },
  allowedRegistries: {
    type: "array",
    items: { type: "string", minLength: 1 },
    minItems: 1,
    default: [...PACK_CONFIG_DEFAULTS.allowedRegistries],
    description: "Image prefixes MCP-namespace workloads may use; '*' matches within one path segment.",
  },
  platformImagesRepository: {
    type: "string",
    pattern: DOCKER_REPOSITORY,
    default: PACK_CONFIG_DEFAULTS.platformImagesRepository,
    description: "The platform-images repository (<location>-docker.pkg.dev/<project>/<repository>): never writable from a cluster.",
  },
};

/** The config schema of a policy that reads `keys`. */
export function configSchema(...keys: (keyof PackConfig)[]): PolicyConfigSchema {
  const properties: PolicyConfigSchema["properties"] = {};
  for (const k of keys) properties[k] = CONFIG_PROPERTIES[k];
  return { properties };
}

export class PackConfigError extends Error {
  override name = "PackConfigError";
}

function label(raw: Record<string, unknown>, key: "mcpNamespace" | "mcpServiceAccount" | "knativeNamespace" | "buildNamespace"): string {
  const v = raw[key];
  if (v === undefined) return PACK_CONFIG_DEFAULTS[key];
  if (typeof v !== "string" || !new RegExp(DNS_LABEL).test(v)) {
    throw new PackConfigError(`${key}: ${JSON.stringify(v)} is not a Kubernetes name (DNS-1123 label)`);
  }
  return v;
}

/** Validated config with defaults; `raw` is what `args.getConfig()` returns. Throws PackConfigError. */
export function readPackConfig(raw: unknown): PackConfig {
  const r = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const regs = r.allowedRegistries;
  if (regs !== undefined && (!Array.isArray(regs) || regs.length === 0 || regs.some((x) => typeof x !== "string" || x.length === 0))) {
    throw new PackConfigError(`allowedRegistries: ${JSON.stringify(regs)} must be a non-empty list of image prefixes`);
  }
  const platform = r.platformImagesRepository;
  if (platform !== undefined && (typeof platform !== "string" || !new RegExp(DOCKER_REPOSITORY).test(platform))) {
    throw new PackConfigError(
      `platformImagesRepository: ${JSON.stringify(platform)} is not <location>-docker.pkg.dev/<project>/<repository>`,
    );
  }
  return {
    platformImagesRepository: typeof platform === "string" ? platform : PACK_CONFIG_DEFAULTS.platformImagesRepository,
    mcpNamespace: label(r, "mcpNamespace"),
    mcpServiceAccount: label(r, "mcpServiceAccount"),
    knativeNamespace: label(r, "knativeNamespace"),
    buildNamespace: label(r, "buildNamespace"),
    allowedRegistries: regs === undefined ? PACK_CONFIG_DEFAULTS.allowedRegistries : (regs as string[]),
  };
}

/** Per-policy config carrying `values` to every policy whose schema declares them. */
export function expandPackConfig(
  values: Partial<PackConfig>,
  policies: readonly { name: string; configSchema?: PolicyConfigSchema }[],
): PolicyPackConfig {
  const out: PolicyPackConfig = {};
  for (const p of policies) {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) {
      if (v !== undefined && p.configSchema?.properties[k]) props[k] = v;
    }
    if (Object.keys(props).length > 0) out[p.name] = props;
  }
  return out;
}

/** Whether `image` starts with one of `prefixes`; "*" in a prefix matches any run of characters except "/". */
export function imageAllowed(image: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => {
    const re = new RegExp(
      `^${p
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*")}`,
    );
    return re.test(image);
  });
}
