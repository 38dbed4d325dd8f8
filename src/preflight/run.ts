// The preflight itself: reads what Google Cloud says about the stack's project (or, for a project the stack
// creates, its folder and billing account) and judges it with the pure checks against the plan's needs.
// Every REST path below is the documented one; the reference page is cited where the call is made.
import { ApiError, CannotConnect, type GoogleClient } from "./google.js";
import { CONSTRAINTS, type Constraint, type EffectivePolicy, type OrgIdentity } from "./orgPolicy.js";
import {
  checkBuckets,
  checkServiceAccountCreation,
  checkServiceUsage,
  checkCmekKeyProjects,
  checkExternalIp,
  checkLocations,
  checkMemberDomains,
  checkNonCmek,
  checkShieldedVm,
  memberOwner,
} from "./orgPolicy.js";
import { checkPermissions, permissionsForTypes } from "./permissions.js";
import {
  BOOTSTRAP_APIS,
  checkApis,
  checkBillingAccount,
  checkDomainResolves,
  checkProjectBilling,
  checkQuota,
  checkZoneDelegation,
  nsCandidates,
  type BillingAccount,
  type ComputeQuota,
  type ManagedZone,
  type ProjectBillingInfo,
  type ServiceState,
} from "./checks.js";
import { keyProject, type PreflightNeeds } from "./needs.js";

/** Public DNS: NS records of a name; throws an error with `code` ENOTFOUND/ENODATA when there are none. */
export interface NsResolver {
  resolveNs(name: string): Promise<string[]>;
}

/** What the preflight found: each failure and warning one line; `passed` names the checks that found nothing. */
export interface PreflightReport {
  readonly failures: string[];
  readonly warnings: string[];
  readonly notes: string[];
  readonly passed: string[];
}

const enc = encodeURIComponent;

/** The one line for an API call that failed: which call, the API's own message, and what to do. */
function apiFailure(what: string, e: unknown, fix: string): string {
  if (e instanceof ApiError) return `${what}: the API answered ${e.status}: ${e.apiMessage}; fix: ${fix}`;
  throw e;
}

