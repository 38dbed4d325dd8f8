// The GKE Standard cluster that hosts the platform and the customers' MCP servers: regional, private nodes,
// Dataplane V2 (NetworkPolicy enforcement), Workload Identity, shielded nodes, application-layer secrets
// encryption with a Cloud KMS key, Gateway API, Managed Service for Prometheus, deletion protection. The default
// node pool is removed and every node comes from a GkeNodePool. GKE still creates that default pool (one node per
// zone) before removing it, so its VMs meet the same org policies as every other node: Secure Boot
// (compute.requireShieldedVm), a CMEK boot disk (gcp.restrictNonCmekServices), a dedicated service account instead
// of the Compute Engine default one (which a fresh organization may have disabled). Its config is fixed, so it never
// diffs (a cluster nodeConfig diff replaces the cluster, fact 13), as cloud-foundation-fabric's gke-cluster module
// does (GoogleCloudPlatform/cloud-foundation-fabric#999).
import * as container from "../sdk/gcp/container.js";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "@gumstack/network/cidr";

/** GKE system metrics and the kube-state-metrics package (HPA among them) the cluster exports to Cloud Monitoring. */
export const MONITORING_COMPONENTS = ["SYSTEM_COMPONENTS", "STORAGE", "HPA", "POD", "DAEMONSET", "DEPLOYMENT", "STATEFULSET"] as const;

/** How the Pulumi Kubernetes provider (and kubectl) reach the API server. */
export type ApiServerAccess = "dns-endpoint" | "authorized-networks";

export interface MaintenanceWindow {
  /** RFC 3339 UTC start of the first window, e.g. 2026-01-03T09:00:00Z. */
  readonly startTime: string;
  /** RFC 3339 UTC end of the first window. */
  readonly endTime: string;
  /** RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SA,SU. */
  readonly recurrence: string;
}

/** Defaults of the cluster's settings (the config schema takes gumstack:cluster's from here, and DEFAULT_MAINTENANCE_WINDOW). */
export const GKE_CLUSTER_DEFAULTS = { releaseChannel: "REGULAR", deletionProtection: true, nodeLocalDns: false } as const;

