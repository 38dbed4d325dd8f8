// Reachability: the NetworkPolicies the program plans (taken from the recorded plan, not from the builders) are
// evaluated with Kubernetes NetworkPolicy semantics (@gumstack/network/netpol-evaluator) for concrete probes. Every
// probe runs under both readings of ipBlock for pod IPs: Dataplane V2 (Cilium never matches pods by ipBlock) and the
// permissive one (an ipBlock also matches pod IPs), so the result holds whichever the CNI does.
import { describe, expect, it } from "vitest";
import type { StackConfig } from "../../src/config/schema.js";
import {
  evaluate,
  type ClusterModel,
  type Endpoint,
  type NetworkPolicyLike,
  type PodEndpoint,
  type Protocol,
} from "@gumstack/network/netpol-evaluator";
import { backendNetworkPolicyManifests } from "../../components/kubernetes/backendNamespace.js";
import { NON_PUBLIC_IPV4_RANGES, egressExceptCidrs, mcpNetworkPolicyManifests } from "../../components/kubernetes/mcpNetworkPolicies.js";
import { parseCidr } from "@gumstack/network/cidr";
import { ofType } from "../support/harness.js";
import { plannedCompute, prodConfig } from "./fixtures.js";

async function plannedPolicies(cfg: StackConfig): Promise<NetworkPolicyLike[]> {
  const resources = await plannedCompute(cfg);
  return ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => ({
    metadata: r.inputs.metadata as NetworkPolicyLike["metadata"],
    spec: r.inputs.spec as NetworkPolicyLike["spec"],
  }));
}

const namespaces = [
  { name: "gumstack-mcp" },
  { name: "gumstack-backend" },
  { name: "knative-serving" },
  { name: "kube-system" },
  { name: "default" },
  { name: "gke-gmp-system" },
  // A namespace someone labels like knative-serving: only the immutable name label may count.
  { name: "impostor", labels: { app: "knative-serving", name: "knative-serving" } },
];
const pod = (namespace: string, labels: Record<string, string>, ip: string): PodEndpoint => ({ kind: "pod", namespace, labels, ip });
const ext = (ip: string): Endpoint => ({ kind: "external", ip });

// Pod IPs from the prod pod range 10.16.0.0/14.
const mcpA = pod("gumstack-mcp", { "serving.knative.dev/service": "server-a", app: "server-a" }, "10.16.0.10");
const mcpB = pod("gumstack-mcp", { "serving.knative.dev/service": "server-b", app: "server-b" }, "10.16.0.11");
const kourier = pod("knative-serving", { app: "3scale-kourier-gateway" }, "10.16.1.5");
const activator = pod("knative-serving", { app: "activator" }, "10.16.1.6");
const autoscaler = pod("knative-serving", { app: "autoscaler" }, "10.16.1.7");
const controller = pod("knative-serving", { app: "controller" }, "10.16.1.8");
const mcpPosingAsKourier = pod("gumstack-mcp", { app: "3scale-kourier-gateway" }, "10.16.0.66");
const mcpPosingAsActivator = pod("gumstack-mcp", { app: "activator" }, "10.16.0.67");
const kourierLookalike = pod("default", { app: "3scale-kourier-gateway" }, "10.16.4.4");
const impostorActivator = pod("impostor", { app: "activator" }, "10.16.4.5");
const kubeDns = pod("kube-system", { "k8s-app": "kube-dns" }, "10.16.2.2");
const nodeLocalDnsPod = pod("kube-system", { "k8s-app": "node-local-dns" }, "10.16.2.3");
const metricsServer = pod("kube-system", { "k8s-app": "metrics-server" }, "10.16.2.4");
const backend = pod("gumstack-backend", { app: "backend" }, "10.16.3.3");
const gmpCollector = pod("gke-gmp-system", { "app.kubernetes.io/name": "collector" }, "10.16.5.5");

const INTERNET = ["8.8.8.8", "142.250.64.100", "1.1.1.1"];
const LB = ["35.191.0.1", "130.211.0.5", "130.211.3.254"];
const IPV6 = ["2001:4860:4860::8888", "::1", "fe80::1", "fc00::1", "fd00:ec2::254"];

/** One address inside each range: network address + 1 (+ 2 for /31-/32-free ranges, enough here). */
function addressIn(cidr: string): string {
  const c = parseCidr(cidr)!;
  const a = c.base + 1;
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join(".");
}

interface ProbeCase {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol?: Protocol;
}
const fmt = (e: Endpoint) => (e.kind === "external" ? e.ip : `${e.namespace}/${Object.values(e.labels).at(-1)}`);

