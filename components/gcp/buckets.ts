import * as storage from "../sdk/gcp/storage.js";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RANDOM_SUFFIX_BYTES, bucketName } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

export { bucketName } from "./naming.js";

/** Soft-delete retention in seconds; GCS accepts 7-90 days. */
export function softDeleteSeconds(days: number): number {
  if (!Number.isInteger(days) || days < 7 || days > 90) throw new Error(`soft delete retention must be 7-90 days, got ${days}`);
  return days * 86_400;
}

export interface BucketsArgs {
  /** Project of the buckets, also the globally unique part of their names. Required. */
  readonly project: pulumi.Input<string>;
  /** Region: every bucket is a regional bucket there (same location as its CMEK key). Required. */
  readonly region: string;
  /** Environment name, part of each bucket name. Required. */
  readonly environment: string;
  /** Purposes of the buckets to create, e.g. ["uploads"]; lowercase letters, digits, hyphens. Required. */
  readonly purposes: readonly string[];
  /** Default CMEK key of the buckets (KMS `storage` key id). Required. */
  readonly kmsKeyName: pulumi.Input<string>;
  /** The key's grant to the Cloud Storage agent; the buckets wait for it. Required. */
  readonly keyGrants: readonly pulumi.Resource[];
  /** The Cloud Storage API. Required. */
  readonly apis: Pick<ProjectApis, "storage">;
  /**
   * Add a random part, kept in state (a `random.RandomId` child, 6 hex characters), to every bucket name: bucket
   * names are global, so a stack re-created after its state was lost would otherwise collide with its own old
   * buckets (409). Default false: turning it on renames (replaces) existing buckets, which protection refuses,
   * so only new stacks turn it on (stack config naming.randomSuffix).
   */
  readonly randomSuffix?: boolean;
  /** Days soft-deleted objects stay recoverable, 7-90. Default 7. */
  readonly softDeleteDays?: number;
  /** Days a noncurrent (overwritten or deleted) object version is kept before lifecycle deletes it. Default 30. */
  readonly noncurrentVersionDays?: number;
  /**
   * Deliberate teardown: deletionPolicy DELETE. Default false (PREVENT). forceDestroy stays false: Cloud Storage
   * still refuses to delete a bucket that holds objects until they are removed on purpose.
   */
  readonly allowDestroy?: boolean;
}

/**
 * Private, CMEK-encrypted regional buckets: uniform bucket-level access, public access prevention enforced,
 * object versioning (noncurrent versions expire after `noncurrentVersionDays`) and soft delete.
 * Protected, `forceDestroy: false` and `deletionPolicy: PREVENT`: a bucket with data is never deleted by an update.
 */
export class Buckets extends pulumi.ComponentResource {
  /** Buckets by purpose. */
  readonly buckets: Readonly<Record<string, storage.Bucket>>;
  /** The random part of the bucket names, when `randomSuffix` is on. */
  readonly nameSuffix?: random.RandomId;

  constructor(name: string, args: BucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:Buckets", name, {}, opts);

    if (new Set(args.purposes).size !== args.purposes.length)
      throw new Error(`bucket purposes must be unique: ${args.purposes.join(", ")}`);
    const softDelete = softDeleteSeconds(args.softDeleteDays ?? 7);
    const noncurrentDays = args.noncurrentVersionDays ?? 30;
    // The provider drops a 0 here, which would silently keep noncurrent versions forever.
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1)
      throw new Error(`noncurrentVersionDays must be a positive integer, got ${noncurrentDays}`);

    this.nameSuffix = args.randomSuffix
      ? new random.RandomId(`${name}-suffix`, { byteLength: RANDOM_SUFFIX_BYTES }, { parent: this })
      : undefined;
    const suffix: pulumi.Output<string | undefined> = this.nameSuffix ? this.nameSuffix.hex : pulumi.output(undefined);

    const buckets: Record<string, storage.Bucket> = {};
    for (const purpose of args.purposes) {
      buckets[purpose] = new storage.Bucket(
        `${name}-${purpose}`,
        {
          project: args.project,
          name: pulumi.all([args.project, suffix]).apply(([p, hex]) => bucketName(p, args.environment, purpose, hex)),
          location: args.region.toUpperCase(),
          storageClass: "STANDARD",
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          encryption: { defaultKmsKeyName: args.kmsKeyName },
          versioning: { enabled: true },
          softDeletePolicy: { retentionDurationSeconds: softDelete },
          lifecycleRules: [
            { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: noncurrentDays, withState: "ARCHIVED" } },
            { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 7 } },
          ],
          forceDestroy: false,
          deletionPolicy: args.allowDestroy ? "DELETE" : "PREVENT",
          labels: { environment: args.environment, purpose, "managed-by": "pulumi" },
        },
        { parent: this, protect: true, dependsOn: [args.apis.storage, ...args.keyGrants] },
      );
    }
    this.buckets = buckets;

    this.registerOutputs({ bucketNames: Object.fromEntries(Object.entries(buckets).map(([p, b]) => [p, b.name])) });
  }
}
