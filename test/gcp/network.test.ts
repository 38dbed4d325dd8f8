import { describe, expect, it } from "vitest";
import {
  MCP_POD_RANGE_NAME,
  NAT_PORTS_PER_ADDRESS,
  Network,
  checkNatGateway,
  POD_RANGE_NAME,
  SERVICE_RANGE_NAME,
  natPortCheck,
  natPortPlan,
  tcpAllow,
} from "../../components/gcp/network.js";
import { GOOGLE_LB_RANGES } from "../../components/platform.js";
import { ProjectServices } from "../../components/gcp/projectServices.js";
import { nameOf, ofType, one, prodConfig, record } from "../support/harness.js";

const seed = prodConfig();

function build(egress = seed.egress) {
  const services = new ProjectServices("svc", { project: seed.project });
  return new Network("net", {
    project: seed.project,
    region: seed.region,
    environment: seed.environment,
    network: seed.network,
    egress,
    backendPorts: [8080, 8012, 8080],
    apis: services.apis,
  });
}

describe("tcpAllow", () => {
  it("deduplicates and sorts ports and refuses invalid ones", () => {
    expect(tcpAllow([8080, 443, 8080])).toEqual([{ protocol: "tcp", ports: ["443", "8080"] }]);
    expect(() => tcpAllow([])).toThrow(/at least one/);
    expect(() => tcpAllow([0])).toThrow(/invalid port/);
    expect(() => tcpAllow([70000])).toThrow(/invalid port/);
  });
});

