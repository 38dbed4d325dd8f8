// The first deploy's critical path: the longest weighted chain through the plan's dependency graph. A new
// environment (or enterprise customer) is ready when that chain is, so nothing may wait longer than it must.
import { describe, expect, it } from "vitest";
import { main, report } from "../../src/cli/critical-path.js";
import { WEIGHTS, criticalPaths, waitsOn, weightOf } from "../../src/plan/criticalPath.js";
import type { PlannedResource } from "../../src/plan/plan.js";
import { nameOf, one, waitsFor } from "../support/harness.js";
import { runBundle, sharedPlanner } from "../support/cli.js";
import { sharedPlan } from "../support/plans.js";

const res = (name: string, type: string, deps: string[] = [], extra: Partial<PlannedResource> = {}): PlannedResource => ({
  urn: `urn:pulumi:s::p::${type}::${name}`,
  custom: true,
  type,
  inputs: {},
  outputs: {},
  dependencies: deps.map((d) => `urn:pulumi:s::p::${d}`),
  propertyDependencies: {},
  ...extra,
});

describe("criticalPaths", () => {
  const CLUSTER = "gcp:container/cluster:Cluster";
  const POOL = "gcp:container/nodePool:NodePool";
  const NS = "kubernetes:core/v1:Namespace";

  it("follows dependencies, property dependencies and providers, weighting each resource by its type", () => {
    const cluster = res("c", CLUSTER);
    const pool = res("p", POOL, [], { propertyDependencies: { cluster: [cluster.urn] } });
    const provider = res("k8s", "pulumi:providers:kubernetes", [`${POOL}::p`]);
    const ns = res("ns", NS, [], { provider: provider.urn });
    const quick = res("q", NS);
    const { critical, finishOf } = criticalPaths([ns, quick, provider, pool, cluster]);
    expect(critical.map((s) => nameOf(s as never))).toEqual(["c", "p", "ns"]);
    expect(finishOf(ns.urn)).toBe(WEIGHTS[CLUSTER]!.seconds + WEIGHTS[POOL]!.seconds + weightOf(ns).seconds);
    expect(finishOf(quick.urn)).toBe(weightOf(quick).seconds);
    expect(waitsOn(ns)).toEqual([provider.urn]);
  });

  it("weighs components, providers and the stack at nothing, and refuses a cycle", () => {
    expect(weightOf({ type: "gumstack:serving:Edge", custom: false }).seconds).toBe(0);
    expect(weightOf({ type: "pulumi:providers:gcp", custom: true }).seconds).toBe(0);
    expect(() => criticalPaths([res("a", NS, [`${NS}::b`]), res("b", NS, [`${NS}::a`])])).toThrow(/dependency cycle/);
  });

  it("states a basis for every weight", () => {
    for (const [type, w] of Object.entries(WEIGHTS)) {
      expect(w.seconds, type).toBeGreaterThan(0);
      expect(w.basis.length, type).toBeGreaterThan(10);
    }
  });
});

