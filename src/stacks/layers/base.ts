// The base layer: everything project-level the cluster and its workloads stand on. APIs and service agents,
// the KMS keys and their grants, the network and its NATs, the tenant MCP repository, Spanner, buckets, the
// service accounts, Data Access audit logs and the alerting channels.
import type * as pulumi from "@pulumi/pulumi";
import {
  ArtifactRegistry,
  dockerRepositoryUrl,
  parseDockerRepositoryUrl,
  tenantRepositoryId,
} from "../../../components/gcp/artifactRegistry.js";
import { DataAccessAuditLogs } from "../../../components/gcp/auditLogs.js";
import { Buckets } from "../../../components/gcp/buckets.js";
import { Kms } from "../../../components/gcp/kms.js";
import { Network } from "../../../components/gcp/network.js";
import { NotificationChannels } from "../../../components/gcp/notificationChannels.js";
import { ProjectServices, type ProjectApis } from "../../../components/gcp/projectServices.js";
import { ServiceAccounts } from "../../../components/gcp/serviceAccounts.js";
import { Spanner } from "../../../components/gcp/spanner.js";
import type { NodePoolRole } from "../../../components/gke/nodePool.js";
import { lbPodPorts } from "../../../components/serving/edgeManifests.js";
import type { Settings } from "../../config/index.js";
import { after } from "./ready.js";

export interface BaseOptions {
  /**
   * The project id as an output of the resource that creates it (enterprise stacks). Every API enablement
   * takes it as input, so everything that waits for an API waits for the project. Default: the config value.
   */
  readonly createdProjectId?: pulumi.Output<string>;
  /** The project's number when this stack creates the project. Default: looked up. */
  readonly projectNumber?: pulumi.Input<string>;
  /** Enable the Billing Budgets API in the project (platform stacks: budget calls are billed there). Default false. */
  readonly billingBudgets?: boolean;
  /** Enable Cloud Billing and Cloud Quotas in the project (platform stacks: enterprise stacks bill those calls there). Default false. */
  readonly quotaProjectApis?: boolean;
}

/** What the layers above use from the base layer. */
export interface BaseLayer {
  readonly apis: ProjectApis;
  readonly projectNumber: pulumi.Output<string>;
  /**
   * The `gke` key's id (Secrets encryption, node boot disks), resolving only once its grants to the container and
   * Compute Engine agents exist and have had time to propagate: a cluster or node pool that takes it cannot be
   * created before them.
   */
  readonly gkeKeyId: pulumi.Output<string>;
  /** The stack's KMS key ring (Binary Authorization's signing keys live there). */
  readonly keyRingId: pulumi.Output<string>;
  readonly network: Pick<
    Network,
    | "network"
    | "subnetwork"
    | "podRangeName"
    | "serviceRangeName"
    | "mcpPodRangeName"
    | "nat"
    | "tenantNat"
    | "platformNatAddresses"
    | "tenantNatAddresses"
    | "controlPlaneWebhookFirewall"
  >;
  readonly registry: Pick<ArtifactRegistry, "repository" | "repositoryUrl">;
  /** `<region>-docker.pkg.dev/<project>/<tenant repository>`: the prefix of every tenant (and platform-copy) image. */
  readonly tenantImageRepository: string;
  readonly spanner: Pick<Spanner, "instance" | "databases">;
  readonly buckets: Pick<Buckets, "buckets">;
  /**
   * Node service account emails by pool, each resolving only once every grant of the stack's service accounts
   * exists: nodes pull images and write logs from their first boot.
   */
  readonly nodeAccountEmails: Readonly<Record<NodePoolRole, pulumi.Output<string>>>;
  /**
   * The system node account's email as soon as the account exists: for the cluster's temporary default pool, whose
   * nodes are deleted before anything runs on them, so the cluster need not wait for the account's grants.
   */
  readonly bootstrapNodeAccountEmail: pulumi.Output<string>;
  readonly accounts: Pick<ServiceAccounts, "nodes" | "backend">;
  /** Cloud Monitoring notification channels for every alert policy (the platform's and the canary's). */
  readonly notificationChannels: NotificationChannels["names"];
}

