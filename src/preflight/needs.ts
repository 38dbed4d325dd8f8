// What a stack's first `pulumi up` will ask of Google Cloud, read from its offline plan (the same plan
// `npm run plan` prints): the project and its parent, every planned location, every VM GKE will create, every
// CMEK-capable resource and its key, every IAM member granted, the APIs the plan enables, and what the node pools
// and addresses need of Compute Engine quota at creation and at their maximum. Pure: a plan in, needs out.
import type { PlannedResource, StackExport } from "../plan/plan.js";
import type { StackConfig } from "../config/schema.js";
import { cpuQuotaMetric, machineVcpus } from "../config/quota.js";
import type { PlannedBucket } from "./orgPolicy.js";

/** A planned resource as the preflight names it in a line: `<type token> <name>`. */
export function labelOf(r: Pick<PlannedResource, "type" | "urn">): string {
  return `${r.type} ${r.urn.slice(r.urn.lastIndexOf("::") + 2)}`;
}

/** A planned resource created in a location (gcp.resourceLocations). */
export interface LocatedResource {
  readonly label: string;
  readonly location: string;
}

/** A VM GKE creates for the plan: one per node of a pool (or of the cluster's default pool, created then removed). */
export interface PlannedVm {
  readonly label: string;
  /** Shielded VM with Secure Boot on (nodeConfig.shieldedInstanceConfig.enableSecureBoot): what compute.requireShieldedVm asks. */
  readonly secureBoot: boolean;
  /** The nodes get an external IP (public nodes): what compute.vmExternalIpAccess restricts. */
  readonly externalIp: boolean;
  readonly machineType: string;
  readonly diskType: string;
  readonly diskSizeGb: number;
  /** Nodes created at once when the pool is created: initialNodeCount per zone × zones. */
  readonly creationNodes: number;
  /** Nodes at the pool's autoscaling maximum (the creation count for the default pool). */
  readonly maxNodes: number;
  /** Created with the cluster and deleted before the node pools are created (removeDefaultNodePool). */
  readonly transient: boolean;
}

/** A resource of a service that gcp.restrictNonCmekServices can require CMEK for, and the key it uses. */
export interface CmekResource {
  readonly label: string;
  readonly service: string;
  /** The Cloud KMS key (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>); undefined: Google-managed encryption. */
  readonly key: string | undefined;
}

export interface PlannedMember {
  readonly label: string;
  readonly member: string;
}

/** Per quota metric: what creation needs at once, and what the pools need at their maximum. */
export interface QuotaFigure {
  readonly scope: "region" | "project";
  readonly metric: string;
  readonly creation: number;
  readonly max: number;
}

