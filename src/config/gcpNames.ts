// The naming rules Google Cloud (and public CAs) apply, as small pure functions. Each returns undefined for a
// name GCP accepts, or one sentence saying which rule the name breaks. The schema (src/config/schema.ts) runs every
// name the program derives from config through these before any resource is planned, and the enterprise generator
// does the same before it writes a file. One line per rule with its source: docs/config-rules.md.

/**
 * Project ids: 6-30 lowercase letters, digits or hyphens, starting with a letter, no trailing hyphen, and none of
 * the restricted strings ("google", "ssl"; "undefined" and "null" are advised against, and refused here).
 * https://cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin
 */
export function projectIdProblem(id: string): string | undefined {
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(id)) {
    return "must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen";
  }
  const word = PROJECT_RESTRICTED.find((w) => id.includes(w));
  if (word) return `contains "${word}", which Resource Manager does not allow in project ids`;
  return undefined;
}
const PROJECT_RESTRICTED = ["google", "ssl", "undefined", "null"] as const;

/**
 * True when `name` contains "google" or a close misspelling of it: separators (- _ .) dropped, look-alike digits
 * read as letters (0 o, 1 l, 3 e, 6 and 9 g), then one or more g, o, g, l, e in order (google, g00gle, gogle,
 * goggle, go-ogle) or the transposed "googel". Cloud Storage refuses such bucket names without listing them all,
 * so this errs on the side of refusing.
 * https://cloud.google.com/storage/docs/buckets#naming
 */
export function looksLikeGoogle(name: string): boolean {
  const folded = name.toLowerCase().replace(/[-_.]/g, "").replace(/0/g, "o").replace(/1/g, "l").replace(/3/g, "e").replace(/[69]/g, "g");
  return /g+o+g+l+e/.test(folded) || /g+o+g+e+l/.test(folded);
}

/**
 * Bucket names (without dots; the program never makes dotted ones): 3-63 lowercase letters, digits, hyphens or
 * underscores, starting and ending with a letter or digit, not an IPv4 address, not starting with "goog", not
 * containing "google" or a close misspelling.
 * https://cloud.google.com/storage/docs/buckets#naming
 */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/.test(name)) {
    return "must be a bucket name: 3-63 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit";
  }
  if (name.startsWith("goog")) return 'starts with "goog", which Cloud Storage refuses in bucket names';
  if (looksLikeGoogle(name)) return 'contains "google" or a close misspelling of it, which Cloud Storage refuses in bucket names';
  return undefined;
}

/**
 * Service account ids: 6-30 characters matching [a-z]([-a-z0-9]*[a-z0-9]).
 * https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create
 */
export function serviceAccountIdProblem(id: string): string | undefined {
  if (id.length < 6 || id.length > 30) return `must be 6-30 characters long (a service account id; this one has ${id.length})`;
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])$/.test(id)) {
    return "must be a service account id: lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit";
  }
  return undefined;
}

/**
 * Cloud KMS key ring and key ids: [a-zA-Z0-9_-]{1,63}, unique within the location (rings) or ring (keys).
 * https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings/create
 * https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys/create
 */
export function kmsIdProblem(id: string): string | undefined {
  return /^[a-zA-Z0-9_-]{1,63}$/.test(id) ? undefined : "must be a Cloud KMS id: 1-63 letters, digits, underscores or hyphens";
}

/**
 * Artifact Registry repository ids: lowercase letters, digits and hyphens, starting with a letter, ending with a
 * letter or digit, at most 63 characters.
 * https://cloud.google.com/artifact-registry/docs/repositories/create-repos
 */
export function repositoryIdProblem(id: string): string | undefined {
  return /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id)
    ? undefined
    : "must be an Artifact Registry repository id: 1-63 lowercase letters, digits or hyphens, starting with a letter, ending with a letter or digit";
}

/**
 * One DNS label a public CA will put in a certificate: 1-63 letters, digits and hyphens, not starting or ending
 * with a hyphen (RFC 1123), and no "--" in positions 3 and 4 unless it is the IDNA prefix "xn--": every other
 * such label is a reserved LDH label (RFC 5890 section 2.3.1; RFC 5891 section 5.4 refuses them).
 * https://www.rfc-editor.org/rfc/rfc5890#section-2.3.1  https://www.rfc-editor.org/rfc/rfc5891#section-5.4
 */
export function dnsLabelProblem(label: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
    return `label "${label}" must be 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen`;
  }
  if (label.slice(2, 4) === "--" && !label.startsWith("xn--")) {
    return `label "${label}" has "--" in positions 3 and 4 (a reserved LDH label, RFC 5891); only the IDNA prefix "xn--" may`;
  }
  return undefined;
}

/**
 * A domain every label of which passes dnsLabelProblem, at most 253 characters, with an alphabetic top-level label
 * (or an "xn--" one), so `*.<domain>` and `<label>.<domain>` can be in a public certificate.
 * https://www.rfc-editor.org/rfc/rfc1123#section-2.1
 */
export function domainProblem(domain: string): string | undefined {
  if (domain.length > 253) return `must be at most 253 characters (has ${domain.length})`;
  const labels = domain.split(".");
  if (labels.length < 2) return "must have at least two labels, such as gumstack.com";
  for (const label of labels) {
    const p = dnsLabelProblem(label);
    if (p) return p;
  }
  const tld = labels.at(-1)!;
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return `top-level label "${tld}" must be letters (or an xn-- IDN label)`;
  return undefined;
}

/** The values of `list` that occur more than once, each once, in order of first repeat. */
export function duplicates<T>(list: readonly T[]): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of list) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}
