import * as compute from "../sdk/gcp/compute.js";
import type * as types from "@pulumi/gcp/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { boundedName } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";
import { GOOGLE_LB_RANGES } from "../platform.js";

/** Name of the subnet's secondary range for pod IPs (the cluster's ipAllocationPolicy refers to it). */
export const POD_RANGE_NAME = "pods";
/** Name of the subnet's secondary range for Service ClusterIPs. */
export const SERVICE_RANGE_NAME = "services";
/** Name of the subnet's secondary range for the MCP (gVisor) pool's pods (the pool's networkConfig.podRange). */
export const MCP_POD_RANGE_NAME = "pods-mcp";

/**
 * Source ports one NAT address offers a VM: 1024-65535, i.e. 64,512 per protocol
 * (https://cloud.google.com/nat/docs/ports-and-addresses).
 */
export const NAT_PORTS_PER_ADDRESS = 64512;
/**
 * Pod addresses GKE reserves per node: a /24 at the default 110 pods per node
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr).
 */
export const PODS_PER_NODE_RANGE = 256;

/** The VPC's address ranges: IPv4 CIDRs, pairwise disjoint (the config schema refuses overlaps before planning). */
export interface NetworkRanges {
  /** Primary range of the GKE subnet: node IPs of every pool. Required. */
  readonly nodeCidr: string;
  /** Secondary range "pods": pod IPs of the system and backend pools. Required. */
  readonly podCidr: string;
  /** Secondary range "services": Service ClusterIPs. Required. */
  readonly serviceCidr: string;
  /** Secondary range "pods-mcp": pod IPs of the MCP (gVisor) pool, which leave through the tenants' NAT. Required. */
  readonly mcpPodCidr: string;
  /** The /28 of the GKE control plane's private endpoint: the webhook firewall's source (the cluster's range). Required. */
  readonly masterCidr: string;
}

/** One Cloud NAT gateway: reserved addresses and dynamic port allocation bounds. */
export interface NatGatewaySettings {
  /** Reserved static external addresses (MANUAL_ONLY). */
  readonly addresses: number;
  /** Ports each VM is guaranteed (power of two, 32-32768). */
  readonly minPortsPerVm: number;
  /** Ports one VM may grow to (power of two, 64-65536, above the minimum). */
  readonly maxPortsPerVm: number;
}

/** Defaults of the two gateways (also the config schema's defaults of gumstack:egress). */
export const DEFAULT_EGRESS: { readonly platform: NatGatewaySettings; readonly tenant: NatGatewaySettings } = {
  platform: { addresses: 2, minPortsPerVm: 1024, maxPortsPerVm: 8192 },
  tenant: { addresses: 2, minPortsPerVm: 4096, maxPortsPerVm: 32768 },
};

/** The port arithmetic of one gateway serving at most `maxVms` VMs. */
export function natPortPlan(g: NatGatewaySettings & { readonly maxVms: number }): {
  /** Ports the gateway's addresses offer together. */
  ports: number;
  /** Ports reserved when every VM holds its minimum. */
  reservedAtMax: number;
  /** VMs that can hold their maximum at the same time. */
  vmsAtMaxPorts: number;
} {
  const ports = g.addresses * NAT_PORTS_PER_ADDRESS;
  return { ports, reservedAtMax: g.maxVms * g.minPortsPerVm, vmsAtMaxPorts: Math.floor(ports / g.maxPortsPerVm) };
}

/** Throws on a gateway Cloud NAT would refuse: no address, or bounds that are not powers of two with max > min. */
export function checkNatGateway(what: string, g: NatGatewaySettings): void {
  if (!Number.isInteger(g.addresses) || g.addresses < 1) throw new Error(`${what} needs at least one address, got ${g.addresses}`);
  const pow2 = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi && (n & (n - 1)) === 0;
  if (!pow2(g.minPortsPerVm, 32, 32768))
    throw new Error(`${what}: minPortsPerVm ${g.minPortsPerVm} must be a power of two from 32 to 32768`);
  if (!pow2(g.maxPortsPerVm, 64, 65536))
    throw new Error(`${what}: maxPortsPerVm ${g.maxPortsPerVm} must be a power of two from 64 to 65536`);
  if (g.maxPortsPerVm <= g.minPortsPerVm)
    throw new Error(`${what}: maxPortsPerVm (${g.maxPortsPerVm}) must exceed minPortsPerVm (${g.minPortsPerVm})`);
}

