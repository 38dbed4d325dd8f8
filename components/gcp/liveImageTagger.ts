// The keep marks of the tenant MCP repository: a custom role that may create, move and delete tags (and read
// versions and packages to find them) and nothing else, granted to the backend's account on that one repository.
// The backend tags the digest of every Knative Revision it creates `live-<revision>` and deletes the tag once the
// Revision is gone; the repository's cleanup KEEPs every `live-` version however old (artifactRegistry.ts).
//
// Why a custom role: tag deletion (artifactregistry.tags.delete) is in no predefined role without
// artifactregistry.versions.delete (repoAdmin and above hold both), and the backend must never delete an image
// (https://cloud.google.com/iam/docs/roles-permissions/artifactregistry). No upload permission either: the
// backend never writes an image, only the pusher does.
import * as artifactregistry from "../sdk/gcp/artifactregistry.js";
import * as projects from "../sdk/gcp/projects.js";
import * as pulumi from "@pulumi/pulumi";
import type { RepositoryInput } from "./serviceAccounts.js";

/** Exactly what marking needs: tags, and reading the versions and packages they point at. */
export const LIVE_TAGGER_PERMISSIONS: readonly string[] = [
  "artifactregistry.packages.get",
  "artifactregistry.packages.list",
  "artifactregistry.repositories.get",
  "artifactregistry.tags.create",
  "artifactregistry.tags.delete",
  "artifactregistry.tags.get",
  "artifactregistry.tags.list",
  "artifactregistry.tags.update",
  "artifactregistry.versions.get",
  "artifactregistry.versions.list",
];

/** `gumstackLiveTagger_<environment>` (custom role ids: letters, digits, `_` and `.`, 3-64 characters). */
export function liveTaggerRoleId(environment: string): string {
  const id = `gumstackLiveTagger_${environment.replace(/-/g, "_")}`;
  if (!/^[a-zA-Z0-9_.]{3,64}$/.test(id)) throw new Error(`environment "${environment}" makes the invalid custom role id "${id}"`);
  return id;
}

export interface LiveImageTaggerArgs {
  /** Project of the custom role (the tenant repository's). Required. */
  readonly project: pulumi.Input<string>;
  /** Environment, part of the role id. Required. */
  readonly environment: string;
  /** The tenant MCP repository, the only place the role is granted. Required. */
  readonly repository: RepositoryInput;
  /** Who marks what runs: the backend's account (`serviceAccount:<email>`). Required. */
  readonly member: pulumi.Input<string>;
  /** Resources the role waits for (the IAM API). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The custom role and its one grant, on the tenant repository. */
export class LiveImageTagger extends pulumi.ComponentResource {
  readonly role: projects.IAMCustomRole;
  readonly grant: artifactregistry.RepositoryIamMember;

  constructor(name: string, args: LiveImageTaggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:LiveImageTagger", name, {}, opts);
    this.role = new projects.IAMCustomRole(
      `${name}-role`,
      {
        project: args.project,
        roleId: liveTaggerRoleId(args.environment),
        title: "Gumstack live image tagger",
        description: "Creates, moves and deletes the live- keep marks of the tenant MCP repository; no upload, no version delete",
        permissions: [...LIVE_TAGGER_PERMISSIONS],
        stage: "GA",
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.grant = new artifactregistry.RepositoryIamMember(
      `${name}-grant`,
      {
        project: args.repository.project,
        location: args.repository.location,
        repository: args.repository.repositoryId,
        // `projects/<project>/roles/<id>`, the role's name, from its outputs (so the grant waits for the role).
        role: pulumi.interpolate`projects/${this.role.project}/roles/${this.role.roleId}`,
        member: args.member,
      },
      { parent: this },
    );
    this.registerOutputs({ role: this.role.name });
  }
}
