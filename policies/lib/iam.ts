// The IAM grants of a stack, read into one shape: which role, to which identity, on what (a project, a
// repository, a service account, a folder, ...). Values unknown during preview are resolved through the
// grant's dependencies where that is sound (a member that depends on one service account of the stack is
// that account; a repository that depends on one repository of the stack is that repository), and are
// otherwise kept as unknown, for the rules to treat conservatively.
import { actsAsClosure, type ActsAsEdge } from "./identity-graph";
import type { StackResource } from "./policy";
import { asArray, at, isObject, isUnknown, UNKNOWN, unknownPaths, type Path, type Props } from "./props";
import { AR_REPOSITORY, GKE_CLUSTER, GKE_NODE_POOL, isIamGrant, STORAGE_BUCKET } from "./types";

export const SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account";
export const PROJECT = "gcp:organizations/project:Project";

/** One (role, member) pair of a grant resource, as written. */
export interface MemberGrant {
  readonly role: unknown;
  readonly member: string;
}

/**
 * The (role, member) pairs of a grant resource in any of its shapes: `member` (IAMMember), `members`
 * (IAMBinding), or `policyData` JSON (IAMPolicy); paths of unknown values; `invalid` when policyData is not JSON.
 */
export function grantMembers(props: Props): { grants: MemberGrant[]; unknown: Path[]; invalid?: string } {
  const grants: MemberGrant[] = [];
  const unknown: Path[] = [];
  const role = at(props, "role");
  const member = at(props, "member");
  if (member === UNKNOWN) unknown.push("member");
  else if (typeof member === "string") grants.push({ role, member });
  const members = at(props, "members");
  if (members === UNKNOWN) unknown.push("members");
  asArray(members).forEach((m, i) => {
    if (isUnknown(m)) unknown.push(["members", i]);
    else if (typeof m === "string") grants.push({ role, member: m });
  });
  const policyData = at(props, "policyData");
  if (policyData === UNKNOWN) unknown.push("policyData");
  else if (typeof policyData === "string") {
    let policy: unknown;
    try {
      policy = JSON.parse(policyData);
    } catch {
      return { grants, unknown, invalid: "policyData is not valid JSON, so its members cannot be checked" };
    }
    for (const b of asArray(at(policy, "bindings"))) {
      for (const m of asArray(at(b, "members"))) if (typeof m === "string") grants.push({ role: at(b, "role"), member: m });
      if (isObject(b) && unknownPaths(b).length > 0) unknown.push("policyData");
    }
  }
  return { grants, unknown };
}

// Roles, from https://cloud.google.com/iam/docs/roles-permissions/artifactregistry and
// https://cloud.google.com/iam/docs/service-account-permissions (who may act as a service account).

/** Artifact Registry roles that can push, overwrite or delete images (writer and everything above it). */
export const REPOSITORY_WRITE_ROLES: ReadonlySet<string> = new Set([
  "roles/artifactregistry.writer",
  "roles/artifactregistry.repoAdmin",
  "roles/artifactregistry.admin",
  "roles/artifactregistry.createOnPushWriter",
  "roles/artifactregistry.createOnPushRepoAdmin",
]);
/** Basic roles that include Artifact Registry writes (and service account use) wherever they are granted. */
export const BASIC_WRITE_ROLES: ReadonlySet<string> = new Set(["roles/owner", "roles/editor"]);
export const REPOSITORY_READ_ROLE = "roles/artifactregistry.reader";

/**
 * Roles that let the member act as a service account: mint its tokens, attach it (actAs), federate into it,
 * or rewrite its IAM policy to grant itself any of those; owner and editor include actAs. Granted on a
 * project, folder or organization, they cover every service account under it.
 */
export const IMPERSONATION_ROLES: ReadonlySet<string> = new Set([
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.serviceAccountUser",
  "roles/iam.workloadIdentityUser",
  "roles/iam.serviceAccountOpenIdTokenCreator",
  "roles/iam.serviceAccountAdmin",
  "roles/owner",
  "roles/editor",
]);

export type GrantScope =
  | { readonly kind: "project"; readonly project: string }
  | { readonly kind: "repository"; readonly project: string; readonly location: string; readonly repository: string }
  | { readonly kind: "serviceAccount"; readonly account: string; readonly project: string | undefined }
  | { readonly kind: "folder" | "organization"; readonly id: string }
  | { readonly kind: "resource"; readonly project: string; readonly what: string }
  /** Where the grant applies could not be read (unknown during preview, or an unrecognized shape). */
  | { readonly kind: "unknown"; readonly what: string };

