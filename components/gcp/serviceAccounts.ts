import * as artifactregistry from "../sdk/gcp/artifactregistry.js";
import * as kms from "../sdk/gcp/kms.js";
import * as projects from "../sdk/gcp/projects.js";
import * as serviceaccount from "../sdk/gcp/serviceaccount.js";
import * as spanner from "../sdk/gcp/spanner.js";
import * as storage from "../sdk/gcp/storage.js";
import * as pulumi from "@pulumi/pulumi";
import { ENCRYPTER_DECRYPTER } from "./kms.js";
import { boundedName } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

/**
 * Project roles of every node pool's service account: GKE's documented minimum for nodes (logging, metrics,
 * monitoring viewer, resource metadata and autoscaling metrics writes), plus service usage, which image
 * streaming requires of a custom node service account; nothing else. No project-wide registry access: each
 * pool reads one repository (see ServiceAccounts).
 */
export const NODE_PROJECT_ROLES = ["roles/container.defaultNodeServiceAccount", "roles/serviceusage.serviceUsageConsumer"] as const;
export const IMAGE_READER_ROLE = "roles/artifactregistry.reader";
/** Read, write and schema changes on one database; no instance or backup administration. */
export const DATABASE_ROLE = "roles/spanner.databaseUser";
/** Create, read, overwrite and delete objects; no bucket settings or IAM. */
export const BUCKET_OBJECT_ROLE = "roles/storage.objectUser";

/** The node pools, each with its own node account: an escape from one pool's nodes gets only that pool's grants. */
export const NODE_POOL_ROLES = ["system", "backend", "mcp"] as const;
export type NodePoolRole = (typeof NODE_POOL_ROLES)[number];

/** A service account id: `<role>-<environment>`, 6-30 characters. */
export function accountId(role: string, environment: string): string {
  const id = boundedName([role, environment], 30);
  if (id.length < 6) throw new Error(`service account id "${id}" is shorter than 6 characters`);
  return id;
}

/** An Artifact Registry repository as an IAM grant names it. */
export interface RepositoryInput {
  readonly project: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly repositoryId: pulumi.Input<string>;
}

export interface ServiceAccountsArgs {
  /** Project of the service accounts and of their project-level grants. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment name, part of each account id. Required. */
  readonly environment: string;
  /**
   * The stack's tenant MCP repository: the MCP pool's nodes read it, nothing else does here. An
   * `ArtifactRegistry.repository` fits. Required.
   */
  readonly tenantRepository: RepositoryInput;
  /**
   * The platform-images repository (backend and other platform images), possibly in another project: the
   * system and backend pools' nodes read it. Never written from here. Required.
   */
  readonly platformImagesRepository: RepositoryInput;
  /** Spanner databases the backend uses, by database id (`Spanner.databases` fits). Required. */
  readonly databases: Readonly<
    Record<string, { readonly project: pulumi.Input<string>; readonly instance: pulumi.Input<string>; readonly name: pulumi.Input<string> }>
  >;
  /** Buckets whose objects the backend reads and writes, by purpose (`Buckets.buckets` fits). Default none. */
  readonly buckets?: Readonly<Record<string, { readonly name: pulumi.Input<string> }>>;
  /**
   * KMS keys the backend itself encrypts with (application-level envelope encryption), by name. Default none:
   * CMEK on buckets and databases is performed by the service agents, not by the caller.
   */
  readonly backendCryptoKeys?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The IAM API. Required. */
  readonly apis: Pick<ProjectApis, "iam">;
}

/**
 * Least-privilege service accounts: one GKE node account per pool (GKE's minimal node role; the MCP pool's
 * may read the tenant MCP repository only, the system and backend pools' the platform-images repository
 * only), and the backend account, the Workload Identity target of the backend's Kubernetes service account
 * (databaseUser on each of its databases, object access on its buckets, nothing project-wide). None of them
 * can write any repository or impersonate any account. The Workload Identity binding is created with the
 * cluster, not here.
 */
