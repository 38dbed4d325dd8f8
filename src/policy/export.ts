// Reading a stack export (`pulumi stack export`, version 3) or an offline plan (`npm run plan -- --json`,
// the same shape) into the resources the policy pack is run over, with every malformation named.
import { readFileSync } from "node:fs";

export interface ExportResource {
  readonly urn: string;
  readonly type: string;
  readonly custom: boolean;
  /** Read (`Resource.get`), not managed by the program. */
  readonly external: boolean;
  readonly id?: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly parent?: string;
  /** Provider reference, "<provider urn>::<provider id>" in a real export, the bare URN in the offline plan. */
  readonly provider?: string;
  readonly protect: boolean;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly additionalSecretOutputs: readonly string[];
  readonly aliases: readonly string[];
}

/** The input is not a readable stack export; the message says what and where. */
export class ExportError extends Error {
  override name = "ExportError";
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new ExportError(`${where} must be a list of strings`);
  return v as string[];
}

function parseResource(r: unknown, i: number): ExportResource | undefined {
  const at = `deployment.resources[${i}]`;
  if (!isObject(r)) throw new ExportError(`${at} must be an object`);
  if (typeof r.urn !== "string" || !r.urn.startsWith("urn:pulumi:"))
    throw new ExportError(`${at}.urn must be a Pulumi URN (urn:pulumi:...)`);
  const where = `${at} (${r.urn})`;
  if (typeof r.type !== "string" || r.type === "") throw new ExportError(`${where}.type must be a resource type token`);
  // Resources pending deletion (a failed replace) are not part of the stack's desired state.
  if (r.delete === true) return undefined;
  for (const key of ["inputs", "outputs"] as const) {
    if (r[key] !== undefined && r[key] !== null && !isObject(r[key])) throw new ExportError(`${where}.${key} must be an object`);
  }
  for (const key of ["parent", "provider", "id"] as const) {
    if (r[key] !== undefined && r[key] !== null && typeof r[key] !== "string") throw new ExportError(`${where}.${key} must be a string`);
  }
  const propertyDependencies: Record<string, string[]> = {};
  if (r.propertyDependencies !== undefined && r.propertyDependencies !== null) {
    if (!isObject(r.propertyDependencies)) throw new ExportError(`${where}.propertyDependencies must be an object`);
    for (const [k, v] of Object.entries(r.propertyDependencies))
      propertyDependencies[k] = stringList(v, `${where}.propertyDependencies.${k}`);
  }
  return {
    urn: r.urn,
    type: r.type,
    custom: r.custom === true,
    external: r.external === true,
    ...(typeof r.id === "string" && r.id !== "" ? { id: r.id } : {}),
    inputs: (r.inputs as Record<string, unknown> | undefined) ?? {},
    outputs: (r.outputs as Record<string, unknown> | undefined) ?? {},
    ...(typeof r.parent === "string" && r.parent !== "" ? { parent: r.parent } : {}),
    ...(typeof r.provider === "string" && r.provider !== "" ? { provider: r.provider } : {}),
    protect: r.protect === true,
    dependencies: stringList(r.dependencies, `${where}.dependencies`),
    propertyDependencies,
    additionalSecretOutputs: stringList(r.additionalSecretOutputs, `${where}.additionalSecretOutputs`),
    aliases: stringList(r.aliases, `${where}.aliases`),
  };
}

/** Parses export text; `source` names it in errors. Throws ExportError. */
export function parseExport(text: string, source: string): ExportResource[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ExportError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const hint = "expected the output of `pulumi stack export` or `npm run plan -- --json <file>`";
  if (!isObject(doc)) throw new ExportError(`${source}: the top level must be an object; ${hint}`);
  if (doc.version !== 3)
    throw new ExportError(`${source}: version is ${JSON.stringify(doc.version ?? null)}, only version 3 exports are supported; ${hint}`);
  const deployment = doc.deployment;
  if (!isObject(deployment)) throw new ExportError(`${source}: 'deployment' is missing or not an object; ${hint}`);
  const resources = deployment.resources ?? [];
  if (!Array.isArray(resources)) throw new ExportError(`${source}: deployment.resources must be a list`);
  try {
    return resources.map(parseResource).filter((r): r is ExportResource => r !== undefined);
  } catch (err) {
    if (err instanceof ExportError) throw new ExportError(`${source}: ${err.message}`);
    throw err;
  }
}

export function readExport(path: string): ExportResource[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ExportError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseExport(text, path);
}

// ---- property values as the engine hands them to an analyzer ----------------------------------------------

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** The engine's sentinel for an unknown value, as a policy receives it during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Converts an exported property value to what the engine would send an analyzer: internal "__" keys
 * dropped (as MarshalOptions.SkipInternalKeys does), resource references as their id (or URN), secrets
 * revealed when the export holds their plaintext and unknown when it holds only ciphertext: a policy can
 * then report that it cannot verify the value, instead of misreading the masked object.
 */
export function analyzerValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(analyzerValue);
  if (!isObject(v)) return v;
  const sig = v[SIG];
  if (sig === SECRET_SIG) {
    if (typeof v.plaintext === "string") {
      try {
        return analyzerValue(JSON.parse(v.plaintext));
      } catch {
        return v.plaintext;
      }
    }
    return "value" in v ? analyzerValue(v.value) : UNKNOWN_STRING;
  }
  if (sig === RESOURCE_REF_SIG) return typeof v.id === "string" && v.id !== "" ? v.id : v.urn;
  if (sig === OUTPUT_VALUE_SIG) return "value" in v && v.secret !== true ? analyzerValue(v.value) : UNKNOWN_STRING;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("__") || x === undefined) continue;
    out[k] = analyzerValue(x);
  }
  return out;
}