export interface StackGrant {
  readonly urn: string;
  readonly type: string;
  /** undefined: unknown during preview. */
  readonly role: string | undefined;
  /** An identity key (see `identityKey`), or `unknown:<urn>` when the member is unknown and unresolved. */
  readonly member: string;
  readonly scope: GrantScope;
  /** IAMBinding / IAMPolicy: the resource owns the whole role (or policy) on its target, removing other members. */
  readonly authoritative: boolean;
}

/** The form identities are compared in: trimmed, and service account emails lowercased. */
export function identityKey(member: string): string {
  const m = member.trim();
  return /^serviceAccount:[^[\]]+$/.test(m) ? `serviceAccount:${m.slice("serviceAccount:".length).toLowerCase()}` : m;
}

/** `serviceAccount:<email>` of a service account resource, from its email or from accountId@project. */
function accountKey(r: StackResource): string | undefined {
  const email = at(r.props, "email");
  if (typeof email === "string" && email.includes("@")) return identityKey(`serviceAccount:${email}`);
  const id = at(r.props, "accountId");
  const project = at(r.props, "project");
  return typeof id === "string" && typeof project === "string"
    ? identityKey(`serviceAccount:${id}@${project}.iam.gserviceaccount.com`)
    : undefined;
}

/** The project of a service account email: `<id>@<project>.iam.gserviceaccount.com`; undefined for Google's own domains. */
export function projectOfAccount(key: string): string | undefined {
  return /^serviceAccount:[^@]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/.exec(key)?.[1];
}

/** Inputs that hold `projects/<id>/...` paths of other resources (key rings, keys, accounts, instances). */
const PATH_FIELDS = ["keyRing", "cryptoKeyId", "keyRingId", "serviceAccountId", "instance", "database", "secretId"];

