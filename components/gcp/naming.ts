// Pure naming helpers shared by the GCP components: GCP names have per-type length limits, and the
// environment (prod, enterprise-<customer>, ...) goes into every name so stacks sharing a project never collide.
import { createHash } from "node:crypto";

/**
 * Joins `parts` with "-" into a lowercase name of at most `maxLength` characters. A name that would be too
 * long is cut and suffixed with 4 hex characters of a hash of the full name, so distinct inputs stay distinct
 * and the result is stable across runs. The result starts with a letter and ends with a letter or digit.
 */
export function boundedName(parts: readonly string[], maxLength: number): string {
  const full = parts
    .filter((p) => p.length > 0)
    .join("-")
    .toLowerCase();
  if (!/^[a-z][a-z0-9-]*$/.test(full)) {
    throw new Error(`name "${full}" must start with a letter and hold only lowercase letters, digits and hyphens`);
  }
  if (maxLength < 8) throw new Error(`maxLength ${maxLength} is too small for a hashed name`);
  const trimmed = full.replace(/-+$/, "");
  if (trimmed.length <= maxLength) return trimmed;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 4);
  const head = trimmed.slice(0, maxLength - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}

/** "30d" style day counts as the seconds-duration strings GCP APIs take ("2592000s"). */
export function daysToDuration(days: number): string {
  if (!Number.isInteger(days) || days < 0) throw new Error(`days must be a non-negative integer, got ${days}`);
  return `${days * 86_400}s`;
}

/**
 * Bytes of the random part that stacks with `naming.randomSuffix` add to the names GCP never lets them reuse
 * (key rings and their keys are never deleted; bucket names are global and held for a while after deletion):
 * 3 bytes, 6 hex characters, kept in the stack's state by a `random.RandomId` so it never changes on update.
 */
export const RANDOM_SUFFIX_BYTES = 3;

/** The key ring name: `gumstack-<environment>[-<suffix>]`, at most 63 characters. */
export function keyRingName(environment: string, suffix?: string): string {
  return boundedName(["gumstack", environment, suffix ?? ""], 63);
}

/**
 * A globally unique bucket name: `<project>-<environment>-<purpose>[-<suffix>]` (project ids are globally unique;
 * the environment is left out when the project id already ends with it), at most 63 characters. Bucket names may
 * not start with "goog" or contain "google" (the config refuses close misspellings too, before anything is planned).
 */
export function bucketName(project: string, environment: string, purpose: string, suffix?: string): string {
  const env = project === environment || project.endsWith(`-${environment}`) ? "" : environment;
  const name = boundedName([project, env, purpose, suffix ?? ""], 63);
  if (name.startsWith("goog") || name.includes("google"))
    throw new Error(`bucket name "${name}" may not start with "goog" or contain "google"`);
  return name;
}

/** One key per purpose, so a key's grants name exactly the service that encrypts with it (the Kms component). */
export const KEY_PURPOSES = ["gke", "spanner", "registry", "storage", "app"] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/**
 * A service account id: `<role>-<environment>`, 6-30 characters. The ServiceAccounts component names its accounts
 * with the same formula (its own `accountId`, left in place while that component is restructured); the config
 * derives ids with this pure copy so checking config never loads the provider SDK, and test/config-names.test.ts
 * proves both give the planned ids.
 */
export function accountId(role: string, environment: string): string {
  const id = boundedName([role, environment], 30);
  if (id.length < 6) throw new Error(`service account id "${id}" is shorter than 6 characters`);
  return id;
}

/** The tenant MCP repository's id when config names none: `mcp-<environment>` (tenantRepositoryId checks it). */
export function defaultTenantRepositoryId(environment: string): string {
  return `mcp-${environment}`;
}
