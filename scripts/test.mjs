// `npm test`: the type check and the test suite at once, not one after the other. On two cores they overlap
// almost entirely (tsc is one thread; vitest's workers wait on it only for CPU). tsc's output is buffered and
// printed after vitest's, so vitest's summary (which .ci/run reads) stays whole. Exit non-zero if either fails.
// Extra arguments go to vitest (e.g. `npm test -- test/config.test.ts`).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

const tscOut = [];
// Incremental: tsc keeps what it checked in node_modules/.cache (never committed) and next time re-checks only
// the files whose text, or whose dependencies' declarations, changed; a fresh clone checks everything.
const buildInfo = "node_modules/.cache/gumstack/tsc.tsbuildinfo";
const tscArgs = ["--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", buildInfo];
const tsc = spawn(bin("tsc"), tscArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
tsc.stdout.on("data", (d) => tscOut.push(d));
tsc.stderr.on("data", (d) => tscOut.push(d));
const vitest = spawn(bin("vitest"), ["run", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });

const exit = (child) => new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
const [tscCode, vitestCode] = await Promise.all([exit(tsc), exit(vitest)]);
const output = Buffer.concat(tscOut).toString();
if (tscCode !== 0) process.stderr.write(`\ntsc ${tscArgs.join(" ")} failed:\n${output}`);
else process.stdout.write(`tsc ${tscArgs.join(" ")}: no errors\n`);
process.exit(tscCode !== 0 ? tscCode : vitestCode);
