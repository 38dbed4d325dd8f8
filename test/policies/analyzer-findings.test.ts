// The runner returns every finding, however many: a fleet's worth of stacks checked at once (npm run fleet, or a
// bench export of 20,000 resources) yielded more findings than one call may take as arguments, and the check
// failed with "Maximum call stack size exceeded" instead of listing them.
import type { Policies } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { golden } from "./fixtures/golden.js";

const FINDINGS = 200_000;

const noisy: Policies = [
  {
    name: "noisy-stack-policy",
    description: "reports one violation per index, for the runner's own test",
    enforcementLevel: "mandatory",
    validateStack: (_stack, reportViolation) => {
      for (let i = 0; i < FINDINGS; i++) reportViolation(`finding ${i}`);
    },
  },
];

describe("the policy runner", () => {
  it(`returns all ${FINDINGS.toLocaleString("en")} findings of one stack policy, in order`, async () => {
    const run = await runPolicyPack(parseExport(JSON.stringify(golden()), "fixture"), { policies: noisy });
    expect(run.diagnostics).toHaveLength(FINDINGS);
    expect(run.diagnostics[0]!.message).toBe("finding 0");
    expect(run.diagnostics.at(-1)!.message).toBe(`finding ${FINDINGS - 1}`);
  });
});
