// Reads the `gumstack:` namespace of a stack's config, validates it, and explains every error.
import type { z } from "zod";
import { CONFIG_NAMESPACE, stackConfigSchema, type StackConfig } from "./schema.js";

/** Thrown when a stack's config is invalid; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Pulumi hands config to the program as strings keyed `namespace:key`; structured stack values arrive as JSON.
 * Returns the project namespace's keys as plain values (objects and arrays parsed, scalars left as strings
 * except where the schema expects a number or boolean, which `coerceScalar` handles).
 */
export function namespaceValues(all: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [key, raw] of Object.entries(all)) {
    if (!key.startsWith(prefix)) continue;
    out[key.slice(prefix.length)] = coerceScalar(raw);
  }
  return out;
}

function coerceScalar(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      return raw; // the schema then reports "expected object", naming the key
    }
  }
  if (t === "true") return true;
  if (t === "false") return false;
  return raw;
}

/**
 * The provider keys `gcp:project` and `gcp:region` must name the program's own project and region when present:
 * every resource passes its project explicitly, but anything that did not would land where the provider's
 * defaults point. One line per mismatch, naming both keys; empty when they agree or are absent.
 */
export function providerKeyProblems(
  all: Readonly<Record<string, string>>,
  config: { readonly project: string; readonly region: string },
): string[] {
  const out: string[] = [];
  const pairs = [
    ["gcp:project", `${CONFIG_NAMESPACE}:project`, config.project],
    ["gcp:region", `${CONFIG_NAMESPACE}:region`, config.region],
  ] as const;
  for (const [providerKey, ownKey, own] of pairs) {
    const value = all[providerKey];
    if (value !== undefined && value !== own) {
      out.push(
        `${providerKey}: ${JSON.stringify(value)} differs from ${ownKey} ${JSON.stringify(own)}; set both to the same value (the provider's default would point elsewhere)`,
      );
    }
  }
  return out;
}

/** The config keys that must be Pulumi secrets (`secure:` in the stack file): a plain value would be committed. */
export const SECRET_CONFIG_KEYS = [`${CONFIG_NAMESPACE}:clickhousePassword`] as const;

/**
 * One line per key of SECRET_CONFIG_KEYS that is set but not a secret (`secretKeys`: the keys the engine marks
 * secret, PULUMI_CONFIG_SECRET_KEYS; https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/config.ts).
 */
export function plainSecretProblems(all: Readonly<Record<string, string>>, secretKeys: readonly string[], stack = "<stack>"): string[] {
  return SECRET_CONFIG_KEYS.filter((key) => all[key] !== undefined && !secretKeys.includes(key)).map(
    (key) =>
      `${key}: is plain text in the stack file, so anyone who can read the repository has it; remove it and set it encrypted: pulumi config set --secret ${key} '<value>' --stack ${stack}`,
  );
}

/**
 * Validates a stack's whole config (every namespace, as the engine hands it over): the `gumstack:` keys against
 * the schema, then the provider keys against them, and (given `secrets.secretKeys`, the keys that are secrets) that every
 * key of SECRET_CONFIG_KEYS is one. Throws ConfigError listing every problem.
 */
export function parseAllConfig(
  all: Readonly<Record<string, string>>,
  secrets?: { readonly secretKeys: readonly string[]; readonly stack?: string },
): StackConfig {
  const values = namespaceValues(all);
  let config: StackConfig | undefined;
  let problems: string[] = [];
  try {
    config = parseStackConfig(values);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = [...err.problems];
  }
  // Reported with the schema's problems, so one run lists them all; compared with the raw values if those failed.
  const own = config ?? { project: String(values.project ?? ""), region: String(values.region ?? "us-west1") };
  problems.push(...providerKeyProblems(all, own));
  if (secrets) problems.push(...plainSecretProblems(all, secrets.secretKeys, secrets.stack));
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}

/** Validates config values (already namespace-stripped) and returns the typed config, or throws ConfigError. */
export function parseStackConfig(values: Record<string, unknown>): StackConfig {
  const result = stackConfigSchema.safeParse(values);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, values)));
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function keyPath(path: readonly PropertyKey[]): string {
  let out = CONFIG_NAMESPACE;
  path.forEach((seg, i) => {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += i === 0 ? `:${String(seg)}` : `.${String(seg)}`;
  });
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type ZodDef = Record<string, unknown>;
const defOf = (schema: z.core.$ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

/** Shape keys of the (possibly wrapped) object schema at `path`, to list what an unknown key could have been. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = stackConfigSchema;
  for (const seg of [...path, undefined]) {
    // Unwrap optional/default/prefault/pipe/effects wrappers until an object or array.
    for (let guard = 0; schema && guard < 10; guard++) {
      const def = defOf(schema);
      if (def.type === "object" || def.type === "array") break;
      schema = (def.innerType ?? def.in ?? def.schema) as z.core.$ZodType | undefined;
    }
    if (!schema) return [];
    const def = defOf(schema);
    if (seg === undefined) return def.type === "object" ? Object.keys(def.shape as object) : [];
    schema = (def.type === "object" ? (def.shape as Record<string, z.core.$ZodType>)[String(seg)] : def.element) as
      z.core.$ZodType | undefined;
  }
  return [];
}

function describeIssue(issue: z.core.$ZodIssue, values: Record<string, unknown>): string {
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeysAt(issue.path);
    return issue.keys
      .map((k) => `${keyPath([...issue.path, k])}: unknown key (a typo?); allowed here: ${allowed.join(", ")}`)
      .join("\n  - ");
  }
  const value = "input" in issue && issue.input !== undefined ? issue.input : valueAt(values, issue.path);
  const missing = value === undefined;
  const message =
    missing && issue.code === "invalid_type" ? `is required (${issue.message.replace(/^Invalid input: /, "")})` : issue.message;
  return `${keyPath(issue.path)}: ${message}${missing ? "" : ` (got ${show(value)})`}`;
}

/** The typed config the program passes down: the validated config, with the secret kept an Output secret. */
export type Settings = Omit<StackConfig, "clickhousePassword"> & {
  /** ClickHouse password as a Pulumi secret: never a plain string in the program. */
  readonly clickhousePassword: import("@pulumi/pulumi").Output<string>;
};
