// The build namespace's network, judged by NetworkPolicy semantics with the same evaluator and the same ranges
// as the MCP namespace: a representative build pod must be refused every non-public destination (the metadata
// server included), every other namespace and every other pod in both directions, every internet port but
// TCP 80/443, and any ingress at all; it must reach public 80/443 and kube-dns.
import type { PodEndpoint } from "@gumstack/network/netpol-evaluator";
import { METADATA_IPS, NON_PUBLIC_RANGES, portText, samplesOf } from "@gumstack/network/mcpProbes";
import { ext, kubeDnsProbes, pod, probeAdder, tcp, udp, type McpNetwork, type NetProbe } from "./netpol";

/** Labels the backend puts on a build pod (buildJob.ts), plus the Job controller's. */
function buildPod(ns: string, tenant: string, build: string, ip: string): PodEndpoint {
  return pod(
    ns,
    {
      "gumstack.com/tenant": tenant,
      "gumstack.com/build": build,
      "app.kubernetes.io/component": "build",
      "batch.kubernetes.io/job-name": `build-${build}`,
    },
    ip,
  );
}

function ips(net: McpNetwork): [string, string] {
  const pods = net.clusterRanges.find((r) => /pod/i.test(r.what));
  const s = pods ? samplesOf(pods.cidr) : [];
  return [s[0] ?? "10.64.0.20", s[1] ?? "10.64.0.21"];
}

const NON_PUBLIC_PORTS = [tcp(80), tcp(443), tcp(22), tcp(988), tcp(10250), udp(53)];
const INTERNET_OTHER_PORTS = [
  tcp(22),
  tcp(25),
  tcp(53),
  tcp(3306),
  tcp(5432),
  tcp(6443),
  tcp(8080),
  tcp(8443),
  tcp(9418),
  udp(53),
  udp(123),
];
const POD_PORTS = [tcp(80), tcp(443), tcp(8080), tcp(8012), tcp(9090)];

/** Probes that must be refused for a build pod in `net.ns`. `others` are namespaces to probe besides the stack's. */
export function buildIsolationProbes(net: McpNetwork, others: readonly string[]): NetProbe[] {
  const [ipA, ipB] = ips(net);
  const a = buildPod(net.ns, "tenant-a", "b1", ipA);
  const b = buildPod(net.ns, "tenant-b", "b2", ipB);
  const out: NetProbe[] = [];
  const add = probeAdder(out);
  for (const r of [...NON_PUBLIC_RANGES, ...net.clusterRanges]) {
    for (const ip of r.samples) {
      const what = METADATA_IPS[ip] ? `${r.cidr}, ${METADATA_IPS[ip]}` : `${r.cidr}, ${r.what}`;
      for (const p of NON_PUBLIC_PORTS) add(`egress:${r.cidr}`, `egress from a build pod to ${ip} (${what})`, "egress", a, ext(ip), p);
    }
  }
  for (const ip of ["8.8.8.8", "140.82.112.3", "2001:4860:4860::8888"]) {
    for (const p of INTERNET_OTHER_PORTS)
      add("egress:internet", `egress from a build pod to the internet (${ip})`, "egress", a, ext(ip), p);
  }
  for (const p of POD_PORTS) {
    add("build:a-b", "traffic from build pod tenant-a to build pod tenant-b", "both", a, b, p);
    add("build:b-a", "traffic from build pod tenant-b to build pod tenant-a", "both", b, a, p);
  }
  const namespaces = new Set([...net.namespaces.map((n) => n.name), ...others]);
  namespaces.delete(net.ns);
  for (const ns of namespaces) {
    // Peers with the labels that open doors elsewhere: Knative's data plane, DNS (on other ports), the backend.
    const peers: Record<string, string>[] = [
      { app: "probe" },
      { app: "3scale-kourier-gateway" },
      { app: "activator" },
      { "k8s-app": "kube-dns" },
    ];
    for (const labels of peers) {
      const peer = pod(ns, labels);
      const dnsPeer = labels["k8s-app"] === "kube-dns" && ns === "kube-system";
      for (const p of POD_PORTS) {
        if (!dnsPeer)
          add(
            `egress-ns:${ns}`,
            `egress from a build pod to a pod in namespace ${ns} (${Object.entries(labels)[0]!.join("=")})`,
            "both",
            a,
            peer,
            p,
          );
        add(
          `ingress-ns:${ns}`,
          `ingress to a build pod from a pod in namespace ${ns} (${Object.entries(labels)[0]!.join("=")})`,
          "both",
          peer,
          a,
          p,
        );
      }
    }
  }
  for (const ip of ["8.8.8.8", "35.191.0.1", "130.211.0.1", ...net.clusterRanges.map((r) => r.samples[0]!)]) {
    for (const p of POD_PORTS) add(`ingress-ext:${ip}`, `ingress to a build pod from ${ip}`, "ingress", ext(ip), a, p);
  }
  return out;
}

/** Probes that must be allowed for a build to work: public 80/443 (git, registries) and kube-dns. */
export function buildReachabilityProbes(net: McpNetwork): NetProbe[] {
  const [ipA] = ips(net);
  const a = buildPod(net.ns, "tenant-a", "b1", ipA);
  const out: NetProbe[] = [];
  for (const ip of ["140.82.112.3", "8.8.8.8"]) {
    for (const p of [tcp(443), tcp(80)])
      out.push({
        key: `internet:${portText(p)}`,
        text: `egress from a build pod to the internet (${ip}) on ${portText(p)}`,
        side: "egress",
        probe: { from: a, to: ext(ip), ...p },
      });
  }
  out.push(...kubeDnsProbes(a, "a build pod"));
  return out;
}