export interface GkeClusterArgs {
  /**
   * Binary Authorization: PROJECT_SINGLETON_POLICY_ENFORCE has the cluster evaluate the project's policy for every
   * pod (components/gcp/binaryAuthorization.ts). Default "DISABLED".
   */
  readonly binaryAuthorizationEvaluationMode?: "DISABLED" | "PROJECT_SINGLETON_POLICY_ENFORCE";
  /** GCP project of the cluster (also names the Workload Identity pool `<project>.svc.id.goog`). Required; no default. */
  readonly project: string;
  /** Region: the cluster is regional (control plane replicated across zones). Required; no default. */
  readonly region: string;
  /** Zones the nodes run in, all in `region`. Required; no default (the seed: us-west1-a/b/c). */
  readonly zones: readonly string[];
  /** GKE cluster name. Default: the component's name. */
  readonly clusterName?: string;
  /** VPC network id or self link. Required; no default. */
  readonly network: pulumi.Input<string>;
  /** Subnetwork id or self link; its primary range is the node range. Required; no default. */
  readonly subnetwork: pulumi.Input<string>;
  /** Name of the subnet's secondary range for pod IPs. Default "pods". */
  readonly podsRangeName?: string;
  /** Name of the subnet's secondary range for Service ClusterIPs. Default "services". */
  readonly servicesRangeName?: string;
  /** The control plane's private /28. Required; no default. */
  readonly masterCidr: string;
  /** GKE release channel. Default "REGULAR". */
  readonly releaseChannel?: "RAPID" | "REGULAR" | "STABLE";
  /** Recurring maintenance window. Default Saturday and Sunday 09:00-17:00 UTC from 2026-01-03. */
  readonly maintenanceWindow?: MaintenanceWindow;
  /**
   * CIDRs allowed to reach the public IP endpoint. Default [] (the public IP endpoint is disabled, and the
   * Kubernetes provider uses the DNS endpoint, authenticated by Google IAM). Non-empty: the public IP endpoint is
   * on for exactly these CIDRs and the provider uses it; the DNS endpoint then refuses user traffic.
   */
  readonly authorizedNetworks?: readonly { readonly displayName: string; readonly cidr: string }[];
  /**
   * Cloud KMS key (projects/.../locations/<region>/keyRings/.../cryptoKeys/...) for application-layer Secrets
   * encryption. The container service agent must already hold roles/cloudkms.cryptoKeyEncrypterDecrypter on it:
   * pass that grant in `dependsOn`. Required; no default.
   */
  readonly databaseEncryptionKeyId: pulumi.Input<string>;
  /** Deletion protection; set false only to delete the cluster deliberately. Default true. */
  readonly deletionProtection?: boolean;
  /** Enable NodeLocal DNSCache (the MCP egress policy then allows 169.254.20.10:53). Default false. */
  readonly nodeLocalDns?: boolean;
  /**
   * Turn GKE's default SNAT off, so pods leave with their own IP and Cloud NAT can tell pod ranges apart (the
   * tenant MCP pods egress from other addresses than the platform). Needs private nodes and Cloud NAT for every
   * pod range that reaches the internet (https://cloud.google.com/kubernetes-engine/docs/concepts/ip-masquerade-agent).
   * Default true.
   */
  readonly disableDefaultSnat?: boolean;
  /**
   * GKE cost allocation: the billing export carries each workload's cluster, namespace and Kubernetes labels
   * (https://cloud.google.com/kubernetes-engine/docs/how-to/cost-allocations). Default true.
   */
  readonly costAllocation?: boolean;
  /** GCE resource labels of the cluster. Default {}. */
  readonly resourceLabels?: Readonly<Record<string, string>>;
  /**
   * The service account of the default pool's nodes, which live only while the cluster is created (a minimal node
   * account, e.g. the system pool's). Default: GKE's, the Compute Engine default service account.
   */
  readonly bootstrapNodeServiceAccount?: pulumi.Input<string>;
  /** Cloud KMS key of the default pool's boot disks (the node pools' key). Default: Google-managed encryption. */
  readonly bootstrapNodeBootDiskKmsKey?: pulumi.Input<string>;
  /** Resources the cluster must wait for: API enablement, the KMS grant to the container service agent. Default []. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

export const DEFAULT_MAINTENANCE_WINDOW: MaintenanceWindow = {
  startTime: "2026-01-03T09:00:00Z",
  endTime: "2026-01-03T17:00:00Z",
  recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
};

/** Which endpoint the Kubernetes provider uses: the DNS endpoint unless authorized networks are configured. */
export function apiServerAccess(authorizedNetworks: readonly unknown[]): ApiServerAccess {
  return authorizedNetworks.length > 0 ? "authorized-networks" : "dns-endpoint";
}

/** Throws with a clear message on arguments GKE would refuse mid-deploy. */
export function validateClusterArgs(args: GkeClusterArgs): void {
  if (args.zones.length === 0) throw new Error("zones must name at least one zone of the region");
  for (const z of args.zones) {
    if (!z.startsWith(`${args.region}-`)) throw new Error(`zone ${z} is not in region ${args.region}`);
  }
  if (!parseCidr(args.masterCidr) || !args.masterCidr.endsWith("/28")) {
    throw new Error(`masterCidr "${args.masterCidr}" must be an IPv4 /28 (GKE requires exactly /28 for the control plane)`);
  }
  for (const n of args.authorizedNetworks ?? []) {
    if (!parseCidr(n.cidr)) throw new Error(`authorized network "${n.displayName}": "${n.cidr}" is not an IPv4 CIDR`);
  }
}

/** The Workload Identity pool of a project's clusters. */
export function workloadPoolOf(project: string): string {
  return `${project}.svc.id.goog`;
}

/** A regional, private, hardened GKE Standard cluster with no node pool of its own. */
export class GkeCluster extends pulumi.ComponentResource {
  /** The cluster resource. */
  public readonly cluster: container.Cluster;
  /** GKE cluster name. */
  public readonly name: pulumi.Output<string>;
  /** Cluster id (projects/<project>/locations/<region>/clusters/<name>); stable for the cluster's life. */
  public readonly id: pulumi.Output<string>;
  /** Project and region of the cluster. */
  public readonly project: string;
  public readonly location: string;
  /** How the Kubernetes provider reaches the API server (plain value: decided by config, not by an Output). */
  public readonly apiServerAccess: ApiServerAccess;
  /** Host the Kubernetes provider connects to: the DNS endpoint, or the public IP endpoint with authorized networks. */
  public readonly apiServerHost: pulumi.Output<string>;
  /** Base64 cluster CA for the IP endpoint; undefined with the DNS endpoint (it serves a publicly trusted certificate). */
  public readonly apiServerCaCertificate: pulumi.Output<string | undefined>;
  /** The DNS endpoint (gke-<id>.<region>.gke.goog). */
  public readonly dnsEndpoint: pulumi.Output<string>;
  /** Workload Identity pool, read back from the cluster: using it waits for the cluster. */
  public readonly workloadPool: pulumi.Output<string>;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gke:GkeCluster", name, {}, opts);
    validateClusterArgs(args);
    const authorizedNetworks = args.authorizedNetworks ?? [];
    const access = apiServerAccess(authorizedNetworks);
    const window = args.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
    const workloadPool = workloadPoolOf(args.project);

