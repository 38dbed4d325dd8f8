// The pack's edge and egress rules: Cloud Armor on every load-balancer backend, and tenant egress apart from
// the platform's. The golden stack passes (golden.test.ts); each case below changes one thing.
import { describe, expect, it } from "vitest";
import { golden, type FixtureExport } from "./fixtures/golden.js";
import { change, findings, remove, UNKNOWN, type Finding } from "./support.js";

const ARMOR = "compute-security-policy-attached-to-backends";
const NAT = "compute-router-nat-tenant-egress-apart";
const m = (policy: string, resource: string, message: string): Finding => ({ policy, level: "mandatory", resource, message });
const run = async (build: (e: FixtureExport) => void) => {
  const e = golden();
  build(e);
  return findings(e);
};

describe(ARMOR, () => {
  it("checks the golden stack's two routed Services: dropping the policy from Kourier's backend is caught", async () => {
    expect(await run((e) => change(e, "kourier-lb", (p) => delete p.spec.default.securityPolicy))).toEqual([
      m(
        ARMOR,
        "kourier-lb",
        "Service knative-serving/kourier is behind the load balancer but no GCPBackendPolicy sets spec.default.securityPolicy on it: its traffic skips Cloud Armor",
      ),
    ]);
  });

  it("catches a backend without any GCPBackendPolicy, reported on its route", async () => {
    expect(await run((e) => remove(e, "backend-lb-policy"))).toEqual([
      m(
        ARMOR,
        "backend-route",
        "Service gumstack-backend/backend is behind the load balancer but no GCPBackendPolicy sets spec.default.securityPolicy on it: its traffic skips Cloud Armor",
      ),
    ]);
  });

  it("refuses a policy name the stack does not plan, and an edge-type policy", async () => {
    expect(await run((e) => change(e, "backend-lb-policy", (p) => (p.spec.default.securityPolicy = "someone-elses")))).toEqual([
      m(
        ARMOR,
        "backend-lb-policy",
        'GCPBackendPolicy backend-lb names security policy "someone-elses", which this stack does not plan: its rules cannot be checked',
      ),
    ]);
    const fs = await run((e) => change(e, "armor", (p) => (p.type = "CLOUD_ARMOR_EDGE")));
    expect(fs).toContainEqual(
      m(
        ARMOR,
        "armor",
        'security policy gumstack-test-edge is of type "CLOUD_ARMOR_EDGE": a backend service\'s policy must be CLOUD_ARMOR',
      ),
    );
  });

  it("accepts a name unknown during preview when the backend policy depends on a planned policy, refuses it otherwise", async () => {
    expect(await run((e) => change(e, "kourier-lb", (p) => (p.spec.default.securityPolicy = UNKNOWN)))).toEqual([]);
    const fs = await run((e) => {
      change(e, "kourier-lb", (p) => (p.spec.default.securityPolicy = UNKNOWN));
      const r = e.deployment.resources.find((x) => x.urn.endsWith("::kourier-lb"))!;
      r.dependencies = [];
      r.propertyDependencies = {};
    });
    expect(fs).toEqual([
      m(
        ARMOR,
        "kourier-lb",
        "GCPBackendPolicy kourier-lb: cannot verify spec.default.securityPolicy (unknown during preview) and it depends on no Cloud Armor policy of this stack",
      ),
    ]);
  });

  it("does not apply to a stack that routes nothing through a Gateway", async () => {
    expect(await run((e) => remove(e, "kourier-route", "backend-route", "kourier-lb", "backend-lb-policy", "armor"))).toEqual([]);
  });
});

