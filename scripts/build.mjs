// Bundles the CLIs (plan, policy, new-enterprise, critical-path, pack-config, fleet, preflight) into plain JavaScript under .build/cli/, so they start
// without a TypeScript loader: tsx's loader inspects every CommonJS file the SDKs load, and its source maps make
// each `new Error().stack` Pulumi takes for a promise go through source-map stack preparation. Dependencies stay
// external (node loads them from node_modules as it would under tsx), so the program's behaviour and its plan are
// those of the TypeScript sources; a test compares the two plans. The output sits two directories below the
// repository root, as src/cli/ does, so the sources' `import.meta.url`-relative paths resolve the same.
// Usage: node scripts/build.mjs   (npm run plan / policy / new-enterprise run it first; it takes well under a second)
//
// Up to date, it builds nothing: the bundles are rebuilt only when the content of a file they were built from
// (esbuild's metafile lists them), tsconfig.json, package.json or this script differs from the last build's,
// hashed into .build/cli/.inputs.json. Each file is written to a temporary name and renamed into place, so a
// process starting a bundle while another build runs (two test workers, two terminals) reads whole files.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT_DIR = ".build/cli";
export const ENTRIES = ["plan", "policy", "new-enterprise", "critical-path", "pack-config", "fleet", "preflight"];

const STAMP = join(ROOT, OUT_DIR, ".inputs.json");
const ALWAYS = ["scripts/build.mjs", "tsconfig.json", "package.json"];

/** One hash over the paths and contents of `inputs` (relative to the root); undefined if one is missing. */
function hashOf(inputs) {
  const h = createHash("sha256");
  for (const f of [...ALWAYS, ...inputs].sort()) {
    let content;
    try {
      content = readFileSync(join(ROOT, f));
    } catch {
      return undefined;
    }
    h.update(`${f}\0${content.length}\0`).update(content);
  }
  return h.digest("hex");
}

function upToDate() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, "utf8"));
  } catch {
    return false;
  }
  return (
    Array.isArray(stamp.inputs) &&
    Array.isArray(stamp.outputs) &&
    stamp.outputs.every((f) => existsSync(join(ROOT, f))) &&
    hashOf(stamp.inputs) === stamp.hash
  );
}

/** Writes `contents` to `path` whole: a temporary file in the same directory, renamed over it. */
function writeWhole(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/** Builds every CLI bundle (nothing when they are up to date); resolves to the bundle paths, relative to the repository root. */
export async function buildClis() {
  const entries = ENTRIES.map((e) => `${OUT_DIR}/${e}.mjs`);
  if (upToDate()) return entries;
  // esbuild is loaded only to build.
  const { build } = await import("esbuild");
  const result = await build({
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
    write: false,
    metafile: true,
  });
  const outputs = result.outputFiles.map((f) => relative(ROOT, f.path));
  for (const f of result.outputFiles) writeWhole(f.path, f.contents);
  // Inputs as esbuild names them: relative to absWorkingDir (the root); packages are external, so none is in node_modules.
  const inputs = Object.keys(result.metafile.inputs);
  const hash = hashOf(inputs);
  if (hash) writeWhole(STAMP, `${JSON.stringify({ hash, inputs, outputs }, null, 2)}\n`);
  return entries;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildClis();
