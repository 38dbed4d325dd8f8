// Effective organization policies (Org Policy API v2, getEffectivePolicy) judged against what the plan creates.
// Shapes: https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/projects.policies/getEffectivePolicy
// (Policy, PolicySpec, PolicyRule, StringValues). Pure: a policy and the plan's needs in, failure lines out.
import type { CmekResource, LocatedResource, PlannedMember, PlannedVm } from "./needs.js";
import { keyProject } from "./needs.js";

/** PolicyRule: https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/organizations.policies#PolicyRule */
export interface PolicyRule {
  readonly values?: { readonly allowedValues?: readonly string[]; readonly deniedValues?: readonly string[] };
  readonly allowAll?: boolean;
  readonly denyAll?: boolean;
  readonly enforce?: boolean;
  readonly condition?: { readonly expression?: string; readonly title?: string };
}

/** Policy: https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/organizations.policies#Policy */
export interface EffectivePolicy {
  readonly name?: string;
  readonly spec?: { readonly rules?: readonly PolicyRule[]; readonly inheritFromParent?: boolean; readonly reset?: boolean };
}

/** The constraints the preflight reads. */
export const CONSTRAINTS = [
  "gcp.resourceLocations",
  "compute.requireShieldedVm",
  "compute.vmExternalIpAccess",
  "iam.allowedPolicyMemberDomains",
  "gcp.restrictNonCmekServices",
  "gcp.restrictCmekCryptoKeyProjects",
  "gcp.restrictServiceUsage",
  "iam.disableServiceAccountCreation",
  "storage.uniformBucketLevelAccess",
  "storage.publicAccessPrevention",
] as const;
export type Constraint = (typeof CONSTRAINTS)[number];

/**
 * A boolean constraint is enforced when a rule says `enforce: true`. A rule with a condition (tags) may or may
 * not apply to what the stack creates; the preflight cannot evaluate tags, so it counts the rule (the safe side).
 */
export function enforced(policy: EffectivePolicy | undefined): boolean {
  return (policy?.spec?.rules ?? []).some((r) => r.enforce === true);
}

/** Strips the optional `is:` prefix of a value (StringValues accepts "is:us-west1" and "us-west1" alike). */
const bare = (v: string) => (v.startsWith("is:") ? v.slice(3) : v);

/**
 * Whether a list constraint allows `value`. `member(group, value)` says whether a value group (`in:...`,
 * `under:...`) contains it: true, false, or undefined when the preflight cannot tell. Returns "allowed",
 * "denied" or "unknown" (allowed only through a group the preflight cannot expand).
 */
export function listVerdict(
  policy: EffectivePolicy | undefined,
  value: string,
  member: (group: string, value: string) => boolean | undefined = () => undefined,
): "allowed" | "denied" | "unknown" {
  const rules = policy?.spec?.rules ?? [];
  if (rules.length === 0) return "allowed"; // no policy anywhere: the constraint's default, allow all
  const matches = (v: string): boolean | undefined =>
    bare(v) === value ? true : v.includes(":") && !v.startsWith("is:") ? member(v, value) : false;
  let allowedBy: "yes" | "maybe" | "no" = "no";
  let anyAllowList = false;
  for (const r of rules) {
    if (r.denyAll) return "denied";
    for (const d of r.values?.deniedValues ?? []) if (matches(d) === true) return "denied";
    if (r.allowAll) allowedBy = "yes";
    const allowed = r.values?.allowedValues ?? [];
    if (allowed.length > 0) {
      anyAllowList = true;
      for (const a of allowed) {
        const m = matches(a);
        if (m === true) allowedBy = "yes";
        else if (m === undefined && allowedBy === "no") allowedBy = "maybe";
      }
    }
  }
  if (allowedBy === "yes" || !anyAllowList) return "allowed";
  return allowedBy === "maybe" ? "unknown" : "denied";
}

// ---- gcp.resourceLocations -------------------------------------------------------------------------------------

const REGION = /^([a-z]+-[a-z]+\d+)$/;
const ZONE = /^([a-z]+-[a-z]+\d+)-[a-z]$/;

/** Multi-region names and the region prefixes of the continental value groups (the groups the preflight expands). */
const CONTINENT_GROUPS: Readonly<Record<string, { prefixes: readonly string[]; multiRegions: readonly string[] }>> = {
  "in:us-locations": { prefixes: ["us-"], multiRegions: ["us"] },
  "in:northamerica-locations": { prefixes: ["us-", "northamerica-"], multiRegions: ["us"] },
  "in:americas-locations": { prefixes: ["us-", "northamerica-", "southamerica-"], multiRegions: ["us"] },
  "in:europe-locations": { prefixes: ["europe-"], multiRegions: ["eu", "europe"] },
  "in:asia-locations": { prefixes: ["asia-"], multiRegions: ["asia"] },
};