/** What the preflight checks, derived from the plan. */
export interface PreflightNeeds {
  /** The stack's project (gumstack:project). */
  readonly project: string;
  /** Enterprise: the stack creates the project in this folder, attached to this billing account. */
  readonly newProject: { readonly folderId: string; readonly billingAccount: string } | undefined;
  /** Where org policies are evaluated: the project, or for a project the stack creates, its folder. */
  readonly policyResource: string;
  readonly region: string;
  readonly domain: string;
  readonly dnsZone: string | undefined;
  readonly locations: readonly LocatedResource[];
  readonly vms: readonly PlannedVm[];
  readonly cmek: readonly CmekResource[];
  readonly members: readonly PlannedMember[];
  /** Planned resource types by the resource that holds their IAM permissions (projects/<id>, folders/<id>, billingAccounts/<id>). */
  readonly typesByTarget: ReadonlyMap<string, readonly string[]>;
  /** The services the plan enables in the project (gcp:projects/service:Service). */
  readonly plannedServices: readonly string[];
  /** The service accounts the plan creates. */
  readonly serviceAccounts: readonly string[];
  readonly buckets: readonly PlannedBucket[];
  /** Other projects a provider bills calls to (billingProject with userProjectOverride), with the services those calls use. */
  readonly billingProjects: ReadonlyMap<string, readonly string[]>;
  readonly quota: readonly QuotaFigure[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const num = (v: unknown): number | undefined =>
  typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined;

/** GKE's NodeConfig defaults when a field is unset: https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/NodeConfig */
export const GKE_NODE_DEFAULTS = { machineType: "e2-medium", diskSizeGb: 100, diskType: "pd-balanced" } as const;

/** Certificate Manager resources without a location are global (the provider's default): https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/certificate_manager_certificate */
const GLOBAL_BY_DEFAULT = new Set([
  "gcp:certificatemanager/certificate:Certificate",
  "gcp:certificatemanager/certificateMap:CertificateMap",
  "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry",
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization",
]);

/**
 * Compute Engine's global resources: "This constraint does not affect where global resources, such as Compute
 * Engine global addresses ... are created" (https://cloud.google.com/resource-manager/docs/organization-policy/defining-locations#limitations).
 */
const LOCATION_EXEMPT_PREFIXES = [
  "gcp:compute/network:",
  "gcp:compute/firewall:",
  "gcp:compute/globalAddress:",
  "gcp:compute/securityPolicy:",
  "gcp:compute/sSLPolicy:",
];

/** The location a planned resource is created in, if it has one the resource locations constraint governs. */
export function locationOf(r: PlannedResource): string | undefined {
  if (LOCATION_EXEMPT_PREFIXES.some((p) => r.type.startsWith(p))) return undefined;
  const i = r.inputs;
  if (r.type === "gcp:spanner/instance:Instance") {
    // Instance configs are `regional-<region>` or a multi-region name (nam3, eur3, ...).
    const config = str(i.config);
    return config?.startsWith("regional-") ? config.slice("regional-".length) : config;
  }
  const loc = str(i.location) ?? str(i.region) ?? str(i.zone);
  if (loc) return loc.toLowerCase();
  if (GLOBAL_BY_DEFAULT.has(r.type)) return "global";
  return undefined;
}

const managed = (resources: readonly PlannedResource[]) => resources.filter((r) => r.custom && !r.external);

/** Every planned (resource, location) the resource locations constraint governs; node pools add their zones. */
export function plannedLocations(resources: readonly PlannedResource[]): LocatedResource[] {
  const out: LocatedResource[] = [];
  for (const r of managed(resources)) {
    if (!r.type.startsWith("gcp:") || r.type.includes("IamMember") || r.type.includes("IAMMember")) continue;
    const loc = locationOf(r);
    if (loc) out.push({ label: labelOf(r), location: loc });
    // The nodes are zonal VMs: each zone of the pool (and of the cluster's default pool) is a location of its own.
    if (r.type === "gcp:container/nodePool:NodePool" || r.type === "gcp:container/cluster:Cluster") {
      const zones = Array.isArray(r.inputs.nodeLocations)
        ? (r.inputs.nodeLocations as unknown[]).filter((z): z is string => typeof z === "string")
        : [];
      for (const z of zones) out.push({ label: `${labelOf(r)} nodes`, location: z });
    }
  }
  return out;
}

/** The VMs GKE creates for the plan: every node pool, and the cluster's default pool while it exists. */
export function plannedVms(resources: readonly PlannedResource[]): PlannedVm[] {
  const clusters = managed(resources).filter((r) => r.type === "gcp:container/cluster:Cluster");
  const privateNodes = (cluster: PlannedResource | undefined) => obj(cluster?.inputs.privateClusterConfig).enablePrivateNodes === true;
  const vm = (
    label: string,
    nodeConfig: Record<string, unknown>,
    externalIp: boolean,
    creation: number,
    max: number,
    transient: boolean,
  ): PlannedVm => ({
    label,
    secureBoot: obj(nodeConfig.shieldedInstanceConfig).enableSecureBoot === true,
    externalIp,
    machineType: str(nodeConfig.machineType) ?? GKE_NODE_DEFAULTS.machineType,
    diskType: str(nodeConfig.diskType) ?? GKE_NODE_DEFAULTS.diskType,
    diskSizeGb: num(nodeConfig.diskSizeGb) ?? GKE_NODE_DEFAULTS.diskSizeGb,
    creationNodes: creation,
    maxNodes: max,
    transient,
  });
  const zoneCount = (r: PlannedResource) => (Array.isArray(r.inputs.nodeLocations) ? r.inputs.nodeLocations.length : 1) || 1;
  const out: PlannedVm[] = [];
  for (const c of clusters) {
    // Creating a cluster always creates its default pool (initialNodeCount per zone, the cluster's nodeConfig);
    // removeDefaultNodePool deletes it only once the cluster is up, so its VMs must pass the org policies too.
    const count = (num(c.inputs.initialNodeCount) ?? 1) * zoneCount(c);
    const pools = Array.isArray(c.inputs.nodePools) ? c.inputs.nodePools : [];
    if (pools.length === 0 && count > 0)
      out.push(
        vm(
          `default node pool of ${labelOf(c)}`,
          obj(c.inputs.nodeConfig),
          !privateNodes(c),
          count,
          count,
          c.inputs.removeDefaultNodePool === true,
        ),
      );
  }
  for (const p of managed(resources).filter((r) => r.type === "gcp:container/nodePool:NodePool")) {
    const cluster = clusters.find((c) => str(c.inputs.name) === str(p.inputs.cluster)) ?? clusters[0];
    // A pool with a networkConfig block sends its own enablePrivateNodes (false when unset: the provider's
    // expandNodeNetworkConfig); without one the pool inherits the cluster's private nodes.
    const net = p.inputs.networkConfig === undefined ? undefined : obj(p.inputs.networkConfig);
    const isPrivate = net ? net.enablePrivateNodes === true : privateNodes(cluster);
    const auto = obj(p.inputs.autoscaling);
    const creation = (num(p.inputs.initialNodeCount) ?? num(p.inputs.nodeCount) ?? 1) * zoneCount(p);
    const max = num(auto.totalMaxNodeCount) ?? (num(auto.maxNodeCount) !== undefined ? num(auto.maxNodeCount)! * zoneCount(p) : creation);
    out.push(vm(labelOf(p), obj(p.inputs.nodeConfig), !isPrivate, creation, Math.max(max, creation), false));
  }
  return out;
}

/** The CMEK-capable resources of the plan and their keys (services named as in gcp.restrictNonCmekServices). */
export function plannedCmek(resources: readonly PlannedResource[], vms: readonly PlannedVm[]): CmekResource[] {
  const out: CmekResource[] = [];
  for (const r of managed(resources)) {
    const i = r.inputs;
    switch (r.type) {
      case "gcp:container/cluster:Cluster": {
        const db = obj(i.databaseEncryption);
        out.push({
          label: `${labelOf(r)} (application-layer secrets)`,
          service: "container.googleapis.com",
          key: db.state === "ENCRYPTED" ? str(db.keyName) : undefined,
        });
        if (vms.some((v) => v.label === `default node pool of ${labelOf(r)}`))
          out.push({
            label: `default node pool of ${labelOf(r)} (boot disks)`,
            service: "compute.googleapis.com",
            key: str(obj(i.nodeConfig).bootDiskKmsKey),
          });
        break;
      }
      case "gcp:container/nodePool:NodePool":
        out.push({ label: `${labelOf(r)} (boot disks)`, service: "compute.googleapis.com", key: str(obj(i.nodeConfig).bootDiskKmsKey) });
        break;
      case "gcp:storage/bucket:Bucket":
        out.push({ label: labelOf(r), service: "storage.googleapis.com", key: str(obj(i.encryption).defaultKmsKeyName) });
        break;
      case "gcp:spanner/database:Database":
        out.push({ label: labelOf(r), service: "spanner.googleapis.com", key: str(obj(i.encryptionConfig).kmsKeyName) });
        break;
      case "gcp:artifactregistry/repository:Repository":
        out.push({ label: labelOf(r), service: "artifactregistry.googleapis.com", key: str(i.kmsKeyName) });
        break;
    }
  }
  return out;
}

/** The project of a Cloud KMS key name (projects/<p>/locations/...). */
export function keyProject(key: string): string | undefined {
  return /^projects\/([^/]+)\//.exec(key)?.[1];
}

/** Every IAM member the plan grants a role to (IAMMember resources of any kind). */
export function plannedMembers(resources: readonly PlannedResource[]): PlannedMember[] {
  const out: PlannedMember[] = [];
  for (const r of managed(resources)) {
    if (!/IamMember|IAMMember/.test(r.type)) continue;
    const m = str(r.inputs.member);
    if (m) out.push({ label: labelOf(r), member: m });
  }
  return out;
}

/** The resource a planned resource's create permissions are checked on. */
function targetOf(r: PlannedResource, project: string): string {
  if (r.type === "gcp:organizations/project:Project") return `folders/${str(r.inputs.folderId) ?? "?"}`;
  if (r.type === "gcp:billing/budget:Budget") return `billingAccounts/${str(r.inputs.billingAccount) ?? "?"}`;
  return `projects/${str(r.inputs.project) ?? project}`;
}

/** The providers that bill calls to another project (billingProject + userProjectOverride), by provider URN. */
function billingProviders(resources: readonly PlannedResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources) {
    if (!r.type.startsWith("pulumi:providers:gcp")) continue;
    const billing = str(r.inputs.billingProject);
    if (billing && String(r.inputs.userProjectOverride) === "true") out.set(r.urn, billing);
  }
  return out;
}

/** The API a planned GCP resource type is served by (for a provider that bills another project). */
export function serviceOfType(type: string): string | undefined {
  const module = /^gcp:([a-z]+)\//.exec(type)?.[1];
  const byModule: Record<string, string> = {
    billing: "billingbudgets.googleapis.com",
    cloudquota: "cloudquotas.googleapis.com",
    organizations: "cloudresourcemanager.googleapis.com",
    projects: "serviceusage.googleapis.com",
    compute: "compute.googleapis.com",
    container: "container.googleapis.com",
    kms: "cloudkms.googleapis.com",
    spanner: "spanner.googleapis.com",
    storage: "storage.googleapis.com",
    artifactregistry: "artifactregistry.googleapis.com",
    certificatemanager: "certificatemanager.googleapis.com",
    monitoring: "monitoring.googleapis.com",
    serviceaccount: "iam.googleapis.com",
    dns: "dns.googleapis.com",
  };
  return module ? byModule[module] : undefined;
}

/** Creation and maximum quota per metric: node pools (vCPUs, boot disks, instances) and regional external addresses. */
export function quotaFigures(vms: readonly PlannedVm[], resources: readonly PlannedResource[]): QuotaFigure[] {
  const region = new Map<string, { creation: number; max: number }>();
  const project = new Map<string, { creation: number; max: number }>();
  const add = (m: Map<string, { creation: number; max: number }>, metric: string, creation: number, max: number) => {
    const cur = m.get(metric) ?? { creation: 0, max: 0 };
    m.set(metric, { creation: cur.creation + creation, max: cur.max + max });
  };
  // The default pool is gone before the node pools are created: creation needs the larger of the two phases.
  const phase = (transient: boolean) => {
    const r = new Map<string, { creation: number; max: number }>();
    const p = new Map<string, { creation: number; max: number }>();
    for (const v of vms.filter((x) => x.transient === transient)) {
      // The config refuses a machine type whose vCPUs src/config/quota.ts cannot tell (the plan's quota line).
      const vcpus = machineVcpus(v.machineType);
      if (vcpus === undefined) throw new Error(`${v.label}: cannot tell the vCPUs of machine type ${v.machineType}`);
      add(r, cpuQuotaMetric(v.machineType), vcpus * v.creationNodes, vcpus * v.maxNodes);
      add(p, "CPUS_ALL_REGIONS", vcpus * v.creationNodes, vcpus * v.maxNodes);
      add(r, v.diskType === "pd-standard" ? "DISKS_TOTAL_GB" : "SSD_TOTAL_GB", v.diskSizeGb * v.creationNodes, v.diskSizeGb * v.maxNodes);
      add(r, "INSTANCES", v.creationNodes, v.maxNodes);
    }
    return { r, p };
  };
  const during = phase(true);
  const after = phase(false);
  // Per metric, the larger phase: the default pool is gone before the node pools are created.
  const merge = (
    a: Map<string, { creation: number; max: number }>,
    b: Map<string, { creation: number; max: number }>,
    into: typeof region,
  ) => {
    for (const metric of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(metric) ?? { creation: 0, max: 0 };
      const y = b.get(metric) ?? { creation: 0, max: 0 };
      into.set(metric, { creation: Math.max(x.creation, y.creation), max: Math.max(x.max, y.max) });
    }
  };
  merge(during.r, after.r, region);
  merge(during.p, after.p, project);
  const addresses = managed(resources).filter(
    (r) => r.type === "gcp:compute/address:Address" && r.inputs.addressType !== "INTERNAL",
  ).length;
  if (addresses > 0) {
    // Reserved regional external addresses count toward STATIC_ADDRESSES, and toward IN_USE_ADDRESSES once the NAT uses them.
    add(region, "STATIC_ADDRESSES", addresses, addresses);
    add(region, "IN_USE_ADDRESSES", addresses, addresses);
  }
  return [
    ...[...region].map(([metric, v]) => ({ scope: "region" as const, metric, ...v })),
    ...[...project].map(([metric, v]) => ({ scope: "project" as const, metric, ...v })),
  ];
}

/** Everything the preflight checks, from the stack's plan and validated config. */
export function preflightNeeds(plan: StackExport, config: StackConfig): PreflightNeeds {
  const resources = plan.deployment.resources;
  const projectResource = managed(resources).find((r) => r.type === "gcp:organizations/project:Project");
  const newProject = projectResource
    ? { folderId: str(projectResource.inputs.folderId) ?? "", billingAccount: str(projectResource.inputs.billingAccount) ?? "" }
    : undefined;
  const vms = plannedVms(resources);
  const typesByTarget = new Map<string, string[]>();
  const addType = (target: string, type: string) => {
    const list = typesByTarget.get(target) ?? [];
    if (!list.includes(type)) list.push(type);
    typesByTarget.set(target, list);
  };
  for (const r of managed(resources)) addType(targetOf(r, config.project), r.type);
  // The project is created in its folder and linked to its billing account: both are checked.
  if (newProject) addType(`billingAccounts/${newProject.billingAccount}`, "gcp:organizations/project:Project");
  const billers = billingProviders(resources);
  const billingProjects = new Map<string, string[]>();
  for (const r of managed(resources)) {
    const billing = r.provider ? billers.get(r.provider) : undefined;
    const service = serviceOfType(r.type);
    if (!billing || !service) continue;
    const list = billingProjects.get(billing) ?? [];
    if (!list.includes(service)) list.push(service);
    // Creating a project on a billing account also calls Cloud Billing (testIamPermissions, updateBillingInfo).
    if (r.type === "gcp:organizations/project:Project" && str(r.inputs.billingAccount) && !list.includes("cloudbilling.googleapis.com"))
      list.push("cloudbilling.googleapis.com");
    billingProjects.set(billing, list);
  }
  const plannedServices = managed(resources)
    .filter((r) => r.type === "gcp:projects/service:Service" && (str(r.inputs.project) ?? config.project) === config.project)
    .map((r) => str(r.inputs.service))
    .filter((s): s is string => s !== undefined);
  return {
    project: config.project,
    newProject,
    policyResource: newProject ? `folders/${newProject.folderId}` : `projects/${config.project}`,
    region: config.region,
    domain: config.domain,
    dnsZone: config.edge.dnsZone,
    locations: plannedLocations(resources),
    vms,
    cmek: plannedCmek(resources, vms),
    members: plannedMembers(resources),
    typesByTarget,
    plannedServices,
    serviceAccounts: managed(resources)
      .filter((r) => r.type === "gcp:serviceaccount/account:Account")
      .map(labelOf),
    buckets: managed(resources)
      .filter((r) => r.type === "gcp:storage/bucket:Bucket")
      .map((r) => ({
        label: labelOf(r),
        uniformBucketLevelAccess: r.inputs.uniformBucketLevelAccess === true,
        publicAccessPrevention: str(r.inputs.publicAccessPrevention),
      })),
    billingProjects,
    quota: quotaFigures(vms, resources),
  };
}
