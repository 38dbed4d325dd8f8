import * as kms from "../sdk/gcp/kms.js";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Sleep } from "@pulumiverse/time/sleep.js";
import { KEY_PURPOSES, type KeyPurpose, RANDOM_SUFFIX_BYTES, keyRingName } from "./naming.js";
import type { AgentKind, ProjectApis, ServiceAgents } from "./projectServices.js";

export { KEY_PURPOSES, type KeyPurpose } from "./naming.js";

/**
 * Service agents that encrypt and decrypt with each key: GKE's agent for application-layer Secrets
 * encryption and the Compute Engine agent for CMEK node boot disks; Spanner, Artifact Registry and Cloud
 * Storage agents for their data. The `app` key is the backend's own (application-level encryption of what it
 * stores, e.g. customers' credentials): no service agent, the backend's account is granted by ServiceAccounts.
 */
export const KEY_AGENTS: Readonly<Record<KeyPurpose, readonly AgentKind[]>> = {
  gke: ["container", "compute"],
  spanner: ["spanner"],
  registry: ["artifactregistry"],
  storage: ["storage"],
  app: [],
};

export const ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/**
 * Seconds the `gke` key's grants are given to propagate before its id resolves. IAM grants are eventually
 * consistent: "typically 2 minutes, potentially 7 minutes or longer"
 * (https://cloud.google.com/iam/docs/access-change-propagation). A GKE cluster created with Secrets encryption
 * before its agent can use the key can end in ERROR, which the provider leaves tainted (resource_container_cluster.go,
 * "created in an error state, and has been marked as tainted") and deletion protection then keeps (README,
 * Troubleshooting the first deploy). Other CMEK resources fail their create cleanly and a re-run fixes them.
 */
export const GKE_GRANT_PROPAGATION_SECONDS = 120;

/** KMS rotation period for a number of days, in seconds ("7776000s" for 90); 1-90 days. */
export function rotationPeriod(days: number): string {
  if (!Number.isInteger(days) || days < 1 || days > 90) {
    throw new Error(`rotation must be a whole number of days between 1 and 90, got ${days}`);
  }
  return `${days * 86_400}s`;
}

export { keyRingName } from "./naming.js";

export interface KmsArgs {
  /** Project of the key ring. Required. */
  readonly project: pulumi.Input<string>;
  /** Location of the key ring: the region of the resources it encrypts (CMEK keys must be co-located). Required. */
  readonly region: string;
  /** Environment name; part of the key ring name. Required. */
  readonly environment: string;
  /** Rotation period of every key in days, 1-90. Required (stack config kms.rotationDays, default 90). */
  readonly rotationDays: number;
  /** Service agents granted use of the keys. Required. */
  readonly agents: ServiceAgents;
  /** The Cloud KMS API, enabled before the key ring. Required. */
  readonly apis: Pick<ProjectApis, "cloudkms">;
  /**
   * Add a random part, kept in state (a `random.RandomId` child, 3 bytes as 6 hex characters), to the key ring
   * name (instead of `keyRingSuffix`), so a stack re-created after its state was lost never collides with the
   * ring its predecessor left (409). Default false: turning it on for a stack that already has its ring would
   * replace the ring (refused, it is protected), so only new stacks turn it on (stack config naming.randomSuffix).
   */
  readonly randomSuffix?: boolean;
  /**
   * Suffix for the key ring name. Default none. Key rings can never be deleted and their names never reused:
   * a stack re-created after a destroy must set a new suffix (e.g. "v2").
   */
  readonly keyRingSuffix?: string;
  /**
   * Deliberate teardown: keys get deletionPolicy ABANDON, so a destroy leaves them (and the data they
   * encrypt) in Cloud KMS instead of failing; they are never destroyed by Pulumi. Default false (PREVENT).
   */
  readonly allowDestroy?: boolean;
  /** Seconds to wait after the `gke` key's grants before `gkeKeyId` resolves. Default 120 (GKE_GRANT_PROPAGATION_SECONDS). */
  readonly gkeGrantPropagationSeconds?: number;
}

/**
 * The platform's Cloud KMS key ring and one ENCRYPT_DECRYPT key per purpose (gke, spanner, registry, storage),
 * rotated at most every 90 days. Key rings and keys can't be deleted: both are `protect`ed and the keys also
 * carry `deletionPolicy: PREVENT` (deleting a key in the provider destroys every key version, and with them
 * every piece of data encrypted under it). Each key grants `cryptoKeyEncrypterDecrypter` to its service
 * agents; resources encrypted with a key must `dependsOn` `grants[purpose]`.
 */