/**
 * Why a gateway is too small, or undefined: with dynamic port allocation every VM first gets minPortsPerVm
 * (https://cloud.google.com/nat/docs/ports-and-addresses#dynamic-port), so the addresses must cover
 * maxVms x minPortsPerVm, or the last VMs of a scale-up get no NAT at all (OUT_OF_RESOURCES drops).
 */
export function natPortCheck(g: NatGatewaySettings & { readonly maxVms: number }): string | undefined {
  const plan = natPortPlan(g);
  if (plan.ports >= plan.reservedAtMax) return undefined;
  const needed = Math.ceil(plan.reservedAtMax / NAT_PORTS_PER_ADDRESS);
  return `${g.addresses} address(es) give ${plan.ports} ports, fewer than ${g.maxVms} VMs x minPortsPerVm ${g.minPortsPerVm} = ${plan.reservedAtMax}; use at least ${needed} addresses or a lower minPortsPerVm`;
}

/** The firewall `allows` for TCP on the given ports: deduplicated, sorted, each checked to be a valid port. */
export function tcpAllow(ports: readonly number[]): { protocol: string; ports: string[] }[] {
  if (ports.length === 0) throw new Error("at least one port is required");
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`invalid port ${p}: must be an integer 1-65535`);
  }
  return [{ protocol: "tcp", ports: [...new Set(ports)].sort((a, b) => a - b).map(String) }];
}

export interface NetworkArgs {
  /** Project of every network resource. Required. */
  readonly project: pulumi.Input<string>;
  /** Region of the subnet, router and NAT. Required (the seed: us-west1). */
  readonly region: string;
  /** Environment name, used in resource names. Required. */
  readonly environment: string;
  /** Node, pod, MCP pod and service ranges (masterCidr is the cluster's, not the subnet's). Required. */
  readonly network: NetworkRanges;
  /**
   * The platform's and the tenants' Cloud NAT gateways (addresses, ports per VM). Default DEFAULT_EGRESS; each
   * must give every VM it serves its minimum ports (natPortCheck): the config schema checks that before planning.
   */
  readonly egress?: { readonly platform: NatGatewaySettings; readonly tenant: NatGatewaySettings };
  /**
   * Ports the load-balanced backends listen on (pod ports of Kourier's gateway and of the backend, for NEG
   * health checks and proxied traffic). Required, at least one.
   */
  readonly backendPorts: readonly number[];
  /** The Compute API, enabled before any network resource. Required. */
  readonly apis: Pick<ProjectApis, "compute">;
  /** VPC flow-log sampling rate of the GKE subnet, 0-1. Default 0.5. */
  readonly flowLogSampling?: number;
  /**
   * Pod ports of admission webhooks the private control plane must reach (it calls the webhook pod's IP on the
   * Service's targetPort, and GKE's own rule admits only 443 and 10250). Default [8443]: the Knative Serving and
   * Knative Operator webhooks.
   */
  readonly controlPlaneWebhookPorts?: readonly number[];
}

/** Knative Serving's and the Knative Operator's webhook pods listen on 8443 (Service port 443). */
export const DEFAULT_CONTROL_PLANE_WEBHOOK_PORTS: readonly number[] = [8443];

/**
 * The platform's VPC: custom-mode, regional routing, one GKE subnet with the node range as primary and named
 * secondary ranges for pods, MCP pods and services, Private Google Access and flow logs; a Cloud Router with two
 * Cloud NAT gateways on reserved addresses (MANUAL_ONLY, errors logged): the platform's for the node range and the
 * system/backend pod range, the tenants' for the MCP pod range alone, so tenant code never leaves from an address
 * an allow-list meant for the platform admits (docs/edge-egress-ops.md; needs GKE's default SNAT off); a
 * firewall rule admitting Google's load-balancer ranges to the node and pod ranges on the backend ports; and one
 * admitting the private control plane (the master /28) to admission webhook pods, without which every Knative
 * object times out at its webhook ("failed calling webhook ... context deadline exceeded").
 */