/** Runs every check; throws CannotConnect when Google cannot be reached at all. */
export async function runPreflight(needs: PreflightNeeds, client: GoogleClient, dns: NsResolver): Promise<PreflightReport> {
  const report: PreflightReport = { failures: [], warnings: [], notes: [], passed: [] };
  const check = async (name: string, body: () => Promise<string[]>) => {
    const before = report.failures.length;
    const lines = await body();
    report.failures.push(...lines);
    if (report.failures.length === before) report.passed.push(name);
  };
  const projectExists = needs.newProject === undefined;

  // ---- ancestry of projects (org policy members and key projects), read lazily --------------------------------
  // v3 projects.get / folders.get: https://cloud.google.com/resource-manager/reference/rest/v3/projects/get
  const ancestryCache = new Map<string, Promise<string[] | undefined>>();
  const ancestry = (project: string): Promise<string[] | undefined> => {
    let p = ancestryCache.get(project);
    if (!p) {
      p = (async () => {
        const chain: string[] = [`projects/${project}`];
        let parent: string | undefined;
        if (project === needs.project && !projectExists) parent = `folders/${needs.newProject!.folderId}`;
        else {
          const got = await client.request<{ name?: string; parent?: string }>(
            "cloudresourcemanager",
            "GET",
            `/v3/projects/${enc(project)}`,
          );
          if (got.name) chain.push(got.name);
          parent = got.parent;
        }
        for (let i = 0; parent && i < 12; i++) {
          chain.push(parent);
          if (!parent.startsWith("folders/")) break;
          parent = (await client.request<{ parent?: string }>("cloudresourcemanager", "GET", `/v3/${parent}`)).parent;
        }
        return chain;
      })().catch((e: unknown) => {
        if (e instanceof ApiError) return undefined;
        throw e;
      });
      ancestryCache.set(project, p);
    }
    return p;
  };
  // v3 organizations.get: https://cloud.google.com/resource-manager/reference/rest/v3/organizations/get
  const orgCache = new Map<string, Promise<OrgIdentity | undefined>>();
  const orgIdentity = async (project: string): Promise<OrgIdentity | undefined> => {
    const org = (await ancestry(project))?.find((r) => r.startsWith("organizations/"));
    if (!org) return undefined;
    let p = orgCache.get(org);
    if (!p) {
      p = client
        .request<{ name?: string; directoryCustomerId?: string; displayName?: string }>("cloudresourcemanager", "GET", `/v3/${org}`)
        .then((o) =>
          o.directoryCustomerId
            ? { organization: org, customerId: o.directoryCustomerId, domain: (o.displayName ?? "").toLowerCase() }
            : undefined,
        )
        .catch((e: unknown) => {
          if (e instanceof ApiError) return undefined;
          throw e;
        });
      orgCache.set(org, p);
    }
    return p;
  };

  // ---- org policies --------------------------------------------------------------------------------------------
  // v2 getEffectivePolicy: https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/projects.policies/getEffectivePolicy
  const on = needs.policyResource;
  const policies = new Map<Constraint, EffectivePolicy>();
  const policyErrors: string[] = [];
  await Promise.all(
    CONSTRAINTS.map(async (c) => {
      try {
        policies.set(c, await client.request<EffectivePolicy>("orgpolicy", "GET", `/v2/${on}/policies/${c}:getEffectivePolicy`));
      } catch (e) {
        policyErrors.push(
          apiFailure(
            `org policy ${c}: cannot read the effective policy on ${on}`,
            e,
            `grant the deployer roles/orgpolicy.policyViewer on ${on} (and enable orgpolicy.googleapis.com on the ADC quota project)`,
          ),
        );
      }
    }),
  );
  // The same refusal for every constraint is one problem: say it once.
  const distinct = [...new Set(policyErrors.map((l) => l.replace(/^org policy \S+: /, "org policy: ")))];
  report.failures.push(...(distinct.length === 1 && policyErrors.length > 1 ? distinct : policyErrors.sort()));
  if (policyErrors.length === 0) {
    const p = (c: Constraint) => policies.get(c);
    await check("org policy gcp.resourceLocations", async () => checkLocations(p("gcp.resourceLocations"), needs.locations, on));
    await check("org policy compute.requireShieldedVm", async () => checkShieldedVm(p("compute.requireShieldedVm"), needs.vms, on));
    await check("org policy compute.vmExternalIpAccess", async () => checkExternalIp(p("compute.vmExternalIpAccess"), needs.vms, on));
    await check("org policy iam.allowedPolicyMemberDomains", async () => {
      const policy = p("iam.allowedPolicyMemberDomains");
      const projects = [
        ...new Set(needs.members.map((m) => memberOwner(m.member)).flatMap((o) => (o.kind === "project" ? [o.project] : []))),
      ];
      const orgs = new Map<string, OrgIdentity | undefined>();
      if ((policy?.spec?.rules ?? []).some((r) => !r.allowAll)) for (const pr of projects) orgs.set(pr, await orgIdentity(pr));
      return checkMemberDomains(policy, needs.members, (pr) => orgs.get(pr), on);
    });
    await check("org policy gcp.restrictNonCmekServices", async () => checkNonCmek(p("gcp.restrictNonCmekServices"), needs.cmek, on));
    await check("org policy gcp.restrictCmekCryptoKeyProjects", async () => {
      const policy = p("gcp.restrictCmekCryptoKeyProjects");
      const chains = new Map<string, string[] | undefined>();
      if ((policy?.spec?.rules ?? []).length > 0)
        for (const kp of new Set(needs.cmek.flatMap((r) => (r.key ? [keyProject(r.key)!] : [])))) chains.set(kp, await ancestry(kp));
      return checkCmekKeyProjects(policy, needs.cmek, (pr) => chains.get(pr), on);
    });
    await check("org policy gcp.restrictServiceUsage", async () =>
      checkServiceUsage(p("gcp.restrictServiceUsage"), needs.plannedServices, on),
    );
    await check("org policy iam.disableServiceAccountCreation", async () =>
      checkServiceAccountCreation(p("iam.disableServiceAccountCreation"), needs.serviceAccounts, on),
    );
    await check("org policy storage buckets", async () =>
      checkBuckets(p("storage.uniformBucketLevelAccess"), p("storage.publicAccessPrevention"), needs.buckets, on),
    );
  }

  // ---- billing -------------------------------------------------------------------------------------------------
  await check("billing", async () => {
    if (projectExists) {
      // https://cloud.google.com/billing/docs/reference/rest/v1/projects/getBillingInfo
      try {
        return checkProjectBilling(
          await client.request<ProjectBillingInfo>("cloudbilling", "GET", `/v1/projects/${enc(needs.project)}/billingInfo`),
          needs.project,
        );
      } catch (e) {
        return [
          apiFailure(
            `billing: cannot read the billing of project ${needs.project}`,
            e,
            `grant the deployer roles/billing.projectManager or roles/viewer on ${needs.project}, and enable cloudbilling.googleapis.com on the ADC quota project`,
          ),
        ];
      }
    }
    const id = needs.newProject!.billingAccount;
    // https://cloud.google.com/billing/docs/reference/rest/v1/billingAccounts/get
    try {
      return checkBillingAccount(
        await client.request<BillingAccount>("cloudbilling", "GET", `/v1/billingAccounts/${enc(id)}`),
        id,
        needs.project,
      );
    } catch (e) {
      return [
        apiFailure(
          `billing: cannot read billing account ${id} (gumstack:enterprise.billingAccount)`,
          e,
          `grant the deployer roles/billing.user on billing account ${id}`,
        ),
      ];
    }
  });

  // ---- permissions ---------------------------------------------------------------------------------------------
  await check("permissions", async () => {
    const lines: string[] = [];
    for (const [target, types] of needs.typesByTarget) {
      if (!projectExists && target === `projects/${needs.project}`) {
        report.notes.push(
          `permissions on projects/${needs.project}: the project does not exist yet, so testIamPermissions cannot be asked; its creator is granted roles/owner on it (https://cloud.google.com/resource-manager/docs/creating-managing-projects)`,
        );
        continue;
      }
      const { permissions } = permissionsForTypes(types, target);
      const granted: string[] = [];
      try {
        for (let i = 0; i < permissions.length; i += 100) {
          const batch = permissions.slice(i, i + 100);
          // Projects and folders: https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions
          // Billing accounts: https://cloud.google.com/billing/docs/reference/rest/v1/billingAccounts/testIamPermissions
          const res = target.startsWith("billingAccounts/")
            ? await client.request<{ permissions?: string[] }>("cloudbilling", "POST", `/v1/${target}:testIamPermissions`, {
                permissions: batch,
              })
            : await client.request<{ permissions?: string[] }>("cloudresourcemanager", "POST", `/v3/${target}:testIamPermissions`, {
                permissions: batch,
              });
          granted.push(...(res.permissions ?? []));
        }
      } catch (e) {
        lines.push(
          apiFailure(
            `permissions: cannot test the deployer's permissions on ${target}`,
            e,
            `check that ${target} exists and the deployer can see it`,
          ),
        );
        continue;
      }
      lines.push(...checkPermissions(target, types, granted));
    }
    return lines;
  });

  // ---- APIs ----------------------------------------------------------------------------------------------------
  // services.batchGet: https://cloud.google.com/service-usage/docs/reference/rest/v1/services/batchGet
  const apisOn = async (project: string, required: { service: string; why: string }[]): Promise<string[]> => {
    const names = required.map((r) => `names=${enc(`projects/${project}/services/${r.service}`)}`).join("&");
    try {
      const res = await client.request<{ services?: ServiceState[] }>(
        "serviceusage",
        "GET",
        `/v1/projects/${enc(project)}/services:batchGet?${names}`,
      );
      return checkApis(res.services ?? [], required, project);
    } catch (e) {
      return [
        apiFailure(
          `APIs: cannot read the enabled services of project ${project}`,
          e,
          `grant the deployer roles/serviceusage.serviceUsageViewer on ${project}`,
        ),
      ];
    }
  };
  await check("APIs", async () => {
    const lines: string[] = [];
    if (projectExists) {
      lines.push(
        ...(await apisOn(
          needs.project,
          BOOTSTRAP_APIS.map((service) => ({
            service,
            why:
              service === "serviceusage.googleapis.com"
                ? `the stack enables its ${needs.plannedServices.filter((s) => !(BOOTSTRAP_APIS as readonly string[]).includes(s)).length} other APIs through it, so it must be on before the first up`
                : "the provider reads the project and its IAM policy through it before any API the stack enables is on",
          })),
        )),
      );
    } else {
      // Creating a project and linking its billing are calls billed to the caller's ADC quota project.
      const quota = client.quotaProject;
      if (!quota)
        lines.push(
          `APIs: Application Default Credentials have no quota project: creating project ${needs.project} and linking its billing account are billed to it; fix: gcloud auth application-default set-quota-project <platform-project>`,
        );
      else
        lines.push(
          ...(await apisOn(quota, [
            {
              service: "cloudresourcemanager.googleapis.com",
              why: `creating project ${needs.project} in folders/${needs.newProject!.folderId} is billed to the ADC quota project`,
            },
            {
              service: "cloudbilling.googleapis.com",
              why: `linking ${needs.project} to billing account ${needs.newProject!.billingAccount} is billed to the ADC quota project`,
            },
            {
              service: "serviceusage.googleapis.com",
              why: `enabling the APIs of the new project ${needs.project} is billed to the ADC quota project`,
            },
          ])),
        );
    }
    for (const [project, services] of needs.billingProjects)
      lines.push(
        ...(await apisOn(
          project,
          services.map((service) => ({ service, why: `the stack's provider bills its ${service} calls to ${project} (billingProject)` })),
        )),
      );
    return lines;
  });

  // ---- quota ---------------------------------------------------------------------------------------------------
  await check("quota", async () => {
    if (!projectExists) {
      const creation = needs.quota.map((q) => `${q.metric} ${q.creation}`).join(", ");
      report.notes.push(
        `quota: project ${needs.project} does not exist yet, so its quota cannot be read; a new project starts at default quotas, which can be below what the first up creates at once (${creation}); request increases as soon as the project exists`,
      );
      return [];
    }
    // regions.get and projects.get: https://cloud.google.com/compute/docs/reference/rest/v1/regions/get,
    // https://cloud.google.com/compute/docs/reference/rest/v1/projects/get
    try {
      const [region, project] = await Promise.all([
        client.request<{ quotas?: ComputeQuota[] }>(
          "compute",
          "GET",
          `/compute/v1/projects/${enc(needs.project)}/regions/${enc(needs.region)}`,
        ),
        client.request<{ quotas?: ComputeQuota[] }>("compute", "GET", `/compute/v1/projects/${enc(needs.project)}`),
      ]);
      const result = checkQuota(needs.quota, region.quotas ?? [], project.quotas ?? [], { project: needs.project, region: needs.region });
      report.warnings.push(...result.warnings);
      return result.failures;
    } catch (e) {
      return [
        apiFailure(
          `quota: cannot read the Compute Engine quota of ${needs.project} ${needs.region}`,
          e,
          `gcloud services enable compute.googleapis.com --project=${needs.project} (quota can only be read and raised with the API on), then run the preflight again`,
        ),
      ];
    }
  });

  // ---- DNS -----------------------------------------------------------------------------------------------------
  const lookupNs = async (name: string): Promise<string[] | undefined> => {
    try {
      return await dns.resolveNs(name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTFOUND" || code === "ENODATA" || code === "NXDOMAIN") return undefined;
      throw new CannotConnect(`cannot query public DNS for ${name}: ${code ?? (e as Error).message}`);
    }
  };
  await check("DNS", async () => {
    if (needs.dnsZone) {
      if (!projectExists)
        return [
          `DNS zone ${needs.dnsZone} (gumstack:edge.dnsZone) must be in project ${needs.project}, which this stack creates: the zone cannot exist before the first up; fix: unset gumstack:edge.dnsZone for the first up and create the records the plan lists by hand`,
        ];
      let zone: ManagedZone;
      try {
        // https://cloud.google.com/dns/docs/reference/rest/v1/managedZones/get
        zone = await client.request<ManagedZone>("dns", "GET", `/dns/v1/projects/${enc(needs.project)}/managedZones/${enc(needs.dnsZone)}`);
      } catch (e) {
        return [
          apiFailure(
            `DNS zone ${needs.dnsZone} (gumstack:edge.dnsZone): cannot read it in project ${needs.project}`,
            e,
            `create the public zone for ${needs.domain} in ${needs.project}, or fix gumstack:edge.dnsZone`,
          ),
        ];
      }
      return checkZoneDelegation(zone, needs.dnsZone, needs.domain, await lookupNs((zone.dnsName ?? needs.domain).replace(/\.$/, "")));
    }
    for (const name of nsCandidates(needs.domain)) {
      const ns = await lookupNs(name);
      if (ns && ns.length > 0) return checkDomainResolves(needs.domain, { name, ns });
    }
    return checkDomainResolves(needs.domain, undefined);
  });
  return report;
}
