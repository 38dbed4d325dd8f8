// The real program, planned offline for the prod stack, passes the pack clean; and the check is not
// vacuous: the same plan with one hole punched in the MCP egress policy fails it.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/policy.js";
import { sharedPlanner } from "../support/cli.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { sharedPlan } from "../support/plans.js";

describe.skipIf(!existsSync("Pulumi.prod.yaml"))("the prod plan", () => {
  it("passes every policy: npm run policy -- --stack prod exits 0", async () => {
    const out: string[] = [];
    const code = await main(
      ["--stack", "prod"],
      (s) => out.push(s),
      (s) => out.push(s),
      // The stack file's own plan, planned once per worker for every test that reads it (test/support/cli.ts).
      { planStack: sharedPlanner },
    );
    expect(out.join("\n")).toMatch(/^PASSED: 0 mandatory and 0 advisory violations$/m);
    expect(code).toBe(0);
  });

  it("is really checked: the metadata server let out of the MCP egress policy fails", async () => {
    const plan = await sharedPlan("prod");
    const resources = plan.deployment.resources;
    const mcpPolicies = resources.filter(
      (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs as any).metadata?.namespace === "gumstack-mcp",
    );
    expect(mcpPolicies.length).toBeGreaterThan(0);
    let punched = 0;
    for (const r of mcpPolicies) {
      for (const props of [r.inputs, r.outputs] as any[]) {
        for (const rule of props.spec?.egress ?? []) {
          for (const peer of rule.to ?? []) {
            if (peer.ipBlock?.except) {
              peer.ipBlock.except = peer.ipBlock.except.filter((c: string) => c !== "169.254.0.0/16");
              punched++;
            }
          }
        }
      }
    }
    expect(punched).toBeGreaterThan(0);
    const run = await runPolicyPack(parseExport(JSON.stringify(plan), "prod plan"));
    expect(run.diagnostics.filter((d) => d.level === "mandatory").map((d) => d.message)).toContainEqual(
      expect.stringMatching(
        /^egress from an MCP pod to 169\.254\.169\.254 \(169\.254\.0\.0\/16, GCE metadata server\) on 80\/TCP is allowed by the MCP pods' egress policies \(by gumstack-mcp\//,
      ),
    );
  });
});