export class ServiceAccounts extends pulumi.ComponentResource {
  /** Each node pool runs as its own account, never the Compute Engine default account. */
  readonly nodes: Readonly<Record<NodePoolRole, serviceaccount.Account>>;
  /** The backend's Google identity; bind roles/iam.workloadIdentityUser on it to the backend's KSA. */
  readonly backend: serviceaccount.Account;
  /** Every grant, for ordering workloads after their permissions. */
  readonly grants: readonly pulumi.CustomResource[];

  constructor(name: string, args: ServiceAccountsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:ServiceAccounts", name, {}, opts);

    const account = (key: string, role: string, displayName: string, description: string) =>
      new serviceaccount.Account(
        `${name}-${key}`,
        { project: args.project, accountId: accountId(role, args.environment), displayName, description },
        { parent: this, dependsOn: [args.apis.iam] },
      );
    const reads: Record<NodePoolRole, string> = {
      system: "platform images",
      backend: "platform images",
      mcp: "tenant MCP images",
    };
    const nodes = {} as Record<NodePoolRole, serviceaccount.Account>;
    for (const role of NODE_POOL_ROLES) {
      nodes[role] = account(
        `nodes-${role}`,
        `gke-${role}`,
        `GKE ${role} nodes`,
        `Runs the ${role} node pool: logging, metrics, pulls of ${reads[role]} only`,
      );
    }
    this.nodes = nodes;
    this.backend = account("backend", "backend", "Gumstack backend", "Workload Identity of the backend API");

    const grants: pulumi.CustomResource[] = [];
    const repoGrant = (key: string, repo: RepositoryInput, sa: serviceaccount.Account) =>
      new artifactregistry.RepositoryIamMember(
        `${name}-${key}`,
        { project: repo.project, location: repo.location, repository: repo.repositoryId, role: IMAGE_READER_ROLE, member: sa.member },
        { parent: this },
      );

    for (const pool of NODE_POOL_ROLES) {
      for (const role of NODE_PROJECT_ROLES) {
        const short = role.replace(/^roles\//, "").replace(/\./g, "-");
        grants.push(
          new projects.IAMMember(
            `${name}-nodes-${pool}-${short}`,
            { project: args.project, role, member: nodes[pool].member },
            { parent: this },
          ),
        );
      }
    }
    // Platform pools pull platform images (the backend's, by digest); the MCP pool pulls tenant images only, so
    // a gVisor escape on an MCP node reads no platform image and writes no repository at all.
    grants.push(repoGrant("nodes-system-platform-images-reader", args.platformImagesRepository, nodes.system));
    grants.push(repoGrant("nodes-backend-platform-images-reader", args.platformImagesRepository, nodes.backend));
    grants.push(repoGrant("nodes-mcp-tenant-images-reader", args.tenantRepository, nodes.mcp));

    // Keyed by database id / bucket purpose: stable names, so reordering never replaces (and drops) a binding.
    for (const [id, db] of Object.entries(args.databases)) {
      grants.push(
        new spanner.DatabaseIAMMember(
          `${name}-backend-db-${id}`,
          { project: db.project, instance: db.instance, database: db.name, role: DATABASE_ROLE, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    for (const [purpose, bucket] of Object.entries(args.buckets ?? {})) {
      grants.push(
        new storage.BucketIAMMember(
          `${name}-backend-bucket-${purpose}`,
          { bucket: bucket.name, role: BUCKET_OBJECT_ROLE, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    for (const [key, cryptoKeyId] of Object.entries(args.backendCryptoKeys ?? {})) {
      grants.push(
        new kms.CryptoKeyIAMMember(
          `${name}-backend-key-${key}`,
          { cryptoKeyId, role: ENCRYPTER_DECRYPTER, member: this.backend.member },
          { parent: this },
        ),
      );
    }
    this.grants = grants;

    this.registerOutputs({
      nodesEmails: Object.fromEntries(NODE_POOL_ROLES.map((r) => [r, nodes[r].email])),
      backendEmail: this.backend.email,
    });
  }
}
