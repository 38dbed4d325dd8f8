// The isolation canary's identity as an MCP tenant (docs/canary.md) and its defaults, without imports: the config
// schema reads them before any component module (and the Pulumi SDKs they load) is needed.

/** The tenant id the platform reserves for the canary: its tenant label value and its image path segment. */
export const CANARY_TENANT = "gumstack-canary";
/** The label every MCP server carries (Knative Service and revision template), naming its tenant. */
export const TENANT_LABEL = "gumstack.com/tenant";
/** Defaults of IsolationCanary's probing (the config schema takes gumstack:canary's from here). */
export const ISOLATION_CANARY_DEFAULTS = { intervalSeconds: 60, reachUrl: "https://www.gstatic.com/generate_204" } as const;
