// gumstack:canary: on by default, its image pinned by digest under the canary's tenant path of this stack's tenant
// MCP repository (else the admission guard would refuse it at run time), each mistake refused naming the key.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig } from "../../src/config/load.js";
import { refusedProblems } from "../support/config.js";
import { renderEnterpriseStack } from "../../src/enterprise/newEnterpriseStack.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { sharedPlanner } from "../support/cli.js";

const prodFile = parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml");
const withCanary = (canary: unknown): Record<string, unknown> => ({ ...structuredClone(namespaceValues(prodFile.config)), canary });
const DIGEST = `sha256:${"5e1b0c7a".repeat(8)}`;
const PATH = "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-canary";

const problems = refusedProblems;

describe("gumstack:canary", () => {
  it("is off in prod until its first deployment, and on in the example customer with a digest under the canary's tenant path", () => {
    // Prod's first `up` creates the tenant repository the canary is copied into (README "Deploying for real").
    expect(parseStackConfig(namespaceValues(prodFile.config)).canary).toMatchObject({ enabled: false });
    expect(parseStackConfig(namespaceValues(prodFile.config)).canary.image).toBeUndefined();
    const file = parseStackFile(readFileSync("Pulumi.enterprise.yaml", "utf8"), "enterprise");
    const cfg = parseStackConfig(namespaceValues(file.config));
    expect(cfg.canary.enabled).toBe(true);
    expect(cfg.canary.image).toMatch(
      new RegExp(`^us-west1-docker\\.pkg\\.dev/${cfg.project}/mcp-${cfg.environment}/gumstack-canary/canary@sha256:[a-f0-9]{64}$`),
    );
  });

  it("defaults: on, every 60 s, a Google HTTPS endpoint as the must-reach", () => {
    const cfg = parseStackConfig(withCanary({ image: `${PATH}/canary@${DIGEST}` }));
    expect(cfg.canary).toEqual({
      enabled: true,
      image: `${PATH}/canary@${DIGEST}`,
      intervalSeconds: 60,
      reachUrl: "https://www.gstatic.com/generate_204",
    });
  });

  it.each([
    [
      "no image while enabled",
      {},
      /^gumstack:canary\.image: is required when canary\.enabled is true: .*gumstack-canary\/canary@sha256:<64 hex> \(or set canary\.enabled: false\)/,
    ],
    ["a tag", { image: `${PATH}/canary:4f2c1e9` }, /^gumstack:canary\.image: must be pinned by digest/],
    [
      "another tenant's path",
      { image: `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/acme/canary@${DIGEST}` },
      /^gumstack:canary\.image: must be in this stack's tenant MCP repository under the canary's tenant path: us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod\/gumstack-canary\/<name>@sha256/,
    ],
    [
      "the platform-images repository",
      { image: `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/canary@${DIGEST}` },
      /^gumstack:canary\.image: must be in this stack's tenant MCP repository/,
    ],
    [
      "plain http as the must-reach",
      { image: `${PATH}/canary@${DIGEST}`, reachUrl: "http://example.com/" },
      /^gumstack:canary\.reachUrl: must be a public https:\/\/ URL/,
    ],
    ["a 1 s interval", { image: `${PATH}/canary@${DIGEST}`, intervalSeconds: 1 }, /^gumstack:canary\.intervalSeconds: /],
    ["a typo", { image: `${PATH}/canary@${DIGEST}`, enable: true }, /^gumstack:canary\.enable: unknown key/],
  ])("refuses %s, naming the key", (_what, canary, message) => {
    expect(problems(withCanary(canary))).toEqual([expect.stringMatching(message)]);
  });

  it("off: no image needed, and nothing of the canary is planned", async () => {
    expect(parseStackConfig(withCanary({ enabled: false })).canary.enabled).toBe(false);
    const plan = await sharedPlanner({
      stack: "prod",
      stackConfig: {
        config: { ...prodFile.config, "gumstack:canary": JSON.stringify({ enabled: false }) },
        secretKeys: prodFile.secretKeys,
      },
    });
    expect(
      plan.deployment.resources
        .filter((r) => /canary/i.test(r.urn) || r.type.startsWith("kubernetes:serving.knative.dev"))
        .map((r) => r.urn),
    ).toEqual([]);
    const stack = plan.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    expect((stack.outputs as { canaryUrl?: unknown }).canaryUrl).toBeNull();
  });

  it("a new enterprise stack starts with it off: its tenant repository does not exist before its first deployment", () => {
    const text = renderEnterpriseStack(readFileSync("Pulumi.enterprise.yaml", "utf8"), {
      customer: "globex",
      billingAccount: "01A2B3-C4D5E6-F7A8B9",
      folderId: "123456789012",
    });
    const cfg = parseStackConfig(namespaceValues(parseStackFile(text, "Pulumi.enterprise-globex.yaml").config));
    expect(cfg.canary).toMatchObject({ enabled: false });
    expect(cfg.canary.image).toBeUndefined();
    expect(text).toMatch(/# Off until the release identity has pushed the canary/);
  });
});
