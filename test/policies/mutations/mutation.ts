// One-change mutations of a committed stack's plan, each opening one real hole: the test
// (test/policies/mutations.test.ts) plans the stack, applies one mutation to a private copy and runs the named
// policy over it through @pulumi/policy's analyzer, with the pack config `npm run policy` derives. A mutation
// that the policy lets through is a policy that samples instead of judging. Mutations are data: add one per
// hole a rule must close, in the file of its area.
import type { ExportResource } from "../../../src/policy/export.js";

export interface Mutation {
  /** What hole it opens, in a sentence (the test's title). */
  readonly hole: string;
  /** The mandatory policy that must fail the mutated plan. */
  readonly policy: string;
  /** Kinds of stack (`gumstack:kind`) whose plans it applies to; default every committed stack. */
  readonly kinds?: readonly ("platform" | "enterprise")[];
  /** Changes the plan in place; returns how many places it changed (0 fails the test: the mutation missed). */
  readonly apply: (resources: ExportResource[]) => number;
  /** Optional: a pattern the policy's message must match, so the right reason fails it. */
  readonly message?: RegExp;
}

type Props = Record<string, any>;

/**
 * Applies `fn` to the inputs and the outputs of every resource of `type` that `where` selects: a plan carries
 * both, resource policies read inputs and stack policies outputs, so a hole is punched in both. Returns the
 * number of resources changed.
 */
export function edit(
  resources: ExportResource[],
  type: string,
  where: (props: Props, r: ExportResource) => boolean,
  fn: (props: Props) => void,
): number {
  let n = 0;
  for (const r of resources) {
    if (r.type !== type || !where(r.inputs as Props, r)) continue;
    fn(r.inputs as Props);
    if (r.outputs && Object.keys(r.outputs).length > 0) fn(r.outputs as Props);
    n++;
  }
  return n;
}

/** Adds a resource of `type` named `name` (inputs = outputs = `props`), under the stack's first provider of `providerType`. */
export function addResource(resources: ExportResource[], type: string, name: string, props: Props, providerType?: string): number {
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const provider = providerType ? resources.find((r) => r.type === providerType) : undefined;
  const project = stack ? stack.urn.split("::")[2] : "gumstack";
  const stackName = stack ? stack.urn.split("::")[0]!.split(":")[2] : "prod";
  resources.push({
    urn: `urn:pulumi:${stackName}::${project}::${type}::${name}`,
    type,
    custom: true,
    external: false,
    inputs: structuredClone(props),
    outputs: structuredClone(props),
    parent: stack?.urn,
    provider: provider?.urn,
    protect: false,
    dependencies: [],
    propertyDependencies: {},
    additionalSecretOutputs: [],
    aliases: [],
  });
  return 1;
}

export const all = (): boolean => true;
export const named = (name: string) => (p: Props) => p.metadata?.name === name || p.name === name;
