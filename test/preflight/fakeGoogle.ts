// A fake of the Google Cloud REST APIs the preflight reads, on loopback (node:http), answering in their documented
// response shapes. Everything it says comes from a state object a test edits; every request is recorded.
// Shapes:
//   orgpolicy v2 getEffectivePolicy -> Policy       https://cloud.google.com/resource-manager/docs/reference/orgpolicy/rest/v2/projects.policies/getEffectivePolicy
//   cloudresourcemanager v3 projects.get -> Project https://cloud.google.com/resource-manager/reference/rest/v3/projects/get
//   cloudresourcemanager v3 folders.get -> Folder   https://cloud.google.com/resource-manager/reference/rest/v3/folders/get
//   cloudresourcemanager v3 organizations.get       https://cloud.google.com/resource-manager/reference/rest/v3/organizations/get
//   cloudresourcemanager v3 *.testIamPermissions    https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions
//   cloudbilling v1 projects.getBillingInfo          https://cloud.google.com/billing/docs/reference/rest/v1/projects/getBillingInfo
//   cloudbilling v1 billingAccounts.get / testIamPermissions https://cloud.google.com/billing/docs/reference/rest/v1/billingAccounts
//   serviceusage v1 services.batchGet                https://cloud.google.com/service-usage/docs/reference/rest/v1/services/batchGet
//   compute v1 regions.get / projects.get (quotas)   https://cloud.google.com/compute/docs/reference/rest/v1/regions/get
//   dns v1 managedZones.get                          https://cloud.google.com/dns/docs/reference/rest/v1/managedZones/get
// Errors are Google's JSON error body: {"error": {"code", "message", "status"}} (https://cloud.google.com/apis/design/errors).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EffectivePolicy } from "../../src/preflight/orgPolicy.js";
import type { ComputeQuota, ManagedZone } from "../../src/preflight/checks.js";

export interface FakeState {
  /** The bearer token every call must carry (401 otherwise). */
  token: string;
  /** Effective policies by constraint name; a constraint not listed answers the default (no rules). */
  policies: Record<string, EffectivePolicy>;
  /** A status to answer every getEffectivePolicy with instead (e.g. 403). */
  policyError?: { code: number; status: string; message: string };
  projects: Record<string, { number: string; parent: string }>;
  folders: Record<string, { parent: string }>;
  organizations: Record<string, { directoryCustomerId: string; displayName: string }>;
  billing: Record<string, { billingEnabled: boolean; billingAccountName: string }>;
  billingAccounts: Record<string, { open: boolean }>;
  /** Permissions the caller lacks, by resource (projects/<id>, folders/<id>, billingAccounts/<id>); the rest are granted. */
  missingPermissions: Record<string, string[]>;
  /** Enabled services by project id. */
  enabled: Record<string, string[]>;
  regionQuotas: Record<string, ComputeQuota[]>;
  projectQuotas: Record<string, ComputeQuota[]>;
  /** Projects whose Compute Engine API answers 403 SERVICE_DISABLED. */
  computeDisabled: string[];
  zones: Record<string, ManagedZone>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly userProject: string | undefined;
  readonly body: unknown;
}

export interface FakeGoogle {
  readonly url: string;
  readonly state: FakeState;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
  res.end(JSON.stringify(body));
}

const error = (res: ServerResponse, code: number, status: string, message: string) => send(res, code, { error: { code, message, status } });

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

