import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../src/config/schema.js";
import { boundedName } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";
import { GOOGLE_LB_RANGES } from "../platform.js";

/** Name of the subnet's secondary range for pod IPs (the cluster's ipAllocationPolicy refers to it). */
export const POD_RANGE_NAME = "pods";
/** Name of the subnet's secondary range for Service ClusterIPs. */
export const SERVICE_RANGE_NAME = "services";

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
  /** Node, pod and service ranges (masterCidr is the cluster's, not the subnet's). Required. */
  readonly network: StackConfig["network"];
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
 * secondary ranges for pods and services, Private Google Access and flow logs; a Cloud Router with Cloud NAT
 * (auto-allocated IPs, errors logged) so private nodes and pods reach the internet and image registries; a
 * firewall rule admitting Google's load-balancer ranges to the node and pod ranges on the backend ports; and one
 * admitting the private control plane (the master /28) to admission webhook pods, without which every Knative
 * object times out at its webhook ("failed calling webhook ... context deadline exceeded").
 */
export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnetwork: gcp.compute.Subnetwork;
  readonly router: gcp.compute.Router;
  /** Depend on it before node pools come up: private nodes pull images through it. */
  readonly nat: gcp.compute.RouterNat;
  readonly loadBalancerFirewall: gcp.compute.Firewall;
  /** Lets the private control plane call admission webhooks on their pod ports. */
  readonly controlPlaneWebhookFirewall: gcp.compute.Firewall;
  /** Secondary range names for the cluster's ipAllocationPolicy. */
  readonly podRangeName = POD_RANGE_NAME;
  readonly serviceRangeName = SERVICE_RANGE_NAME;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:Network", name, {}, opts);

    const base = ["gumstack", args.environment];
    const computeApi = { dependsOn: [args.apis.compute] };

    this.network = new gcp.compute.Network(
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

    this.subnetwork = new gcp.compute.Subnetwork(
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

    this.router = new gcp.compute.Router(
      `${name}-router`,
      {
        project: args.project,
        region: args.region,
        name: boundedName([...base, "router"], 63),
        network: this.network.id,
      },
      { parent: this, ...computeApi },
    );

    this.nat = new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        project: args.project,
        region: args.region,
        name: boundedName([...base, "nat"], 63),
        router: this.router.name,
        natIpAllocateOption: "AUTO_ONLY",
        // Only the GKE subnet, all of its ranges: nodes (primary) and pods (secondary) egress through NAT.
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [{ name: this.subnetwork.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
        // Many MCP pods per node open outbound connections: let a busy VM take more ports.
        enableDynamicPortAllocation: true,
        enableEndpointIndependentMapping: false,
        minPortsPerVm: 64,
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      { parent: this, ...computeApi },
    );

    this.loadBalancerFirewall = new gcp.compute.Firewall(
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

    this.controlPlaneWebhookFirewall = new gcp.compute.Firewall(
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
    });
  }
}
