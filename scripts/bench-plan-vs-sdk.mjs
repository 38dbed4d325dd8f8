// The plan's cost against its floor: loading @pulumi/pulumi, @pulumi/gcp and @pulumi/kubernetes in one node
// process. Runs, alternately so machine load hits both alike: (a) that load alone, (b) the bundled plan
// (`node .build/cli/plan.mjs --stack <stack> --quiet`), (c) the whole `npm run plan -- --stack <stack> --quiet`
// (npm, the esbuild step and the plan). Wall and CPU (user+sys) per run, median and range, and the ratios.
// Usage: npm run bench:plan -- [--stack prod] [--runs 5]
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { benchArgs, positiveInt, requireStack } from "./bench-args.mjs";
import { buildClis, ROOT } from "./build.mjs";

const USAGE = `usage: npm run bench:plan -- [--stack <name>] [--runs <n>]

Times the offline plan against its floor, loading the three SDKs, alternately so machine load hits each alike:
the SDKs alone, the bundled plan, and the whole npm run plan; wall and CPU per run, median and range, ratios.

  --stack <name>   the stack planned (default prod)
  --runs <n>       runs of each (default 5)
  -h, --help       this text

Exit: 0 measured; 1 a run failed; 2 usage or a missing stack.`;

const values = benchArgs(
  process.argv.slice(2),
  { stack: { type: "string", default: "prod" }, runs: { type: "string", default: "5" } },
  USAGE,
);
const runs = positiveInt("runs", values.runs);
requireStack(values.stack, ROOT);
await buildClis();

const LOAD = 'await import("@pulumi/pulumi"); await import("@pulumi/gcp"); await import("@pulumi/kubernetes");';
const cases = {
  "load the three SDKs": [process.execPath, "--input-type=module", "-e", LOAD],
  "bundled plan": [process.execPath, ".build/cli/plan.mjs", "--stack", values.stack, "--quiet"],
  "npm run plan": ["npm", "run", "-s", "plan", "--", "--stack", values.stack, "--quiet"],
};
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, { wall: [], cpu: [] }]));
for (let i = 0; i < runs; i++) {
  for (const [name, cmd] of Object.entries(cases)) {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S", ...cmd], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) {
      console.error(`error: ${name} failed (exit ${r.status}): ${r.stderr.trim().split("\n")[0]}`);
      process.exit(1);
    }
    const [wall, user, sys] = r.stderr.trim().split("\n").at(-1).split(" ").map(Number);
    samples[name].wall.push(wall);
    samples[name].cpu.push(user + sys);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
console.log(
  `plan --stack ${values.stack} vs loading the SDKs, ${runs} runs each, ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const floor = samples["load the three SDKs"];
for (const [name, s] of Object.entries(samples)) {
  console.log(
    `  ${name.padEnd(20)} wall median ${median(s.wall).toFixed(2)} s (${range(s.wall)})  cpu median ${median(s.cpu).toFixed(2)} s (${range(s.cpu)})` +
      (s === floor
        ? ""
        : `  = ${(median(s.wall) / median(floor.wall)).toFixed(2)}x wall, ${(median(s.cpu) / median(floor.cpu)).toFixed(2)}x cpu`),
  );
}