export async function startFakeGoogle(state: FakeState): Promise<FakeGoogle> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const path = decodeURIComponent(url.pathname);
      const body = await readBody(req);
      requests.push({
        method: req.method ?? "",
        path: `${path}${url.search}`,
        authorization: req.headers.authorization,
        userProject: req.headers["x-goog-user-project"] as string | undefined,
        body,
      });
      if (req.headers.authorization !== `Bearer ${state.token}`)
        return error(res, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
      let m: RegExpExecArray | null;
      // orgpolicy v2
      if ((m = /^\/v2\/((?:projects|folders|organizations)\/[^/]+)\/policies\/([^/:]+):getEffectivePolicy$/.exec(path))) {
        if (state.policyError) return error(res, state.policyError.code, state.policyError.status, state.policyError.message);
        const policy = state.policies[m[2]!];
        return send(res, 200, {
          name: `${m[1]}/policies/${m[2]}`,
          spec: { etag: "CAE=", updateTime: "2026-01-01T00:00:00Z", rules: policy?.spec?.rules ?? [] },
        });
      }
      // cloudresourcemanager v3
      if ((m = /^\/v3\/(projects|folders|organizations)\/([^/:]+):testIamPermissions$/.exec(path)) && req.method === "POST") {
        const resource = `${m[1]}/${m[2]}`;
        const missing = new Set(state.missingPermissions[resource] ?? []);
        const asked = ((body as { permissions?: string[] })?.permissions ?? []) as string[];
        return send(res, 200, { permissions: asked.filter((p) => !missing.has(p)) });
      }
      if ((m = /^\/v3\/projects\/([^/:]+)$/.exec(path))) {
        const id = m[1]!;
        const p = state.projects[id];
        if (!p) return error(res, 403, "PERMISSION_DENIED", `Permission denied on resource project ${id} (or it may not exist).`);
        return send(res, 200, { name: `projects/${p.number}`, projectId: id, parent: p.parent, state: "ACTIVE", displayName: id });
      }
      if ((m = /^\/v3\/folders\/([^/:]+)$/.exec(path))) {
        const f = state.folders[m[1]!];
        if (!f)
          return error(res, 403, "PERMISSION_DENIED", `Permission 'resourcemanager.folders.get' denied on resource 'folders/${m[1]}'.`);
        return send(res, 200, { name: `folders/${m[1]}`, parent: f.parent, displayName: m[1], state: "ACTIVE" });
      }
      if ((m = /^\/v3\/organizations\/([^/:]+)$/.exec(path))) {
        const o = state.organizations[m[1]!];
        if (!o) return error(res, 403, "PERMISSION_DENIED", "The caller does not have permission");
        return send(res, 200, {
          name: `organizations/${m[1]}`,
          directoryCustomerId: o.directoryCustomerId,
          displayName: o.displayName,
          state: "ACTIVE",
        });
      }
      // cloudbilling v1
      if ((m = /^\/v1\/projects\/([^/]+)\/billingInfo$/.exec(path))) {
        const b = state.billing[m[1]!] ?? { billingEnabled: false, billingAccountName: "" };
        return send(res, 200, {
          name: `projects/${m[1]}/billingInfo`,
          projectId: m[1],
          billingAccountName: b.billingAccountName,
          billingEnabled: b.billingEnabled,
        });
      }
      if ((m = /^\/v1\/billingAccounts\/([^/:]+):testIamPermissions$/.exec(path)) && req.method === "POST") {
        const missing = new Set(state.missingPermissions[`billingAccounts/${m[1]}`] ?? []);
        const asked = ((body as { permissions?: string[] })?.permissions ?? []) as string[];
        return send(res, 200, { permissions: asked.filter((p) => !missing.has(p)) });
      }
      if ((m = /^\/v1\/billingAccounts\/([^/:]+)$/.exec(path))) {
        const a = state.billingAccounts[m[1]!];
        if (!a) return error(res, 403, "PERMISSION_DENIED", "The caller does not have permission");
        return send(res, 200, { name: `billingAccounts/${m[1]}`, open: a.open, displayName: "Gumstack", masterBillingAccount: "" });
      }
      // serviceusage v1
      if ((m = /^\/v1\/projects\/([^/]+)\/services:batchGet$/.exec(path))) {
        const project = m[1]!;
        const p = state.projects[project];
        const enabled = new Set(state.enabled[project] ?? []);
        const services = url.searchParams.getAll("names").map((n) => {
          const service = n.split("/").pop()!;
          return {
            name: `projects/${p?.number ?? "0"}/services/${service}`,
            config: { name: service, title: service },
            state: enabled.has(service) ? "ENABLED" : "DISABLED",
            parent: `projects/${p?.number ?? "0"}`,
          };
        });
        return send(res, 200, { services });
      }
      // compute v1
      if ((m = /^\/compute\/v1\/projects\/([^/]+)(?:\/regions\/([^/]+))?$/.exec(path))) {
        const [, project, region] = m;
        if (state.computeDisabled.includes(project!))
          return error(
            res,
            403,
            "PERMISSION_DENIED",
            `Compute Engine API has not been used in project ${project} before or it is disabled.`,
          );
        if (region)
          return send(res, 200, {
            kind: "compute#region",
            name: region,
            status: "UP",
            quotas: state.regionQuotas[`${project}/${region}`] ?? [],
          });
        return send(res, 200, { kind: "compute#project", name: project, quotas: state.projectQuotas[project!] ?? [] });
      }
      // dns v1
      if ((m = /^\/dns\/v1\/projects\/([^/]+)\/managedZones\/([^/]+)$/.exec(path))) {
        const zone = state.zones[`${m[1]}/${m[2]}`];
        if (!zone) return error(res, 404, "NOT_FOUND", `The 'parameters.managedZone' resource named '${m[2]}' does not exist.`);
        return send(res, 200, { kind: "dns#managedZone", ...zone });
      }
      return error(res, 404, "NOT_FOUND", `fake: no route for ${req.method} ${path}`);
    })().catch((e: unknown) => error(res, 500, "INTERNAL", String(e)));
  });
  // Longer than any pause between two runs of a test (a plan under load): a kept-alive socket is not closed under a reuse.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
