// Deploy traps over whole plans: values the Terraform provider under @pulumi/gcp would send for what a plan leaves
// unset (or sets) that GCP refuses for this cluster's or project's shape (docs/deploy-traps.md). Every rule runs over
// the plan of every stack file there is, and each is shown to catch its trap on a copy of the plan with the trap put
// back in.
import { describe, expect, it } from "vitest";
import { listStacks } from "../../src/cli/common.js";
import type { PlannedResource } from "../../src/plan/plan.js";
import { nameOf } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";

type Json = Record<string, any>;
const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";

interface Rule {
  readonly name: string;
  /** One line per resource that would be refused. */
  readonly check: (resources: readonly PlannedResource[]) => string[];
  /** Puts the trap back into a plan that passes (mutating it), for the rule's own negative test. */
  readonly breakPlan: (resources: PlannedResource[]) => void;
}

const ofType = (rs: readonly PlannedResource[], type: string) => rs.filter((r) => r.type === type);
const inputs = (r: PlannedResource) => r.inputs as Json;

const RULES: readonly Rule[] = [
  {
    // expandNodeNetworkConfig force-sends enable_private_nodes whenever network_config is set: unset means false.
    name: "a node pool with networkConfig on a private-nodes cluster sets enablePrivateNodes true",
    check: (rs) => {
      const privateCluster = ofType(rs, CLUSTER).some((c) => inputs(c).privateClusterConfig?.enablePrivateNodes === true);
      return ofType(rs, POOL)
        .filter((p) => inputs(p).networkConfig !== undefined && privateCluster && inputs(p).networkConfig.enablePrivateNodes !== true)
        .map((p) => `${nameOf(p)}: networkConfig without enablePrivateNodes true is sent as false and refused on a private cluster`);
    },
    breakPlan: (rs) => {
      for (const p of ofType(rs, POOL)) if (inputs(p).networkConfig) delete inputs(p).networkConfig.enablePrivateNodes;
    },
  },
];

const stacks = listStacks();

describe.each(stacks)("the %s stack's plan", async (stack) => {
  const resources = (await sharedPlan(stack)).deployment.resources;

  it.each(RULES.map((r) => [r.name, r] as const))("%s", (_name, rule) => {
    expect(rule.check(resources)).toEqual([]);
  });
});

describe("each rule catches its trap", async () => {
  // prod and enterprise are the two kinds of stack; both carry every resource type the rules read.
  const plans = await Promise.all(["prod", "enterprise"].map(async (s) => (await sharedPlan(s)).deployment.resources));
  it.each(RULES.map((r) => [r.name, r] as const))("%s", (_name, rule) => {
    for (const resources of plans) {
      const broken = structuredClone(resources);
      rule.breakPlan(broken);
      expect(rule.check(broken).length, rule.name).toBeGreaterThan(0);
    }
  });
});

describe("the stacks this suite reads", () => {
  it("include a platform and an enterprise stack", () => {
    expect(stacks).toEqual(expect.arrayContaining(["prod", "enterprise"]));
  });
});
