import * as artifactregistry from "../sdk/gcp/artifactregistry.js";
import type * as types from "@pulumi/gcp/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { daysToDuration, defaultTenantRepositoryId } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

/**
 * The tag prefix that marks a version something runs. The backend tags the digest of every Knative Revision it
 * creates `live-<revision name>` (liveTag) before the Revision exists and deletes that tag once the Revision is
 * gone (docs/build-plane.md, "What the registry keeps"); the KEEP rule below never lets the cleanup delete a
 * version that carries such a tag, however old it is and however many newer builds its package has.
 */
export const LIVE_TAG_PREFIX = "live-";

/**
 * Package prefixes the cleanup never touches: the platform's own copies in the tenant repository (builder,
 * isolation canary), which the stack pins by digest. Without the trailing "/" on purpose: the Artifact Registry
 * API names a Docker package with its "/" percent-encoded (`gumstack-build%2Fbuilder`), and a prefix without the
 * slash matches either spelling. It would also match a tenant id that starts with it, so builds refuse every
 * tenant id beginning with `gumstack-` (buildJob.ts, RESERVED_TENANT_PREFIX).
 */
export const KEPT_PACKAGE_PREFIXES: readonly string[] = ["gumstack-build", "gumstack-canary"];

/** `live-<revision>`: the keep mark of the version a Knative Revision runs; a valid Docker tag (at most 128 characters). */
export function liveTag(revisionName: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(revisionName))
    throw new Error(`revision name ${JSON.stringify(revisionName)} is not a DNS-1123 label (Knative Revision names are)`);
  return `${LIVE_TAG_PREFIX}${revisionName}`;
}

/**
 * Cleanup policies: DELETE every version older than `retentionDays` (tagged or not: images are tagged by git
 * SHA, so "tagged" says nothing about being in use), and three KEEP rules, each of which wins over the DELETE
 * (https://cloud.google.com/artifact-registry/docs/repositories/cleanup-policy-overview): the
 * `keepRecentVersions` most recent versions of each package (a rollback target), every version tagged
 * `live-...` (what a Revision runs), and every version under the platform's reserved paths (what the stack runs).
 */
export function cleanupPolicies(retentionDays: number, keepRecentVersions: number): types.input.artifactregistry.RepositoryCleanupPolicy[] {
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new Error(`retentionDays must be a positive integer, got ${retentionDays}`);
  if (!Number.isInteger(keepRecentVersions) || keepRecentVersions < 1) {
    throw new Error(`keepRecentVersions must be a positive integer, got ${keepRecentVersions}`);
  }
  return [
    {
      id: `delete-older-than-${retentionDays}d`,
      action: "DELETE",
      condition: { tagState: "ANY", olderThan: daysToDuration(retentionDays) },
    },
    {
      id: `keep-${keepRecentVersions}-most-recent`,
      action: "KEEP",
      mostRecentVersions: { keepCount: keepRecentVersions },
    },
    {
      id: "keep-live",
      action: "KEEP",
      condition: { tagState: "TAGGED", tagPrefixes: [LIVE_TAG_PREFIX] },
    },
    {
      id: "keep-platform-paths",
      action: "KEEP",
      condition: { tagState: "ANY", packageNamePrefixes: [...KEPT_PACKAGE_PREFIXES] },
    },
  ];
}

/** Docker registry path of a repository: `<region>-docker.pkg.dev/<project>/<repository>`. */
export function dockerRepositoryUrl(region: string, project: string, repositoryId: string): string {
  return `${region}-docker.pkg.dev/${project}/${repositoryId}`;
}

/** An Artifact Registry repository by its parts, as IAM grants on it name it. */
export interface RepositoryRef {
  readonly project: string;
  readonly location: string;
  readonly repositoryId: string;
}

/** The parts of `<location>-docker.pkg.dev/<project>/<repository>` (no image, no trailing slash); throws otherwise. */
export function parseDockerRepositoryUrl(url: string): RepositoryRef {
  const m = /^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/([a-z]([a-z0-9-]{0,61}[a-z0-9])?)$/.exec(url);
  if (!m) throw new Error(`"${url}" is not an Artifact Registry Docker repository (<location>-docker.pkg.dev/<project>/<repository>)`);
  return { location: m[1]!, project: m[2]!, repositoryId: m[3]! };
}

/** Defaults of the cleanup policy (also the config schema's defaults of gumstack:artifactRegistry). */
export const ARTIFACT_REGISTRY_DEFAULTS = { retentionDays: 30, keepRecentVersions: 10 } as const;

/**
 * Id of a stack's tenant MCP repository: `configured` if given, else `mcp-<environment>`. Qualified by the
 * environment, so two environments sharing a project never share (or fight over) one repository.
 */
export function tenantRepositoryId(environment: string, configured?: string): string {
  const id = configured ?? defaultTenantRepositoryId(environment);
  if (!id.endsWith(`-${environment}`)) throw new Error(`tenant repository id "${id}" must end in -${environment}`);
  // Artifact Registry ids: lowercase letters, digits and hyphens, starting with a letter, at most 63.
  if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id)) throw new Error(`tenant repository id "${id}" is not a valid repository id`);
  return id;
}

