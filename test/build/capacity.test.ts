// Capacity and priority: the MCP and build namespaces' quotas come from the one gVisor pool both run on and never
// promise more than it has, on any pool shape; explicit quotas that would are refused by the config schema with
// one line naming the field; and builds run below every MCP server, never preempting one.
import { readFileSync } from "node:fs";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { BUILD_PRIORITY_CLASS, buildJobManifest } from "../../components/kubernetes/buildJob.js";
import { buildPriorityClassManifest } from "../../components/kubernetes/buildNamespace.js";
import { DEFAULT_BUILD_SHARE, gkeAllocatable, NODE_DAEMON_RESERVE, sharedPoolQuotas } from "../../components/kubernetes/poolQuotas.js";
import { namespaceValues } from "../../src/config/load.js";
import { machineMemoryGib } from "../../src/config/quota.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { refusedProblems } from "../support/config.js";
import { ofType } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";

type Obj = Record<string, any>;
const cpu = (q: string) => (q.endsWith("m") ? Number.parseInt(q, 10) : Number(q) * 1000);
const mib = (q: string) => Number.parseInt(q, 10) * (q.endsWith("Gi") ? 1024 : 1);
const BUILD = { cpuMillis: 2000, memoryMib: 4096, maxConcurrent: 20 };

describe("gkeAllocatable", () => {
  it("is GKE's documented reservation: 8 vCPU / 32 GiB leaves 7910m and 29022Mi, 4 vCPU / 16 GiB 3920m and 13621Mi", () => {
    expect(gkeAllocatable(8, 32)).toEqual({ cpuMillis: 7910, memoryMib: 29022 });
    expect(gkeAllocatable(4, 16)).toEqual({ cpuMillis: 3920, memoryMib: 13621 });
    // 1 vCPU: 6% reserved; 256 GiB: 2% above 128 GiB.
    expect(gkeAllocatable(1, 4).cpuMillis).toBe(940);
    expect(gkeAllocatable(64, 256).memoryMib).toBe(Math.floor((256 - (1 + 0.8 + 0.8 + 6.72 + 2.56)) * 1024 - 100));
  });
});

describe("sharedPoolQuotas", () => {
  it("never promises more than the pool has, on any pool, and gives builds at most their share and at least one build", () => {
    for (const nodes of [1, 2, 3, 6, 10, 20, 40, 100])
      for (const [vcpus, mem] of [
        [2, 8],
        [4, 16],
        [8, 32],
        [16, 64],
        [8, 64],
        [32, 128],
      ] as const)
        for (const maxConcurrent of [1, 5, 20, 200]) {
          const q = sharedPoolQuotas({ nodes, vcpusPerNode: vcpus, memoryGibPerNode: mem }, { ...BUILD, maxConcurrent });
          const what = JSON.stringify({ nodes, vcpus, mem, maxConcurrent, q });
          const node = gkeAllocatable(vcpus, mem);
          expect(q.pool.cpuMillis, what).toBe(nodes * (node.cpuMillis - NODE_DAEMON_RESERVE.cpuMillis));
          if (BUILD.cpuMillis > q.pool.cpuMillis || BUILD.memoryMib > q.pool.memoryMib) {
            // A pool that cannot hold one build is refused, never sized past itself.
            expect(q.problems, what).toEqual([
              expect.stringMatching(/^build\.cpu and build\.memory \(2 CPUs, 4Gi\) do not fit the gVisor pool/),
            ]);
            continue;
          }
          expect(cpu(q.mcp.cpu) + cpu(q.build.cpu), what).toBeLessThanOrEqual(q.pool.cpuMillis);
          expect(mib(q.mcp.memory) + mib(q.build.memory), what).toBeLessThanOrEqual(q.pool.memoryMib);
          expect(q.build.pods, what).toBeGreaterThanOrEqual(1);
          expect(q.build.pods, what).toBeLessThanOrEqual(maxConcurrent);
          // Whole builds: the quota holds exactly its pods' limits.
          expect(cpu(q.build.cpu), what).toBe(q.build.pods * BUILD.cpuMillis);
          if (q.build.pods > 1) expect(cpu(q.build.cpu), what).toBeLessThanOrEqual(q.pool.cpuMillis * DEFAULT_BUILD_SHARE);
          expect(q.problems, what).toEqual([]);
        }
  });

  it("keeps explicit values, derives the rest around them, and says when they exceed the pool", () => {
    const prodPool = { nodes: 20, vcpusPerNode: 8, memoryGibPerNode: 32 };
    const fits = sharedPoolQuotas(prodPool, BUILD, { buildCpu: "20" });
    expect(fits.build.cpu).toBe("20");
    expect(fits.mcp.cpu).toBe(String(Math.floor((fits.pool.cpuMillis - 20_000) / 1000)));
    expect(fits.build.pods).toBe(10);
    // The seed's 160 + 50 CPUs on 20 x 8 vCPUs: more than the pool.
    expect(sharedPoolQuotas(prodPool, BUILD, { mcpCpu: "160", buildCpu: "50" }).problems).toEqual([
      "mcp.quotaCpu + build.quotaCpu (160 + 50 CPUs) exceed the 148 CPUs the gVisor pool (20 nodes of 8 vCPUs, 32 GiB) can give pods: lower them, or leave them unset to derive them from the pool",
    ]);
  });
});

