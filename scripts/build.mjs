// Bundles the offline CLIs (plan, policy, new-enterprise, critical-path, pack-config, fleet) into plain JavaScript under .build/cli/, so they start
// without a TypeScript loader: tsx's loader inspects every CommonJS file the SDKs load, and its source maps make
// each `new Error().stack` Pulumi takes for a promise go through source-map stack preparation. Dependencies stay
// external (node loads them from node_modules as it would under tsx), so the program's behaviour and its plan are
// those of the TypeScript sources; a test compares the two plans. The output sits two directories below the
// repository root, as src/cli/ does, so the sources' `import.meta.url`-relative paths resolve the same.
// Usage: node scripts/build.mjs   (npm run plan / policy / new-enterprise run it first; it takes well under a second)
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT_DIR = ".build/cli";
export const ENTRIES = ["plan", "policy", "new-enterprise", "critical-path", "pack-config", "fleet"];

/** Builds every CLI bundle; resolves to the bundle paths, relative to the repository root. */
export async function buildClis() {
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, `src/cli/${e}.ts`])),
    outdir: OUT_DIR,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    // Shared code in chunks, and a dynamic import() stays lazy: `npm run policy -- <file>` never loads the program
    // (nor the GCP and Kubernetes SDKs) it only needs for `--stack`.
    splitting: true,
    chunkNames: "chunk-[hash]",
    packages: "external",
    // Except the workspace package @gumstack/network (packages/network), which ships TypeScript sources: it is
    // bundled like the program's own files (an alias is applied before the external check). Its subpaths are its
    // file names (its package.json exports "./*": "./src/*.ts").
    alias: { "@gumstack/network": "./packages/network/src" },
    platform: "node",
    format: "esm",
    target: "node22",
    // Function and class names stay as written: Pulumi serialises nothing by name, but error messages and stack
    // traces read better, and nothing here is minified.
    keepNames: true,
    logLevel: "warning",
  });
  return ENTRIES.map((e) => `${OUT_DIR}/${e}.mjs`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildClis();
