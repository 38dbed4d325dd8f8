import { configSchema, repositoryParts } from "../config";
import { PROJECT, readStackIam, REPOSITORY_READ_ROLE, type GrantScope } from "../lib/iam";
import { platformRule, stackPolicy } from "../lib/policy";
import { at } from "../lib/props";

/** The project a grant applies in, "outside" for folders and organizations, undefined when it cannot be read. */
function projectOf(s: GrantScope): string | "outside" | undefined {
  switch (s.kind) {
    case "project":
    case "repository":
    case "resource":
      return s.project;
    case "serviceAccount":
      return s.project;
    case "folder":
    case "organization":
      return "outside";
    default:
      return undefined;
  }
}

// An enterprise customer's stack is the stack that creates its own project. Everything it grants stays in
// that project, except read access to the platform-images repository (the backend image): never anything on
// prod's multi-tenant MCP repository, the platform's project or a folder.
export const iamGrantEnterpriseForeignProjectReadOnly = stackPolicy(
  {
    name: "iam-grant-enterprise-foreign-project-read-only",
    description:
      "An enterprise stack's IAM grants outside its own project are roles/artifactregistry.reader on the platform-images repository, and nothing else.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "enterprise isolation",
      "A dedicated customer's project reaches nothing of the platform's or other customers' but the platform images",
    ),
    remediationSteps:
      "Grant in the customer's own project; outside it, only a RepositoryIamMember with roles/artifactregistry.reader on the platform-images repository (never an IAMBinding or IAMPolicy, which would own the role there).",
    configSchema: configSchema("platformImagesRepository"),
  },
  (ctx) => {
    const own = new Set(
      ctx.resources
        .filter((r) => r.type === PROJECT)
        .map((r) => at(r.props, "projectId"))
        .filter((p): p is string => typeof p === "string"),
    );
    if (own.size === 0) return ctx.notApplicable("the stack creates no project: not an enterprise customer's stack");
    const platform = repositoryParts(ctx.config.platformImagesRepository);
    const iam = readStackIam(ctx.resources);
    for (const u of iam.unreadable) ctx.report(u.message, u.urn);
    for (const g of iam.grants) {
      const where = projectOf(g.scope);
      if (where !== undefined && where !== "outside" && own.has(where)) continue;
      const s = g.scope;
      const platformRead =
        s.kind === "repository" &&
        s.project === platform.project &&
        s.location === platform.location &&
        s.repository === platform.repository &&
        g.role === REPOSITORY_READ_ROLE &&
        !g.authoritative;
      if (platformRead) continue;
      const target =
        where === undefined
          ? `a target it cannot verify (${s.kind === "unknown" ? s.what : "its project"} is unknown)`
          : s.kind === "repository"
            ? `repository ${s.location}-docker.pkg.dev/${s.project}/${s.repository} in project ${s.project}`
            : s.kind === "folder" || s.kind === "organization"
              ? `${s.kind} ${s.id}`
              : `project ${where}`;
      const shape = g.authoritative && s.kind === "repository" ? " as an authoritative binding/policy" : "";
      ctx.report(
        `grants ${g.role ?? "an unknown role"} to ${g.member} on ${target}${shape}, outside the stack's project (${[...own].join(", ")}): only ${REPOSITORY_READ_ROLE} on the platform-images repository ${ctx.config.platformImagesRepository} may be granted there`,
        g.urn,
      );
    }
  },
);
