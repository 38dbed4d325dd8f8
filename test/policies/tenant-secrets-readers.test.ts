// Who can read tenant credentials (the MCP namespace's Secrets) on the prod and enterprise plans, proven from IAM's
// own role data (policies/data/iam-roles-gke.json, cited there) and from the plans' RBAC. GKE authorizes a
// Kubernetes request if IAM or RBAC allows it, so both are read: no IAM role the plans grant may hold
// container.secrets.get or .list, and no RBAC rule but the backend's may touch Secrets. Project viewers
// (roles/viewer, roles/container.viewer: the CI identity of README "Preview from GitHub Actions") read Pods and
// custom resources, so nothing secret may live there: the admission guard keeps settings in Secrets.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { StackExport } from "../../src/plan/plan.js";
import { sharedPlan } from "../support/plans.js";

interface RoleData {
  readonly permissions: readonly string[];
  readonly roles: Record<string, Record<string, boolean>>;
  readonly holders: Record<string, readonly string[]>;
}
const data = JSON.parse(readFileSync("policies/data/iam-roles-gke.json", "utf8")) as RoleData;
const SECRET_READ = ["container.secrets.get", "container.secrets.list"] as const;

type Resource = StackExport["deployment"]["resources"][number];
const plans: Record<string, Resource[]> = {
  prod: (await sharedPlan("prod")).deployment.resources,
  enterprise: (await sharedPlan("enterprise")).deployment.resources,
};

/** Every IAM role a plan grants, with where: any resource with a `role` input (members, bindings, policies). */
function grantedRoles(resources: readonly Resource[]): Map<string, string[]> {
  const roles = new Map<string, string[]>();
  for (const r of resources) {
    if (!/^gcp:/.test(r.type)) continue;
    const role = (r.inputs as { role?: unknown }).role;
    if (typeof role !== "string") continue;
    roles.set(role, [...(roles.get(role) ?? []), r.urn.split("::").pop()!]);
  }
  return roles;
}

/** Whether RBAC rules reach Secrets: resource "secrets" or "*" in the core group (or group "*"). */
function touchesSecrets(rules: unknown): boolean {
  return ((rules as { apiGroups?: string[]; resources?: string[] }[] | undefined) ?? []).some(
    (rule) =>
      (rule.apiGroups ?? []).some((g) => g === "" || g === "*") && (rule.resources ?? []).some((res) => res === "secrets" || res === "*"),
  );
}

describe("IAM's role data (iann0036/iam-dataset snapshot of the predefined roles)", () => {
  it("viewers read Pods and custom resources, never Secrets; editors, owners and GKE developers/admins read Secrets", () => {
    for (const viewer of ["roles/viewer", "roles/container.viewer"]) {
      expect(data.roles[viewer]).toMatchObject({
        "container.pods.get": true,
        "container.thirdPartyObjects.get": true,
        "container.configMaps.get": true,
        "container.secrets.get": false,
        "container.secrets.list": false,
      });
    }
    for (const reader of ["roles/editor", "roles/owner", "roles/container.developer", "roles/container.admin"]) {
      expect(data.roles[reader]!["container.secrets.get"]).toBe(true);
      expect(data.holders["container.secrets.get"]).toContain(reader);
    }
    // Cluster-level roles that hold no Kubernetes object access at all.
    for (const none of ["roles/container.clusterViewer", "roles/container.clusterAdmin"]) {
      expect(Object.values(data.roles[none]!).every((v) => !v)).toBe(true);
    }
    // The per-role table and the index of holders agree.
    for (const [role, perms] of Object.entries(data.roles))
      for (const p of SECRET_READ) expect(data.holders[p]!.includes(role), `${role} ${p}`).toBe(perms[p]);
  });
});

