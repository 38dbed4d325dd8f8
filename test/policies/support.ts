// Helpers for the policy tests: run the pack (through @pulumi/policy's handlers) over a fixture, find and
// change fixture resources, and reduce diagnostics to what the tests assert.
import type { PolicyPackConfig } from "@pulumi/policy";
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
