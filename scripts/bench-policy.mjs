// Times the offline policy check (`npm run policy -- <export.json>`, the bundled CLI in its own process) and its peak
// memory on synthetic exports of growing size, in two shapes:
//   stacks:   many stacks' worth of resources (copies of the prod plan, each under its own stack name), and
//   netpols:  one prod stack with many namespaces, each with two NetworkPolicies (the evaluator's worst case:
//             every namespace adds probes, every probe reads the policies of its namespaces).
// Plus the fixed start-up: an export holding only the stack resource.
// Usage: npm run bench:policy -- [--sizes 1000,5000,20000] [--runs 1] [--shapes startup,stacks,netpols]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchArgs, positiveInt, usageError } from "./bench-args.mjs";
import { buildClis, ROOT } from "./build.mjs";

const SHAPES = ["startup", "stacks", "netpols"];
const USAGE = `usage: npm run bench:policy -- [--sizes 1000,5000,20000] [--runs 1] [--shapes startup,stacks,netpols]

Times the offline policy check (the bundled npm run policy, in its own process) and its peak memory on synthetic
exports of growing size: startup (only the stack resource), stacks (copies of the prod plan) and netpols (one
stack with many namespaces, two NetworkPolicies each).

  --sizes <n,...>   resource counts of the stacks and netpols exports (default 1000,5000,20000)
  --runs <n>        runs of each (default 1)
  --shapes <s,...>  which of ${SHAPES.join(", ")} (default all)
  -h, --help        this text

Exit: 0 measured; 1 a run failed; 2 usage.`;

const values = benchArgs(
  process.argv.slice(2),
  {
    sizes: { type: "string", default: "1000,5000,20000" },
    runs: { type: "string", default: "1" },
    shapes: { type: "string", default: SHAPES.join(",") },
  },
  USAGE,
);
const shapes = new Set(values.shapes.split(","));
for (const s of shapes) if (!SHAPES.includes(s)) usageError(`--shapes: '${s}' is not a shape; ${SHAPES.join(", ")}`);
const sizes = values.sizes.split(",").map((n) => positiveInt("sizes", n));
const runs = positiveInt("runs", values.runs);
await buildClis();
const dir = mkdtempSync(join(tmpdir(), "bench-policy-"));
const planFile = join(dir, "prod.json");
const planned = spawnSync(process.execPath, [".build/cli/plan.mjs", "--stack", "prod", "--quiet", "--json", planFile], {
  cwd: ROOT,
  encoding: "utf8",
});
if (planned.status !== 0) {
  console.error(`error: the plan of stack 'prod' failed: ${planned.stderr.trim().split("\n")[0]}`);
  process.exit(1);
}
const base = readFileSync(planFile, "utf8");
const baseExport = JSON.parse(base);
const exportOf = (resources) => ({ ...baseExport, deployment: { ...baseExport.deployment, resources } });

/** Copies of the prod plan, each under its own stack name (URNs, parents, providers, dependencies renamed). */
function stacks(size) {
  const out = [];
  for (let i = 0; out.length < size; i++)
    out.push(...JSON.parse(base.replaceAll("urn:pulumi:prod::", `urn:pulumi:prod-${i}::`)).deployment.resources);
  return out.slice(0, size);
}

/** The prod plan plus namespaces `team-N`, each with a default-deny and an allow-from-its-own-namespace policy. */
function netpols(size) {
  const out = [...baseExport.deployment.resources];
  const provider = out.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").provider;
  const k8s = (type, name, inputs) => ({
    urn: `urn:pulumi:prod::gumstack::${type}::${name}`,
    custom: true,
    type,
    inputs,
    outputs: inputs,
    provider,
    dependencies: [],
    propertyDependencies: {},
  });
  for (let i = 0; out.length + 3 <= size; i++) {
    const ns = `team-${i}`;
    out.push(k8s("kubernetes:core/v1:Namespace", ns, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }));
    out.push(
      k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${ns}-deny`, {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "deny", namespace: ns },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      }),
    );
    out.push(
      k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${ns}-same`, {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "same", namespace: ns },
        spec: {
          podSelector: { matchLabels: { app: "web" } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080 }] }],
        },
      }),
    );
  }
  return out;
}

function measure(resources) {
  const file = join(dir, "export.json");
  writeFileSync(file, JSON.stringify(exportOf(resources)));
  const seconds = [];
  let peakMb = 0;
  let code = 0;
  for (let i = 0; i < runs; i++) {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, ".build/cli/policy.mjs", file], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const [wall, kb] = r.stderr.trim().split("\n").at(-1).split(" ").map(Number);
    seconds.push(wall);
    peakMb = Math.max(peakMb, kb / 1024);
    code = r.status;
  }
  seconds.sort((a, b) => a - b);
  const netpolCount = resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").length;
  return { seconds, peakMb, code, netpolCount };
}

const row = (shape, resources) => {
  const m = measure(resources);
  const median = m.seconds[Math.floor(m.seconds.length / 2)];
  console.log(
    `${shape.padEnd(8)} ${String(resources.length).padStart(6)} resources ${String(m.netpolCount).padStart(6)} NetworkPolicies  ${m.seconds.map((s) => s.toFixed(2)).join("/")} s (median ${median.toFixed(2)})  peak ${m.peakMb.toFixed(0)} MB  exit ${m.code}`,
  );
};

console.log(
  `policy check (node .build/cli/policy.mjs <export>), ${runs} run(s) each, ${cpus().length} cores, load ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
if (shapes.has("startup")) {
  row(
    "startup",
    baseExport.deployment.resources.filter((r) => r.type === "pulumi:pulumi:Stack"),
  );
  row("prod", baseExport.deployment.resources);
}
if (shapes.has("stacks")) for (const size of sizes) row("stacks", stacks(size));
if (shapes.has("netpols")) for (const size of sizes) row("netpols", netpols(size));
