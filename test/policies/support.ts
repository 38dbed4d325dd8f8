// Helpers for the policy tests: run the pack (through @pulumi/policy's handlers) over a fixture, find and
// change fixture resources, and reduce diagnostics to what the tests assert.
import type { PolicyPackConfig } from "@pulumi/policy";
import {
  BASIC_WRITE_ROLES,
  clusterIdentities,
  readStackIam,
  REPOSITORY_READ_ROLE,
  REPOSITORY_WRITE_ROLES,
} from "../../policies/lib/iam.js";
import type { StackResource } from "../../policies/lib/policy.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { golden, urnOf, type FixtureExport, type FixtureResource } from "./fixtures/golden.js";

export interface Finding {
  policy: string;
  level: string;
  /** The Pulumi name of the resource (last URN segment), or "(stack)". */
  resource: string;
  message: string;
}

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function nameOfUrn(urn: string | undefined): string {
  return urn ? urn.slice(urn.lastIndexOf("::") + 2) : "(stack)";
}

/** The fixture resource named `name` (its Pulumi name). */
export function find(exp: FixtureExport, name: string): FixtureResource {
  const r = exp.deployment.resources.find((x) => nameOfUrn(x.urn) === name);
  if (!r) throw new Error(`fixture has no resource named ${name}`);
  return r;
}

/** Applies `change` to both inputs and outputs of resource `name` (a plan carries the same values in both). */
export function change(exp: FixtureExport, name: string, fn: (props: Record<string, any>) => void): FixtureExport {
  const r = find(exp, name);
  fn(r.inputs);
  fn(r.outputs);
  return exp;
}

export function remove(exp: FixtureExport, ...names: string[]): FixtureExport {
  exp.deployment.resources = exp.deployment.resources.filter((r) => !names.includes(nameOfUrn(r.urn)));
  return exp;
}

export function add(exp: FixtureExport, r: FixtureResource): FixtureExport {
  exp.deployment.resources.push(r);
  return exp;
}

/** A resource in the fixture's shape. */
export function resource(type: string, name: string, inputs: Record<string, any>, extra: Partial<FixtureResource> = {}): FixtureResource {
  return {
    urn: urnOf(type, name),
    custom: true,
    type,
    inputs,
    outputs: structuredClone(inputs),
    ...(type.startsWith("kubernetes:") ? { provider: `${urnOf("pulumi:providers:kubernetes", "gke-k8s")}::gke-provider-id` } : {}),
    dependencies: [],
    propertyDependencies: {},
    ...extra,
  };
}

export async function findings(exp: FixtureExport = golden(), config?: PolicyPackConfig): Promise<Finding[]> {
  const run = await runPolicyPack(parseExport(JSON.stringify(exp), "fixture"), config ? { config } : {});
  return run.diagnostics.map((d) => ({ policy: d.policy, level: d.level, resource: nameOfUrn(d.urn), message: d.message }));
}

/** Planned resources as a stack policy sees them (props from the inputs, as in a plan), for the pack's helpers. */
export function stackResources(resources: readonly PlannedLike[]): StackResource[] {
  return resources.map((r) => ({
    type: r.type,
    urn: r.urn,
    name: nameOfUrn(r.urn),
    props: r.inputs,
    proxied: r.inputs,
    providerProps: {},
    protect: r.protect === true,
    dependsOn: r.dependencies,
    propertyDependsOn: r.propertyDependencies,
  }));
}

/**
 * Who, of the identities reachable from the cluster (closed under impersonation and Workload Identity), may
 * read or write which Artifact Registry repository, as sorted "<member> reads|writes <repository url>" lines.
 */
export function clusterRepositoryAccess(resources: readonly PlannedLike[]): string[] {
  const iam = readStackIam(stackResources(resources));
  const reach = clusterIdentities(iam);
  const lines = new Set<string>();
  for (const g of iam.grants) {
    if (!reach.has(g.member) || g.role === undefined) continue;
    const writes = REPOSITORY_WRITE_ROLES.has(g.role) || BASIC_WRITE_ROLES.has(g.role);
    const reads = writes || g.role === REPOSITORY_READ_ROLE;
    if (!reads) continue;
    const s = g.scope;
    const target =
      s.kind === "repository"
        ? `${s.location}-docker.pkg.dev/${s.project}/${s.repository}`
        : s.kind === "project"
          ? `every repository of ${s.project}`
          : `${s.kind}`;
    lines.add(`${g.member} ${writes ? "writes" : "reads"} ${target}`);
  }
  return [...lines].sort();
}

interface PlannedLike {
  readonly type: string;
  readonly urn: string;
  readonly inputs: Record<string, unknown>;
  readonly protect?: boolean;
  readonly dependencies: string[];
  readonly propertyDependencies: Record<string, string[]>;
}
