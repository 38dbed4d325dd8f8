// NetworkPolicies of the MCP namespace: untrusted customer code reachable only by Knative's data path and able
// to reach only the public internet on 80/443 and the cluster DNS (docs/facts.md facts 1-4). The manifests and the
// egress except-list are pure functions: the tests evaluate them with @gumstack/network/netpol-evaluator and the
// policy pack reuses them to check what is deployed.
import * as networkingv1 from "@pulumi/kubernetes/networking/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "@gumstack/network/cidr";
import { MCP_NAMESPACE_DEFAULTS } from "./mcpNamespaceDefaults.js";

// ---------------------------------------------------------------------------------------------------------------
// Well-known endpoints (verified against knative/serving pkg/networking/constants.go and GKE kube-dns/NodeLocal DNS).

/** Queue-proxy ports of every Knative user pod: BackendHTTPPort (HTTP/1) and BackendHTTP2Port (h2c). */
export const KNATIVE_QUEUE_PROXY_PORTS = { http: 8012, h2c: 8013 } as const;
/** AutoscalingQueueMetricsPort: the queue-proxy port the Knative autoscaler scrapes. */
export const KNATIVE_AUTOSCALER_METRICS_PORT = 9090;
/** Pod labels of Knative's data-path components (installed by the Knative Operator in the KnativeServing namespace). */
export const KOURIER_GATEWAY_POD_LABELS = { app: "3scale-kourier-gateway" } as const;
export const KNATIVE_ACTIVATOR_POD_LABELS = { app: "activator" } as const;
export const KNATIVE_AUTOSCALER_POD_LABELS = { app: "autoscaler" } as const;
/** `k8s-app` values of the cluster DNS pods in kube-system: kube-dns and the NodeLocal DNSCache DaemonSet. */
export const CLUSTER_DNS_APPS = ["kube-dns", "node-local-dns"] as const;
/** The link-local address NodeLocal DNSCache listens on (GKE). */
export const NODE_LOCAL_DNS_IP = "169.254.20.10";
/** The immutable namespace-name label the API server sets on every namespace. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Every IPv4 range that is not publicly routable (IANA IPv4 Special-Purpose Address Registry, RFC 6890), with why.
 * 169.254.0.0/16 holds the metadata server (169.254.169.254), the GKE metadata server (169.254.169.252) and
 * NodeLocal DNSCache (169.254.20.10): it is link-local, NOT RFC 1918 (fact 4).
 */
export const NON_PUBLIC_IPV4_RANGES: readonly { cidr: string; why: string }[] = [
  { cidr: "0.0.0.0/8", why: '"this network" (RFC 791)' },
  { cidr: "10.0.0.0/8", why: "private (RFC 1918)" },
  { cidr: "100.64.0.0/10", why: "shared address space / CGNAT (RFC 6598)" },
  { cidr: "127.0.0.0/8", why: "loopback (RFC 1122)" },
  { cidr: "169.254.0.0/16", why: "link-local incl. the metadata servers (RFC 3927)" },
  { cidr: "172.16.0.0/12", why: "private (RFC 1918)" },
  { cidr: "192.0.0.0/24", why: "IETF protocol assignments (RFC 6890)" },
  { cidr: "192.0.2.0/24", why: "documentation TEST-NET-1 (RFC 5737)" },
  { cidr: "192.88.99.0/24", why: "deprecated 6to4 relay anycast (RFC 7526)" },
  { cidr: "192.168.0.0/16", why: "private (RFC 1918)" },
  { cidr: "198.18.0.0/15", why: "benchmarking (RFC 2544)" },
  { cidr: "198.51.100.0/24", why: "documentation TEST-NET-2 (RFC 5737)" },
  { cidr: "203.0.113.0/24", why: "documentation TEST-NET-3 (RFC 5737)" },
  { cidr: "224.0.0.0/4", why: "multicast (RFC 5771)" },
  { cidr: "240.0.0.0/4", why: "reserved, incl. limited broadcast 255.255.255.255 (RFC 1112, RFC 919)" },
];

