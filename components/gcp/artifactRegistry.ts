import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../src/config/schema.js";
import { daysToDuration } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

/**
 * Cleanup policies: DELETE every version older than `retentionDays` (tagged or not: images are tagged by git
 * SHA, so "tagged" says nothing about being in use), and KEEP the `keepRecentVersions` most recent versions of
 * each image, so the images still deployed survive however old they are. A KEEP match wins over a DELETE.
 */
export function cleanupPolicies(retentionDays: number, keepRecentVersions: number): gcp.types.input.artifactregistry.RepositoryCleanupPolicy[] {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new Error(`retentionDays must be a positive integer, got ${retentionDays}`);
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

export interface ArtifactRegistryArgs {
  /** Project of the repository. Required. */
  readonly project: pulumi.Input<string>;
  /** Region of the repository (same as its CMEK key's). Required. */
  readonly region: string;
  /** Repository id, retention and keep count. Required (stack config artifactRegistry). */
  readonly artifactRegistry: StackConfig["artifactRegistry"];
  /** CMEK key (KMS `registry` key id). Required; cannot change after creation. */
  readonly kmsKeyName: pulumi.Input<string>;
  /** The key's encrypter/decrypter grants to the Artifact Registry agent; the repository waits for them. Required. */
  readonly keyGrants: readonly pulumi.Resource[];
  /** Artifact Registry and Container Scanning APIs (scanning is inherited from the latter). Required. */
  readonly apis: Pick<ProjectApis, "artifactregistry" | "containerscanning">;
}

/**
 * The Docker repository for the backend and MCP server images: CMEK-encrypted, vulnerability-scanned, with
 * active (not dry-run) cleanup. Tags are left mutable: images are tagged by git SHA (a new commit, a new tag),
 * and immutable tags would keep tagged images from the age-based DELETE rule the seed requires.
 * Protected: its CMEK key can't change without replacing it, and replacing it would delete every deployed image.
 */
export class ArtifactRegistry extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  /** `<region>-docker.pkg.dev/<project>/<repository>`, the prefix of every image reference. */
  readonly repositoryUrl: pulumi.Output<string>;

  constructor(name: string, args: ArtifactRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:ArtifactRegistry", name, {}, opts);

    const cfg = args.artifactRegistry;
    this.repository = new gcp.artifactregistry.Repository(
      `${name}-docker`,
      {
        project: args.project,
        location: args.region,
        repositoryId: cfg.repositoryId,
        description: "Gumstack backend and MCP server images, tagged by git commit SHA",
        format: "DOCKER",
        mode: "STANDARD_REPOSITORY",
        kmsKeyName: args.kmsKeyName,
        cleanupPolicyDryRun: false,
        cleanupPolicies: cleanupPolicies(cfg.retentionDays, cfg.keepRecentVersions),
        // INHERITED: scanned whenever containerscanning.googleapis.com is enabled in the project.
        vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
        labels: { "managed-by": "pulumi" },
      },
      {
        parent: this,
        protect: true,
        dependsOn: [args.apis.artifactregistry, args.apis.containerscanning, ...args.keyGrants],
      },
    );

    this.repositoryUrl = pulumi
      .all([this.repository.location, this.repository.project, this.repository.repositoryId])
      .apply(([location, project, repo]) => dockerRepositoryUrl(location, project, repo));

    this.registerOutputs({ repositoryId: this.repository.repositoryId, repositoryUrl: this.repositoryUrl });
  }
}
