// Runs a piece of the program under the offline plan's mocks and returns what it registered.
import { planStack, type PlannedResource } from "../../src/plan/plan.js";

export type { PlannedResource };

/** Registers whatever `build` creates under mocks (stack "test", project config `gcp:project`) and returns the resources. */
export async function record(
  build: () => unknown | Promise<unknown>,
  config: Record<string, string> = {},
): Promise<PlannedResource[]> {
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
