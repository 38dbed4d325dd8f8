// Holes in the untrusted namespaces' NetworkPolicies on ports, protocols and peers no sample probes: each must
// fail the exact reading (policies/lib/netpol-envelope.ts).
import { addResource, type Mutation } from "./mutation.js";

const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const K8S = "pulumi:providers:kubernetes";

/** Adds to `ns` a NetworkPolicy selecting every pod with one egress (or ingress) rule. */
function policy(ns: string, name: string, direction: "Egress" | "Ingress", rule: Record<string, unknown>): Mutation["apply"] {
  return (r) =>
    addResource(
      r,
      NP,
      `hole-${ns}-${name}`,
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace: ns },
        spec: { podSelector: {}, policyTypes: [direction], [direction === "Egress" ? "egress" : "ingress"]: [rule] },
      },
      K8S,
    );
}

const MCP = "k8s-mcp-networkpolicy-envelope";
const BUILD = MCP;

export const netpolMutations: Mutation[] = [
  {
    hole: "MCP egress on UDP 988 to the GKE metadata server 169.254.169.252/32",
    policy: MCP,
    message: /169\.254\.0\.0\/16.*UDP 988/,
    apply: policy("gumstack-mcp", "metadata-udp", "Egress", {
      to: [{ ipBlock: { cidr: "169.254.169.252/32" } }],
      ports: [{ protocol: "UDP", port: 988 }],
    }),
  },
  {
    hole: "MCP egress to every pod of the MCP namespace on port 9999",
    policy: MCP,
    message: /other tenants.*TCP 9999/,
    apply: policy("gumstack-mcp", "tenants-9999", "Egress", { to: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 9999 }] }),
  },
  {
    hole: "MCP egress on TCP 1-65535 (endPort) to 0.0.0.0/0",
    policy: MCP,
    message: /TCP 1-65535/,
    apply: policy("gumstack-mcp", "all-tcp", "Egress", {
      to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
      ports: [{ protocol: "TCP", port: 1, endPort: 65535 }],
    }),
  },
  {
    hole: "MCP egress on SCTP 443 to public addresses only",
    policy: MCP,
    message: /public addresses.*SCTP 443/,
    apply: policy("gumstack-mcp", "sctp", "Egress", {
      to: [{ ipBlock: { cidr: "8.8.8.0/24" } }],
      ports: [{ protocol: "SCTP", port: 443 }],
    }),
  },
  {
    hole: "MCP egress to ::/0 on TCP 443 (IPv6 unique-local, link-local and IPv4-mapped inside)",
    policy: MCP,
    message: /fc00::\/7/,
    apply: policy("gumstack-mcp", "ipv6", "Egress", { to: [{ ipBlock: { cidr: "::/0" } }], ports: [{ protocol: "TCP", port: 443 }] }),
  },
  {
    hole: "MCP egress on a named port to public addresses",
    policy: MCP,
    message: /named port metrics/,
    apply: policy("gumstack-mcp", "named", "Egress", { to: [{ ipBlock: { cidr: "8.8.8.0/24" } }], ports: [{ port: "metrics" }] }),
  },
  {
    hole: "MCP ingress from a namespaceSelector {} (every pod of every namespace)",
    policy: MCP,
    message: /pods of any namespace/,
    apply: policy("gumstack-mcp", "any-ns", "Ingress", { from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }),
  },
  {
    hole: "MCP ingress from the activator's label in any namespace (namespaceSelector {} with the podSelector)",
    policy: MCP,
    message: /pods of any namespace/,
    apply: policy("gumstack-mcp", "impostor", "Ingress", {
      from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "activator" } } }],
      ports: [{ protocol: "TCP", port: 8012 }],
    }),
  },
  {
    hole: "build egress on UDP 10250-10255 to the node range (the kubelet)",
    policy: BUILD,
    message: /cluster node range.*UDP 10250-10255/,
    apply: policy("gumstack-build", "kubelet", "Egress", {
      to: [{ ipBlock: { cidr: "10.0.0.0/8" } }],
      ports: [{ protocol: "UDP", port: 10250, endPort: 10255 }],
    }),
  },
  {
    hole: "build ingress from the Kourier gateway (builds take no ingress at all)",
    policy: BUILD,
    message: /ingress rule 1 opens/,
    apply: policy("gumstack-build", "in", "Ingress", {
      from: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } },
          podSelector: { matchLabels: { app: "3scale-kourier-gateway" } },
        },
      ],
    }),
  },
  {
    hole: "build egress on SCTP to public addresses, no ports (every protocol)",
    policy: BUILD,
    message: /every port of TCP, UDP and SCTP/,
    apply: policy("gumstack-build", "all", "Egress", { to: [{ ipBlock: { cidr: "1.0.0.0/8" } }] }),
  },
];
