// What the tenant repository's cleanup keeps, judged by what Artifact Registry's cleanup would do with the stack's
// policies (the pack's cleanupVerdict: a KEEP match wins over a DELETE) over every kind of version: a version is
// deleted only when it is older than the retention, outside its package's newest, carries no live- tag and is no
// platform image. Then the same on the prod and enterprise plans, and the keep mark the backend writes.
import { describe, expect, it } from "vitest";
import { cleanupPolicies, KEPT_PACKAGE_PREFIXES, LIVE_TAG_PREFIX, liveTag } from "../../components/gcp/artifactRegistry.js";
import { buildJobManifest } from "../../components/kubernetes/buildJob.js";
import { cleanupVerdict, LIVE_TAG } from "../../policies/rules/artifact-registry-repository-cleanup.js";
import { one } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";

const DAY = 86400;
const PACKAGES = [
  "acme/weather",
  "acme%2Fweather",
  "globex/search",
  "gumstack-build/builder",
  "gumstack-build%2Fbuilder",
  "gumstack-canary%2Fcanary",
];
const AGES = [0, 29 * DAY, 30 * DAY + 1, 365 * DAY, 3650 * DAY];
const TAGS = [[], ["4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e"], [liveTag("weather-00042")], ["livex"], ["4f2c1e9", "live-weather-00001"]];
const RANKS = [1, 10, 11, 1000];

describe("the tenant repository's cleanup", () => {
  const policies = cleanupPolicies(30, 10);
  it("deletes a version exactly when it is old, not among the 10 newest, not live and not the platform's", () => {
    let deleted = 0;
    for (const pkg of PACKAGES)
      for (const ageSeconds of AGES)
        for (const tags of TAGS)
          for (const rank of RANKS) {
            const platform = KEPT_PACKAGE_PREFIXES.some((p) => pkg.startsWith(p));
            const live = tags.some((t) => t.startsWith(LIVE_TAG_PREFIX));
            const expected = ageSeconds > 30 * DAY && rank > 10 && !live && !platform ? "deleted" : "kept";
            const got = cleanupVerdict(policies, { pkg, ageSeconds, tags, rank });
            expect(got, JSON.stringify({ pkg, ageSeconds, tags, rank })).toBe(expected);
            if (got === "deleted") deleted++;
          }
    // The DELETE does delete (the property is not vacuous): tenant packages' old, untagged-or-unmarked versions.
    expect(deleted).toBeGreaterThan(0);
  });

  it("the pack's probe tag is a live tag, and live tags are valid Docker tags for any Revision name", () => {
    expect(LIVE_TAG.startsWith(LIVE_TAG_PREFIX)).toBe(true);
    const longest = liveTag("a".repeat(63));
    expect(longest).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    expect(() => liveTag("Weather_1")).toThrow(/revision name "Weather_1" is not a DNS-1123 label/);
  });

  it("no build can push into a kept platform path: every tenant id that a kept prefix matches is refused", () => {
    const request = {
      buildId: "b1",
      server: "weather",
      gitUrl: "https://github.com/acme/weather.git",
      gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
      imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
    };
    const platform = { builderImage: `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"8".repeat(64)}` };
    for (const p of KEPT_PACKAGE_PREFIXES)
      for (const tenantId of [p, `${p}er`, `${p}-x`, `${p}1`])
        expect(() => buildJobManifest(platform, { ...request, tenantId }), tenantId).toThrow(/is reserved for platform images/);
  });
});

describe.each(["prod", "enterprise"])("the %s plan's tenant repository", async (stack) => {
  const plan = await sharedPlan(stack);
  it("plans exactly these cleanup policies, for real (no dry run)", () => {
    const repo = one(plan.deployment.resources, "gcp:artifactregistry/repository:Repository");
    expect(repo.inputs.cleanupPolicyDryRun).toBe(false);
    expect(repo.inputs.cleanupPolicies).toEqual(cleanupPolicies(30, 10));
  });
});