/** The project named by a `projects/<id>/...` resource path among `props`' top-level values (members and roles aside). */
function projectInPaths(props: Props): string | undefined {
  for (const [k, v] of Object.entries(props)) {
    if (["member", "members", "role", "policyData", "condition"].includes(k) || typeof v !== "string") continue;
    const m = /^(?:\/\/[a-z.]+\/)?projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\//.exec(v);
    if (m) return m[1];
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && !isUnknown(v) && v.length > 0 ? v : undefined);

/** Indexes of the stack's own resources that grants refer to. */
class StackIndex {
  readonly byUrn = new Map<string, StackResource>();
  readonly bucketsByName = new Map<string, StackResource>();

  constructor(resources: readonly StackResource[]) {
    for (const r of resources) {
      this.byUrn.set(r.urn, r);
      const name = str(at(r.props, "name"));
      if (r.type === STORAGE_BUCKET && name) this.bucketsByName.set(name, r);
    }
  }

  /** The stack resources property `field` of `r` depends on (its value comes from their outputs). */
  depsOf(r: StackResource, field: string): StackResource[] {
    return (r.propertyDependsOn[field] ?? []).map((u) => this.byUrn.get(u)).filter((x): x is StackResource => x !== undefined);
  }

  /**
   * The project a stack resource lives in: a created project's id, its `project` input, or a `projects/<id>/...`
   * path among its inputs (a key's key ring). A `project` or path input unknown during preview comes from the
   * resources it depends on (a key -> its key ring): their one project, a few levels deep.
   */
  projectOf(r: StackResource, depth = 0): string | undefined {
    if (r.type === PROJECT) return str(at(r.props, "projectId"));
    const direct = str(at(r.props, "project")) ?? projectInPaths(r.props);
    if (direct || depth >= 3) return direct;
    const found = new Set<string>();
    for (const k of ["project", ...PATH_FIELDS]) {
      if (at(r.props, k) !== UNKNOWN) continue;
      for (const d of this.depsOf(r, k)) {
        const p = this.projectOf(d, depth + 1);
        if (p) found.add(p);
      }
    }
    return found.size === 1 ? [...found][0] : undefined;
  }

  /** `field` of grant `g` as a project id: its value, else the one project of what it depends on. */
  projectField(g: StackResource, field: string): string | undefined {
    const v = str(at(g.props, field));
    if (v) return v;
    const projects = new Set(
      this.depsOf(g, field)
        .map((d) => this.projectOf(d))
        .filter((p): p is string => p !== undefined),
    );
    return projects.size === 1 ? [...projects][0] : undefined;
  }

  /** A member value as an identity key: the value, else the one service account of the stack it depends on. */
  member(g: StackResource, raw: string | typeof UNKNOWN, field: string): string {
    if (raw !== UNKNOWN) return identityKey(raw);
    const accounts = this.depsOf(g, field).filter((d) => d.type === SERVICE_ACCOUNT);
    const key = accounts.length === 1 ? accountKey(accounts[0]!) : undefined;
    return key ?? `unknown:${g.urn}`;
  }

  scope(g: StackResource): GrantScope {
    const t = g.type;
    if (/^gcp:projects\/iAM/.test(t)) {
      const project = this.projectField(g, "project");
      return project ? { kind: "project", project } : { kind: "unknown", what: "the grant's project" };
    }
    if (/^gcp:folder\/iAM/.test(t)) return { kind: "folder", id: str(at(g.props, "folder")) ?? "(unknown)" };
    if (/^gcp:organizations\/iAM/.test(t)) return { kind: "organization", id: str(at(g.props, "orgId")) ?? "(unknown)" };
    if (/^gcp:artifactregistry\/repositoryIam/.test(t)) return this.repositoryScope(g);
    if (/^gcp:serviceaccount\/iAM/.test(t)) {
      const id = str(at(g.props, "serviceAccountId"));
      const m = id ? /^projects\/([^/]+)\/serviceAccounts\/([^/]+@[^/]+)$/.exec(id) : null;
      if (m) {
        const account = identityKey(`serviceAccount:${m[2]}`);
        return { kind: "serviceAccount", account, project: m[1] !== "-" ? m[1] : projectOfAccount(account) };
      }
      const accounts = this.depsOf(g, "serviceAccountId").filter((d) => d.type === SERVICE_ACCOUNT);
      const key = accounts.length === 1 ? accountKey(accounts[0]!) : undefined;
      if (key) return { kind: "serviceAccount", account: key, project: this.projectOf(accounts[0]!) ?? projectOfAccount(key) };
      return { kind: "unknown", what: "the service account the grant is on" };
    }
    return this.resourceScope(g);
  }

  private repositoryScope(g: StackResource): GrantScope {
    const raw = str(at(g.props, "repository"));
    const full = raw ? /^projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/]+)$/.exec(raw) : null;
    if (full) return { kind: "repository", project: full[1]!, location: full[2]!, repository: full[3]! };
    const repos = this.depsOf(g, "repository").filter((d) => d.type === AR_REPOSITORY);
    const created = repos.length === 1 ? repos[0]! : undefined;
    const repository = raw ?? str(at(created?.props, "repositoryId"));
    const project = str(at(g.props, "project")) ?? (created ? this.projectOf(created) : undefined) ?? this.projectField(g, "project");
    const location = str(at(g.props, "location")) ?? str(at(created?.props, "location"));
    return repository && project && location
      ? { kind: "repository", project, location, repository }
      : { kind: "unknown", what: "the repository the grant is on" };
  }

  /** Any other grant (bucket, key, database, secret, ...): only the project it is in matters to the rules. */
  private resourceScope(g: StackResource): GrantScope {
    const what = g.type.replace(/^gcp:([^/]+)\/.*$/, "$1");
    const project = str(at(g.props, "project")) ?? projectInPaths(g.props);
    if (project) return { kind: "resource", project, what };
    const bucket = str(at(g.props, "bucket"));
    const created = bucket ? this.bucketsByName.get(bucket) : undefined;
    const bucketProject = created ? this.projectOf(created) : undefined;
    if (bucketProject) return { kind: "resource", project: bucketProject, what };
    // The target named by a value unknown during preview (a key id, a bucket name): the project of what it comes from.
    for (const k of Object.keys(g.propertyDependsOn)) {
      if (k === "member" || k === "members" || k === "role" || at(g.props, k) !== UNKNOWN) continue;
      const p = this.projectField(g, k);
      if (p) return { kind: "resource", project: p, what };
    }
    return { kind: "unknown", what: `the project of this ${what} grant` };
  }
}

export interface StackIam {
  readonly grants: readonly StackGrant[];
  /** Node service accounts of the stack's GKE node pools (and clusters' default pools): identity -> pool URNs. */
  readonly nodeAccounts: ReadonlyMap<string, readonly string[]>;
  /** Each node pool (and cluster) with a node service account, and that account's identity key. */
  readonly nodePools: readonly { readonly urn: string; readonly account: string }[];
  /** Service accounts the stack creates, by identity key. */
  readonly accounts: ReadonlySet<string>;
  /** Grants whose members could not be read at all (policyData that is not JSON). */
  readonly unreadable: readonly { readonly urn: string; readonly message: string }[];
}

