// `npm test`: the type check and the test suite at once, not one after the other. On two cores they overlap
// almost entirely (tsc is one thread; vitest's workers wait on it only for CPU). tsc's output is buffered and
// printed after vitest's, so vitest's summary (which .ci/run reads) stays whole. Exit non-zero if either fails.
// Extra arguments go to vitest (e.g. `npm test -- test/config.test.ts`).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(root, "node_modules/.bin", name);
const cache = join(root, "node_modules/.cache/gumstack");

// The type check in tsc's build mode (`tsc -b`): tsc keeps what it checked in the build info file (tsconfig.json's
// tsBuildInfoFile, under node_modules/.cache, never committed) and, when no file of the project changed since a
// check that passed, says so in half a second instead of parsing the 600,000 lines of SDK declarations again; when
// one did, it re-checks what that change can affect. A fresh clone checks everything.
// https://www.typescriptlang.org/docs/handbook/project-references.html#build-mode-for-typescript
// Build mode compares the project's own files only, not the declarations it reads from node_modules, so the build
// info is dropped whenever npm installed anything (npm rewrites node_modules/.package-lock.json on every install,
// here and in policies/, whose files resolve their imports from policies/node_modules).
/** Where tsc -b keeps its state: tsconfig.json's tsBuildInfoFile, from the repository root. */
export const BUILD_INFO = join(root, JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")).compilerOptions.tsBuildInfoFile);

/** Removes `info` when any of `installs` was written after it; true when it did. */
export function dropStaleBuildInfo(info, installs) {
  if (!existsSync(info)) return false;
  const checked = statSync(info).mtimeMs;
  if (!installs.some((p) => existsSync(p) && statSync(p).mtimeMs > checked)) return false;
  rmSync(info);
  return true;
}

// Run as `npm test`, not when a test imports this file for dropStaleBuildInfo.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();

async function main() {
  dropStaleBuildInfo(
    BUILD_INFO,
    ["node_modules/.package-lock.json", "policies/node_modules/.package-lock.json"].map((p) => join(root, p)),
  );

  // Node's on-disk compile cache for every process of the run (vitest's workers, the CLIs and the pack a test
  // starts): a module that was compiled before (the SDKs, vitest, TypeScript) is not compiled again.
  // https://nodejs.org/api/module.html#module-compile-cache
  const env = { NODE_COMPILE_CACHE: join(cache, "node-compile-cache"), ...process.env };

  const tscOut = [];
  const tscArgs = ["-b", "tsconfig.json"];
  const tsc = spawn(bin("tsc"), tscArgs, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  tsc.stdout.on("data", (d) => tscOut.push(d));
  tsc.stderr.on("data", (d) => tscOut.push(d));
  const vitest = spawn(bin("vitest"), ["run", ...process.argv.slice(2)], { cwd: root, env, stdio: "inherit" });

  const exit = (child) => new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  const [tscCode, vitestCode] = await Promise.all([exit(tsc), exit(vitest)]);
  const output = Buffer.concat(tscOut).toString();
  if (tscCode !== 0) process.stderr.write(`\ntsc ${tscArgs.join(" ")} failed:\n${output}`);
  else process.stdout.write(`tsc ${tscArgs.join(" ")}: no errors\n`);
  process.exit(tscCode !== 0 ? tscCode : vitestCode);
}
