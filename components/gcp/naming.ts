// Pure naming helpers shared by the GCP components: GCP names have per-type length limits, and the
// environment (prod, enterprise-<customer>, ...) goes into every name so stacks sharing a project never collide.
import { createHash } from "node:crypto";

/**
 * Joins `parts` with "-" into a lowercase name of at most `maxLength` characters. A name that would be too
 * long is cut and suffixed with 4 hex characters of a hash of the full name, so distinct inputs stay distinct
 * and the result is stable across runs. The result starts with a letter and ends with a letter or digit.
 */
export function boundedName(parts: readonly string[], maxLength: number): string {
  const full = parts.filter((p) => p.length > 0).join("-").toLowerCase();
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
