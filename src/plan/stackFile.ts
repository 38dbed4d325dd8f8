// Reads a Pulumi stack file (Pulumi.<stack>.yaml) into the flat `namespace:key -> string` map that the
// Pulumi engine hands a program, the way the CLI does: scalars as strings, structured values as JSON.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** Placeholder for a `secure:` value: the offline plan has no secrets provider to decrypt it with. */
export const OFFLINE_SECRET_PLACEHOLDER = "offline-plan-secret-placeholder";

export interface StackFileConfig {
  /** Every config key, `namespace:key`, with the engine's string encoding. */
  readonly config: Record<string, string>;
  /** Keys whose value is a secret (`secure:` in the file). */
  readonly secretKeys: string[];
}

function isSecure(value: unknown): value is { secure: string } {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

/** Parses stack-file text; throws with the file name on malformed YAML or a missing `config:` map. */
export function parseStackFile(text: string, fileName: string): StackFileConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${fileName}: not valid YAML: ${(err as Error).message}`);
  }
  const raw = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${fileName}: 'config' must be a map of namespace:key to value`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!key.includes(":")) {
      throw new Error(`${fileName}: config key '${key}' has no namespace; write it as gumstack:${key}`);
    }
    if (isSecure(value)) {
      config[key] = OFFLINE_SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else if (value !== null && typeof value === "object") {
      config[key] = JSON.stringify(value);
    } else {
      config[key] = String(value);
    }
  }
  return { config, secretKeys };
}

export function readStackFile(path: string): StackFileConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read stack file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseStackFile(text, path);
}
