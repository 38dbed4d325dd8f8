// The identity that pushes built images, and only that: a service account with artifactregistry.writer on the
// stack's tenant MCP repository (no project role, no other repository: never the platform-images one), whose
// short-lived access tokens the backend may mint (serviceAccountTokenCreator on this one account). The backend
// mints a token per build (generateAccessToken, lifetime at most the build deadline) and hands it to the build's
// `push` step in a Secret mounted only there (components/kubernetes/buildJob.ts). No Kubernetes ServiceAccount
// is bound to it by Workload Identity: no pod holds this identity, a token of it exists only per build.
import * as artifactregistry from "../sdk/gcp/artifactregistry.js";
import * as serviceaccount from "../sdk/gcp/serviceaccount.js";
import * as pulumi from "@pulumi/pulumi";
import { boundedName } from "./naming.js";
import type { RepositoryInput } from "./serviceAccounts.js";

/** Push (and overwrite) images in one repository; no repository settings, no IAM, no delete of the repository. */
export const PUSHER_REPOSITORY_ROLE = "roles/artifactregistry.writer";
/** Lets one principal mint OAuth access tokens of one service account (iam.serviceAccounts.getAccessToken). */
export const PUSHER_TOKEN_CREATOR_ROLE = "roles/iam.serviceAccountTokenCreator";

/** `pusher-<environment>`, cut and hashed to the 30-character service account id limit when needed. */
export function pusherAccountId(environment: string): string {
  return boundedName(["pusher", environment], 30);
}

export interface ImagePusherArgs {
  /** Project of the service account. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment name, part of the account id (`pusher-<environment>`). Required. */
  readonly environment: string;
  /** The tenant MCP repository, the only one this account may write. Required; no default. */
  readonly repository: RepositoryInput;
  /** IAM member that mints the pusher's tokens: the backend's service account (`serviceAccount:<email>`). Required. */
  readonly tokenMinter: pulumi.Input<string>;
  /** Resources the account waits for (the IAM API). Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ImagePusher extends pulumi.ComponentResource {
  /** The pusher service account. */
  readonly account: serviceaccount.Account;
  /** Its email: the backend's generateAccessToken target. */
  readonly email: pulumi.Output<string>;
  /** writer on the tenant MCP repository. */
  readonly repositoryGrant: artifactregistry.RepositoryIamMember;
  /** tokenCreator for the backend on this account. */
  readonly tokenMinterGrant: serviceaccount.IAMMember;

  constructor(name: string, args: ImagePusherArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:ImagePusher", name, {}, opts);
    this.account = new serviceaccount.Account(
      `${name}-account`,
      {
        project: args.project,
        accountId: pusherAccountId(args.environment),
        displayName: "Image pusher",
        description: "Pushes customers' built MCP server images to the tenant MCP repository; tokens minted per build by the backend",
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.email = this.account.email;
    this.repositoryGrant = new artifactregistry.RepositoryIamMember(
      `${name}-repository-writer`,
      {
        project: args.repository.project,
        location: args.repository.location,
        repository: args.repository.repositoryId,
        role: PUSHER_REPOSITORY_ROLE,
        member: this.account.member,
      },
      { parent: this },
    );
    this.tokenMinterGrant = new serviceaccount.IAMMember(
      `${name}-token-minter`,
      { serviceAccountId: this.account.name, role: PUSHER_TOKEN_CREATOR_ROLE, member: args.tokenMinter },
      { parent: this },
    );
    this.registerOutputs({ email: this.email });
  }
}
