// Reading resource properties as @pulumi/policy hands them over, with unknown values made explicit.
//
// During `pulumi preview` a value computed from another resource's output is unknown: the engine sends a
// sentinel string in its place. @pulumi/policy wraps `props` in a proxy that throws on such a value, and
// turns the throw into an *advisory* "can't run policy during preview" for the whole policy and resource.
// For an isolation rule on a value the program writes literally (a sandbox type, a metadata mode), that
// would be a silent pass in disguise. So policies read the proxy's target (`unwrap`) and decide per value:
//   - `mandatoryUnknown`: report a violation at the policy's level ("cannot verify ...").
//   - `deferUnknown`: re-read the value through the proxy so @pulumi/policy reports its own advisory;
//     used for references that are legitimately unknown in a first preview (emails, members, images).
// Secrets arrive as plain values from the engine; the offline runner turns undecryptable ones into unknowns.

/** The sentinels the engine and @pulumi/policy use for unknown values (string, bool, number, array, ...). */
export const UNKNOWN_SENTINELS: readonly string[] = [
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
];

export function isUnknown(v: unknown): boolean {
  return typeof v === "string" && UNKNOWN_SENTINELS.indexOf(v) >= 0;
}

/** Marker returned by `at` when the value, or an object on the way to it, is unknown. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

export type Props = Record<string, unknown>;

/** The plain object behind @pulumi/policy's unknown-checking proxy (the escape hatch its own serializer uses). */
export function unwrap(props: unknown): Props {
  if (props === null || typeof props !== "object") return {};
  const target = (props as Record<string, unknown>)["__getSpecialProxyTarget"];
  return (target && typeof target === "object" ? target : props) as Props;
}

export type Path = string | readonly (string | number)[];

function segments(path: Path): (string | number)[] {
  return typeof path === "string" ? path.split(".") : [...path];
}

/** The value at `path`, `UNKNOWN` if it or a parent is unknown, undefined if absent. */
export function at(obj: unknown, path: Path): unknown {
  let cur: unknown = obj;
  for (const key of segments(path)) {
    if (isUnknown(cur)) return UNKNOWN;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return isUnknown(cur) ? UNKNOWN : cur;
}

export function pathText(path: Path): string {
  return segments(path)
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join("");
}

/** The message for a value a rule must check but cannot see during preview. */
export function cannotVerify(path: Path): string {
  return `cannot verify ${pathText(path)}: the value is unknown during preview, and this rule does not pass a value it cannot see`;
}

/**
 * Reads `path` through @pulumi/policy's proxy, which throws its UnknownValueError on the unknown value:
 * the library then reports "can't run policy ... during preview" as advisory. Never returns.
 */
export function deferUnknown(proxied: unknown, path: Path): never {
  let cur: unknown = proxied;
  for (const key of segments(path)) cur = cur === null || cur === undefined ? cur : (cur as Record<string | number, unknown>)[key];
  throw new Error(`unknown value at ${pathText(path)} read outside @pulumi/policy's proxy`);
}

/** Paths (relative to `obj`) of every unknown value inside it. */
export function unknownPaths(obj: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (isUnknown(obj)) return [prefix];
  if (Array.isArray(obj)) return obj.reduce<(string | number)[][]>((acc, v, i) => acc.concat(unknownPaths(v, [...prefix, i])), []);
  if (obj && typeof obj === "object") {
    return Object.keys(obj).reduce<(string | number)[][]>((acc, k) => acc.concat(unknownPaths((obj as Props)[k], [...prefix, k])), []);
  }
  return [];
}

export function isObject(v: unknown): v is Props {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asRecord(v: unknown): Record<string, unknown> {
  return isObject(v) ? v : {};
}
