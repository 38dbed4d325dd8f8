// `npm test`'s pretest (package.json): one line naming the Node the repository needs, instead of the crash an
// older Node ends the suite in (vitest 5 and @pulumi/pulumi 3.270 need Node 22). `npm ci` refuses such a Node
// already (.npmrc engine-strict); this covers a tree installed with Node 22 and then run with another.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const parse = (v) => v.replace(/^v/, "").split(".").map(Number);
const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Whether `version` ("22.13.0") satisfies `range`: alternatives joined by `||`, each `^X.Y.Z` (that major, at
 * least X.Y.Z) or `>=X.Y.Z`, the forms package.json's engines uses. Throws on any other form.
 */
export function satisfies(version, range) {
  const v = parse(version);
  return range.split("||").some((alt) => {
    const m = /^\s*(\^|>=)\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(alt);
    if (!m) throw new Error(`engines.node: unsupported range ${JSON.stringify(alt.trim())} (use ^X.Y.Z or >=X.Y.Z alternatives)`);
    const want = m.slice(2).map(Number);
    return cmp(v, want) >= 0 && (m[1] === ">=" || v[0] === want[0]);
  });
}

/** The one-line message for Node `version` against `range` (package.json engines.node), or undefined when it satisfies it. */
export function nodeVersionProblem(version, range) {
  if (satisfies(version, range)) return undefined;
  return `error: this is Node ${version.replace(/^v/, "")}; the repository needs Node ${range} (package.json engines): put Node 22 on PATH (source .ci/node.sh fetches it)`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { engines } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const problem = nodeVersionProblem(process.versions.node, engines.node);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
