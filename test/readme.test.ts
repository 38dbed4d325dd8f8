// The README is the front door: every config key the schema accepts is documented there.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stackConfigSchema } from "../src/config/schema.js";

type Def = { type: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Every leaf key path of the schema, descending into maps (lists and free-form values are leaves). */
function keyPaths(schema: unknown, prefix = ""): string[] {
  let def = defOf(schema);
  while (def.innerType !== undefined || def.in !== undefined) def = defOf(def.innerType ?? def.in);
  if (def.type !== "object" || (prefix && ["cluster.maintenanceWindow"].includes(prefix))) return [prefix];
  return Object.entries(def.shape!).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe("README", () => {
  const readme = readFileSync("README.md", "utf8");

  it("documents every config key with its type, default and meaning", () => {
    const paths = keyPaths(stackConfigSchema);
    expect(paths.length).toBeGreaterThan(60);
    const undocumented = paths.filter(
      (p) => !new RegExp(`^\\| \`gumstack:${p.replace(/\./g, "\\.")}\` \\|[^|]+\\|[^|]+\\| \\S`, "m").test(readme),
    );
    expect(undocumented).toEqual([]);
  });

  it("gives the test command CI runs", () => {
    expect(readme).toContain("npm test ");
    expect(readFileSync(".ci/run", "utf8")).toMatch(/^npm test\b/m);
  });
});
