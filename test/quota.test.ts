// The quota a stack needs, computed from its config (README "Quotas" quotes these for prod).
import { describe, expect, it } from "vitest";
import { initialNodeCountPerZone } from "../components/gke/nodePool.js";
import { computeQuotaId, cpuQuotaMetric, machineVcpus, quotaNeeds, quotaRequests, renderQuota } from "../src/config/quota.js";
import { prodConfig } from "./support/harness.js";

describe("quota needs", () => {
  it("prod needs 64 N2 vCPUs at its minimum and 736 at its maximum", () => {
    expect(quotaNeeds({ nodePools: prodConfig().nodePools })).toEqual([
      { metric: "N2_CPUS", min: 64, max: 736 },
      { metric: "CPUS", min: 12, max: 36 },
      { metric: "CPUS_ALL_REGIONS", min: 76, max: 772 },
      { metric: "SSD_TOTAL_GB", min: 1100, max: 10100 },
    ]);
    expect(renderQuota(prodConfig()).split("\n")[0]).toBe(
      "Quota (us-west1, node pools at min-max nodes): N2_CPUS 64-736, CPUS 12-36, CPUS_ALL_REGIONS 76-772, SSD_TOTAL_GB 1100-10100",
    );
  });

  it("states what creation needs: initialNodeCount nodes in every zone, more than the minimum when it does not divide", () => {
    // prod's backend pool: minimum 4 in 3 zones starts at 2 per zone (6 nodes of n2-standard-8: 48 vCPUs, not 32).
    expect(quotaNeeds(prodConfig())).toEqual([
      { metric: "N2_CPUS", min: 64, max: 736, creation: 72 },
      { metric: "CPUS", min: 12, max: 36, creation: 12 },
      { metric: "CPUS_ALL_REGIONS", min: 76, max: 772, creation: 84 },
      { metric: "SSD_TOTAL_GB", min: 1100, max: 10100, creation: 1200 },
    ]);
    expect(renderQuota(prodConfig()).split("\n")[1]).toBe(
      "Quota at creation (us-west1, initialNodeCount per zone in 3 zones): N2_CPUS 72, CPUS 12, CPUS_ALL_REGIONS 84, SSD_TOTAL_GB 1200",
    );
    // Every pool's creation figure is what GkeNodePool asks GKE for: initialNodeCount per zone times the zones.
    const cfg = prodConfig();
    for (const zones of [1, 2, 3, 4]) {
      const z = cfg.zones.slice(0, 1).concat(Array.from({ length: zones - 1 }, (_, i) => `us-west1-${"bcd"[i]}`));
      const needs = quotaNeeds({ ...cfg, zones: z });
      const expected = Object.values(cfg.nodePools).reduce(
        (sum, p) => sum + (machineVcpus(p.machineType) ?? 0) * initialNodeCountPerZone(p.minNodes, p.maxNodes, zones) * zones,
        0,
      );
      expect(needs.find((n) => n.metric === "CPUS_ALL_REGIONS")!.creation, `${zones} zones`).toBe(expected);
      for (const n of needs) expect(n.creation!, `${n.metric} in ${zones} zones`).toBeGreaterThanOrEqual(n.min);
    }
  });

  it("reads vCPUs and the quota metric from the machine type", () => {
    expect([
      machineVcpus("n2-standard-8"),
      machineVcpus("e2-medium"),
      machineVcpus("c3-highmem-22-lssd"),
      machineVcpus("custom-4-16384"),
    ]).toEqual([8, 2, 22, undefined]);
    expect([
      cpuQuotaMetric("e2-standard-4"),
      cpuQuotaMetric("n1-standard-2"),
      cpuQuotaMetric("n2d-standard-8"),
      cpuQuotaMetric("c3-standard-4"),
    ]).toEqual(["CPUS", "CPUS", "N2D_CPUS", "C3_CPUS"]);
  });

  it("names the key when a machine type's vCPUs are unknown", () => {
    const cfg = prodConfig();
    expect(() => quotaNeeds({ nodePools: { ...cfg.nodePools, mcp: { ...cfg.nodePools.mcp, machineType: "custom-4-16384" } } })).toThrow(
      'gumstack:nodePools.mcp.machineType: cannot tell the vCPUs of "custom-4-16384"',
    );
  });

  it("names each metric's Cloud Quotas id, regional except CPUS_ALL_REGIONS, and refuses what is not a metric", () => {
    expect(["N2_CPUS", "CPUS", "CPUS_ALL_REGIONS", "SSD_TOTAL_GB", "DISKS_TOTAL_GB"].map(computeQuotaId)).toEqual([
      { quotaId: "N2-CPUS-per-project-region", regional: true },
      { quotaId: "CPUS-per-project-region", regional: true },
      { quotaId: "CPUS-ALL-REGIONS-per-project", regional: false },
      { quotaId: "SSD-TOTAL-GB-per-project-region", regional: true },
      { quotaId: "DISKS-TOTAL-GB-per-project-region", regional: true },
    ]);
    expect(() => computeQuotaId("n2-cpus")).toThrow('not a Compute Engine quota metric: "n2-cpus"');
  });

  it("asks for every pool at its maximum plus one surge node per zone, never less than the maximum line", () => {
    const cfg = prodConfig();
    const requests = quotaRequests(cfg);
    const needs = quotaNeeds(cfg);
    expect(requests.map((r) => r.metric)).toEqual(needs.map((n) => n.metric));
    const zones = cfg.zones.length;
    for (const r of requests) {
      const n = needs.find((x) => x.metric === r.metric)!;
      expect(r.value, r.metric).toBeGreaterThan(n.max);
      expect(r.region, r.metric).toBe(r.metric === "CPUS_ALL_REGIONS" ? undefined : "us-west1");
    }
    // N2: backend and mcp pools are n2-standard-8; one extra node per zone each during an upgrade.
    const n2 = Object.values(cfg.nodePools).filter((p) => cpuQuotaMetric(p.machineType) === "N2_CPUS");
    expect(requests.find((r) => r.metric === "N2_CPUS")!.value).toBe(
      n2.reduce((sum, p) => sum + machineVcpus(p.machineType)! * (p.maxNodes + zones), 0),
    );
  });
});
