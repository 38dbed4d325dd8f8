// Builders that give every rule the same shape: metadata up front, a check over plain properties, and the
// pack config already read. The checks report plain strings; @pulumi/policy adds the level and severity.
import type {
  EnforcementLevel,
  PolicyComplianceFramework,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { readPackConfig, type PackConfig } from "../config";
import { unwrap, type Props } from "./props";

/** CIS Google Kubernetes Engine (GKE) Benchmark v1.4.0 (numbering as in google/gke-policy-automation). */
export function cisGke(reference: string, specification: string): PolicyComplianceFramework {
  return { name: "CIS Google Kubernetes Engine (GKE) Benchmark", version: "1.4.0", reference, specification };
}

/** CIS Google Cloud Platform Foundation Benchmark v2.0.0. */
export function cisGcp(reference: string, specification: string): PolicyComplianceFramework {
  return { name: "CIS Google Cloud Platform Foundation Benchmark", version: "2.0.0", reference, specification };
}

/** The platform's design reference (docs/facts.md, its numbered facts) where no benchmark item applies. */
export function platformRule(reference: string, specification: string): PolicyComplianceFramework {
  return { name: "Gumstack platform design", version: "1", reference, specification };
}

export interface PolicyMeta {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: Extract<EnforcementLevel, "mandatory" | "advisory">;
  readonly severity: Severity;
  readonly framework: PolicyComplianceFramework;
  readonly remediationSteps: string;
  readonly configSchema?: PolicyConfigSchema;
}

export interface ResourceContext {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** Plain inputs: unknown values are sentinel strings (see props.ts). */
  readonly props: Props;
  /** The same inputs behind @pulumi/policy's unknown-checking proxy, for `deferUnknown`. */
  readonly proxied: Record<string, unknown>;
  /** Plain inputs of the resource's provider, if any (the Kubernetes provider's default namespace). */
  readonly providerProps: Props;
  readonly protect: boolean;
  readonly config: PackConfig;
  report(message: string): void;
}

export interface StackResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly props: Props;
  readonly proxied: Record<string, unknown>;
  readonly providerProps: Props;
  readonly protect: boolean;
  /** URNs this resource depends on, all properties together. */
  readonly dependsOn: readonly string[];
  /** URNs per input property. */
  readonly propertyDependsOn: Readonly<Record<string, readonly string[]>>;
}

export interface StackContext {
  readonly resources: readonly StackResource[];
  readonly config: PackConfig;
  report(message: string, urn?: string): void;
  notApplicable(reason: string): never;
}

/** A matcher for resource types: one type token, several, or a predicate. */
export type TypeMatch = string | readonly string[] | ((type: string) => boolean);

function matches(m: TypeMatch, type: string): boolean {
  return typeof m === "string" ? m === type : typeof m === "function" ? m(type) : m.indexOf(type) >= 0;
}

/**
 * `args.notApplicable(reason)`: throws @pulumi/policy's NotApplicableError, of which the library reads only the
 * reason. Without the stack trace V8 would capture for it, skipping a resource of another type (every resource,
 * for every policy over several types) costs next to nothing.
 */
function skip(args: { notApplicable(reason?: string): never }, reason: string): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return args.notApplicable(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A resource policy over the types `types`, reading plain props and the pack config. */
export function resourcePolicy(meta: PolicyMeta, types: TypeMatch, check: (ctx: ResourceContext) => void): ResourceValidationPolicy {
  const validate = (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
    if (!matches(types, args.type))
      return skip(args, `Policy only applies to ${typeof types === "string" ? `resources of type '${types}'` : "its resource types"}`);
    check({
      type: args.type,
      urn: args.urn,
      name: args.name,
      props: unwrap(args.props),
      proxied: args.props,
      providerProps: unwrap(args.provider?.props),
      protect: args.opts?.protect === true,
      config: readPackConfig(args.getConfig<object>()),
      report: (message) => reportViolation(message),
    });
  };
  // A single type token lets @pulumi/policy skip other types before calling us (its "not applicable" fast path).
  if (typeof types === "string") (validate as unknown as { __pulumiType: string }).__pulumiType = types;
  return { ...meta, validateResource: validate };
}

function stackResource(r: PolicyResource): StackResource {
  const propertyDependsOn: Record<string, string[]> = {};
  for (const k of Object.keys(r.propertyDependencies ?? {})) propertyDependsOn[k] = (r.propertyDependencies[k] ?? []).map((d) => d.urn);
  return {
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: unwrap(r.props),
    proxied: r.props,
    providerProps: unwrap(r.provider?.props),
    protect: r.opts?.protect === true,
    dependsOn: (r.dependencies ?? []).map((d) => d.urn),
    propertyDependsOn,
  };
}

/** A stack policy over every resource of the stack. */
export function stackPolicy(meta: PolicyMeta, check: (ctx: StackContext) => void): StackValidationPolicy {
  return {
    ...meta,
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) =>
      check({
        resources: args.resources.map(stackResource),
        config: readPackConfig(args.getConfig<object>()),
        report: (message, urn) => reportViolation(message, urn),
        notApplicable: (reason) => skip(args, reason),
      }),
  };
}
