// Locating resources of the MCP namespace.
import { namespaceOf, podSpecPath } from "./k8s";
import type { ResourceContext } from "./policy";
import { at, cannotVerify, deferUnknown, isObject, UNKNOWN, type Props } from "./props";

/** metadata.name, or the Pulumi resource name when the manifest leaves it to autonaming. */
export function objectName(props: Props, fallback: string): string {
  const n = at(props, "metadata.name");
  return typeof n === "string" && n !== "" ? n : fallback;
}

/**
 * Whether the namespaced resource in `ctx` lives in the MCP namespace. An unknown namespace is deferred to
 * @pulumi/policy's advisory: it is a reference (the Namespace resource's output), not a literal.
 */
export function inMcpNamespace(ctx: ResourceContext): boolean {
  const ns = namespaceOf(ctx.props, ctx.providerProps);
  if (ns === UNKNOWN) return deferUnknown(ctx.proxied, "metadata.namespace");
  return ns === ctx.config.mcpNamespace;
}

export interface McpPodSpec {
  /** The plain pod spec. */
  readonly spec: Props;
  /** Its path in the resource's inputs, for messages about unknown values. */
  readonly path: readonly string[];
}

/**
 * The pod spec of a workload (any kind that makes pods, Knative Services included) in the MCP namespace;
 * undefined for other namespaces. An unknown pod spec is reported as a violation here.
 */
export function mcpPodSpec(ctx: ResourceContext): McpPodSpec | undefined {
  const path = podSpecPath(ctx.type);
  if (!path || !inMcpNamespace(ctx)) return undefined;
  const spec = at(ctx.props, path);
  if (spec === UNKNOWN) {
    ctx.report(cannotVerify(path));
    return undefined;
  }
  return { spec: isObject(spec) ? spec : {}, path };
}