describe("the config", () => {
  const prodFile = parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml");
  const prod = () => structuredClone(namespaceValues(prodFile.config)) as Record<string, any>;
  it("refuses explicit quotas the gVisor pool cannot hold, naming the field, before anything is planned", () => {
    const v = prod();
    v.mcp = { ...(v.mcp ?? {}), quotaCpu: "160" };
    v.build = { ...v.build, quotaCpu: "50" };
    expect(refusedProblems(v)).toEqual([
      expect.stringMatching(/^gumstack:mcp\.quotaCpu.*mcp\.quotaCpu \+ build\.quotaCpu \(160 \+ 50 CPUs\) exceed the 148 CPUs/),
    ]);
  });

  it("refuses a gVisor pool machine type whose shape it cannot tell", () => {
    const v = prod();
    v.nodePools.mcp.machineType = "e2-medium";
    expect(refusedProblems(v).join("\n")).toMatch(/gumstack:nodePools\.mcp\.machineType.*cannot tell the vCPUs and memory of "e2-medium"/);
    expect(machineMemoryGib("n1-standard-4")).toBe(15);
    expect(machineMemoryGib("n2-highmem-8")).toBe(64);
  });
});

describe.each(["prod", "enterprise"])("the %s plan", async (stack) => {
  const plan = await sharedPlan(stack);
  const rs = plan.deployment.resources;
  const quota = (ns: string) =>
    ofType(rs, "kubernetes:core/v1:ResourceQuota").find((r) => (r.inputs.metadata as Obj).namespace === ns)!.inputs.spec as Obj;

  it("holds the MCP servers' requests and the builds' limits within the gVisor pool together", () => {
    const pool = ofType(rs, "gcp:container/nodePool:NodePool").find((p) => (p.inputs.nodeConfig as Obj)?.sandboxConfig)!;
    const machine = (pool.inputs.nodeConfig as Obj).machineType as string;
    const vcpus = Number(machine.split("-").pop());
    const nodes = stack === "prod" ? 20 : 6;
    const { pool: allocatable } = sharedPoolQuotas({ nodes, vcpusPerNode: vcpus, memoryGibPerNode: machineMemoryGib(machine)! }, BUILD);
    const mcp = quota("gumstack-mcp").hard;
    const build = quota("gumstack-build").hard;
    expect(cpu(mcp["requests.cpu"]) + cpu(build["limits.cpu"])).toBeLessThanOrEqual(allocatable.cpuMillis);
    expect(mib(mcp["requests.memory"]) + mib(build["limits.memory"])).toBeLessThanOrEqual(allocatable.memoryMib);
    expect(Number(build.pods) * 2000).toBe(cpu(build["limits.cpu"]));
  });

  it("has the builds' PriorityClass below every class-less pod, never preempting, and no other class", () => {
    const classes = ofType(rs, "kubernetes:scheduling.k8s.io/v1:PriorityClass");
    expect(classes.map((c) => (c.inputs.metadata as Obj).name)).toEqual([BUILD_PRIORITY_CLASS.name]);
    const pc = classes[0]!.inputs;
    expect(() => new PriorityClass({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", ...pc } as never).validate()).not.toThrow();
    expect(pc).toMatchObject({ value: BUILD_PRIORITY_CLASS.value, globalDefault: false, preemptionPolicy: "Never" });
    expect(pc.value as number).toBeLessThan(0);
  });
});

it("every build pod names the builds' PriorityClass", () => {
  const job = buildJobManifest(
    { builderImage: `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"8".repeat(64)}` },
    {
      buildId: "b1",
      tenantId: "acme",
      server: "weather",
      gitUrl: "https://github.com/acme/weather.git",
      gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
      imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
    },
  );
  expect(job.spec.template.spec.priorityClassName).toBe(buildPriorityClassManifest().metadata.name);
});
