// Imports run one way (README "What it provisions"): src/ (config, composition, CLIs) may import components/, a
// component never imports src/ (it declares its inputs in its own args) nor the policy pack, and the shared network
// package (packages/network) imports nothing outside itself, so the pack, which the Pulumi CLI loads alone, can
// depend on it.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.name === "node_modules" ? [] : e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every import specifier of a file (static, dynamic and type-only), with the repository path a relative one names. */
function importsOf(file: string): { specifier: string; target?: string }[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
  return importedFiles.map(({ fileName }) =>
    fileName.startsWith(".")
      ? { specifier: fileName, target: relative(ROOT, resolve(ROOT, dirname(file), fileName)) }
      : { specifier: fileName },
  );
}

/** `file: specifier` for each import of `files` whose repository path starts with one of `dirs`. */
function importsInto(files: string[], dirs: string[]): string[] {
  return files.flatMap((f) =>
    importsOf(f)
      .filter((i) => i.target !== undefined && dirs.some((d) => i.target === d || i.target!.startsWith(`${d}/`)))
      .map((i) => `${f}: ${i.specifier}`),
  );
}

describe("import direction", () => {
  const components = sources("components");

  it("components import nothing from src/, the policy pack or the tests", () => {
    expect(components.length).toBeGreaterThan(40);
    expect(importsInto(components, ["src", "policies", "test"])).toEqual([]);
  });

  it("the network package imports only its own files and no package (the pack loads it under ts-node, alone)", () => {
    const files = sources("packages/network");
    expect(files.length).toBeGreaterThanOrEqual(3);
    const outside = files.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.target === undefined || !i.target.startsWith("packages/network/"))
        .map((i) => `${f}: ${i.specifier}`),
    );
    expect(outside).toEqual([]);
    expect(JSON.parse(readFileSync(join(ROOT, "packages/network/package.json"), "utf8")).type).toBe("commonjs");
  });

  // The CLIs that only validate config (pack-config, new-enterprise) load the schema: the defaults it takes from
  // components must not drag in the Kubernetes SDK (about 110 modules) with them.
  it("the config schema's imports never reach the Kubernetes SDK", () => {
    const seen = new Set<string>();
    const sdk: string[] = [];
    const stack = ["src/config/schema.ts"];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const i of importsOf(file)) {
        if (i.specifier.startsWith("@pulumi/kubernetes")) sdk.push(`${file}: ${i.specifier}`);
        if (i.target?.endsWith(".js")) stack.push(i.target.replace(/\.js$/, ".ts"));
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(sdk).toEqual([]);
  });

  it("the program, the pack and the tests reach the network code through @gumstack/network, not by path", () => {
    const all = ["src", "components", "policies", "test", "canary", "bootstrap"].flatMap(sources);
    expect(importsInto(all, ["packages"])).toEqual([]);
  });
});
