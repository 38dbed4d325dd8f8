// `npm ci`'s postinstall (package.json): installs the policy pack's own dependencies (policies/, ts-node among
// them, as `pulumi preview --policy-pack policies` and the pack test need them) from policies/package-lock.json,
// so the README's first command is the whole set-up. Skipped when policies/node_modules is already the install
// of the current lockfile (npm writes node_modules/.package-lock.json last, after a complete install).
// `npm ci --ignore-scripts` (.ci/run, the workflows) skips it; they install policies/ themselves.
// https://docs.npmjs.com/cli/v11/using-npm/scripts#npm-ci
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** True when `installed` (npm's hidden lockfile) is newer than every one of `sources`. */
export function upToDate(installed, sources) {
  if (!existsSync(installed)) return false;
  const at = statSync(installed).mtimeMs;
  return sources.every((s) => !existsSync(s) || statSync(s).mtimeMs <= at);
}

// Usage: node scripts/install-policies.mjs [<pack directory>]   (default policies/ of this repository)
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const policies = process.argv[2] ?? fileURLToPath(new URL("../policies", import.meta.url));
  const installed = join(policies, "node_modules/.package-lock.json");
  if (upToDate(installed, [join(policies, "package-lock.json"), join(policies, "package.json")])) process.exit(0);
  // The npm that runs this script (npm_execpath), else the one on PATH. The pack's dependencies need no install
  // scripts of their own (CI installs them with --ignore-scripts and boots the pack).
  const npm = process.env.npm_execpath;
  const args = ["ci", "--prefix", policies, "--no-audit", "--no-fund", "--ignore-scripts"];
  const r = npm ? spawnSync(process.execPath, [npm, ...args], { stdio: "inherit" }) : spawnSync("npm", args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`error: installing the policy pack's dependencies failed; run: npm ci --prefix ${policies}`);
    process.exit(1);
  }
}