describe("Network", () => {
  it("is a custom-mode regional VPC in the explicit project, after the Compute API", async () => {
    const resources = await record(() => build());
    const vpc = one(resources, "gcp:compute/network:Network", "net-vpc");
    expect(vpc.inputs).toMatchObject({
      project: "gumstack-prod",
      name: "gumstack-prod",
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
    });
    const computeApi = one(resources, "gcp:projects/service:Service", "svc-compute").urn;
    for (const r of resources.filter((x) => x.type.startsWith("gcp:compute/"))) {
      expect(r.inputs.project).toBe("gumstack-prod");
      expect(r.dependencies).toContain(computeApi);
    }
  });

  it("has the GKE subnet in us-west1 with node range primary, named pod and service ranges, PGA and flow logs", async () => {
    const resources = await record(() => build());
    const vpc = one(resources, "gcp:compute/network:Network", "net-vpc");
    const subnet = one(resources, "gcp:compute/subnetwork:Subnetwork", "net-gke");
    expect(subnet.inputs).toMatchObject({
      region: "us-west1",
      network: vpc.id,
      ipCidrRange: "10.10.0.0/20",
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.16.0.0/14" },
        { rangeName: "services", ipCidrRange: "10.20.0.0/20" },
        { rangeName: "pods-mcp", ipCidrRange: "10.24.0.0/14" },
      ],
    });
    expect(subnet.inputs.logConfig).toMatchObject({ flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" });
    expect([POD_RANGE_NAME, SERVICE_RANGE_NAME, MCP_POD_RANGE_NAME]).toEqual(["pods", "services", "pods-mcp"]);
  });

  it("gives the platform a Cloud NAT on reserved addresses for the node range and the system/backend pods, never the MCP pods", async () => {
    const resources = await record(() => build());
    const router = one(resources, "gcp:compute/router:Router", "net-router");
    const subnet = one(resources, "gcp:compute/subnetwork:Subnetwork", "net-gke");
    const nat = one(resources, "gcp:compute/routerNat:RouterNat", "net-nat");
    const ips = ofType(resources, "gcp:compute/address:Address").filter((a) => nameOf(a).startsWith("net-nat-platform-ip-"));
    expect(router.inputs).toMatchObject({ region: "us-west1", network: one(resources, "gcp:compute/network:Network", "net-vpc").id });
    expect(ips).toHaveLength(2);
    expect(nat.inputs).toMatchObject({
      region: "us-west1",
      router: "gumstack-prod-router",
      natIpAllocateOption: "MANUAL_ONLY",
      natIps: ips.map((a) => a.outputs.selfLink),
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [
        { name: subnet.id, sourceIpRangesToNats: ["PRIMARY_IP_RANGE", "LIST_OF_SECONDARY_IP_RANGES"], secondaryIpRangeNames: ["pods"] },
      ],
      enableDynamicPortAllocation: true,
      enableEndpointIndependentMapping: false,
      minPortsPerVm: 1024,
      maxPortsPerVm: 8192,
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    expect(nat.dependencies).toEqual(expect.arrayContaining([router.urn, subnet.urn, ...ips.map((a) => a.urn)]));
  });

  it("gives the MCP pod range a NAT of its own whose addresses the platform's never shares", async () => {
    const resources = await record(() => build());
    const subnet = one(resources, "gcp:compute/subnetwork:Subnetwork", "net-gke");
    const platform = one(resources, "gcp:compute/routerNat:RouterNat", "net-nat");
    const tenant = one(resources, "gcp:compute/routerNat:RouterNat", "net-nat-tenant");
    expect(tenant.inputs).toMatchObject({
      name: "gumstack-prod-nat-tenant",
      router: "gumstack-prod-router",
      natIpAllocateOption: "MANUAL_ONLY",
      subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["LIST_OF_SECONDARY_IP_RANGES"], secondaryIpRangeNames: ["pods-mcp"] }],
      minPortsPerVm: 4096,
      maxPortsPerVm: 32768,
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    const tenantIps = tenant.inputs.natIps as string[];
    const platformIps = platform.inputs.natIps as string[];
    expect(tenantIps).toHaveLength(2);
    expect(tenantIps.filter((ip) => platformIps.includes(ip))).toEqual([]);
    // The addresses themselves differ too, and every reserved address is protected (customers allow-list them).
    const addresses = ofType(resources, "gcp:compute/address:Address");
    expect(new Set(addresses.map((a) => a.outputs.address)).size).toBe(4);
    for (const a of addresses) {
      expect(a.inputs).toMatchObject({ addressType: "EXTERNAL", region: "us-west1", project: "gumstack-prod" });
      expect(a.protect).toBe(true);
    }
    // No range is served by both gateways: the MCP range only by the tenant NAT, the pods range only by the platform's.
    const ranges = (n: typeof tenant) => (n.inputs.subnetworks as { secondaryIpRangeNames: string[] }[])[0]!.secondaryIpRangeNames;
    expect(ranges(platform).filter((r) => ranges(tenant).includes(r))).toEqual([]);
  });

  it("sizes the gateways from config and refuses impossible ones", async () => {
    const resources = await record(() => build({ ...seed.egress, tenant: { addresses: 3, minPortsPerVm: 2048, maxPortsPerVm: 65536 } }));
    const tenant = one(resources, "gcp:compute/routerNat:RouterNat", "net-nat-tenant");
    expect((tenant.inputs.natIps as string[]).length).toBe(3);
    expect(tenant.inputs).toMatchObject({ minPortsPerVm: 2048, maxPortsPerVm: 65536 });
    expect(() => checkNatGateway("tenant", { addresses: 0, minPortsPerVm: 2048, maxPortsPerVm: 4096 })).toThrow(/at least one address/);
    expect(() => checkNatGateway("platform", { addresses: 1, minPortsPerVm: 4096, maxPortsPerVm: 4096 })).toThrow(
      /must exceed minPortsPerVm/,
    );
    expect(() => checkNatGateway("platform", { addresses: 1, minPortsPerVm: 1000, maxPortsPerVm: 4096 })).toThrow(/power of two/);
    expect(() => checkNatGateway("platform", { addresses: 1, minPortsPerVm: 1024, maxPortsPerVm: 131072 })).toThrow(
      /power of two from 64 to 65536/,
    );
  });
  it("admits Google's load-balancer ranges to the node and pod ranges on the backend ports only", async () => {
    const resources = await record(() => build());
    const fw = one(resources, "gcp:compute/firewall:Firewall", "net-allow-google-lb");
    expect(fw.inputs).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["130.211.0.0/22", "35.191.0.0/16"],
      destinationRanges: ["10.10.0.0/20", "10.16.0.0/14"],
      allows: [{ protocol: "tcp", ports: ["8012", "8080"] }],
    });
    expect(GOOGLE_LB_RANGES).toEqual(["130.211.0.0/22", "35.191.0.0/16"]);
    expect(
      ofType(resources, "gcp:compute/firewall:Firewall")
        .map((f) => f.inputs.name)
        .sort(),
    ).toEqual(["gumstack-prod-allow-control-plane-webhooks", "gumstack-prod-allow-google-lb"]);
  });

  it("lets the private control plane reach webhook pods on 8443 (Knative), from the master /28 only", async () => {
    // GKE's own control-plane rule admits 443 and 10250 only; the API server dials the webhook pod's targetPort.
    const resources = await record(() => build());
    const fw = one(resources, "gcp:compute/firewall:Firewall", "net-allow-control-plane-webhooks");
    expect(fw.inputs).toMatchObject({
      direction: "INGRESS",
      network: one(resources, "gcp:compute/network:Network", "net-vpc").id,
      sourceRanges: ["172.16.0.0/28"],
      destinationRanges: ["10.10.0.0/20", "10.16.0.0/14"],
      allows: [{ protocol: "tcp", ports: ["8443"] }],
    });
    expect(fw.dependencies).toContain(one(resources, "gcp:projects/service:Service", "svc-compute").urn);
  });
});

describe("NAT port arithmetic", () => {
  it("counts 64,512 ports per address and what every VM at its minimum reserves", () => {
    expect(NAT_PORTS_PER_ADDRESS).toBe(64512);
    // prod: the platform NAT serves every node (system 9 + backend 72 + mcp 20 = 101 VMs) at 1024 ports minimum.
    expect(natPortPlan({ addresses: 2, minPortsPerVm: 1024, maxPortsPerVm: 8192, maxVms: 101 })).toEqual({
      ports: 129024,
      reservedAtMax: 103424,
      vmsAtMaxPorts: 15,
    });
    // prod: the tenant NAT serves the MCP pool (20 VMs) at 4096 ports minimum.
    expect(natPortPlan({ addresses: 2, minPortsPerVm: 4096, maxPortsPerVm: 32768, maxVms: 20 })).toEqual({
      ports: 129024,
      reservedAtMax: 81920,
      vmsAtMaxPorts: 3,
    });
  });

  it("refuses a gateway whose addresses cannot give every VM its minimum, naming the fix", () => {
    expect(natPortCheck({ addresses: 2, minPortsPerVm: 4096, maxPortsPerVm: 32768, maxVms: 31 })).toBeUndefined();
    expect(natPortCheck({ addresses: 2, minPortsPerVm: 4096, maxPortsPerVm: 32768, maxVms: 32 })).toBe(
      "2 address(es) give 129024 ports, fewer than 32 VMs x minPortsPerVm 4096 = 131072; use at least 3 addresses or a lower minPortsPerVm",
    );
  });
});