function expectVerdicts(policies: NetworkPolicyLike[], cases: ProbeCase[], allowed: boolean): void {
  for (const ipBlockMatchesPods of [false, true]) {
    const model: ClusterModel = { namespaces, policies, ipBlockMatchesPods };
    for (const c of cases) {
      const v = evaluate(model, { from: c.from, to: c.to, port: c.port, protocol: c.protocol ?? "TCP" });
      const label = `${fmt(c.from)} -> ${fmt(c.to)}:${c.port}/${c.protocol ?? "TCP"} (ipBlockMatchesPods ${ipBlockMatchesPods})`;
      expect(v.allowed, `${label}: ${v.egress.reason}; ${v.ingress.reason}`).toBe(allowed);
    }
  }
}

describe("MCP namespace reachability (prod stack)", async () => {
  const cfg = prodConfig();
  const policies = await plannedPolicies(cfg);
  const mcpPolicies = policies.filter((p) => p.metadata?.namespace === "gumstack-mcp");

  it("plans the default deny and the three allow policies in gumstack-mcp", () => {
    expect(mcpPolicies.map((p) => p.metadata?.name).sort()).toEqual([
      "allow-egress-dns",
      "allow-egress-public-web",
      "allow-ingress-from-knative",
      "default-deny-all",
    ]);
  });

  it("allows the internet on 443 and 80", () => {
    expectVerdicts(
      policies,
      INTERNET.flatMap((ip) => [443, 80].map((port) => ({ from: mcpA, to: ext(ip), port }))),
      true,
    );
  });

  it("refuses other ports and protocols to the internet", () => {
    const cases: ProbeCase[] = INTERNET.flatMap((ip) =>
      [22, 25, 53, 8080, 8443, 3306, 5432, 6379, 9440].map((port) => ({ from: mcpA, to: ext(ip), port })),
    );
    cases.push(
      { from: mcpA, to: ext("8.8.8.8"), port: 443, protocol: "UDP" },
      { from: mcpA, to: ext("8.8.8.8"), port: 53, protocol: "UDP" },
    );
    expectVerdicts(policies, cases, false);
  });

  it("refuses every private and special range on 80 and 443, including fact 4's list and the cluster's own ranges", () => {
    const fact4 = [
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
      "169.254.0.0/16",
      "127.0.0.0/8",
      "0.0.0.0/8",
      "100.64.0.0/10",
      "192.0.0.0/24",
      "198.18.0.0/15",
      "224.0.0.0/4",
      "240.0.0.0/4",
    ];
    const clusterRanges = [cfg.network.podCidr, cfg.network.serviceCidr, cfg.network.nodeCidr, cfg.network.masterCidr];
    const ranges = [...new Set([...fact4, ...NON_PUBLIC_IPV4_RANGES.map((r) => r.cidr), ...clusterRanges])];
    const addresses = [
      ...ranges.map(addressIn),
      "10.255.255.254",
      "172.31.255.254",
      "192.168.255.254",
      "255.255.255.255",
      "10.20.0.10" /* kube-dns ClusterIP */,
      "172.16.0.2" /* control-plane private endpoint */,
      "10.10.0.5" /* a node */,
    ];
    expectVerdicts(
      policies,
      addresses.flatMap((ip) => [80, 443].map((port) => ({ from: mcpA, to: ext(ip), port }))),
      false,
    );
  });

  it("refuses the metadata servers on 80 and 443 (and the GKE metadata server port)", () => {
    expectVerdicts(
      policies,
      [
        { from: mcpA, to: ext("169.254.169.254"), port: 80 },
        { from: mcpA, to: ext("169.254.169.254"), port: 443 },
        { from: mcpA, to: ext("169.254.169.252"), port: 988 },
        { from: mcpA, to: ext("169.254.169.252"), port: 80 },
      ],
      false,
    );
  });

  it("allows no IPv6 at all", () => {
    expectVerdicts(
      policies,
      IPV6.flatMap((ip) => [80, 443, 53].map((port) => ({ from: mcpA, to: ext(ip), port }))),
      false,
    );
  });

  it("refuses other MCP pods, both ways, on any port", () => {
    const ports = [8012, 8013, 9090, 8080, 443, 80];
    expectVerdicts(
      policies,
      ports.flatMap((port) => [
        { from: mcpA, to: mcpB, port },
        { from: mcpB, to: mcpA, port },
      ]),
      false,
    );
  });

  it("refuses other namespaces' pods, even on 80/443 and even when an ipBlock would match pod IPs", () => {
    const targets = [backend, kourier, activator, controller, kourierLookalike, metricsServer, gmpCollector];
    expectVerdicts(
      policies,
      targets.flatMap((to) => [80, 443, 8012, 8080, 9090].map((port) => ({ from: mcpA, to, port }))),
      false,
    );
  });

  it("allows DNS to the cluster DNS pods only (UDP and TCP 53)", () => {
    expectVerdicts(
      policies,
      [
        { from: mcpA, to: kubeDns, port: 53, protocol: "UDP" },
        { from: mcpA, to: kubeDns, port: 53, protocol: "TCP" },
        { from: mcpA, to: nodeLocalDnsPod, port: 53, protocol: "UDP" },
      ],
      true,
    );
    expectVerdicts(
      policies,
      [
        { from: mcpA, to: kubeDns, port: 443 },
        { from: mcpA, to: kubeDns, port: 10055 },
        { from: mcpA, to: metricsServer, port: 53, protocol: "UDP" },
        { from: mcpA, to: ext("8.8.8.8"), port: 53, protocol: "UDP" },
        // NodeLocal DNSCache is off in prod: its link-local address stays closed.
        { from: mcpA, to: ext("169.254.20.10"), port: 53, protocol: "UDP" },
      ],
      false,
    );
  });

  it("lets in the Kourier gateway and the activator on the queue-proxy ports, and the autoscaler on its metrics port", () => {
    expectVerdicts(
      policies,
      [
        { from: kourier, to: mcpA, port: 8012 },
        { from: kourier, to: mcpA, port: 8013 },
        { from: activator, to: mcpA, port: 8012 },
        { from: activator, to: mcpA, port: 8013 },
        { from: autoscaler, to: mcpA, port: 9090 },
      ],
      true,
    );
  });

  it("lets in nothing else: wrong ports, other Knative pods, look-alikes outside knative-serving or inside gumstack-mcp", () => {
    expectVerdicts(
      policies,
      [
        { from: kourier, to: mcpA, port: 9090 },
        { from: kourier, to: mcpA, port: 8022 },
        { from: kourier, to: mcpA, port: 8080 },
        { from: activator, to: mcpA, port: 9090 },
        { from: autoscaler, to: mcpA, port: 8012 },
        { from: controller, to: mcpA, port: 8012 },
        { from: kourierLookalike, to: mcpA, port: 8012 },
        { from: impostorActivator, to: mcpA, port: 8012 },
        { from: mcpPosingAsKourier, to: mcpA, port: 8012 },
        { from: mcpPosingAsActivator, to: mcpA, port: 8013 },
        { from: backend, to: mcpA, port: 8012 },
        { from: kubeDns, to: mcpA, port: 8012 },
        ...[...INTERNET, ...LB].map((ip) => ({ from: ext(ip), to: mcpA, port: 8012 })),
      ],
      false,
    );
  });
});

