// Runs a piece of the program under the offline plan's mocks and returns what it registered.
import type * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { namespaceValues, parseStackConfig } from "../../src/config/load.js";
import type { StackConfig } from "../../src/config/schema.js";
import { planStack, type PlannedResource } from "../../src/plan/plan.js";
import { parseStackFile } from "../../src/plan/stackFile.js";

export type { PlannedResource };

/** Registers whatever `build` creates under mocks (stack "test", project config `gcp:project`) and returns the resources. */
export async function record(build: () => unknown | Promise<unknown>, config: Record<string, string> = {}): Promise<PlannedResource[]> {
  const plan = await planStack({
    stack: "test",
    stackConfig: { config: { "gcp:project": "gumstack-test", ...config }, secretKeys: [] },
    program: async () => {
      await build();
      return {};
    },
  });
  return plan.deployment.resources;
}

/** Resources of one type, optionally by the logical name at the end of the URN. */
export function ofType(resources: readonly PlannedResource[], type: string, name?: string): PlannedResource[] {
  return resources.filter((r) => r.type === type && (name === undefined || r.urn.endsWith(`::${name}`)));
}

/** Exactly one resource of a type (and name); throws with what exists otherwise. */
export function one(resources: readonly PlannedResource[], type: string, name?: string): PlannedResource {
  const found = ofType(resources, type, name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.urn).join(", ")}`);
  }
  return found[0]!;
}

/** True when `from` waits for `to`: a path of dependency edges (what the engine orders creation by). */
export function waitsFor(resources: readonly PlannedResource[], from: PlannedResource, to: PlannedResource): boolean {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const stack = [from.urn];
  while (stack.length > 0) {
    const urn = stack.pop()!;
    if (seen.has(urn)) continue;
    seen.add(urn);
    const r = byUrn.get(urn);
    if (!r) continue;
    for (const dep of [...r.dependencies, ...Object.values(r.propertyDependencies).flat()]) {
      if (dep === to.urn) return true;
      stack.push(dep);
    }
  }
  return false;
}

/** The logical name at the end of a URN. */
export function nameOf(r: PlannedResource): string {
  return r.urn.slice(r.urn.lastIndexOf("::") + 2);
}

/** The prod stack's validated config (Pulumi.prod.yaml: the seed's values, every default applied). */
export function prodConfig(): StackConfig {
  const file = parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml");
  return parseStackConfig(namespaceValues(file.config));
}

/** The value of an Output (under mocks every Output resolves). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise<T>((resolve) => o.apply(resolve));
}