describe.each(Object.keys(plans))("%s plan: who can read tenant Secrets", (stack) => {
  const resources = plans[stack]!;

  it("grants no IAM role that holds container.secrets.get or .list, and every role it grants is in the role data", () => {
    const granted = grantedRoles(resources);
    expect(granted.size).toBeGreaterThan(5);
    // Custom roles the plan defines are judged by the permissions it gives them.
    const custom = new Map(
      resources
        .filter((r) => r.type === "gcp:projects/iAMCustomRole:IAMCustomRole")
        .map((r) => [`projects/${String(r.inputs.project)}/roles/${String(r.inputs.roleId)}`, r.inputs.permissions as string[]]),
    );
    const unclassified = [...granted.keys()].filter((r) => !(r in data.roles) && !custom.has(r));
    // A new role granted must be looked up in IAM's data and added to policies/data/iam-roles-gke.json.
    expect(unclassified).toEqual([]);
    const readers = [...granted].filter(([role]) =>
      SECRET_READ.some((p) => data.holders[p]!.includes(role) || (custom.get(role) ?? []).includes(p)),
    );
    expect(readers.map(([role, where]) => `${role}: ${where.join(", ")}`)).toEqual([]);
  });

  it("lets only the backend's ServiceAccount touch Secrets through RBAC (MCP settings, build credentials), and never list MCP ones", () => {
    const roles = resources.filter((r) => /:rbac\.authorization\.k8s\.io\/v1:(Cluster)?Role$/.test(r.type));
    const secretRoles = roles.filter((r) => touchesSecrets(r.inputs.rules));
    const meta = (r: Resource) => r.inputs.metadata as { name: string; namespace?: string };
    expect(secretRoles.map((r) => `${String(r.inputs.kind)} ${meta(r).namespace}/${meta(r).name}`).sort()).toEqual([
      "Role gumstack-build/gumstack-backend-build-runner",
      "Role gumstack-mcp/gumstack-backend-mcp-manager",
    ]);
    const mcp = secretRoles.find((r) => meta(r).namespace === "gumstack-mcp")!;
    const rule = (mcp.inputs.rules as { resources: string[]; verbs: string[] }[]).find((x) => x.resources.includes("secrets"))!;
    expect(rule.resources).toEqual(["secrets"]);
    expect(rule.verbs).not.toContain("list");
    expect(rule.verbs).not.toContain("watch");
    for (const role of secretRoles) {
      const bindings = resources.filter(
        (r) =>
          /:RoleBinding$|:ClusterRoleBinding$/.test(r.type) &&
          (r.inputs.roleRef as { name: string }).name === meta(role).name &&
          (r.inputs.metadata as { namespace?: string }).namespace === meta(role).namespace,
      );
      expect(bindings.length).toBe(1);
      expect(bindings.flatMap((b) => b.inputs.subjects as unknown[])).toEqual([
        { kind: "ServiceAccount", name: "backend", namespace: "gumstack-backend" },
      ]);
    }
  });

  it("binds no built-in role that reaches Secrets (the only ones referenced are the metrics adapter's delegation roles)", () => {
    const planRoles = new Set(
      resources.filter((r) => /:(Cluster)?Role$/.test(r.type)).map((r) => (r.inputs.metadata as { name: string }).name),
    );
    const builtIn = resources
      .filter((r) => /:RoleBinding$|:ClusterRoleBinding$/.test(r.type))
      .map((r) => (r.inputs.roleRef as { name: string }).name)
      .filter((n) => !planRoles.has(n));
    // system:auth-delegator: tokenreviews and subjectaccessreviews; extension-apiserver-authentication-reader: the
    // one ConfigMap extension-apiserver-authentication (https://kubernetes.io/docs/reference/access-authn-authz/rbac/).
    expect([...new Set(builtIn)].sort()).toEqual(["extension-apiserver-authentication-reader", "system:auth-delegator"]);
  });

  it("is really checked: a project viewer given container.developer, or an RBAC Secret reader, is found", () => {
    const grant = { ...resources.find((r) => r.type === "gcp:projects/iAMMember:IAMMember")! };
    grant.inputs = { ...grant.inputs, role: "roles/container.developer", member: "group:support@example.com" };
    const readers = [...grantedRoles([...resources, grant])].filter(([role]) => data.holders["container.secrets.get"]!.includes(role));
    expect(readers.map(([r]) => r)).toEqual(["roles/container.developer"]);
    expect(touchesSecrets([{ apiGroups: [""], resources: ["*"], verbs: ["get"] }])).toBe(true);
    expect(touchesSecrets([{ apiGroups: ["*"], resources: ["secrets"], verbs: ["get"] }])).toBe(true);
    expect(touchesSecrets([{ apiGroups: ["apps"], resources: ["*"], verbs: ["get"] }])).toBe(false);
  });
});