describe("NodeLocal DNSCache on", async () => {
  const base = prodConfig();
  const policies = await plannedPolicies({ ...base, cluster: { ...base.cluster, nodeLocalDns: true } });

  it("allows DNS to 169.254.20.10 and nothing else there", () => {
    expectVerdicts(
      policies,
      [
        { from: mcpA, to: ext("169.254.20.10"), port: 53, protocol: "UDP" },
        { from: mcpA, to: ext("169.254.20.10"), port: 53, protocol: "TCP" },
      ],
      true,
    );
    expectVerdicts(
      policies,
      [
        { from: mcpA, to: ext("169.254.20.10"), port: 443 },
        { from: mcpA, to: ext("169.254.20.10"), port: 80 },
        { from: mcpA, to: ext("169.254.169.254"), port: 53, protocol: "UDP" },
        { from: mcpA, to: ext("169.254.169.254"), port: 80 },
      ],
      false,
    );
  });
});

describe("backend namespace reachability (prod stack)", async () => {
  const cfg = prodConfig();
  const policies = await plannedPolicies(cfg);

  it("is reachable from the Google load balancer on the backend port only", () => {
    expectVerdicts(
      policies,
      LB.map((ip) => ({ from: ext(ip), to: backend, port: cfg.backend.port })),
      true,
    );
    expectVerdicts(
      policies,
      [
        ...LB.map((ip) => ({ from: ext(ip), to: backend, port: 9090 })),
        ...INTERNET.map((ip) => ({ from: ext(ip), to: backend, port: cfg.backend.port })),
        // No in-cluster path from MCP servers or Knative: they go through the public load balancer.
        { from: mcpA, to: backend, port: cfg.backend.port },
        { from: kourier, to: backend, port: cfg.backend.port },
        { from: gmpCollector, to: backend, port: cfg.backend.port },
        { from: mcpA, to: backend, port: 9090 },
      ],
      false,
    );
  });

  it("is scraped by the GKE-managed Prometheus collectors on its metrics port (the HPA's custom metric)", () => {
    expectVerdicts(policies, [{ from: gmpCollector, to: backend, port: 9090 }], true);
    const lookalike = pod("default", { "app.kubernetes.io/name": "collector" }, "10.16.6.6");
    expectVerdicts(policies, [{ from: lookalike, to: backend, port: 9090 }], false);
  });

  it("reaches what it needs: public 443 (Google APIs, Spanner), ClickHouse, DNS, the GKE metadata server, the API server", () => {
    expectVerdicts(
      policies,
      [
        { from: backend, to: ext("142.250.64.100"), port: 443 },
        { from: backend, to: ext("34.110.0.10"), port: cfg.clickhouse.port },
        { from: backend, to: kubeDns, port: 53, protocol: "UDP" },
        { from: backend, to: ext("169.254.169.254"), port: 80 },
        { from: backend, to: ext("169.254.169.252"), port: 988 },
        { from: backend, to: ext("172.16.0.2"), port: 443 },
      ],
      true,
    );
  });

  it("reaches nothing else: MCP pods, private ranges, other ports, IPv6", () => {
    expectVerdicts(
      policies,
      [
        { from: backend, to: mcpA, port: 8012 },
        { from: backend, to: mcpA, port: 443 },
        { from: backend, to: kourier, port: 8080 },
        { from: backend, to: ext("8.8.8.8"), port: 80 },
        { from: backend, to: ext("8.8.8.8"), port: 22 },
        { from: backend, to: ext("192.168.1.1"), port: 443 },
        { from: backend, to: ext("10.200.0.1"), port: 443 },
        { from: backend, to: ext("169.254.169.254"), port: 443 },
        { from: backend, to: ext("172.16.0.2"), port: 10250 },
        { from: backend, to: ext("2001:4860:4860::8888"), port: 443 },
      ],
      false,
    );
  });
});

