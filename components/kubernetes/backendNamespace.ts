// The backend API's namespace: Pod Security "restricted", the backend's Kubernetes ServiceAccount bound by Workload
// Identity to the backend's Google service account, and NetworkPolicies: reachable only from the Google load
// balancer; able to reach DNS, the GKE metadata server (Workload Identity tokens), the Kubernetes API (it creates
// the MCP servers' Knative Services at run time, fact 21) and public endpoints on 443 (Google APIs, Spanner) plus
// any configured extra port (ClickHouse Cloud). MCP pods reach the backend only through the public load balancer
// (the seed: "Client / MCP Server -> LB -> backend"), so no in-cluster path from gumstack-mcp is opened.
import * as serviceaccount from "../sdk/gcp/serviceaccount.js";
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import * as networkingv1 from "@pulumi/kubernetes/networking/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "@gumstack/network/cidr";
import { PART_OF_LABELS, podSecurityLabels } from "./mcpNamespace.js";
import {
  POLICY_LABELS,
  createNetworkPolicies,
  defaultDenyPolicy,
  dnsEgressPolicy,
  podsInNamespace,
  publicEgressPolicy,
  type ClusterRanges,
  type NetworkPolicyManifest,
} from "./mcpNetworkPolicies.js";
import { GOOGLE_LB_RANGES, workloadIdentityMember } from "../platform.js";
import { BACKEND_DEFAULTS } from "../serving/backendApiManifests.js";

/**
 * The GKE metadata server as Workload Identity pods reach it: 169.254.169.254:80 (Dataplane V2 clusters) and
 * 169.254.169.252:988 (the gke-metadata-server port).
 */
export const GKE_METADATA_SERVER_ENDPOINTS = [
  { cidr: "169.254.169.254/32", port: 80 },
  { cidr: "169.254.169.252/32", port: 988 },
] as const;
/** Managed Service for Prometheus collectors: GKE-managed collection runs the `collector` DaemonSet (prometheus-engine) in gke-gmp-system. */
export const GMP_COLLECTOR = { namespace: "gke-gmp-system", podLabels: { "app.kubernetes.io/name": "collector" } } as const;

export interface BackendNetworkPolicyArgs {
  /** Namespace of the backend. Default "gumstack-backend". */
  readonly namespace?: string;
  /** Container port the backend serves on (and is health-checked on). Default 8080. */
  readonly port?: number;
  /**
   * Port Managed Prometheus scrapes (the HPA's "active concurrent requests" metric comes from it, fact 20); opened
   * only to the GKE-managed GMP collectors. Default 9090 (BackendApi's default metrics port); null: no scrape rule.
   */
  readonly metricsPort?: number | null;
  /** TCP ports the backend may reach on public addresses. Default [443]; add the ClickHouse port (8443) here. */
  readonly egressPorts?: readonly number[];
  /** Source ranges of the load balancer. Default GOOGLE_LB_RANGES (components/platform.ts). */
  readonly loadBalancerSourceRanges?: readonly string[];
  /** The cluster's ranges and NodeLocal DNSCache. Required; no default. */
  readonly ranges: ClusterRanges;
  /** Allow TCP 443 to the control plane's private endpoint (the backend creates Knative Services). Default true. */
  readonly allowKubernetesApi?: boolean;
}

const tcp = (port: number) => ({ protocol: "TCP" as const, port });
function policy(namespace: string, name: string, spec: NetworkPolicyManifest["spec"]): NetworkPolicyManifest {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace, labels: { ...POLICY_LABELS } }, spec };
}
function checkPort(what: string, p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`${what} ${p} is not a TCP port (1-65535)`);
  return p;
}