describe.each(["prod", "enterprise"])("the %s stack's first deploy", async (stack) => {
  const resources = (await sharedPlan(stack)).deployment.resources;
  const find = (type: string, name: string) => one(resources, type, name);
  const serving = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");

  it("takes at most 5% longer than the unavoidable chain APIs -> key grants + their propagation wait -> cluster -> node pool -> operator -> KnativeServing", () => {
    const { excessPercent, text } = report(resources);
    expect(excessPercent, text).toBeLessThanOrEqual(5);
    const chain = criticalPaths(resources)
      .pathTo(serving.urn)
      .map((s) => s.type);
    for (const type of [
      "gcp:projects/service:Service",
      "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
      "time:index/sleep:Sleep",
      "gcp:container/cluster:Cluster",
      "gcp:container/nodePool:NodePool",
      "kubernetes:helm.sh/v3:Release",
    ]) {
      expect(chain, type).toContain(type);
    }
  });

  it("starts the Gateway (the load balancer) and the backend's RBAC without waiting for Knative, the backend, or each other", () => {
    const gateway = one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const backendService = find("kubernetes:core/v1:Service", "backend-service");
    expect(waitsFor(resources, gateway, serving)).toBe(false);
    expect(waitsFor(resources, gateway, backendService)).toBe(false);
    for (const rbac of [
      find("kubernetes:rbac.authorization.k8s.io/v1:Role", "backend-mcp-access-role"),
      find("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "backend-mcp-access-binding"),
    ]) {
      expect(waitsFor(resources, rbac, serving), nameOf(rbac)).toBe(false);
      expect(waitsFor(resources, rbac, find("kubernetes:core/v1:Namespace", "mcp-namespace")), nameOf(rbac)).toBe(true);
    }
  });

  it("starts the Gateway after the control plane, not the node pools, while everything that runs pods waits for every pool", () => {
    // What a resource waits for, through dependencies, property dependencies and its provider (the engine's rule).
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const upstream = (r: PlannedResource): Set<string> => {
      const seen = new Set<string>();
      const todo = waitsOn(r);
      while (todo.length > 0) {
        const urn = todo.pop()!;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const dep = byUrn.get(urn);
        if (dep) todo.push(...waitsOn(dep));
      }
      return seen;
    };
    const pools = resources.filter((r) => r.type === "gcp:container/nodePool:NodePool");
    const cluster = one(resources, "gcp:container/cluster:Cluster");
    expect(pools).toHaveLength(3);
    const gateway = upstream(one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway"));
    expect(gateway.has(cluster.urn)).toBe(true);
    for (const pool of pools) expect(gateway.has(pool.urn), nameOf(pool)).toBe(false);
    const runsPods = [
      "kubernetes:apps/v1:Deployment",
      "kubernetes:helm.sh/v3:Release",
      "kubernetes:operator.knative.dev/v1beta1:KnativeServing",
      "kubernetes:serving.knative.dev/v1:Service",
      "kubernetes:batch/v1:Job",
      "kubernetes:apps/v1:DaemonSet",
    ];
    const workloads = resources.filter((r) => runsPods.includes(r.type));
    expect(workloads.length).toBeGreaterThanOrEqual(4);
    for (const w of workloads)
      for (const pool of pools) expect(upstream(w).has(pool.urn), `${nameOf(w)} waits for ${nameOf(pool)}`).toBe(true);
    // Only the edge uses the control-plane provider; nothing that runs pods does.
    const controlPlane = resources.filter((r) => r.provider?.endsWith("::k8s-k8s-control-plane"));
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const r of controlPlane) expect(r.urn, nameOf(r)).toContain("gumstack:serving:Edge$");
    // GKE starts building the load balancer before the first pool is up (the pools' minutes come off its chain).
    const { finishOf } = criticalPaths(resources);
    const gatewayStart =
      finishOf(one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway").urn) -
      WEIGHTS["kubernetes:gateway.networking.k8s.io/v1:Gateway"]!.seconds;
    expect(gatewayStart).toBeLessThan(Math.min(...pools.map((p) => finishOf(p.urn))));
  });

  it("keeps the orders correctness needs: each route after its grant, the Gateway and its Service; policies next to the Services they target", () => {
    const gateway = one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const backendService = find("kubernetes:core/v1:Service", "backend-service");
    const needs: [string, string, PlannedResource][] = [
      ["kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "edge-kourier-route", serving],
      ["kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "edge-backend-route", backendService],
      ["kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", "edge-kourier-grant", serving],
      ["kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", "edge-backend-grant", backendService],
      ["kubernetes:networking.gke.io/v1:HealthCheckPolicy", "edge-kourier-health", serving],
      ["kubernetes:networking.gke.io/v1:GCPBackendPolicy", "edge-kourier-backend-policy", serving],
      ["kubernetes:networking.gke.io/v1:HealthCheckPolicy", "edge-backend-health", backendService],
      ["kubernetes:networking.gke.io/v1:GCPBackendPolicy", "edge-backend-backend-policy", backendService],
    ];
    for (const [type, name, dep] of needs)
      expect(waitsFor(resources, find(type, name), dep), `${name} waits for ${nameOf(dep)}`).toBe(true);
    for (const key of ["kourier", "backend"]) {
      const route = find("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `edge-${key}-route`);
      expect(waitsFor(resources, route, gateway)).toBe(true);
      expect(waitsFor(resources, route, find("kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant", `edge-${key}-grant`))).toBe(
        true,
      );
    }
    expect(waitsFor(resources, gateway, one(resources, "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry"))).toBe(true);
  });
});

describe("npm run critical-path", () => {
  it("prints the critical path with each step's weight and basis, and the chain it is measured against", async () => {
    const out: string[] = [];
    expect(
      await main(
        ["--stack", "prod"],
        (s) => out.push(s),
        (s) => out.push(s),
        { planStack: sharedPlanner },
      ),
    ).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(/^critical path: \d+m\d\ds$/m);
    expect(text).toMatch(/^unavoidable chain \(to the KnativeServing\): \d+m\d\ds$/m);
    expect(text).toMatch(/\+600 s {2}gke-cluster {2,}gcp:container\/cluster:Cluster {2}\(regional private GKE cluster/);
    expect(text).toMatch(/^critical path exceeds the unavoidable chain by \dm\d\ds \(\d\.\d%\)$/m);
  });

  it("without a stack or a file: one line, exit 2", async () => {
    const err: string[] = [];
    expect(
      await main(
        [],
        () => {},
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(err).toEqual(["error: give either --stack <name> or one plan/export file (see --help)"]);
  });

  it("runs as the bundle `npm run critical-path` executes: a usage mistake exits 2 with one line on stderr only", async () => {
    // The one process of this command (its usage path loads no SDK: tens of milliseconds); the cases above run main().
    const r = await runBundle("critical-path", []);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: give either --stack <name> or one plan/export file (see --help)\n");
  });
});
