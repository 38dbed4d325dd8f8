import * as artifactregistry from "../sdk/gcp/artifactregistry.js";
import type * as types from "@pulumi/gcp/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { daysToDuration, defaultTenantRepositoryId } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

/**
 * Cleanup policies: DELETE every version older than `retentionDays` (tagged or not: images are tagged by git
 * SHA, so "tagged" says nothing about being in use), and KEEP the `keepRecentVersions` most recent versions of
 * each image, so the images still deployed survive however old they are. A KEEP match wins over a DELETE.
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