describe("policy builders", () => {
  const ranges = { podCidr: "10.16.0.0/14", serviceCidr: "10.20.0.0/20", nodeCidr: "10.10.0.0/20", masterCidr: "172.16.0.0/28" };

  it("derives the except list from the cluster's ranges, even outside RFC 1918", () => {
    const own = { podCidr: "100.72.0.0/14", serviceCidr: "11.20.0.0/20", nodeCidr: "10.10.0.0/20", masterCidr: "172.16.0.0/28" };
    const except = egressExceptCidrs(own);
    expect(except).toEqual(expect.arrayContaining(["11.20.0.0/20", "100.72.0.0/14", "169.254.0.0/16", "100.64.0.0/10"]));
    expect(new Set(except).size).toBe(except.length);
    expect(() => egressExceptCidrs({ ...own, podCidr: "10.16.0.1/14" })).toThrow('podCidr "10.16.0.1/14" is not an IPv4 CIDR');
  });

  it("selects Knative components by namespace AND pod labels in one peer, never by podSelector alone", () => {
    const ingress = mcpNetworkPolicyManifests({ ranges }).find((p) => p.metadata.name === "allow-ingress-from-knative")!;
    for (const rule of ingress.spec.ingress!) {
      expect(rule.from).toHaveLength(1);
      expect(rule.from[0]!.namespaceSelector).toEqual({ matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } });
      expect(Object.keys(rule.from[0]!.podSelector!.matchLabels!)).toEqual(["app"]);
    }
    expect(() => mcpNetworkPolicyManifests({ ranges, knativeNamespace: "gumstack-mcp" })).toThrow("must differ");
  });

  it("opens the backend's metrics port to the Managed Prometheus collectors only, 9090 unless configured", () => {
    const withMetrics = backendNetworkPolicyManifests({ ranges, metricsPort: 9000 });
    const model: ClusterModel = { namespaces, policies: withMetrics, ipBlockMatchesPods: false };
    expect(evaluate(model, { from: gmpCollector, to: backend, port: 9000 }).allowed).toBe(true);
    expect(evaluate(model, { from: gmpCollector, to: backend, port: 8080 }).allowed).toBe(false);
    expect(evaluate(model, { from: ext("35.191.0.1"), to: backend, port: 9000 }).allowed).toBe(false);
    expect(backendNetworkPolicyManifests({ ranges, metricsPort: null }).map((p) => p.metadata.name)).not.toContain(
      "allow-ingress-from-managed-prometheus",
    );
    expect(() => backendNetworkPolicyManifests({ ranges, metricsPort: 8080 })).toThrow("must differ from port");
    expect(() => backendNetworkPolicyManifests({ ranges, egressPorts: [] })).toThrow("at least one egress port");
    expect(() => backendNetworkPolicyManifests({ ranges, port: 70000 })).toThrow("not a TCP port");
  });
});