/** The cluster's own address ranges, and whether NodeLocal DNSCache runs. */
export interface ClusterRanges {
  /** Pod range (the subnet's "pods" secondary range). Required; no default. */
  readonly podCidr: string;
  /** Service ClusterIP range (the "services" secondary range). Required; no default. */
  readonly serviceCidr: string;
  /** Node range (the subnet's primary range). Required; no default. */
  readonly nodeCidr: string;
  /** Control plane /28 (private endpoint). Required; no default. */
  readonly masterCidr: string;
  /** The MCP pool's own pod range (the subnet's "pods-mcp" secondary range). Default none. */
  readonly mcpPodCidr?: string;
  /** NodeLocal DNSCache enabled on the cluster: DNS to 169.254.20.10 is then allowed. Default false. */
  readonly nodeLocalDns?: boolean;
}

function checkedCidr(what: string, cidr: string): string {
  if (!parseCidr(cidr)) throw new Error(`${what} "${cidr}" is not an IPv4 CIDR without host bits (such as 10.16.0.0/14)`);
  return cidr;
}

/**
 * The `except` list of the 0.0.0.0/0 egress ipBlock: every non-public IPv4 range, then the cluster's own pod,
 * service, node, control-plane and MCP pod ranges (listed even when a private range already covers them, so a cluster on
 * non-RFC 1918 ranges stays fenced and a reviewer sees them). Exact duplicates are dropped; order is stable.
 */
export function egressExceptCidrs(ranges: ClusterRanges): string[] {
  const own = [
    checkedCidr("podCidr", ranges.podCidr),
    checkedCidr("serviceCidr", ranges.serviceCidr),
    checkedCidr("nodeCidr", ranges.nodeCidr),
    checkedCidr("masterCidr", ranges.masterCidr),
    ...(ranges.mcpPodCidr !== undefined ? [checkedCidr("mcpPodCidr", ranges.mcpPodCidr)] : []),
  ];
  return [...new Set([...NON_PUBLIC_IPV4_RANGES.map((r) => r.cidr), ...own])];
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest shapes (plain JSON as the API server takes it; also what @gumstack/network/netpol-evaluator reads).

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface NetworkPolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}
export interface NetworkPolicyManifest {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    podSelector: LabelSelector;
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: { from: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
    egress?: { to: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
  };
}

export const POLICY_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/part-of": "gumstack",
  "app.kubernetes.io/managed-by": "pulumi",
};

const tcp = (...ports: number[]): NetworkPolicyPort[] => ports.map((port) => ({ protocol: "TCP", port }));

/** A peer that is the pods with `podLabels` in namespace `namespace`: ONE element, so the selectors are ANDed. */
export function podsInNamespace(namespace: string, podLabels: Record<string, string>): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } }, podSelector: { matchLabels: { ...podLabels } } };
}

/** Default deny of ingress and egress for every pod in `namespace`. */
export function defaultDenyPolicy(namespace: string): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny-all", namespace, labels: { ...POLICY_LABELS } },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
}

/**
 * DNS egress: UDP and TCP 53 to the kube-system pods `k8s-app in (kube-dns, node-local-dns)`, plus
 * 169.254.20.10/32 when NodeLocal DNSCache is on. Never an ipBlock on the kube-dns ClusterIP: Dataplane V2
 * matches ipBlock only outside the cluster (fact 3).
 */
export function dnsEgressPolicy(namespace: string, ranges: ClusterRanges): NetworkPolicyManifest {
  const to: NetworkPolicyPeer[] = [
    {
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
      podSelector: { matchExpressions: [{ key: "k8s-app", operator: "In", values: [...CLUSTER_DNS_APPS] }] },
    },
  ];
  if (ranges.nodeLocalDns) to.push({ ipBlock: { cidr: `${NODE_LOCAL_DNS_IP}/32` } });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-egress-dns", namespace, labels: { ...POLICY_LABELS } },
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to,
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
  };
}

/** TCP egress on `ports` to every public IPv4 address: 0.0.0.0/0 except egressExceptCidrs. No IPv6 rule at all. */
export function publicEgressPolicy(
  namespace: string,
  name: string,
  ranges: ClusterRanges,
  ports: readonly number[],
): NetworkPolicyManifest {
  if (ports.length === 0) throw new Error(`${name}: at least one egress port is required`);
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`${name}: egress port ${p} is not a TCP port (1-65535)`);
  }
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...POLICY_LABELS } },
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: egressExceptCidrs(ranges) } }], ports: tcp(...new Set(ports)) }],
    },
  };
}

