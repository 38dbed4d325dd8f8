// Provenance the cluster enforces: GKE Binary Authorization admits a pod only if its image digest carries an
// attestation of the stack's attestor, signed by one of two keys: the build plane's (what a build pushed, from
// which commit, attested by a trusted step outside the cluster) or the release identity's (every platform image:
// backend, canary, builder). The cluster evaluates this project's policy (evaluationMode
// PROJECT_SINGLETON_POLICY_ENFORCE on the cluster, components/gke/cluster.ts).
//
// Why one attestor with two keys: Binary Authorization's project policy applies one rule to every image of a
// cluster (per-namespace and per-image-path rules exist only in its API's legacy maps and in check-based platform
// policies, neither in the Terraform provider); an attestor admits an attestation that any one of its public keys
// verifies, so one attestor with two keys admits what either signer attested. Which signer signs what is the
// signers' rule (docs/supply-chain.md "Provenance"); the MCP guard keeps MCP pods on the tenant repository.
//
// Signing keys are Cloud KMS asymmetric keys (EC P-256) in the stack's key ring; each signer holds
// signerVerifier on its own key only, and attaches occurrences to the one note. No identity of the cluster may
// act as either signer (test/build/binaryAuthorization.test.ts proves it on the plans).
// https://cloud.google.com/binary-authorization/docs/overview, .../docs/creating-attestors-console,
// https://cloud.google.com/binary-authorization/docs/policy-yaml-reference
import * as pulumi from "@pulumi/pulumi";
import { Attestor, Policy } from "../sdk/gcp/binaryauthorization.js";
import { Note, NoteIamMember } from "../sdk/gcp/containeranalysis.js";
import * as kms from "../sdk/gcp/kms.js";
import * as serviceaccount from "../sdk/gcp/serviceaccount.js";
import { accountId, boundedName } from "./naming.js";

/** The two signers: the build plane's attestor account and the release identity. */
export const SIGNERS = ["build", "release"] as const;
export type Signer = (typeof SIGNERS)[number];

/**
 * Images the stack runs that neither signer attests: upstream images of Knative, Kourier's Envoy and GKE's metrics
 * adapter, pulled by digest from their publishers. Google-maintained system images are exempt by
 * globalPolicyEvaluationMode ENABLE. `**` matches subpaths (policy YAML reference, admissionWhitelistPatterns).
 */
export const DEFAULT_EXEMPT_IMAGES: readonly string[] = [
  "gcr.io/knative-releases/**",
  "docker.io/envoyproxy/**",
  "gcr.io/gke-release/custom-metrics-stackdriver-adapter**",
];

export const attestorId = (environment: string): string => boundedName(["gumstack-admitted", environment], 63);
export const buildSignerAccountId = (environment: string): string => accountId("attestor-build", environment);

export interface BinaryAuthorizationArgs {
  /** Project of the policy, attestor, note and build signer. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment, part of every name. Required. */
  readonly environment: string;
  /** The stack's KMS key ring (the signing keys live there). Required. */
  readonly keyRingId: pulumi.Input<string>;
  /** Email of the release identity, the platform images' signer (outside this project's cluster). Required. */
  readonly releaseIdentityEmail: pulumi.Input<string>;
  /**
   * Block images without an attestation (ENFORCED_BLOCK_AND_AUDIT_LOG) instead of only logging them
   * (DRYRUN_AUDIT_LOG_ONLY). Default false: enforce once the build attestor runs and the release pipeline attests
   * (docs/supply-chain.md "Provenance"), or every pod of a first deploy is refused.
   */
  readonly enforce?: boolean;
  /** Image patterns admitted without attestation. Default DEFAULT_EXEMPT_IMAGES. */
  readonly exemptImages?: readonly string[];
  /** The stack may be torn down: the signing keys are abandoned (KMS never deletes a key), not refused. Default false. */
  readonly allowDestroy?: boolean;
  /** Resources to wait for (the Binary Authorization and Container Analysis APIs). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The attestor, its note, the two signing keys and grants, the build signer account, and the project policy. */
export class BinaryAuthorization extends pulumi.ComponentResource {
  readonly note: Note;
  readonly attestor: Attestor;
  readonly policy: Policy;
  readonly keys: Record<Signer, kms.CryptoKey>;
  /** The build plane's signer: no key file, no Workload Identity, no token minter in the cluster. */
  readonly buildSigner: serviceaccount.Account;