describe(NAT, () => {
  it("catches an MCP pool on the cluster's shared pod range, or with none of its own", async () => {
    const msg = (range: string) =>
      `the gVisor node pool takes its pod IPs from the cluster's shared pod range (networkConfig.podRange ${range}): tenant pods cannot be NATed apart`;
    expect(await run((e) => change(e, "mcp-pool", (p) => delete p.networkConfig))).toEqual([m(NAT, "mcp-pool", msg("null"))]);
    expect(await run((e) => change(e, "mcp-pool", (p) => (p.networkConfig.podRange = "pods")))).toEqual([
      m(NAT, "mcp-pool", msg('"pods"')),
    ]);
  });

  it("catches a cluster that keeps GKE's default SNAT", async () => {
    expect(await run((e) => change(e, "gke", (p) => delete p.defaultSnatStatus))).toEqual([
      m(
        NAT,
        "gke",
        "cluster gumstack-test keeps GKE's default SNAT: pods leave with their node's address, so tenant and platform pods share the platform NAT's addresses",
      ),
    ]);
  });

  it("does not pass a gVisor pool whose cluster it cannot see", async () => {
    expect(await run((e) => change(e, "mcp-pool", (p) => (p.cluster = "someone-elses")))).toEqual([
      m(
        NAT,
        "mcp-pool",
        'cannot verify the gVisor node pool\'s cluster ("someone-elses"): it is not planned in this stack, so its default SNAT cannot be checked',
      ),
    ]);
  });

  it("catches a tenant NAT sharing an address with the platform's", async () => {
    expect(
      await run((e) =>
        change(
          e,
          "nat-tenant",
          (p) =>
            (p.natIps = [
              p.natIps[0],
              "https://www.googleapis.com/compute/v1/projects/gumstack-test/regions/us-west1/addresses/nat-platform-1",
            ]),
        ),
      ),
    ).toEqual([
      m(
        NAT,
        "nat-tenant",
        "Cloud NAT gumstack-test-nat-tenant (tenant pods) shares address(es) https://www.googleapis.com/compute/v1/projects/gumstack-test/regions/us-west1/addresses/nat-platform-1 with Cloud NAT gumstack-test-nat",
      ),
    ]);
  });

  it("catches auto-allocated tenant addresses and a tenant NAT that also serves the nodes", async () => {
    expect(
      await run((e) =>
        change(e, "nat-tenant", (p) => {
          p.natIpAllocateOption = "AUTO_ONLY";
          delete p.natIps;
        }),
      ),
    ).toEqual([
      m(
        NAT,
        "nat-tenant",
        'Cloud NAT gumstack-test-nat-tenant of the tenant pod range uses "AUTO_ONLY" addresses: they are neither reserved nor known to be apart from the platform\'s',
      ),
    ]);
    expect(
      await run((e) =>
        change(e, "nat-tenant", (p) => (p.subnetworks[0].sourceIpRangesToNats = ["PRIMARY_IP_RANGE", "LIST_OF_SECONDARY_IP_RANGES"])),
      ),
    ).toEqual([
      m(
        NAT,
        "nat-tenant",
        "Cloud NAT gumstack-test-nat-tenant serves the tenant pod range pods-mcp together with other ranges (nodes or platform pods): tenants and the platform share its addresses",
      ),
    ]);
  });

  it("catches a platform NAT that serves every range (the MCP pods' too), and an MCP range no NAT serves", async () => {
    expect(
      await run((e) =>
        change(e, "nat-platform", (p) => (p.subnetworks = [{ name: p.subnetworks[0].name, sourceIpRangesToNats: ["ALL_IP_RANGES"] }])),
      ),
    ).toEqual([
      m(
        NAT,
        "nat-platform",
        "Cloud NAT gumstack-test-nat serves the tenant pod range pods-mcp together with other ranges (nodes or platform pods): tenants and the platform share its addresses",
      ),
    ]);
    expect(await run((e) => remove(e, "nat-tenant"))).toEqual([
      m(
        NAT,
        "mcp-pool",
        "no Cloud NAT translates the gVisor pool's pod range pods-mcp: tenant pods have no internet egress, or leave unaccounted for",
      ),
    ]);
  });

  it("never passes unknown addresses", async () => {
    expect(await run((e) => change(e, "nat-tenant", (p) => (p.natIps = UNKNOWN)))).toEqual([
      m(NAT, "nat-tenant", "cannot verify natIps: the value is unknown during preview, and this rule does not pass a value it cannot see"),
    ]);
  });

  it("does not apply to a stack without a gVisor pool", async () => {
    expect((await run((e) => remove(e, "mcp-pool"))).filter((f) => f.policy === NAT)).toEqual([]);
  });
});