export class Kms extends pulumi.ComponentResource {
  readonly keyRing: kms.KeyRing;
  /** The random part of the key ring name, when `randomSuffix` is on. */
  readonly nameSuffix?: random.RandomId;
  /** Keys by purpose; pass `keys[purpose].id` as the CMEK key name. */
  readonly keys: Readonly<Record<KeyPurpose, kms.CryptoKey>>;
  /** Encrypter/decrypter grants by purpose, one per agent of the key. */
  readonly grants: Readonly<Record<KeyPurpose, readonly kms.CryptoKeyIAMMember[]>>;
  /** The wait after the `gke` key's grants (a `time.Sleep`, created once; it never waits again on later updates). */
  readonly gkeGrantPropagation: Sleep;
  /**
   * The `gke` key's id (GKE Secrets encryption, CMEK node boot disks), resolving only once its grants exist and the
   * propagation wait is over: a cluster or node pool that takes it is created after both.
   */
  readonly gkeKeyId: pulumi.Output<string>;

  constructor(name: string, args: KmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:Kms", name, {}, opts);

    const rotation = rotationPeriod(args.rotationDays);

    // Created only when asked for: adding it to an existing stack would rename (replace) its protected ring.
    this.nameSuffix = args.randomSuffix
      ? new random.RandomId(`${name}-suffix`, { byteLength: RANDOM_SUFFIX_BYTES }, { parent: this })
      : undefined;
    const ringName = this.nameSuffix
      ? this.nameSuffix.hex.apply((hex) => keyRingName(args.environment, hex))
      : keyRingName(args.environment, args.keyRingSuffix);
    this.keyRing = new kms.KeyRing(
      `${name}-ring`,
      { project: args.project, location: args.region, name: ringName },
      { parent: this, protect: true, dependsOn: [args.apis.cloudkms] },
    );

    const keys: Partial<Record<KeyPurpose, kms.CryptoKey>> = {};
    const grants: Partial<Record<KeyPurpose, kms.CryptoKeyIAMMember[]>> = {};
    for (const purpose of KEY_PURPOSES) {
      const key = new kms.CryptoKey(
        `${name}-${purpose}`,
        {
          keyRing: this.keyRing.id,
          name: purpose,
          purpose: "ENCRYPT_DECRYPT",
          rotationPeriod: rotation,
          versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
          deletionPolicy: args.allowDestroy ? "ABANDON" : "PREVENT",
          labels: { environment: args.environment, purpose, "managed-by": "pulumi" },
        },
        { parent: this, protect: true },
      );
      keys[purpose] = key;
      grants[purpose] = KEY_AGENTS[purpose].map((kind) => {
        const agent = args.agents[kind];
        return new kms.CryptoKeyIAMMember(
          `${name}-${purpose}-${kind}`,
          { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER, member: agent.member },
          { parent: this, dependsOn: [...agent.dependsOn] },
        );
      });
    }
    this.keys = keys as Record<KeyPurpose, kms.CryptoKey>;
    this.grants = grants as Record<KeyPurpose, kms.CryptoKeyIAMMember[]>;

    const propagation = args.gkeGrantPropagationSeconds ?? GKE_GRANT_PROPAGATION_SECONDS;
    if (!Number.isInteger(propagation) || propagation < 0 || propagation > 900) {
      throw new Error(`${name}: gkeGrantPropagationSeconds must be a whole number of seconds from 0 to 900, got ${propagation}`);
    }
    this.gkeGrantPropagation = new Sleep(
      `${name}-gke-grant-propagation`,
      { createDuration: `${propagation}s` },
      { parent: this, dependsOn: [...this.grants.gke] },
    );
    // The id waits on the Sleep's URN, which the engine returns once the Sleep is created (after its grants): known in
    // a preview of an existing stack, so the cluster shows no change for it.
    this.gkeKeyId = pulumi.all([this.keys.gke.id, this.gkeGrantPropagation.urn]).apply(([id]) => id);

    this.registerOutputs({
      keyRingId: this.keyRing.id,
      keyIds: Object.fromEntries(KEY_PURPOSES.map((p) => [p, this.keys[p].id])),
    });
  }
}