/**
 * Whether a location value group contains `location`. Groups are documented at
 * https://cloud.google.com/resource-manager/docs/organization-policy/defining-locations#value_groups:
 * `in:<region>-locations` holds the region and its zones; the continental groups hold their regions and zones.
 * Any other group (in:eu-locations, in:us-west1-ai-locations, ...) is undefined: the preflight says it cannot tell.
 */
export function locationGroupContains(group: string, location: string): boolean | undefined {
  const regional = /^in:([a-z]+-[a-z]+\d+)-locations$/.exec(group);
  if (regional) return location === regional[1] || ZONE.exec(location)?.[1] === regional[1];
  const continent = CONTINENT_GROUPS[group];
  if (continent) {
    if (continent.multiRegions.includes(location)) return true;
    if (location === "global") return false;
    if (REGION.test(location) || ZONE.test(location)) return continent.prefixes.some((p) => location.startsWith(p));
    return false;
  }
  return undefined;
}

/** One line per location the policy refuses (or cannot be told to allow), naming the first resource and how many more. */
export function checkLocations(policy: EffectivePolicy | undefined, locations: readonly LocatedResource[], on: string): string[] {
  const byLocation = new Map<string, string[]>();
  for (const l of locations) byLocation.set(l.location, [...(byLocation.get(l.location) ?? []), l.label]);
  const lines: string[] = [];
  for (const [location, labels] of [...byLocation].sort(([a], [b]) => a.localeCompare(b))) {
    const verdict = listVerdict(policy, location, locationGroupContains);
    if (verdict === "allowed") continue;
    const what = `${labels[0]}${labels.length > 1 ? ` and ${labels.length - 1} more` : ""}`;
    const fix =
      location === "global"
        ? "allow the value 'global' in gcp.resourceLocations for this project (or an exception for it)"
        : `allow in:${REGION.test(location) ? location : (ZONE.exec(location)?.[1] ?? location)}-locations in gcp.resourceLocations for this project, or set gumstack:region/gumstack:zones to allowed locations`;
    lines.push(
      verdict === "denied"
        ? `org policy gcp.resourceLocations on ${on} does not allow '${location}' (${what}): the create would be refused; fix: ${fix}`
        : `org policy gcp.resourceLocations on ${on} allows '${location}' (${what}) only through a value group the preflight cannot expand; fix: confirm with \`gcloud org-policies describe gcp.resourceLocations --effective --project=<project>\` or list the location explicitly`,
    );
  }
  return lines;
}

// ---- compute.requireShieldedVm / compute.vmExternalIpAccess ----------------------------------------------------

/** compute.requireShieldedVm refuses a VM without Secure Boot ("Secure Boot is not enabled in the 'shielded_instance_config' field"). */
export function checkShieldedVm(policy: EffectivePolicy | undefined, vms: readonly PlannedVm[], on: string): string[] {
  if (!enforced(policy)) return [];
  return vms
    .filter((v) => !v.secureBoot)
    .map(
      (v) =>
        `org policy compute.requireShieldedVm is enforced on ${on} and ${v.label} has Secure Boot off: GKE's instance creation would be refused; fix: set nodeConfig.shieldedInstanceConfig.enableSecureBoot true on it`,
    );
}

/**
 * compute.vmExternalIpAccess lists the VM instances allowed an external IP (projects/<p>/zones/<z>/instances/<name>).
 * It concerns VM network interfaces only: Cloud NAT's reserved addresses and the load balancer's global address
 * are not VM external IPs. GKE names nodes at random, so a planned node can never be listed: a public-node pool
 * fails unless the policy allows all.
 */
export function checkExternalIp(policy: EffectivePolicy | undefined, vms: readonly PlannedVm[], on: string): string[] {
  const rules = policy?.spec?.rules ?? [];
  // Refused: deny all, or an allow list (of instances, which can never name a node) without allow all. A deny
  // list names other instances, never a node GKE has yet to name.
  const refuses =
    rules.some((r) => r.denyAll) || (!rules.some((r) => r.allowAll) && rules.some((r) => (r.values?.allowedValues ?? []).length > 0));
  if (!refuses) return [];
  return vms
    .filter((v) => v.externalIp)
    .map(
      (v) =>
        `org policy compute.vmExternalIpAccess on ${on} does not allow external IPs for ${v.label}, whose nodes would get one (not private nodes): GKE's instance creation would be refused; fix: make its nodes private (privateClusterConfig.enablePrivateNodes, or networkConfig.enablePrivateNodes on the pool)`,
    );
}