/** The backend namespace's NetworkPolicies (default deny, then additive allows). */
export function backendNetworkPolicyManifests(args: BackendNetworkPolicyArgs): NetworkPolicyManifest[] {
  const namespace = args.namespace ?? "gumstack-backend";
  const port = checkPort("port", args.port ?? BACKEND_DEFAULTS.port);
  const lbRanges = args.loadBalancerSourceRanges ?? GOOGLE_LB_RANGES;
  for (const c of lbRanges) if (!parseCidr(c)) throw new Error(`load balancer source range "${c}" is not an IPv4 CIDR`);
  const policies = [
    defaultDenyPolicy(namespace),
    policy(namespace, "allow-ingress-from-load-balancer", {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: lbRanges.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(port)] }],
    }),
  ];
  const metricsPort = args.metricsPort === undefined ? BACKEND_DEFAULTS.metricsPort : args.metricsPort;
  if (metricsPort !== null) {
    if (metricsPort === port)
      throw new Error(`metricsPort ${metricsPort} must differ from port (the load balancer must not reach metrics)`);
    policies.push(
      policy(namespace, "allow-ingress-from-managed-prometheus", {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [podsInNamespace(GMP_COLLECTOR.namespace, GMP_COLLECTOR.podLabels)],
            ports: [tcp(checkPort("metricsPort", metricsPort))],
          },
        ],
      }),
    );
  }
  policies.push(
    dnsEgressPolicy(namespace, args.ranges),
    publicEgressPolicy(namespace, "allow-egress-public", args.ranges, args.egressPorts ?? [443]),
    policy(namespace, "allow-egress-gke-metadata-server", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: GKE_METADATA_SERVER_ENDPOINTS.map((e) => ({ to: [{ ipBlock: { cidr: e.cidr } }], ports: [tcp(e.port)] })),
    }),
  );
  if (args.allowKubernetesApi ?? true) {
    policies.push(
      policy(namespace, "allow-egress-kubernetes-api", {
        podSelector: {},
        policyTypes: ["Egress"],
        // The `kubernetes` Service forwards to the control plane's private endpoint: in the master /28 for a
        // peering-based private cluster, in the node subnet for a Private Service Connect one. Both, port 443 only.
        egress: [{ to: [{ ipBlock: { cidr: args.ranges.masterCidr } }, { ipBlock: { cidr: args.ranges.nodeCidr } }], ports: [tcp(443)] }],
      }),
    );
  }
  return policies;
}

export interface BackendNamespaceArgs extends BackendNetworkPolicyArgs {
  /** Kubernetes provider of the cluster. Required; no default. */
  readonly provider: K8sProvider;
  /** GCP project of the backend's Google service account. Required; no default. */
  readonly project: string;
  /** The backend's Kubernetes ServiceAccount. Default "backend". */
  readonly serviceAccountName?: string;
  /** Email of the backend's Google service account. Required; no default. */
  readonly backendServiceAccountEmail: pulumi.Input<string>;
  /** The cluster's Workload Identity pool (GkeCluster.workloadPool, which waits for the cluster). Required; no default. */
  readonly workloadPool: pulumi.Input<string>;
  /** Resources the Workload Identity binding waits for: the cluster (its pool exists only once a WI cluster does). Default []. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** The backend's namespace, ServiceAccount, Workload Identity binding and NetworkPolicies. */
export class BackendNamespace extends pulumi.ComponentResource {
  public readonly namespace: corev1.Namespace;
  /** The namespace name, from the created object. */
  public readonly namespaceName: pulumi.Output<string>;
  public readonly serviceAccount: corev1.ServiceAccount;
  /** The backend pods' ServiceAccount name. */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** roles/iam.workloadIdentityUser for the KSA on the backend's Google service account. */
  public readonly workloadIdentityBinding: serviceaccount.IAMMember;
  public readonly policies: networkingv1.NetworkPolicy[];

  constructor(name: string, args: BackendNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:BackendNamespace", name, {}, opts);
    const namespace = args.namespace ?? "gumstack-backend";
    const ksa = args.serviceAccountName ?? "backend";
    const childOpts = { parent: this, provider: args.provider };

    this.namespace = new corev1.Namespace(
      `${name}-namespace`,
      { metadata: { name: namespace, labels: { ...PART_OF_LABELS, "gumstack.com/tenancy": "platform", ...podSecurityLabels() } } },
      childOpts,
    );
    this.namespaceName = this.namespace.metadata.name;
    this.serviceAccount = new corev1.ServiceAccount(
      `${name}-service-account`,
      {
        metadata: {
          name: ksa,
          namespace: this.namespaceName,
          labels: { ...PART_OF_LABELS },
          annotations: { "iam.gke.io/gcp-service-account": args.backendServiceAccountEmail },
        },
        // The token stays mounted: the backend calls the Kubernetes API to create MCP servers.
      },
      childOpts,
    );
    this.serviceAccountName = this.serviceAccount.metadata.name;

    this.workloadIdentityBinding = new serviceaccount.IAMMember(
      `${name}-workload-identity`,
      {
        serviceAccountId: pulumi.interpolate`projects/${args.project}/serviceAccounts/${args.backendServiceAccountEmail}`,
        role: "roles/iam.workloadIdentityUser",
        member: pulumi.output(args.workloadPool).apply((pool) => workloadIdentityMember(pool, namespace, ksa)),
      },
      { parent: this, dependsOn: [...(args.dependsOn ?? [])] },
    );

    const manifests = backendNetworkPolicyManifests({ ...args, namespace });
    this.policies = createNetworkPolicies(name, manifests, { ...childOpts, dependsOn: [this.namespace] });
    this.registerOutputs({ namespaceName: this.namespaceName, serviceAccountName: this.serviceAccountName });
  }
}
