// Output values for people (the plan's Outputs section, the fleet reports): a secret, already masked in the
// plan or export, shows as "[secret]" wherever it is nested; a value the mock engine invented (src/plan/mocks.ts)
// carries MOCK_MARK wherever it is printed, as `pulumi preview` shows what only a real deploy knows as unknown.
import { MOCK_MARK } from "./mocks.js";
import { SECRET_SIG, type StackExport } from "./plan.js";

export { MOCK_MARK } from "./mocks.js";

export function maskSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskSecrets);
  if (typeof v !== "object" || v === null) return v;
  if (SECRET_SIG in v) return "[secret]";
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSecrets(x)]));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * A matcher of every occurrence of an invented value, as a token: not inside a longer run of letters and digits
 * (so the id `api-id` is not found in `api-identity`, nor an address 203.0.113.7 in 203.0.113.73), longest first.
 * Undefined when nothing was invented.
 */
export function inventedPattern(invented: readonly string[]): RegExp | undefined {
  const values = [...new Set(invented)].filter((v) => v !== "").sort((a, b) => b.length - a.length);
  if (values.length === 0) return undefined;
  return new RegExp(`(?<![A-Za-z0-9])(?:${values.map(escape).join("|")})(?![A-Za-z0-9])`, "g");
}

/** Whether `s` holds an invented value (`pattern` from inventedPattern). */
function holds(s: string, pattern: RegExp | undefined): boolean {
  if (!pattern || s.startsWith(MOCK_MARK)) return false;
  pattern.lastIndex = 0;
  return pattern.test(s);
}

/**
 * `v` with every string that holds an invented value marked as a whole (MOCK_MARK + the string), nested
 * anywhere: a value computed from an invented one is as unknown before a deploy as the value itself (Pulumi's
 * apply over an unknown is unknown). Keys stay as they are.
 */
export function markInvented(v: unknown, invented: readonly string[] | RegExp | undefined): unknown {
  const pattern = Array.isArray(invented) ? inventedPattern(invented) : (invented as RegExp | undefined);
  if (!pattern) return v;
  const walk = (x: unknown): unknown => {
    if (typeof x === "string") return holds(x, pattern) ? `${MOCK_MARK}${x}` : x;
    if (Array.isArray(x)) return x.map(walk);
    if (typeof x !== "object" || x === null) return x;
    return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
  };
  return walk(v);
}

/** Prose (a policy message) with MOCK_MARK before each invented value in it. */
export function markProse(s: string, invented: readonly string[] | undefined): string {
  const pattern = inventedPattern(invented ?? []);
  return pattern ? s.replace(pattern, (m) => `${MOCK_MARK}${m}`) : s;
}

/**
 * The plan as `--json` writes it: every id, input and output string holding an invented value marked in place,
 * and no mockValues list (the marks say it). unmarkExport reads it back to the values the plan was checked with.
 */
export function markedExport(plan: StackExport): StackExport {
  const pattern = inventedPattern(plan.mockValues ?? []);
  const { mockValues: _, ...rest } = plan;
  if (!pattern) return rest;
  return {
    ...rest,
    deployment: {
      ...plan.deployment,
      resources: plan.deployment.resources.map((r) => ({
        ...r,
        ...(r.id !== undefined ? { id: markInvented(r.id, pattern) as string } : {}),
        inputs: markInvented(r.inputs, pattern) as Record<string, unknown>,
        outputs: markInvented(r.outputs, pattern) as Record<string, unknown>,
      })),
    },
  };
}

/**
 * A document read from a file with its marks taken off (only an offline plan's: magic "offline-plan"), and the
 * strings that were marked, so what is printed from it can be marked again.
 */
export function unmarkExport(doc: unknown): { doc: unknown; marked: string[] } {
  const magic = (doc as { deployment?: { manifest?: { magic?: unknown } } } | null)?.deployment?.manifest?.magic;
  if (magic !== "offline-plan") return { doc, marked: [] };
  const marked = new Set<string>();
  const walk = (x: unknown): unknown => {
    if (typeof x === "string") {
      if (!x.startsWith(MOCK_MARK)) return x;
      marked.add(x.slice(MOCK_MARK.length));
      return x.slice(MOCK_MARK.length);
    }
    if (Array.isArray(x)) return x.map(walk);
    if (typeof x !== "object" || x === null) return x;
    return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
  };
  return { doc: walk(doc), marked: [...marked] };
}