// ---- iam.allowedPolicyMemberDomains ----------------------------------------------------------------------------

/** Who a member is, for domain restricted sharing: whose Workspace/Cloud Identity customer it belongs to. */
export type MemberOwner =
  | { readonly kind: "project"; readonly project: string }
  | { readonly kind: "service-agent" }
  | { readonly kind: "domain"; readonly domain: string }
  | { readonly kind: "public" };

/**
 * Classifies an IAM member. User-managed service accounts and Workload Identity principals belong to the
 * organization of their project; Google-managed service agents (service-<number>@..., <number>@cloudservices...)
 * are Google's; users, groups and domains belong to their email domain's customer.
 */
export function memberOwner(member: string): MemberOwner {
  if (member === "allUsers" || member === "allAuthenticatedUsers") return { kind: "public" };
  const sa = /^serviceAccount:(.+)$/.exec(member)?.[1];
  if (sa) {
    const wi = /^([a-z][a-z0-9-]+)\.svc\.id\.goog\[/.exec(sa);
    if (wi) return { kind: "project", project: wi[1]! };
    const userManaged = /^[^@]+@([a-z][a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(sa);
    if (userManaged && !/^service-\d+@/.test(sa) && !sa.includes("@gcp-sa-")) return { kind: "project", project: userManaged[1]! };
    return { kind: "service-agent" };
  }
  const pool =
    /^principal(?:Set)?:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/([a-z][a-z0-9-]+)\.svc\.id\.goog\//.exec(
      member,
    );
  if (pool) return { kind: "project", project: pool[1]! };
  const email = /^(?:user|group|deleted:user|deleted:group):[^@]+@(.+)$/.exec(member)?.[1];
  if (email) return { kind: "domain", domain: email.toLowerCase() };
  const domain = /^domain:(.+)$/.exec(member)?.[1];
  if (domain) return { kind: "domain", domain: domain.toLowerCase() };
  return { kind: "domain", domain: member };
}

/** The directory customer of an organization, and the organization's primary domain (Organization.displayName). */
export interface OrgIdentity {
  readonly organization: string;
  readonly customerId: string;
  readonly domain: string;
}

/**
 * iam.allowedPolicyMemberDomains allows members of the listed customer IDs. `orgOf(project)` gives the identity of
 * the organization a project is in (undefined: not known). Service agents are not checked (Google's accounts,
 * granted by Google itself when their API is enabled); a user/group member counts as the customer of the
 * organization whose primary domain it has, and is reported as unverifiable otherwise.
 */
export function checkMemberDomains(
  policy: EffectivePolicy | undefined,
  members: readonly PlannedMember[],
  orgOf: (project: string) => OrgIdentity | undefined,
  on: string,
): string[] {
  const rules = policy?.spec?.rules ?? [];
  if (rules.length === 0 || rules.every((r) => r.allowAll)) return [];
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.member)) continue;
    seen.add(m.member);
    const owner = memberOwner(m.member);
    if (owner.kind === "service-agent") continue;
    let customer: string | undefined;
    let whose: string;
    if (owner.kind === "project") {
      const org = orgOf(owner.project);
      customer = org?.customerId;
      whose = org
        ? `customer ${org.customerId} (organization ${org.organization})`
        : `project ${owner.project}, whose organization the preflight could not read`;
    } else if (owner.kind === "domain") {
      const orgs = [...new Set(members.map((x) => memberOwner(x.member)).flatMap((o) => (o.kind === "project" ? [orgOf(o.project)] : [])))];
      customer = orgs.find((o) => o?.domain === owner.domain)?.customerId;
      whose = customer ? `customer ${customer}` : `domain ${owner.domain}, whose customer ID the preflight cannot look up`;
    } else {
      customer = undefined;
      whose = "everyone";
    }
    const verdict = customer === undefined ? "unknown" : listVerdict(policy, customer);
    if (verdict === "allowed") continue;
    lines.push(
      `org policy iam.allowedPolicyMemberDomains on ${on} ${verdict === "denied" ? "does not allow" : "may not allow"} ${m.member} (${whose}), granted by ${m.label}: the IAM grant would be refused; fix: add ${customer ?? "the member's customer ID"} to the allowed values (or an exception for this project)`,
    );
  }
  return lines;
}

// ---- gcp.restrictNonCmekServices / gcp.restrictCmekCryptoKeyProjects ---------------------------------------------