export class Network extends pulumi.ComponentResource {
  readonly network: compute.Network;
  readonly subnetwork: compute.Subnetwork;
  readonly router: compute.Router;
  /** The platform's NAT (node range, system/backend pods). Depend on it before node pools come up. */
  readonly nat: compute.RouterNat;
  /** The tenants' NAT (the MCP pod range only). The MCP pool waits for it. */
  readonly tenantNat: compute.RouterNat;
  /** Reserved external addresses of the platform's NAT (for allow-lists such as ClickHouse Cloud's). */
  readonly platformNatAddresses: pulumi.Output<string[]>;
  /** Reserved external addresses of the tenants' NAT (what MCP servers' outbound calls come from). */
  readonly tenantNatAddresses: pulumi.Output<string[]>;
  readonly loadBalancerFirewall: compute.Firewall;
  /** Lets the private control plane call admission webhooks on their pod ports. */
  readonly controlPlaneWebhookFirewall: compute.Firewall;
  /** Secondary range names for the cluster's ipAllocationPolicy. */
  readonly podRangeName = POD_RANGE_NAME;
  readonly serviceRangeName = SERVICE_RANGE_NAME;
  readonly mcpPodRangeName = MCP_POD_RANGE_NAME;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:Network", name, {}, opts);

    const base = ["gumstack", args.environment];
    const computeApi = { dependsOn: [args.apis.compute] };

    this.network = new compute.Network(
      `${name}-vpc`,
      {
        project: args.project,
        name: boundedName(base, 63),
        description: `Gumstack ${args.environment} VPC`,
        autoCreateSubnetworks: false,
        routingMode: "REGIONAL",
        // The default internet route is how Cloud NAT egress leaves the VPC.
        deleteDefaultRoutesOnCreate: false,
      },
      { parent: this, ...computeApi },
    );

    this.subnetwork = new compute.Subnetwork(
      `${name}-gke`,
      {
        project: args.project,
        region: args.region,
        name: boundedName([...base, "gke"], 63),
        description: "GKE nodes (primary), pods and services (secondary)",
        network: this.network.id,
        ipCidrRange: args.network.nodeCidr,
        secondaryIpRanges: [
          { rangeName: POD_RANGE_NAME, ipCidrRange: args.network.podCidr },
          { rangeName: SERVICE_RANGE_NAME, ipCidrRange: args.network.serviceCidr },
          // GKE multi-Pod CIDR: the MCP pool takes its pod IPs from here (node pool networkConfig.podRange,
          // https://cloud.google.com/kubernetes-engine/docs/how-to/multi-pod-cidr).
          { rangeName: MCP_POD_RANGE_NAME, ipCidrRange: args.network.mcpPodCidr },
        ],
        // Private nodes reach Google APIs (Artifact Registry, logging) without external IPs.
        privateIpGoogleAccess: true,
        logConfig: {
          aggregationInterval: "INTERVAL_5_SEC",
          flowSampling: args.flowLogSampling ?? 0.5,
          metadata: "INCLUDE_ALL_METADATA",
        },
      },
      { parent: this, ...computeApi },
    );

    this.router = new compute.Router(
      `${name}-router`,
      {
        project: args.project,
        region: args.region,
        name: boundedName([...base, "router"], 63),
        network: this.network.id,
      },
      { parent: this, ...computeApi },
    );