    this.cluster = new container.Cluster(
      `${name}-cluster`,
      {
        project: args.project,
        name: args.clusterName ?? name,
        location: args.region,
        nodeLocations: [...args.zones],
        // The default pool is created (it must be, with >= 1 node) and removed at once; while it lives its nodes are
        // shielded, CMEK-encrypted and run as a minimal account, like every pool's (header).
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: {
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          ...(args.bootstrapNodeServiceAccount !== undefined ? { serviceAccount: args.bootstrapNodeServiceAccount } : {}),
          ...(args.bootstrapNodeBootDiskKmsKey !== undefined ? { bootDiskKmsKey: args.bootstrapNodeBootDiskKmsKey } : {}),
        },
        deletionProtection: args.deletionProtection ?? GKE_CLUSTER_DEFAULTS.deletionProtection,
        resourceLabels: { ...(args.resourceLabels ?? {}) },

        network: args.network,
        subnetwork: args.subnetwork,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
          clusterSecondaryRangeName: args.podsRangeName ?? "pods",
          servicesSecondaryRangeName: args.servicesRangeName ?? "services",
          stackType: "IPV4",
        },
        // Dataplane V2 enforces NetworkPolicy itself: no networkPolicy block (that is the legacy Calico add-on).
        datapathProvider: "ADVANCED_DATAPATH",
        // Pods keep their source IP up to Cloud NAT, which translates each pod range through its own gateway.
        defaultSnatStatus: { disabled: args.disableDefaultSnat ?? true },
        // kube-dns, pinned: the MCP/backend DNS egress rules select its pods (Cloud DNS would answer at
        // 169.254.169.254, the metadata address the MCP egress refuses).
        dnsConfig: { clusterDns: "KUBE_DNS" },

        privateClusterConfig: {
          enablePrivateNodes: true,
          // No authorized networks: the public IP endpoint is off; nodes use the private endpoint.
          enablePrivateEndpoint: access === "dns-endpoint",
          masterIpv4CidrBlock: args.masterCidr,
        },
        masterAuthorizedNetworksConfig: {
          cidrBlocks: authorizedNetworks.map((n) => ({ displayName: n.displayName, cidrBlock: n.cidr })),
          // Not "any Google Cloud VM": only the listed networks.
          gcpPublicCidrsAccessEnabled: false,
        },
        controlPlaneEndpointsConfig: {
          // The DNS endpoint authenticates with Google IAM before Kubernetes RBAC; Kubernetes tokens and
          // certificates are not accepted over it (enableK8sTokensViaDns/enableK8sCertsViaDns default false).
          dnsEndpointConfig: { allowExternalTraffic: access === "dns-endpoint" },
        },

        workloadIdentityConfig: { workloadPool },
        enableShieldedNodes: true,
        enableLegacyAbac: false,
        databaseEncryption: { state: "ENCRYPTED", keyName: args.databaseEncryptionKeyId },

        releaseChannel: { channel: args.releaseChannel ?? GKE_CLUSTER_DEFAULTS.releaseChannel },
        maintenancePolicy: {
          recurringWindow: { startTime: window.startTime, endTime: window.endTime, recurrence: window.recurrence },
        },

        // The GKE Gateway controller (edge) needs the Gateway API channel and the HTTP load balancing add-on.
        gatewayApiConfig: { channel: "CHANNEL_STANDARD" },
        addonsConfig: {
          httpLoadBalancing: { disabled: false },
          horizontalPodAutoscaling: { disabled: false },
          dnsCacheConfig: { enabled: args.nodeLocalDns ?? GKE_CLUSTER_DEFAULTS.nodeLocalDns },
        },
        // System metrics plus GKE's managed kube-state-metrics package (on by default since 1.29.2-gke.2000),
        // pinned: the "backend HPA at its maximum" alert reads kube_horizontalpodautoscaler_* (HPA) through
        // Managed Prometheus (https://cloud.google.com/kubernetes-engine/docs/how-to/kube-state-metrics).
        monitoringConfig: {
          managedPrometheus: { enabled: true },
          enableComponents: [...MONITORING_COMPONENTS],
        },
        costManagementConfig: { enabled: args.costAllocation ?? true },
        binaryAuthorization: { evaluationMode: args.binaryAuthorizationEvaluationMode ?? "DISABLED" },
      },
      { parent: this, dependsOn: [...(args.dependsOn ?? [])] },
    );

    this.name = this.cluster.name;
    this.id = this.cluster.id;
    this.project = args.project;
    this.location = args.region;
    this.apiServerAccess = access;
    this.dnsEndpoint = this.cluster.controlPlaneEndpointsConfig.apply((c) => {
      const endpoint = c?.dnsEndpointConfig?.endpoint;
      if (!endpoint) throw new Error(`GKE cluster ${name} reported no DNS endpoint`);
      return endpoint;
    });
    this.apiServerHost = access === "dns-endpoint" ? this.dnsEndpoint : this.cluster.endpoint;
    this.apiServerCaCertificate =
      access === "dns-endpoint" ? pulumi.output(undefined) : this.cluster.masterAuth.apply((m) => m.clusterCaCertificate);
    this.workloadPool = this.cluster.workloadIdentityConfig.apply((w) => {
      if (!w?.workloadPool) throw new Error(`GKE cluster ${name} reported no Workload Identity pool`);
      return w.workloadPool;
    });

    this.registerOutputs({
      name: this.name,
      id: this.id,
      apiServerAccess: this.apiServerAccess,
      apiServerHost: this.apiServerHost,
      dnsEndpoint: this.dnsEndpoint,
      workloadPool: this.workloadPool,
    });
  }
}
