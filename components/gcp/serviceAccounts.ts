import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ENCRYPTER_DECRYPTER } from "./kms.js";
import { boundedName } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

/**
 * Project roles of the GKE node service account: GKE's documented minimum for nodes (logging, metrics,
 * monitoring viewer, resource metadata and autoscaling metrics writes), plus service usage, which image
 * streaming requires of a custom node service account; nothing else.
 */
export const NODE_PROJECT_ROLES = ["roles/container.defaultNodeServiceAccount", "roles/serviceusage.serviceUsageConsumer"] as const;
export const IMAGE_READER_ROLE = "roles/artifactregistry.reader";
export const IMAGE_WRITER_ROLE = "roles/artifactregistry.writer";
/** Read, write and schema changes on one database; no instance or backup administration. */
export const DATABASE_ROLE = "roles/spanner.databaseUser";
/** Create, read, overwrite and delete objects; no bucket settings or IAM. */
export const BUCKET_OBJECT_ROLE = "roles/storage.objectUser";
export const TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator";

/** A service account id: `<role>-<environment>`, 6-30 characters. */
export function accountId(role: string, environment: string): string {
  const id = boundedName([role, environment], 30);
  if (id.length < 6) throw new Error(`service account id "${id}" is shorter than 6 characters`);
  return id;
}

export interface ServiceAccountsArgs {
  /** Project of the service accounts and of their project-level grants. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment name, part of each account id. Required. */
  readonly environment: string;
  /**
   * The Docker repository nodes pull from and the image builder pushes to; may be in another project
   * (enterprise stacks use the platform's). An `ArtifactRegistry.repository` fits. Required.
   */
  readonly imageRepository: {
    readonly project: pulumi.Input<string>;
    readonly location: pulumi.Input<string>;
    readonly repositoryId: pulumi.Input<string>;
  };
  /** Spanner databases the backend uses, by database id (`Spanner.databases` fits). Required. */
  readonly databases: Readonly<Record<string, { readonly project: pulumi.Input<string>; readonly instance: pulumi.Input<string>; readonly name: pulumi.Input<string> }>>;
  /** Buckets whose objects the backend reads and writes, by purpose (`Buckets.buckets` fits). Default none. */
  readonly buckets?: Readonly<Record<string, { readonly name: pulumi.Input<string> }>>;
  /**
   * KMS keys the backend itself encrypts with (application-level envelope encryption), by name. Default none:
   * CMEK on buckets and databases is performed by the service agents, not by the caller.
   */
  readonly backendCryptoKeys?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Let the backend mint short-lived tokens for the image builder account (tokenCreator on that one account),
   * for builds it runs itself. Default false: the builder is expected to run as its own workload.
   */
  readonly backendMintsBuildTokens?: boolean;
  /** The IAM API. Required. */
  readonly apis: Pick<ProjectApis, "iam">;
}

/**
 * Least-privilege service accounts: the GKE node account (GKE's minimal node role, and read access to the
 * image repository only); the backend account, the Workload Identity target of the backend's Kubernetes
 * service account (databaseUser on each of its databases, object access on its buckets, nothing
 * project-wide); and the image builder account (write access to the image repository only). The Workload
 * Identity binding is created with the cluster, not here.
 */
export class ServiceAccounts extends pulumi.ComponentResource {
  /** Node pools run as this account, never the Compute Engine default account. */
  readonly nodes: gcp.serviceaccount.Account;
  /** The backend's Google identity; bind roles/iam.workloadIdentityUser on it to the backend's KSA. */
  readonly backend: gcp.serviceaccount.Account;
  /** Pushes images built from customers' code. */
  readonly imageBuilder: gcp.serviceaccount.Account;
  /** Every grant, for ordering workloads after their permissions. */
  readonly grants: readonly pulumi.CustomResource[];

  constructor(name: string, args: ServiceAccountsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:ServiceAccounts", name, {}, opts);

    const account = (key: string, role: string, displayName: string, description: string) =>
      new gcp.serviceaccount.Account(
        `${name}-${key}`,
        { project: args.project, accountId: accountId(role, args.environment), displayName, description },
        { parent: this, dependsOn: [args.apis.iam] },
      );
    this.nodes = account("nodes", "gke-nodes", "GKE nodes", "Runs GKE node pools: logging, metrics, image pulls");
    this.backend = account("backend", "backend", "Gumstack backend", "Workload Identity of the backend API");
    this.imageBuilder = account("image-builder", "image-builder", "Image builder", "Pushes MCP server images");

    const grants: pulumi.CustomResource[] = [];
    const repo = args.imageRepository;
    const repoGrant = (key: string, role: string, sa: gcp.serviceaccount.Account) =>
      new gcp.artifactregistry.RepositoryIamMember(
        `${name}-${key}`,
        { project: repo.project, location: repo.location, repository: repo.repositoryId, role, member: sa.member },
        { parent: this },
      );

    for (const role of NODE_PROJECT_ROLES) {
      const short = role.replace(/^roles\//, "").replace(/\./g, "-");
      grants.push(
        new gcp.projects.IAMMember(`${name}-nodes-${short}`, { project: args.project, role, member: this.nodes.member }, { parent: this }),
      );
    }
    grants.push(repoGrant("nodes-image-reader", IMAGE_READER_ROLE, this.nodes));
    grants.push(repoGrant("image-builder-writer", IMAGE_WRITER_ROLE, this.imageBuilder));

    // Keyed by database id / bucket purpose: stable names, so reordering never replaces (and drops) a binding.
    for (const [id, db] of Object.entries(args.databases)) {
      grants.push(
        new gcp.spanner.DatabaseIAMMember(
          `${name}-backend-db-${id}`,
          { project: db.project, instance: db.instance, database: db.name, role: DATABASE_ROLE, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    for (const [purpose, bucket] of Object.entries(args.buckets ?? {})) {
      grants.push(
        new gcp.storage.BucketIAMMember(
          `${name}-backend-bucket-${purpose}`,
          { bucket: bucket.name, role: BUCKET_OBJECT_ROLE, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    for (const [key, cryptoKeyId] of Object.entries(args.backendCryptoKeys ?? {})) {
      grants.push(
        new gcp.kms.CryptoKeyIAMMember(
          `${name}-backend-key-${key}`,
          { cryptoKeyId, role: ENCRYPTER_DECRYPTER, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    if (args.backendMintsBuildTokens ?? false) {
      grants.push(
        new gcp.serviceaccount.IAMMember(
          `${name}-backend-mints-builder-tokens`,
          { serviceAccountId: this.imageBuilder.name, role: TOKEN_CREATOR, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    this.grants = grants;

    this.registerOutputs({
      nodesEmail: this.nodes.email,
      backendEmail: this.backend.email,
      imageBuilderEmail: this.imageBuilder.email,
    });
  }
}
