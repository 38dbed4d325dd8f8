// The preflight's other judgements, each a pure function from what an API answered (in its documented shape) and
// what the plan needs, to failure lines: quota, billing, APIs enabled, DNS delegation.
import type { QuotaFigure } from "./needs.js";

// ---- quota -----------------------------------------------------------------------------------------------------

/** Quota: https://cloud.google.com/compute/docs/reference/rest/v1/regions/get (Region.quotas[]) and projects/get (Project.quotas[]). */
export interface ComputeQuota {
  readonly metric: string;
  readonly limit: number;
  readonly usage: number;
}

export interface QuotaResult {
  readonly failures: string[];
  /** The maximum does not fit: `up` works, the pools cannot grow to their maximum. */
  readonly warnings: string[];
}

/**
 * Each figure against the quota's headroom (limit - usage). Short of the creation figure: the `up` fails
 * ("Quota 'N2_CPUS' exceeded"); short of the maximum only: a warning. A metric the API does not report: warning.
 */
export function checkQuota(
  figures: readonly QuotaFigure[],
  region: readonly ComputeQuota[],
  project: readonly ComputeQuota[],
  where: { project: string; region: string },
): QuotaResult {
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const f of figures) {
    const quotas = f.scope === "region" ? region : project;
    const scope = f.scope === "region" ? `${where.project} ${where.region}` : where.project;
    const q = quotas.find((x) => x.metric === f.metric);
    if (!q) {
      warnings.push(`quota ${f.metric}: not reported for ${scope}; the preflight cannot check the ${f.creation} the first up needs`);
      continue;
    }
    const free = q.limit - q.usage;
    const request = `request an increase (https://console.cloud.google.com/iam-admin/quotas?project=${where.project}, metric ${f.metric}${f.scope === "region" ? `, region ${where.region}` : ""})`;
    if (free < f.creation)
      failures.push(
        `quota ${f.metric} in ${scope}: ${free} free (limit ${q.limit}, used ${q.usage}), the first up creates ${f.creation} at once: creation would fail with "Quota '${f.metric}' exceeded"; fix: ${request} to at least ${q.usage + f.creation} (${q.usage + f.max} for the pools' maximum)`,
      );
    else if (free < f.max)
      warnings.push(
        `quota ${f.metric} in ${scope}: ${free} free, the node pools' maximum needs ${f.max}: the autoscaler would stop short; fix: ${request} to ${q.usage + f.max}`,
      );
  }
  return { failures, warnings };
}

// ---- billing ---------------------------------------------------------------------------------------------------

/** ProjectBillingInfo: https://cloud.google.com/billing/docs/reference/rest/v1/projects/getBillingInfo */
export interface ProjectBillingInfo {
  readonly name?: string;
  readonly projectId?: string;
  readonly billingAccountName?: string;
  readonly billingEnabled?: boolean;
}

/** BillingAccount: https://cloud.google.com/billing/docs/reference/rest/v1/billingAccounts/get */
export interface BillingAccount {
  readonly name?: string;
  readonly open?: boolean;
  readonly displayName?: string;
}

export function checkProjectBilling(info: ProjectBillingInfo, project: string): string[] {
  if (info.billingEnabled === true) return [];
  return [
    `billing is not enabled on project ${project}${info.billingAccountName ? ` (account ${info.billingAccountName} is closed or unlinked)` : ""}: every billed API (Compute Engine, GKE, Spanner) would refuse the creates; fix: gcloud billing projects link ${project} --billing-account=<ACCOUNT_ID>`,
  ];
}

export function checkBillingAccount(account: BillingAccount, id: string, project: string): string[] {
  if (account.open === true) return [];
  return [
    `billing account ${id} (gumstack:enterprise.billingAccount) is not open: project ${project} could not be linked to it; fix: reopen the account or set gumstack:enterprise.billingAccount to an open one`,
  ];
}

// ---- APIs ------------------------------------------------------------------------------------------------------

