import { configSchema, repositoryParts } from "../config";
import {
  BASIC_WRITE_ROLES,
  clusterIdentities,
  IMPERSONATION_ROLES,
  readStackIam,
  REPOSITORY_WRITE_ROLES,
  type StackGrant,
} from "../lib/iam";
import { platformRule, stackPolicy } from "../lib/policy";
import { at } from "../lib/props";
import { AR_REPOSITORY, isIamGrant } from "../lib/types";

// The supply chain's one promise: what the platform runs (backend, builder, ...) is what the release identity
// published. So no identity a cluster's workloads can reach (node accounts after a container escape,
// Workload Identity accounts, and everything those may impersonate or federate into) may write the
// platform-images repository, its project as a whole, or any repository the stack does not create; nor act
// as an account whose grants the stack cannot see (the release identity is one).
export const iamGrantNoClusterWritePlatformImages = stackPolicy(
  {
    name: "iam-grant-no-cluster-write-platform-images",
    description:
      "No identity reachable from the cluster (node accounts, Workload Identities, anything they may impersonate) can write the platform-images repository or any repository the stack does not create, or act as an account outside the stack's projects.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "supply chain",
      "Platform images are written only by the release identity, never by an identity reachable from a cluster",
    ),
    remediationSteps:
      "Remove the write grant (artifactregistry writer/repoAdmin/admin, or owner/editor on the project), or the impersonation or Workload Identity grant that makes the member reachable; " +
      "the build plane pushes only to the stack's own tenant MCP repository.",
    configSchema: configSchema("platformImagesRepository"),
  },
  (ctx) => {
    const platform = repositoryParts(ctx.config.platformImagesRepository);
    const iam = readStackIam(ctx.resources);
    for (const u of iam.unreadable) ctx.report(u.message, u.urn);
    const reach = clusterIdentities(iam);
    // The stack's own repositories; one without a project input is in the provider's default project.
    const created = ctx.resources
      .filter((r) => r.type === AR_REPOSITORY)
      .map((r) => ({ project: at(r.props, "project"), location: at(r.props, "location"), repository: at(r.props, "repositoryId") }));
    const isCreated = (s: { project: string; location: string; repository: string }) =>
      created.some(
        (c) => c.location === s.location && c.repository === s.repository && (typeof c.project !== "string" || c.project === s.project),
      );
    const isPlatform = (s: { project: string; location: string; repository: string }) =>
      s.project === platform.project && s.location === platform.location && s.repository === platform.repository;

    /** What `g` lets its member write that it must not, or undefined. */
    const forbiddenWrite = (g: StackGrant): string | undefined => {
      const repoWrite = g.role === undefined || REPOSITORY_WRITE_ROLES.has(g.role) || BASIC_WRITE_ROLES.has(g.role);
      if (!repoWrite) return undefined;
      const s = g.scope;
      switch (s.kind) {
        case "repository":
          if (isPlatform(s)) return `the platform-images repository ${ctx.config.platformImagesRepository}`;
          if (!isCreated(s))
            return `repository ${s.location}-docker.pkg.dev/${s.project}/${s.repository}, which this stack does not create`;
          return undefined;
        case "project":
          // Project-wide writer/admin (or owner/editor) covers every repository of the project.
          return s.project === platform.project ? `every repository of project ${s.project}, the platform-images repository's` : undefined;
        case "folder":
        case "organization":
          return `every repository under ${s.kind} ${s.id}, which may hold the platform-images repository`;
        case "unknown":
          return `a target it cannot verify (${s.what} is unknown during preview), which may be the platform-images repository`;
        default:
          return undefined;
      }
    };

    /**
     * Acting as an account whose grants the stack cannot see (one outside the projects the stack runs in, such
     * as the release identity in the admin project, or every account of a project, folder or organization)
     * could write platform images unseen.
     */
    // Projects the stack itself runs in (where its non-IAM resources are): accounts there are the platform's own.
    const home = new Set(
      ctx.resources
        .filter((r) => r.type.startsWith("gcp:") && !isIamGrant(r.type))
        .map((r) => at(r.props, "project"))
        .filter((p): p is string => typeof p === "string"),
    );
    home.delete(platform.project);
    const blindImpersonation = (g: StackGrant): string | undefined => {
      if (g.role !== undefined && !IMPERSONATION_ROLES.has(g.role)) return undefined;
      const s = g.scope;
      if (s.kind === "serviceAccount") {
        if (iam.accounts.has(s.account) || (s.project !== undefined && home.has(s.project))) return undefined;
        return `service account ${s.account.replace(/^serviceAccount:/, "")}, outside the stack's projects${s.project === platform.project ? " (in the platform-images project)" : ""}, so its own grants cannot be checked`;
      }
      if (s.kind === "project") return `every service account of project ${s.project}, including any whose grants this stack cannot check`;
      if (s.kind === "folder" || s.kind === "organization")
        return `every service account under ${s.kind} ${s.id}, the release identity's included`;
      return undefined;
    };

    for (const g of iam.grants) {
      const chain = reach.get(g.member);
      if (!chain) continue;
      const what = forbiddenWrite(g) ?? blindImpersonation(g);
      if (!what) continue;
      ctx.report(
        `${g.member} holds ${g.role ?? "an unknown role"} on ${what}, and is reachable from the cluster: ${chain.join("; ")}`,
        g.urn,
      );
    }
  },
);