  constructor(name: string, args: BinaryAuthorizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:BinaryAuthorization", name, {}, opts);
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    this.buildSigner = new serviceaccount.Account(
      `${name}-build-signer`,
      {
        project: args.project,
        accountId: buildSignerAccountId(args.environment),
        displayName: "Build attestor",
        description: "Signs what the build plane pushed (digest, tenant, server, commit); runs outside the cluster",
      },
      child,
    );
    const signerMember: Record<Signer, pulumi.Input<string>> = {
      build: this.buildSigner.member,
      release: pulumi.interpolate`serviceAccount:${args.releaseIdentityEmail}`,
    };
    this.note = new Note(
      `${name}-note`,
      {
        project: args.project,
        name: attestorId(args.environment),
        attestationAuthority: { hint: { humanReadableName: `Gumstack ${args.environment}: built by the build plane or released` } },
      },
      child,
    );
    const keys = {} as Record<Signer, kms.CryptoKey>;
    for (const signer of SIGNERS) {
      keys[signer] = new kms.CryptoKey(
        `${name}-${signer}-key`,
        {
          name: `binauthz-${signer}`,
          keyRing: args.keyRingId,
          purpose: "ASYMMETRIC_SIGN",
          versionTemplate: { algorithm: "EC_SIGN_P256_SHA256", protectionLevel: "SOFTWARE" },
          deletionPolicy: args.allowDestroy ? "ABANDON" : "PREVENT",
        },
        { ...child, protect: true },
      );
      // Each signer signs with its own key only, and attaches attestations to the note.
      new kms.CryptoKeyIAMMember(
        `${name}-${signer}-signs`,
        { cryptoKeyId: keys[signer].id, role: "roles/cloudkms.signerVerifier", member: signerMember[signer] },
        { parent: this },
      );
      new NoteIamMember(
        `${name}-${signer}-attaches`,
        { project: args.project, note: this.note.name, role: "roles/containeranalysis.notes.attacher", member: signerMember[signer] },
        { parent: this },
      );
    }
    this.keys = keys;
    const publicKey = (signer: Signer) => {
      const version = kms.getKMSCryptoKeyVersionOutput({ cryptoKey: keys[signer].id }, { parent: this });
      return {
        id: version.name.apply((n) => `//cloudkms.googleapis.com/v1/${n}`),
        pkixPublicKey: {
          publicKeyPem: version.publicKeys.apply((k) => k[0]?.pem ?? ""),
          signatureAlgorithm: "ECDSA_P256_SHA256",
        },
      };
    };
    this.attestor = new Attestor(
      `${name}-attestor`,
      {
        project: args.project,
        name: attestorId(args.environment),
        description: "Admits images attested by the build plane's signer or by the release identity",
        attestationAuthorityNote: { noteReference: this.note.name, publicKeys: SIGNERS.map(publicKey) },
      },
      child,
    );
    // Binary Authorization reads attestations as the attestor's delegation account.
    new NoteIamMember(
      `${name}-attestor-reads`,
      {
        project: args.project,
        note: this.note.name,
        role: "roles/containeranalysis.notes.occurrences.viewer",
        member: pulumi.interpolate`serviceAccount:${this.attestor.attestationAuthorityNote.delegationServiceAccountEmail}`,
      },
      { parent: this },
    );
    this.policy = new Policy(
      `${name}-policy`,
      {
        project: args.project,
        description: "Gumstack: only attested images (build plane or release), Google system images, and the listed upstream images",
        globalPolicyEvaluationMode: "ENABLE",
        admissionWhitelistPatterns: (args.exemptImages ?? DEFAULT_EXEMPT_IMAGES).map((namePattern) => ({ namePattern })),
        defaultAdmissionRule: {
          evaluationMode: "REQUIRE_ATTESTATION",
          enforcementMode: args.enforce ? "ENFORCED_BLOCK_AND_AUDIT_LOG" : "DRYRUN_AUDIT_LOG_ONLY",
          requireAttestationsBies: [pulumi.interpolate`projects/${this.attestor.project}/attestors/${this.attestor.name}`],
        },
      },
      child,
    );
    this.registerOutputs({ attestor: this.attestor.name, buildSigner: this.buildSigner.email });
  }
}