/**
 * gcp.restrictNonCmekServices lists, as denied values, the services whose new resources must use CMEK
 * (https://cloud.google.com/kms/docs/cmek-org-policy#require-cmek). A service is denied when listed, or when
 * the policy denies all.
 */
export function checkNonCmek(policy: EffectivePolicy | undefined, resources: readonly CmekResource[], on: string): string[] {
  return resources
    .filter((r) => r.key === undefined && listVerdict(policy, r.service) === "denied")
    .map(
      (r) =>
        `org policy gcp.restrictNonCmekServices on ${on} requires CMEK for ${r.service} and ${r.label} has no Cloud KMS key: the create would be refused; fix: give it a key of the stack's key ring`,
    );
}

/**
 * gcp.restrictCmekCryptoKeyProjects lists the projects keys may come from, as `under:projects/<id>`,
 * `under:folders/<id>` or `under:organizations/<id>`. `ancestry(project)` gives the project's resource and its
 * ancestors (projects/<id>, projects/<number>, folders/..., organizations/...).
 */
export function checkCmekKeyProjects(
  policy: EffectivePolicy | undefined,
  resources: readonly CmekResource[],
  ancestry: (project: string) => readonly string[] | undefined,
  on: string,
): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    const project = r.key ? keyProject(r.key) : undefined;
    if (!project || seen.has(project)) continue;
    seen.add(project);
    const chain = ancestry(project);
    const member = (group: string) => (group.startsWith("under:") && chain ? chain.includes(group.slice("under:".length)) : undefined);
    const verdict = listVerdict(policy, `projects/${project}`, member);
    if (verdict === "allowed") continue;
    lines.push(
      `org policy gcp.restrictCmekCryptoKeyProjects on ${on} ${verdict === "denied" ? "does not allow" : "may not allow"} keys from project ${project} (${r.label} and the stack's other keys): CMEK resources would be refused; fix: add under:projects/${project} to the allowed values`,
    );
  }
  return lines;
}

// ---- services, service accounts, buckets ------------------------------------------------------------------------

/**
 * gcp.restrictServiceUsage lists the services that may be enabled
 * (https://cloud.google.com/resource-manager/docs/organization-policy/restricting-resources):
 * a planned Service resource for a service it does not allow is refused.
 */
export function checkServiceUsage(policy: EffectivePolicy | undefined, services: readonly string[], on: string): string[] {
  return services
    .filter((s) => listVerdict(policy, s) !== "allowed")
    .map(
      (s) =>
        `org policy gcp.restrictServiceUsage on ${on} does not allow ${s}, which the stack enables: enabling it would be refused and everything built on it with it; fix: allow ${s} in gcp.restrictServiceUsage for this project`,
    );
}

/** iam.disableServiceAccountCreation (boolean): every planned service account would be refused. */
export function checkServiceAccountCreation(policy: EffectivePolicy | undefined, accounts: readonly string[], on: string): string[] {
  if (!enforced(policy) || accounts.length === 0) return [];
  return [
    `org policy iam.disableServiceAccountCreation is enforced on ${on}: the ${accounts.length} service accounts the stack creates (${accounts[0]}${accounts.length > 1 ? ", ..." : ""}) would be refused; fix: an exception for this project (the nodes, the backend and the pusher each need their own account)`,
  ];
}

/** A planned bucket's settings the storage constraints look at. */
export interface PlannedBucket {
  readonly label: string;
  readonly uniformBucketLevelAccess: boolean;
  readonly publicAccessPrevention: string | undefined;
}

/**
 * storage.uniformBucketLevelAccess and storage.publicAccessPrevention (boolean): a bucket created without
 * uniform bucket-level access, or with public access prevention other than "enforced", is refused
 * (https://cloud.google.com/storage/docs/org-policy-constraints).
 */
export function checkBuckets(
  ubla: EffectivePolicy | undefined,
  pap: EffectivePolicy | undefined,
  buckets: readonly PlannedBucket[],
  on: string,
): string[] {
  const lines: string[] = [];
  for (const b of buckets) {
    if (enforced(ubla) && !b.uniformBucketLevelAccess)
      lines.push(
        `org policy storage.uniformBucketLevelAccess is enforced on ${on} and ${b.label} is planned without it: the create would be refused; fix: set uniformBucketLevelAccess true on it`,
      );
    if (enforced(pap) && b.publicAccessPrevention !== "enforced")
      lines.push(
        `org policy storage.publicAccessPrevention is enforced on ${on} and ${b.label} does not enforce it: the create would be refused; fix: set publicAccessPrevention "enforced" on it`,
      );
  }
  return lines;
}
