// The MCP namespace's defaults (McpNamespace), without imports: the config schema and the pure manifest builders
// (the admission guard's) read them without loading the Kubernetes SDK that McpNamespace needs for its resources.

/**
 * Defaults of the MCP namespace, its quota and its LimitRange. The config schema takes gumstack:mcp's from here, the
 * admission guard its namespace, service account and the LimitRange's container limits.
 */
export const MCP_NAMESPACE_DEFAULTS = {
  namespace: "gumstack-mcp",
  serviceAccountName: "mcp-server",
  quotaCpu: "160",
  quotaMemory: "640Gi",
  quotaPods: 1000,
  defaultCpuRequest: "100m",
  defaultMemory: "256Mi",
  maxMemory: "2Gi",
  maxCpu: "2",
  defaultEphemeralStorageRequest: "64Mi",
  defaultEphemeralStorage: "1Gi",
  maxEphemeralStorage: "4Gi",
} as const;