export function baseLayer(settings: Settings, options: BaseOptions = {}): BaseLayer {
  const { project, region, environment } = settings;
  const services = new ProjectServices("services", {
    project: options.createdProjectId ?? project,
    billingBudgets: options.billingBudgets ?? false,
    quotaProjectApis: options.quotaProjectApis ?? false,
    ...(options.projectNumber ? { projectNumber: options.projectNumber } : {}),
  });
  const apis = services.apis;
  // gumstack:allowDestroy, the deliberate teardown switch, reaches each protected component as one argument.
  const allowDestroy = settings.allowDestroy;
  const kms = new Kms("kms", {
    project,
    region,
    environment,
    rotationDays: settings.kms.rotationDays,
    agents: services.agents,
    apis,
    allowDestroy,
    randomSuffix: settings.naming.randomSuffix,
  });
  const network = new Network("network", {
    project,
    region,
    environment,
    network: settings.network,
    apis,
    egress: settings.egress,
    backendPorts: lbPodPorts(settings.backend.port),
  });
  // Who read or wrote which key or database: Data Access audit logs for Cloud KMS and Spanner.
  new DataAccessAuditLogs("audit", { project, dependsOn: [apis.cloudkms, apis.spanner] });
  // The tenant MCP repository: this stack's only repository. Platform images come from the platform-images
  // repository the bootstrap created (gumstack:platformImages.repository), which this stack only reads.
  const tenantRepoId = tenantRepositoryId(environment, settings.artifactRegistry.repositoryId);
  const platformImages = parseDockerRepositoryUrl(settings.platformImages.repository);
  const registry = new ArtifactRegistry("registry", {
    project,
    region,
    apis,
    repositoryId: tenantRepoId,
    retentionDays: settings.artifactRegistry.retentionDays,
    keepRecentVersions: settings.artifactRegistry.keepRecentVersions,
    kmsKeyName: kms.keys.registry.id,
    keyGrants: kms.grants.registry,
    // The release identity copies the canary and the builder here (the MCP pool reads no other repository).
    publisherEmail: settings.platformImages.releaseIdentity,
  });
  const spanner = new Spanner("spanner", {
    project,
    region,
    environment,
    spanner: settings.spanner,
    apis,
    kmsKeyName: kms.keys.spanner.id,
    keyGrants: kms.grants.spanner,
    allowDestroy,
  });
  const buckets = new Buckets("buckets", {
    project,
    region,
    environment,
    purposes: settings.buckets,
    apis,
    kmsKeyName: kms.keys.storage.id,
    keyGrants: kms.grants.storage,
    allowDestroy,
    randomSuffix: settings.naming.randomSuffix,
  });
  const accounts = new ServiceAccounts("accounts", {
    project,
    environment,
    apis,
    tenantRepository: registry.repository,
    platformImagesRepository: platformImages,
    databases: spanner.databases,
    buckets: buckets.buckets,
    // The backend encrypts what it stores itself (customers' credentials) with its own key.
    backendCryptoKeys: { app: kms.keys.app.id },
  });
  // Who is told: one email channel per gumstack:alerting.emails address, for the platform's and the canary's alerts.
  const notify = new NotificationChannels("notify", {
    project,
    environment,
    emails: settings.alerting.emails,
    dependsOn: [apis.monitoring],
  });

  const nodeAccountEmail = (role: NodePoolRole) => after(accounts.nodes[role].email, accounts.grants);
  return {
    apis,
    projectNumber: services.projectNumber,
    // Secrets encryption and CMEK boot disks need the container and Compute Engine agents' grants on the key first,
    // propagated (Kms waits after them).
    gkeKeyId: kms.gkeKeyId,
    keyRingId: kms.keyRing.id,
    network,
    registry,
    // MCP images: <tenant repository>/<tenant-id>/<server>, by digest (the repository's tags are mutable, for the
    // age-based cleanup). The platform's own images (gumstack:platformImages.repository) are refused by name.
    tenantImageRepository: dockerRepositoryUrl(region, project, tenantRepoId),
    spanner,
    buckets,
    nodeAccountEmails: { system: nodeAccountEmail("system"), backend: nodeAccountEmail("backend"), mcp: nodeAccountEmail("mcp") },
    bootstrapNodeAccountEmail: accounts.nodes.system.email,
    accounts,
    notificationChannels: notify.names,
  };
}