export interface McpNetworkPolicyArgs {
  /** Namespace of the MCP servers. Default "gumstack-mcp". */
  readonly namespace?: string;
  /** The cluster's ranges (excepted from internet egress) and NodeLocal DNSCache. Required; no default. */
  readonly ranges: ClusterRanges;
  /** Namespace of Knative Serving, the activator, the autoscaler and (Operator-installed) Kourier. Default "knative-serving". */
  readonly knativeNamespace?: string;
}

/**
 * The MCP namespace's policies (additive, so the allow policies only open what they name):
 * 1. default-deny-all: every pod isolated for ingress and egress.
 * 2. allow-ingress-from-knative: Kourier gateway and activator on 8012/8013, autoscaler on 9090, each selected by
 *    namespace AND pod labels. Nothing from other MCP pods (no podSelector-only peer, no `{}` peer).
 * 3. allow-egress-dns: cluster DNS only.
 * 4. allow-egress-public-web: TCP 80/443 to public IPv4 addresses only.
 */
export function mcpNetworkPolicyManifests(args: McpNetworkPolicyArgs): NetworkPolicyManifest[] {
  const namespace = args.namespace ?? MCP_NAMESPACE_DEFAULTS.namespace;
  const knative = args.knativeNamespace ?? "knative-serving";
  if (knative === namespace) throw new Error(`knativeNamespace must differ from the MCP namespace "${namespace}"`);
  const { http, h2c } = KNATIVE_QUEUE_PROXY_PORTS;
  const ingress: NetworkPolicyManifest = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-ingress-from-knative", namespace, labels: { ...POLICY_LABELS } },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        { from: [podsInNamespace(knative, KOURIER_GATEWAY_POD_LABELS)], ports: tcp(http, h2c) },
        { from: [podsInNamespace(knative, KNATIVE_ACTIVATOR_POD_LABELS)], ports: tcp(http, h2c) },
        { from: [podsInNamespace(knative, KNATIVE_AUTOSCALER_POD_LABELS)], ports: tcp(KNATIVE_AUTOSCALER_METRICS_PORT) },
      ],
    },
  };
  return [
    defaultDenyPolicy(namespace),
    ingress,
    dnsEgressPolicy(namespace, args.ranges),
    publicEgressPolicy(namespace, "allow-egress-public-web", args.ranges, [80, 443]),
  ];
}

/** Creates NetworkPolicy resources from manifests; children are `<name>-<policy name>`. */
export function createNetworkPolicies(
  name: string,
  manifests: readonly NetworkPolicyManifest[],
  opts: pulumi.CustomResourceOptions,
): networkingv1.NetworkPolicy[] {
  return manifests.map((m) => new networkingv1.NetworkPolicy(`${name}-${m.metadata.name}`, { metadata: m.metadata, spec: m.spec }, opts));
}

export interface McpNetworkPoliciesArgs extends McpNetworkPolicyArgs {
  /** Kubernetes provider of the cluster. Required; no default (never the ambient kubeconfig). */
  readonly provider: K8sProvider;
  /** Resources the policies wait for (the MCP namespace). Default []. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** The MCP namespace's NetworkPolicies (see mcpNetworkPolicyManifests). */
export class McpNetworkPolicies extends pulumi.ComponentResource {
  /** The policies, in mcpNetworkPolicyManifests order. */
  public readonly policies: networkingv1.NetworkPolicy[];
  /** Cluster names of the policies, same order. */
  public readonly policyNames: pulumi.Output<string>[];

  constructor(name: string, args: McpNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:McpNetworkPolicies", name, {}, opts);
    const { provider, dependsOn = [], ...policyArgs } = args;
    this.policies = createNetworkPolicies(name, mcpNetworkPolicyManifests(policyArgs), {
      parent: this,
      provider,
      dependsOn: [...dependsOn],
    });
    this.policyNames = this.policies.map((p) => p.metadata.name);
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
