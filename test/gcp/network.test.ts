import { describe, expect, it } from "vitest";
import { Network, POD_RANGE_NAME, SERVICE_RANGE_NAME, tcpAllow } from "../../components/gcp/network.js";
import { GOOGLE_LB_RANGES } from "../../components/platform.js";
import { ProjectServices } from "../../components/gcp/projectServices.js";
import { ofType, one, prodConfig, record } from "../support/harness.js";

const seed = prodConfig();

function build() {
  const services = new ProjectServices("svc", { project: seed.project });
  return new Network("net", {
    project: seed.project, region: seed.region, environment: seed.environment,
    network: seed.network, backendPorts: [8080, 8012, 8080], apis: services.apis,
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
    expect(vpc.inputs).toMatchObject({ project: "gumstack-prod", name: "gumstack-prod", autoCreateSubnetworks: false, routingMode: "REGIONAL" });
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
      ],
    });
    expect(subnet.inputs.logConfig).toMatchObject({ flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" });
    expect([POD_RANGE_NAME, SERVICE_RANGE_NAME]).toEqual(["pods", "services"]);
  });

  it("gives private nodes and pods Cloud NAT through a Cloud Router, with auto IPs and error logging", async () => {
    const resources = await record(() => build());
    const router = one(resources, "gcp:compute/router:Router", "net-router");
    const subnet = one(resources, "gcp:compute/subnetwork:Subnetwork", "net-gke");
    const nat = one(resources, "gcp:compute/routerNat:RouterNat", "net-nat");
    expect(router.inputs).toMatchObject({ region: "us-west1", network: one(resources, "gcp:compute/network:Network", "net-vpc").id });
    expect(nat.inputs).toMatchObject({
      region: "us-west1",
      router: "gumstack-prod-router",
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    expect(nat.dependencies).toEqual(expect.arrayContaining([router.urn, subnet.urn]));
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
    expect(ofType(resources, "gcp:compute/firewall:Firewall").map((f) => f.inputs.name).sort()).toEqual([
      "gumstack-prod-allow-control-plane-webhooks", "gumstack-prod-allow-google-lb",
    ]);
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