    // Two gateways on one router, each serving different ranges of the same subnet (a range may belong to one
    // gateway only): https://cloud.google.com/nat/docs/set-up-manage-network-address-translation. Pods keep
    // their own source IP up to Cloud NAT only because the cluster turns GKE's default SNAT off
    // (https://cloud.google.com/kubernetes-engine/docs/concepts/ip-masquerade-agent); with it on, every pod
    // would leave as its node and both kinds of pods would share the platform's addresses.
    const egress = args.egress ?? DEFAULT_EGRESS;
    const gateway = (
      key: "platform" | "tenant",
      logical: string,
      settings: NatGatewaySettings,
      subnetwork: types.input.compute.RouterNatSubnetwork,
    ) => {
      checkNatGateway(`network ${name}: the ${key} NAT`, settings);
      const addresses = Array.from(
        { length: settings.addresses },
        (_, i) =>
          new compute.Address(
            `${name}-nat-${key}-ip-${i}`,
            {
              project: args.project,
              region: args.region,
              name: boundedName([...base, "nat", key, String(i)], 63),
              description: `Cloud NAT egress address of the ${key === "tenant" ? "MCP servers (tenants)" : "platform"}`,
              addressType: "EXTERNAL",
              networkTier: "PREMIUM",
            },
            // Customers allow-list these: a replacement would change them, so they are protected.
            { parent: this, ...computeApi, protect: true },
          ),
      );
      const nat = new compute.RouterNat(
        logical,
        {
          project: args.project,
          region: args.region,
          name: boundedName([...base, key === "tenant" ? "nat-tenant" : "nat"], 63),
          router: this.router.name,
          natIpAllocateOption: "MANUAL_ONLY",
          natIps: addresses.map((a) => a.selfLink),
          sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
          subnetworks: [subnetwork],
          // Dynamic port allocation: each VM starts at the minimum and grows to the maximum under load
          // (https://cloud.google.com/nat/docs/ports-and-addresses#dynamic-port); it requires endpoint-independent
          // mapping off.
          enableDynamicPortAllocation: true,
          enableEndpointIndependentMapping: false,
          minPortsPerVm: settings.minPortsPerVm,
          maxPortsPerVm: settings.maxPortsPerVm,
          // Translation errors and drops (e.g. OUT_OF_RESOURCES) are logged; the alerting component watches them.
          logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        { parent: this, ...computeApi },
      );
      return { nat, addresses: pulumi.all(addresses.map((a) => a.address)) };
    };
    const platform = gateway("platform", `${name}-nat`, egress.platform, {
      name: this.subnetwork.id,
      // Nodes of every pool (primary range) and the system/backend pods: never the MCP pod range.
      sourceIpRangesToNats: ["PRIMARY_IP_RANGE", "LIST_OF_SECONDARY_IP_RANGES"],
      secondaryIpRangeNames: [POD_RANGE_NAME],
    });
    const tenant = gateway("tenant", `${name}-nat-tenant`, egress.tenant, {
      name: this.subnetwork.id,
      sourceIpRangesToNats: ["LIST_OF_SECONDARY_IP_RANGES"],
      secondaryIpRangeNames: [MCP_POD_RANGE_NAME],
    });
    this.nat = platform.nat;
    this.tenantNat = tenant.nat;
    this.platformNatAddresses = platform.addresses;
    this.tenantNatAddresses = tenant.addresses;

    this.loadBalancerFirewall = new compute.Firewall(
      `${name}-allow-google-lb`,
      {
        project: args.project,
        name: boundedName([...base, "allow-google-lb"], 63),
        description: "Google load-balancer health checks and proxies to NEG backends (nodes and pods)",
        network: this.network.id,
        direction: "INGRESS",
        priority: 1000,
        sourceRanges: [...GOOGLE_LB_RANGES],
        destinationRanges: [args.network.nodeCidr, args.network.podCidr],
        allows: tcpAllow(args.backendPorts),
        // No logConfig: health checks every few seconds would dominate firewall logs.
      },
      { parent: this, ...computeApi },
    );

    this.controlPlaneWebhookFirewall = new compute.Firewall(
      `${name}-allow-control-plane-webhooks`,
      {
        project: args.project,
        name: boundedName([...base, "allow-control-plane-webhooks"], 63),
        description: "GKE control plane (private endpoint range) to admission webhook pods (Knative)",
        network: this.network.id,
        direction: "INGRESS",
        priority: 1000,
        sourceRanges: [args.network.masterCidr],
        destinationRanges: [args.network.nodeCidr, args.network.podCidr],
        allows: tcpAllow(args.controlPlaneWebhookPorts ?? DEFAULT_CONTROL_PLANE_WEBHOOK_PORTS),
      },
      { parent: this, ...computeApi },
    );

    this.registerOutputs({
      networkId: this.network.id,
      subnetworkId: this.subnetwork.id,
      podRangeName: POD_RANGE_NAME,
      serviceRangeName: SERVICE_RANGE_NAME,
      natName: this.nat.name,
      tenantNatName: this.tenantNat.name,
      platformNatAddresses: this.platformNatAddresses,
      tenantNatAddresses: this.tenantNatAddresses,
    });
  }
}
