// The real program, planned offline for the enterprise stack (a customer project with the whole platform in
// it), passes the pack clean. A file of its own: Pulumi's mock runtime is process-global.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/policy.js";
import { sharedPlanner } from "../support/cli.js";

describe.skipIf(!existsSync("Pulumi.enterprise.yaml"))("the enterprise plan", () => {
  it("passes every policy: npm run policy -- --stack enterprise exits 0", async () => {
    const out: string[] = [];
    const code = await main(
      ["--stack", "enterprise"],
      (s) => out.push(s),
      (s) => out.push(s),
      // The stack file's own plan, planned once per worker for every test that reads it (test/support/cli.ts).
      { planStack: sharedPlanner },
    );
    expect(out.join("\n")).toMatch(/^PASSED: 0 mandatory and 0 advisory violations$/m);
    expect(code).toBe(0);
  });
});