/** GoogleApiServiceusageV1Service: https://cloud.google.com/service-usage/docs/reference/rest/v1/services/batchGet */
export interface ServiceState {
  readonly name?: string;
  readonly config?: { readonly name?: string };
  readonly state?: "ENABLED" | "DISABLED" | "STATE_UNSPECIFIED";
}

/** The APIs the program calls before it has enabled anything itself: to enable the rest, and to read the project. */
export const BOOTSTRAP_APIS = ["serviceusage.googleapis.com", "cloudresourcemanager.googleapis.com"] as const;

/** The service name of a batchGet entry (`config.name`, else the last segment of `name`). */
function serviceName(s: ServiceState): string | undefined {
  return s.config?.name ?? s.name?.split("/").pop();
}

/** One line per required API that is not enabled on `project`, with why it is needed first. */
export function checkApis(
  states: readonly ServiceState[],
  required: readonly { service: string; why: string }[],
  project: string,
): string[] {
  const enabled = new Set(states.filter((s) => s.state === "ENABLED").map(serviceName));
  return required
    .filter((r) => !enabled.has(r.service))
    .map(
      (r) =>
        `API ${r.service} is not enabled on project ${project}: ${r.why}; fix: gcloud services enable ${r.service} --project=${project}`,
    );
}

// ---- DNS -------------------------------------------------------------------------------------------------------

/** ManagedZone: https://cloud.google.com/dns/docs/reference/rest/v1/managedZones/get */
export interface ManagedZone {
  readonly name?: string;
  readonly dnsName?: string;
  readonly nameServers?: readonly string[];
  readonly visibility?: string;
}

const norm = (ns: string) => ns.toLowerCase().replace(/\.$/, "");

/** The names to look NS up for, from the domain up to (not including) its top-level domain. */
export function nsCandidates(domain: string): string[] {
  const labels = norm(domain).split(".");
  const out: string[] = [];
  for (let i = 0; i < labels.length - 1; i++) out.push(labels.slice(i).join("."));
  return out;
}

/**
 * With a Cloud DNS zone: the public NS of the zone's DNS name must be the zone's name servers (the registrar or
 * parent zone delegates to Cloud DNS), or the records the stack creates there (and the certificate's DNS
 * authorization) are never seen. `publicNs` is what public DNS answers for the zone's name (undefined: none).
 */
export function checkZoneDelegation(zone: ManagedZone, zoneId: string, domain: string, publicNs: readonly string[] | undefined): string[] {
  const zoneName = norm(zone.dnsName ?? "");
  const wanted = (zone.nameServers ?? []).map(norm).sort();
  const d = norm(domain);
  if (zone.visibility === "private")
    return [
      `DNS zone ${zoneId} (gumstack:edge.dnsZone) is private: public resolvers never see its records; fix: use a public zone for ${d}`,
    ];
  if (zoneName !== d && !d.endsWith(`.${zoneName}`))
    return [
      `DNS zone ${zoneId} (gumstack:edge.dnsZone) is for ${zoneName}, not ${d}: the stack's records would land outside the domain; fix: set gumstack:edge.dnsZone to the zone of ${d}`,
    ];
  const got = (publicNs ?? []).map(norm).sort();
  if (got.length > 0 && wanted.every((ns) => got.includes(ns))) return [];
  return [
    `DNS: ${zoneName} is ${got.length ? `delegated to ${got.join(", ")}` : "not delegated (no public NS records)"}, not to Cloud DNS zone ${zoneId} (${wanted.join(", ")}): the certificate's DNS authorization and the stack's records would never resolve; fix: set the NS records of ${zoneName} at its registrar or parent zone to ${wanted.join(", ")}`,
  ];
}

/** Without a zone: the domain must sit in a publicly delegated zone (the nearest name with NS records). */
export function checkDomainResolves(domain: string, found: { name: string; ns: readonly string[] } | undefined): string[] {
  if (found && found.ns.length > 0) return [];
  return [
    `DNS: no public NS records for ${norm(domain)} or any parent below its top-level domain: the records the stack outputs (and the certificate's DNS authorization) could not be published; fix: register ${norm(domain)} and delegate it to your DNS provider, then create the records \`npm run plan\` lists`,
  ];
}
