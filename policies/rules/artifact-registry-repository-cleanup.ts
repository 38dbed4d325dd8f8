import { durationSeconds } from "../lib/duration";
import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, at, cannotVerify, UNKNOWN } from "../lib/props";
import { AR_REPOSITORY } from "../lib/types";

const THIRTY_DAYS = 30 * 24 * 3600;
/** The keep mark the backend puts on what a Revision runs (components/gcp/artifactRegistry.ts LIVE_TAG_PREFIX). */
export const LIVE_TAG = "live-gumstack-probe-00001";
/** The platform's own packages in the tenant repository, as the API spells them (the "/" percent-encoded) and not. */
export const PLATFORM_PACKAGES: readonly string[] = [
  "gumstack-build/builder",
  "gumstack-build%2Fbuilder",
  "gumstack-canary/canary",
  "gumstack-canary%2Fcanary",
];

/** A version as the cleanup sees it: its package, age, tags, and rank among its package's versions (1 = newest). */
export interface VersionProbe {
  readonly pkg: string;
  readonly ageSeconds: number;
  readonly tags: readonly string[];
  readonly rank: number;
}

type Verdict = "kept" | "deleted" | "unknown";

/**
 * What Artifact Registry's cleanup does to one version under these policies: deleted when a DELETE policy's
 * condition matches and no KEEP policy does (a KEEP match wins;
 * https://cloud.google.com/artifact-registry/docs/repositories/cleanup-policy-overview). Conditions match when
 * every field set matches (CleanupPolicyCondition: "If multiple entries are set, all must be satisfied"); the
 * prefix lists match on any prefix. "unknown" when a field the verdict depends on is unknown or unreadable.
 */
export function cleanupVerdict(policies: readonly unknown[], v: VersionProbe): Verdict {
  let unknown = false;
  const matches = (c: unknown): boolean => {
    if (c === undefined || c === null) return true;
    const field = (f: string) => {
      const x = at(c, f);
      if (x === UNKNOWN) unknown = true;
      return x === UNKNOWN ? undefined : x;
    };
    const state = field("tagState") ?? "ANY";
    if (state === "TAGGED" && v.tags.length === 0) return false;
    if (state === "UNTAGGED" && v.tags.length > 0) return false;
    const older = field("olderThan");
    if (older !== undefined && !(v.ageSeconds > (durationSeconds(older) ?? Infinity))) return false;
    const newer = field("newerThan");
    if (newer !== undefined && !(v.ageSeconds < (durationSeconds(newer) ?? -Infinity))) return false;
    const prefixes = (f: string) => {
      const x = field(f);
      return x === undefined ? undefined : asArray(x).map(String);
    };
    const tagPrefixes = prefixes("tagPrefixes");
    if (tagPrefixes && !v.tags.some((t) => tagPrefixes.some((p) => t.startsWith(p)))) return false;
    const pkgPrefixes = prefixes("packageNamePrefixes");
    if (pkgPrefixes && !pkgPrefixes.some((p) => v.pkg.startsWith(p))) return false;
    const versionPrefixes = prefixes("versionNamePrefixes");
    // Docker version names are digests ("sha256:..."): a version prefix the probe cannot know never matches it.
    if (versionPrefixes) return false;
    return true;
  };
  const keeps = (p: unknown): boolean => {
    const recent = at(p, "mostRecentVersions");
    if (recent === UNKNOWN) unknown = true;
    if (recent && typeof recent === "object") {
      const count = Number(at(recent, "keepCount"));
      const pkgs = at(recent, "packageNamePrefixes");
      const inPkg = pkgs === undefined || asArray(pkgs).some((x) => v.pkg.startsWith(String(x)));
      return inPkg && Number.isFinite(count) && v.rank <= count;
    }
    return matches(at(p, "condition"));
  };
  const kept = policies.some((p) => at(p, "action") === "KEEP" && keeps(p));
  const deleted = policies.some((p) => at(p, "action") === "DELETE" && matches(at(p, "condition")));
  if (unknown) return "unknown";
  return deleted && !kept ? "deleted" : "kept";
}

const TEN_YEARS = 10 * 365 * 24 * 3600;

export const artifactRegistryRepositoryCleanup = resourcePolicy(
  {
    name: "artifact-registry-repository-cleanup",
    description:
      "Artifact Registry repositories delete images older than 30 days, for real (not a dry run), keep the most recent versions, and never delete what runs: a version tagged live-* or under the platform's reserved paths.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: platformRule(
      "docs/facts.md fact 18, docs/build-plane.md (What the registry keeps)",
      'cleanupPolicyDryRun: false; DELETE olderThan "2592000s" plus KEEP mostRecentVersions, KEEP tagPrefixes ["live-"] and KEEP packageNamePrefixes ["gumstack-build", "gumstack-canary"]',
    ),
    remediationSteps:
      'Set cleanupPolicyDryRun: false and cleanupPolicies [{ action: "DELETE", condition: { olderThan: "2592000s" } }, { action: "KEEP", mostRecentVersions: { keepCount: 10 } }, ' +
      '{ action: "KEEP", condition: { tagState: "TAGGED", tagPrefixes: ["live-"] } }, { action: "KEEP", condition: { packageNamePrefixes: ["gumstack-build", "gumstack-canary"] } }] (components/gcp/artifactRegistry.ts cleanupPolicies).',
  },
  AR_REPOSITORY,
  ({ props, report }) => {
    const dryRun = at(props, "cleanupPolicyDryRun");
    if (dryRun === UNKNOWN) report(cannotVerify("cleanupPolicyDryRun"));
    else if (dryRun === true) report("cleanupPolicyDryRun is true: the cleanup policies only log what they would delete");
    const policies = at(props, "cleanupPolicies");
    if (policies === UNKNOWN) return report(cannotVerify("cleanupPolicies"));
    const list = asArray(policies);
    const deletes = list.filter((p) => at(p, "action") === "DELETE").map((p) => durationSeconds(at(p, "condition.olderThan")));
    if (!deletes.some((s) => s !== undefined && s <= THIRTY_DAYS)) {
      report("no DELETE cleanup policy with condition.olderThan of 30 days (2592000s) or less");
    }
    const keeps = list.filter((p) => at(p, "action") === "KEEP" && Number(at(p, "mostRecentVersions.keepCount")) > 0);
    if (keeps.length === 0)
      report("no KEEP cleanup policy with mostRecentVersions.keepCount: images still deployed would be deleted after 30 days");
    // Judged by what the cleanup would do, not by the policies' spelling: a ten-year-old version far outside its
    // package's newest, once with a live tag in a tenant's package, once untagged in each platform package.
    const judge = (what: string, v: VersionProbe) => {
      const verdict = cleanupVerdict(list, v);
      if (verdict === "unknown") report(cannotVerify(`cleanupPolicies (${what})`));
      else if (verdict === "deleted") report(`the cleanup would delete ${what}`);
    };
    judge(`a running image: version tagged ${LIVE_TAG} in acme/weather, ten years old, 1000 versions behind`, {
      pkg: "acme/weather",
      ageSeconds: TEN_YEARS,
      tags: [LIVE_TAG, "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e"],
      rank: 1000,
    });
    for (const pkg of PLATFORM_PACKAGES)
      judge(`the stack's own image: untagged version of ${pkg}, ten years old, 1000 versions behind`, {
        pkg,
        ageSeconds: TEN_YEARS,
        tags: [],
        rank: 1000,
      });
  },
);