export interface ArtifactRegistryArgs {
  /** Project of the repository. Required. */
  readonly project: pulumi.Input<string>;
  /** Region of the repository (same as its CMEK key's). Required. */
  readonly region: string;
  /** Repository id (`tenantRepositoryId` gives the environment-qualified one). Required; cannot change after creation. */
  readonly repositoryId: string;
  /** Versions older than this many days are deleted. Default 30. */
  readonly retentionDays?: number;
  /** The most recent versions of each image kept regardless of age. Default 10. */
  readonly keepRecentVersions?: number;
  /** CMEK key (KMS `registry` key id). Required; cannot change after creation. */
  readonly kmsKeyName: pulumi.Input<string>;
  /** The key's encrypter/decrypter grants to the Artifact Registry agent; the repository waits for them. Required. */
  readonly keyGrants: readonly pulumi.Resource[];
  /** Artifact Registry and Container Scanning APIs (scanning is inherited from the latter). Required. */
  readonly apis: Pick<ProjectApis, "artifactregistry" | "containerscanning">;
  /**
   * Email of the release identity, granted roles/artifactregistry.writer on this repository and nothing else, so
   * it can copy the platform images the MCP pool runs (canary, builder) into their reserved paths here
   * (docs/build-plane.md). Never a cluster identity. Default none (no publisher grant).
   */
  readonly publisherEmail?: pulumi.Input<string>;
}

/**
 * The stack's tenant MCP repository: customers' MCP server images, laid out `<url>/<tenant-id>/<server>`,
 * pushed only by the build plane's pusher identity. CMEK-encrypted, vulnerability-scanned, with active (not
 * dry-run) cleanup. Never holds a platform image: those live in the platform-images repository
 * (`gumstack:platformImages.repository`), which no identity of the cluster can write.
 *
 * Tags stay mutable, and images are referenced by digest. With immutable tags Artifact Registry refuses to
 * delete a tagged image or remove a tag (https://cloud.google.com/artifact-registry/docs/repositories/update-repo-settings),
 * and its cleanup documentation names no exception for DELETE policies
 * (https://cloud.google.com/artifact-registry/docs/repositories/cleanup-policy-overview): the 30-day rule could
 * not be shown to delete tagged images, so the guarantee comes from digests instead (docs/supply-chain.md).
 * Protected: its CMEK key can't change without replacing it, and replacing it would delete every deployed image.
 */
export class ArtifactRegistry extends pulumi.ComponentResource {
  readonly repository: artifactregistry.Repository;
  /** `<region>-docker.pkg.dev/<project>/<repository>`, the prefix of every tenant image reference. */
  readonly repositoryUrl: pulumi.Output<string>;
  /** The release identity's writer grant on this repository (publisherEmail), when one is set. */
  readonly publisherGrant?: artifactregistry.RepositoryIamMember;

  constructor(name: string, args: ArtifactRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:ArtifactRegistry", name, {}, opts);

    this.repository = new artifactregistry.Repository(
      `${name}-docker`,
      {
        project: args.project,
        location: args.region,
        repositoryId: args.repositoryId,
        description: "Gumstack tenant MCP server images, <tenant-id>/<server>, pushed by the build plane only",
        format: "DOCKER",
        mode: "STANDARD_REPOSITORY",
        kmsKeyName: args.kmsKeyName,
        // Explicit, so a reader (and the policy pack) sees the choice: see the class comment.
        dockerConfig: { immutableTags: false },
        cleanupPolicyDryRun: false,
        cleanupPolicies: cleanupPolicies(
          args.retentionDays ?? ARTIFACT_REGISTRY_DEFAULTS.retentionDays,
          args.keepRecentVersions ?? ARTIFACT_REGISTRY_DEFAULTS.keepRecentVersions,
        ),
        // INHERITED: scanned whenever containerscanning.googleapis.com is enabled in the project.
        vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
        labels: { "managed-by": "pulumi", "gumstack-images": "tenant-mcp" },
      },
      {
        parent: this,
        protect: true,
        dependsOn: [args.apis.artifactregistry, args.apis.containerscanning, ...args.keyGrants],
      },
    );

    if (args.publisherEmail !== undefined) {
      // Repository-level, additive: the release identity may push (and, with writer, delete versions: see
      // docs/build-plane.md) in this one repository, and holds nothing else in this project.
      this.publisherGrant = new artifactregistry.RepositoryIamMember(
        `${name}-publisher-writer`,
        {
          project: this.repository.project,
          location: this.repository.location,
          repository: this.repository.repositoryId,
          role: "roles/artifactregistry.writer",
          member: pulumi.interpolate`serviceAccount:${args.publisherEmail}`,
        },
        { parent: this },
      );
    }

    this.repositoryUrl = pulumi
      .all([this.repository.location, this.repository.project, this.repository.repositoryId])
      .apply(([location, project, repo]) => dockerRepositoryUrl(location, project, repo));

    this.registerOutputs({ repositoryId: this.repository.repositoryId, repositoryUrl: this.repositoryUrl });
  }
}
