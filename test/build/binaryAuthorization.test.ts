// Provenance the cluster enforces, on the prod and enterprise plans: the cluster evaluates the project's Binary
// Authorization policy; the policy requires the stack's attestor for every image but Google's system images and
// the listed upstream ones (never a tenant's or a platform image); the attestor verifies with exactly the build
// signer's and the release identity's KMS keys; each signer signs with its own key only; and no identity of the
// cluster can act as either signer (the pack's identity graph).
import { describe, expect, it } from "vitest";
import { attestorId, buildSignerAccountId, DEFAULT_EXEMPT_IMAGES } from "../../components/gcp/binaryAuthorization.js";
import { clusterIdentities, readStackIam } from "../../policies/lib/iam.js";
import { ofType, one } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";
import { stackResources } from "../policies/support.js";

type Obj = Record<string, any>;
const STACKS = {
  prod: { project: "gumstack-prod", env: "prod", repo: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod" },
  enterprise: { project: "gumstack-acme", env: "ent-acme", repo: "us-west1-docker.pkg.dev/gumstack-acme/mcp-ent-acme" },
} as const;
const RELEASE = "serviceAccount:gumstack-release@gumstack-admin.iam.gserviceaccount.com";

/** Binary Authorization's namePattern: `*` within a path segment, a trailing `**` across segments. */
const matchesPattern = (pattern: string, image: string): boolean => {
  const name = image.replace(/[@:].*$/, "");
  const body = pattern
    .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\*\*$/, "\u0000")
    .replace(/\*/g, "[^/]*")
    .replace("\u0000", ".*");
  const re = new RegExp(`^${body}$`);
  return re.test(name);
};

describe.each(Object.keys(STACKS) as (keyof typeof STACKS)[])("the %s plan's Binary Authorization", async (stack) => {
  const s = STACKS[stack];
  const rs = (await sharedPlan(stack)).deployment.resources;

  it("has the cluster evaluate the project's policy", () => {
    expect(one(rs, "gcp:container/cluster:Cluster").inputs.binaryAuthorization).toEqual({
      evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE",
    });
  });

  it("requires the stack's attestor for every image, exempting no tenant or platform image", () => {
    const policy = one(rs, "gcp:binaryauthorization/policy:Policy").inputs;
    expect(policy.globalPolicyEvaluationMode).toBe("ENABLE");
    expect(policy.defaultAdmissionRule).toEqual({
      evaluationMode: "REQUIRE_ATTESTATION",
      // Dry run until the signers run: see docs/supply-chain.md "Provenance".
      enforcementMode: "DRYRUN_AUDIT_LOG_ONLY",
      requireAttestationsBies: [`projects/${s.project}/attestors/${attestorId(s.env)}`],
    });
    expect(policy.clusterAdmissionRules ?? []).toEqual([]);
    const patterns = (policy.admissionWhitelistPatterns as Obj[]).map((p) => p.namePattern as string);
    expect(patterns).toEqual([...DEFAULT_EXEMPT_IMAGES]);
    const digest = `@sha256:${"a".repeat(64)}`;
    for (const image of [
      `${s.repo}/acme/weather${digest}`,
      `${s.repo}/gumstack-build/builder${digest}`,
      `${s.repo}/gumstack-canary/canary${digest}`,
      `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/backend${digest}`,
      `gcr.io/knative-releases2/evil${digest}`,
      `docker.io/library/busybox${digest}`,
    ])
      expect(
        patterns.filter((p) => matchesPattern(p, image)),
        image,
      ).toEqual([]);
    expect(patterns.some((p) => matchesPattern(p, `gcr.io/knative-releases/knative.dev/operator/cmd/operator${digest}`))).toBe(true);
  });

  it("verifies with exactly the two signers' KMS keys, each signer signing with its own key only", () => {
    const attestor = one(rs, "gcp:binaryauthorization/attestor:Attestor").inputs as Obj;
    const note = one(rs, "gcp:containeranalysis/note:Note");
    expect(attestor.attestationAuthorityNote.noteReference).toBe(note.outputs.name ?? note.inputs.name);
    const keys = ofType(rs, "gcp:kms/cryptoKey:CryptoKey").filter((k) => k.inputs.purpose === "ASYMMETRIC_SIGN");
    expect(keys.map((k) => k.inputs.name).sort()).toEqual(["binauthz-build", "binauthz-release"]);
    for (const k of keys) {
      expect(k.inputs.versionTemplate).toEqual({ algorithm: "EC_SIGN_P256_SHA256", protectionLevel: "SOFTWARE" });
      expect(k.protect).toBe(true);
    }
    const keyIds = attestor.attestationAuthorityNote.publicKeys.map((p: Obj) => p.id as string);
    expect(
      keyIds.map((id: string) => id.replace(/^\/\/cloudkms\.googleapis\.com\/v1\//, "").replace(/\/cryptoKeyVersions\/1$/, "")).sort(),
    ).toEqual(keys.map((k) => k.id).sort());
    for (const p of attestor.attestationAuthorityNote.publicKeys) expect(p.pkixPublicKey.signatureAlgorithm).toBe("ECDSA_P256_SHA256");
    const signs = ofType(rs, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").filter(
      (g) => g.inputs.role === "roles/cloudkms.signerVerifier",
    );
    const buildSigner = `serviceAccount:${buildSignerAccountId(s.env)}@${s.project}.iam.gserviceaccount.com`;
    const byKey = Object.fromEntries(keys.map((k) => [k.id, k.inputs.name]));
    expect(signs.map((g) => [byKey[g.inputs.cryptoKeyId as string], g.inputs.member]).sort()).toEqual(
      [
        ["binauthz-build", buildSigner],
        ["binauthz-release", RELEASE],
      ].sort(),
    );
  });

  it("no identity of the cluster can act as either signer, and nothing in the stack may act as the build signer", () => {
    const iam = readStackIam(stackResources(rs));
    const buildSigner = `serviceAccount:${buildSignerAccountId(s.env)}@${s.project}.iam.gserviceaccount.com`;
    const reachable = clusterIdentities(iam);
    expect(reachable.has(buildSigner)).toBe(false);
    expect(reachable.has(RELEASE)).toBe(false);
    expect(reachable.size).toBeGreaterThan(0);
    const email = buildSigner.slice("serviceAccount:".length);
    expect(iam.grants.filter((g) => g.scope.kind === "serviceAccount" && (g.scope as Obj).account === buildSigner)).toEqual([]);
    expect(ofType(rs, "gcp:serviceaccount/iAMMember:IAMMember").filter((g) => String(g.inputs.serviceAccountId).includes(email))).toEqual(
      [],
    );
  });
});