/** Every IAM grant of the stack, one entry per (role, member), with where it applies. */
export function readStackIam(resources: readonly StackResource[]): StackIam {
  const index = new StackIndex(resources);
  const grants: StackGrant[] = [];
  const unreadable: { urn: string; message: string }[] = [];
  const nodeAccounts = new Map<string, string[]>();
  const nodePools: { urn: string; account: string }[] = [];
  const accounts = new Set<string>();
  for (const r of resources) {
    if (r.type === SERVICE_ACCOUNT) {
      const key = accountKey(r);
      if (key) accounts.add(key);
    }
    if (r.type === GKE_NODE_POOL || r.type === GKE_CLUSTER) {
      const sa = at(r.props, "nodeConfig.serviceAccount");
      if (typeof sa === "string" || sa === UNKNOWN) {
        const key = sa === UNKNOWN ? index.member(r, UNKNOWN, "nodeConfig") : identityKey(`serviceAccount:${sa}`);
        nodeAccounts.set(key, [...(nodeAccounts.get(key) ?? []), r.urn]);
        nodePools.push({ urn: r.urn, account: key });
      }
    }
    if (!isIamGrant(r.type)) continue;
    const read = grantMembers(r.props);
    if (read.invalid) unreadable.push({ urn: r.urn, message: read.invalid });
    const scope = index.scope(r);
    const authoritative = !/Member$/.test(r.type);
    const role = (v: unknown) => (typeof v === "string" && !isUnknown(v) ? v : undefined);
    for (const g of read.grants)
      grants.push({ urn: r.urn, type: r.type, role: role(g.role), member: index.member(r, g.member, "member"), scope, authoritative });
    for (const p of read.unknown) {
      const field = typeof p === "string" ? p : String(p[0]);
      grants.push({
        urn: r.urn,
        type: r.type,
        role: role(at(r.props, "role")),
        member: index.member(r, UNKNOWN, field),
        scope,
        authoritative,
      });
    }
  }
  return { grants, nodeAccounts, nodePools, accounts, unreadable };
}

/** A member that is a GKE Workload Identity (any KSA, any namespace, any cluster of a `*.svc.id.goog` pool). */
export function isWorkloadIdentity(member: string): boolean {
  return (
    /^serviceAccount:[^[\]]+\.svc\.id\.goog\[[^\]]*\]$/.test(member) ||
    /^principal(Set)?:\/\/iam\.googleapis\.com\/projects\/[^/]+\/locations\/global\/workloadIdentityPools\/[^/]+\.svc\.id\.goog\//.test(
      member,
    )
  );
}

/**
 * The identities a workload of the stack's clusters can act as, each with how: the node pools' service
 * accounts (what a container escape on a node gets), every Workload Identity principal (what a pod's KSA
 * gets), allUsers/allAuthenticatedUsers, members unknown during preview (they may be either), and, closed
 * under the acts-as edges, every service account those may impersonate or federate into
 * (IMPERSONATION_ROLES on the account, or on its project, folder or organization).
 */
export function clusterIdentities(iam: StackIam): Map<string, readonly string[]> {
  const seeds = new Map<string, string>();
  const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
  for (const [key, pools] of iam.nodeAccounts) seeds.set(key, `${key} runs GKE nodes (${pools.map(nameOf).join(", ")})`);
  for (const g of iam.grants) {
    if (seeds.has(g.member)) continue;
    if (isWorkloadIdentity(g.member)) seeds.set(g.member, `${g.member} is a GKE Workload Identity`);
    else if (g.member === "allUsers" || g.member === "allAuthenticatedUsers")
      seeds.set(g.member, `${g.member} includes every identity, a cluster's included`);
    else if (g.member.startsWith("unknown:"))
      seeds.set(g.member, `the member of ${nameOf(g.member)} is unknown during preview, so it may be a cluster identity`);
  }
  // Every service account the stack names: the targets of project-, folder- and organization-wide impersonation.
  const known = new Set<string>(iam.accounts);
  for (const g of iam.grants) {
    if (g.member.startsWith("serviceAccount:") && !isWorkloadIdentity(g.member)) known.add(g.member);
    if (g.scope.kind === "serviceAccount") known.add(g.scope.account);
  }
  const edges: ActsAsEdge[] = [];
  for (const g of iam.grants) {
    if (g.role !== undefined && !IMPERSONATION_ROLES.has(g.role)) continue;
    const role = g.role ?? "an unknown role";
    const s = g.scope;
    const targets =
      s.kind === "serviceAccount"
        ? [s.account]
        : s.kind === "project"
          ? [...known].filter((a) => projectOfAccount(a) === s.project)
          : s.kind === "folder" || s.kind === "organization"
            ? [...known]
            : [];
    const on =
      s.kind === "serviceAccount"
        ? ""
        : s.kind === "project"
          ? ` (on project ${s.project})`
          : s.kind === "folder" || s.kind === "organization"
            ? ` (on ${s.kind} ${s.id})`
            : "";
    for (const to of targets) if (to !== g.member) edges.push({ from: g.member, to, via: `${g.member} holds ${role} on ${to}${on}` });
  }
  return actsAsClosure(seeds, edges);
}
