// The bootstrap's config: strict (an unknown key is a typo), every error naming the key, the value and the fix,
// before any resource is planned.
import { z } from "zod";

export const NAMESPACE = "gumstack-bootstrap";

// https://cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin
const projectId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: "must be a GCP project id: 6-30 lowercase letters, digits, hyphens" });
// https://cloud.google.com/storage/docs/buckets#naming (no dots: a dotted name needs domain verification)
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/, { error: "must be a bucket name: 3-63 lowercase letters, digits, - or _" });
const resourceId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/, { error: "must be 2-63 lowercase letters, digits or hyphens, starting with a letter" });
// IAM member forms: https://cloud.google.com/iam/docs/principal-identifiers
const member = z
  .string()
  .regex(/^(user|group|serviceAccount|domain):\S+$/, { error: "must be an IAM member: user:, group:, serviceAccount: or domain:" });

export const bootstrapSchema = z
  .strictObject({
    /** The admin project (exists, has billing): holds the state bucket, secrets key, platform images, release identity. */
    project: projectId,
    /** Region of the state bucket and the platform-images repository. Default us-west1. */
    region: z
      .string()
      .regex(/^[a-z]+-[a-z]+\d$/, { error: "must be a GCP region such as us-west1" })
      .default("us-west1"),
    /** The Pulumi state bucket (globally unique). */
    stateBucket: bucketName,
    /** Key ring of the stack-secrets key (location global). Default "pulumi". */
    keyRing: resourceId.default("pulumi"),
    /** The key that encrypts every stack's secrets (gcpkms:// secrets provider). Default "stack-secrets". */
    secretsKey: resourceId.default("stack-secrets"),
    /** Rotation of the secrets key, days (1-90). Default 90. */
    rotationDays: z.number().int().min(1).max(90).default(90),
    /** Id of the platform-images Docker repository. Default "gumstack-platform". */
    platformImagesRepository: resourceId.default("gumstack-platform"),
    /** Account id of the release identity, the only writer of the platform images. Default "gumstack-release". */
    releaseAccountId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: "must be 6-30 lowercase letters, digits or hyphens" })
      .default("gumstack-release"),
    /**
     * People or CI accounts that may act as the release identity (token creator on it): who runs
     * scripts/publish-*.sh --impersonate. Required, at least one (no default: without one, nobody can publish).
     */
    releasers: z.array(member).min(1),
    /**
     * Deploying identities: read/write the state bucket, use the secrets key, grant the stacks' nodes read on the
     * platform images. Required, at least one (no default: without one, no stack can be deployed).
     */
    deployers: z.array(member).min(1),
    /**
     * Platform projects whose stacks .github/workflows/preview.yml previews: the CI preview identity gets the
     * preview role there (resourcemanager.projects.get; docs/deploy-lifecycle.md "The CI preview identity").
     * Needs gumstack-bootstrap:github. Default none.
     */
    previewProjects: z.array(projectId).default([]),
    /** Account id of the CI preview identity (created with gumstack-bootstrap:github). Default "gumstack-ci-preview". */
    previewAccountId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: "must be 6-30 lowercase letters, digits or hyphens" })
      .default("gumstack-ci-preview"),
    /** GitHub Actions may act as the release identity through Workload Identity Federation. Default off. */
    github: z
      .strictObject({
        /** owner/name of the one repository whose workflows may publish. */
        repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: "must be owner/name of a GitHub repository" }),
        /** The only git ref whose workflows may publish. Default refs/heads/main. */
        ref: z
          .string()
          .regex(/^refs\/(heads|tags)\/\S+$/, { error: "must be a full git ref such as refs/heads/main" })
          .default("refs/heads/main"),
        /** Id of the workload identity pool. Default "github". */
        poolId: z
          .string()
          .regex(/^[a-z][a-z0-9-]{2,30}[a-z0-9]$/, { error: "must be 4-32 lowercase letters, digits or hyphens" })
          .default("github"),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (c.previewProjects.length > 0 && !c.github)
      ctx.addIssue({
        code: "custom",
        path: ["previewProjects"],
        message: "needs gumstack-bootstrap:github: the CI preview identity is reachable only through GitHub federation",
      });
  });

export type BootstrapConfig = z.infer<typeof bootstrapSchema>;

export class BootstrapConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid bootstrap configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "BootstrapConfigError";
  }
}

/** What a required list means and an example, for the one-line error when it is missing or empty. */
const REQUIRED_LISTS: Record<string, string> = {
  releasers: 'who may act as the release identity (scripts/publish-*.sh --impersonate), e.g. ["user:you@example.com"]',
  deployers: 'who deploys the platform stacks (state, secrets key, platform-images grants), e.g. ["user:you@example.com"]',
};

/** Parses the engine's `namespace:key -> string` config (structured values as JSON); throws BootstrapConfigError. */
export function parseBootstrapConfig(all: Readonly<Record<string, string>>): BootstrapConfig {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(all)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    const t = raw.trim();
    let v: unknown = raw;
    if (t.startsWith("{") || t.startsWith("[") || /^-?\d+$/.test(t)) {
      try {
        v = JSON.parse(t);
      } catch {
        v = raw;
      }
    }
    values[key.slice(NAMESPACE.length + 1)] = v;
  }
  const result = bootstrapSchema.safeParse(values);
  if (result.success) return result.data;
  throw new BootstrapConfigError(
    result.error.issues.map((i) => {
      const path = `${NAMESPACE}:${i.path.map(String).join(".")}`;
      if (i.code === "unrecognized_keys")
        return `${path ? `${path}.` : ""}${i.keys.join(", ")}: unknown key (a typo?)`.replace(`${NAMESPACE}:.`, `${NAMESPACE}:`);
      let got: unknown = values;
      for (const seg of i.path) got = (got as Record<PropertyKey, unknown> | undefined)?.[seg];
      const list = i.path.length === 1 ? REQUIRED_LISTS[String(i.path[0])] : undefined;
      if (list && (got === undefined || (Array.isArray(got) && got.length === 0)))
        return `${path}: is required: at least one IAM member, ${list} (set it in bootstrap/Pulumi.admin.yaml)`;
      return got === undefined ? `${path}: is required` : `${path}: ${i.message} (got ${JSON.stringify(got)})`;
    }),
  );
}
