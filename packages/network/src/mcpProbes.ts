// What an MCP pod must never reach, and what it must reach, as concrete destinations. One data module for two
// readers, so they cannot drift: the policy pack's NetworkPolicy rules (policies/lib/netpol.ts) judge these destinations
// against the planned policies offline, and the isolation canary (components/serving/isolationCanaryManifests.ts)
// connects to the same ones from inside the MCP namespace, all the time.
import { cidrSize, parseCidr } from "./cidr";

export interface NetRange {
  readonly cidr: string;
  readonly what: string;
  /** Addresses to probe inside the range (the interesting one first). */
  readonly samples: readonly string[];
  /** Ports probed in this range beside NON_PUBLIC_PORTS (what listens there: the kubelet, the GKE metadata server). */
  readonly ports?: readonly PortSpec[];
}

export interface PortSpec {
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
}

/** One destination (address, port, protocol) and the finding key and text the pack reports it under. */
export interface EgressTarget extends PortSpec {
  /** Deduplication key of the finding (range and port), so a badly open policy yields one line per hole. */
  readonly key: string;
  readonly text: string;
  readonly ip: string;
  /** The range (or "internet") the address stands for. */
  readonly cidr: string;
}

function ipText(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** First host, middle and last host of an IPv4 CIDR. */
export function samplesOf(cidr: string): string[] {
  const c = parseCidr(cidr);
  if (!c) return [];
  const size = cidrSize(c);
  if (size <= 2) return [ipText(c.base)];
  return [ipText(c.base + 1), ipText(c.base + size / 2), ipText(c.base + size - 2)];
}

/** A range with its samples: `first` addresses (the interesting ones) before the generic first/middle/last. */
export const netRange = (cidr: string, what: string, first: string[] = [], ports: readonly PortSpec[] = []): NetRange => ({
  cidr,
  what,
  samples: [...first, ...samplesOf(cidr)],
  ...(ports.length > 0 ? { ports } : {}),
});

/** Every IPv4 range that is not the public internet (docs/facts.md fact 4), and the IPv6 ones. */
export const NON_PUBLIC_RANGES: readonly NetRange[] = [
  // 169.254.169.252:988 is the GKE metadata server itself (Workload Identity's, on every node), behind the
  // 169.254.169.254:80 address GKE redirects to it (https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#metadata_server).
  netRange("169.254.0.0/16", "link-local", ["169.254.169.254", "169.254.169.252"], [{ port: 988, protocol: "TCP" }]),
  netRange("10.0.0.0/8", "RFC 1918"),
  netRange("172.16.0.0/12", "RFC 1918"),
  netRange("192.168.0.0/16", "RFC 1918"),
  netRange("100.64.0.0/10", "shared address space"),
  netRange("127.0.0.0/8", "loopback"),
  netRange("0.0.0.0/8", "this network"),
  netRange("192.0.0.0/24", "IETF protocol assignments"),
  netRange("198.18.0.0/15", "benchmarking"),
  netRange("224.0.0.0/4", "multicast"),
  netRange("240.0.0.0/4", "reserved"),
  { cidr: "fc00::/7", what: "IPv6 unique local", samples: ["fd20:ce::254", "fc00::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"] },
  { cidr: "fe80::/10", what: "IPv6 link-local", samples: ["fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:fffe"] },
  { cidr: "::1/128", what: "IPv6 loopback", samples: ["::1"] },
];

/** Ranges that are the pod itself, not a network destination: NetworkPolicy never applies to them. */
export const POD_LOCAL_RANGES: readonly string[] = ["127.0.0.0/8", "::1/128"];

export const METADATA_IPS: Readonly<Record<string, string>> = {
  "169.254.169.254": "GCE metadata server",
  "169.254.169.252": "GKE metadata server",
  "fd20:ce::254": "GCE metadata server, IPv6",
};

const tcp = (port: number): PortSpec => ({ port, protocol: "TCP" });
const udp = (port: number): PortSpec => ({ port, protocol: "UDP" });
export const portText = (p: PortSpec): string => `${p.port}/${p.protocol}`;

/** Ports of an MCP pod: queue-proxy (8012 http, 8013 h2c, 9090/9091 metrics) and a typical user port. */
export const MCP_PORTS: readonly PortSpec[] = [tcp(8012), tcp(8013), tcp(8080), tcp(9090), tcp(9091)];
/** Ports other than 80/443 probed on public addresses: each must be refused. */
export const EGRESS_OTHER_PORTS: readonly PortSpec[] = [
  tcp(22),
  tcp(25),
  tcp(53),
  tcp(3306),
  tcp(5432),
  tcp(6443),
  tcp(8080),
  tcp(8443),
  udp(53),
  udp(123),
];
/**
 * What listens on every node: the kubelet (10250 authenticated API, 10255 read-only, off on GKE but probed in case)
 * and kube-proxy's health port (10256). https://kubernetes.io/docs/reference/networking/ports-and-protocols/
 */
export const NODE_PORTS: readonly PortSpec[] = [
  { port: 10250, protocol: "TCP" },
  { port: 10255, protocol: "TCP" },
  { port: 10256, protocol: "TCP" },
];
/** The cluster's node range, with what listens on every node probed too. */
export const nodeRange = (cidr: string): NetRange => netRange(cidr, "cluster node range", [], NODE_PORTS);
/** Ports probed on every non-public address: each must be refused, 80/443 included. */
export const NON_PUBLIC_PORTS: readonly PortSpec[] = [tcp(80), tcp(443), tcp(22), tcp(8080), udp(53)];
/** The ports MCP pods may use on the public internet. */
export const INTERNET_PORTS: readonly PortSpec[] = [tcp(443), tcp(80)];
/** Public addresses probed (Google and Cloudflare resolvers: they listen on 53, 80 and 443). */
export const PUBLIC_V4: readonly string[] = ["8.8.8.8", "1.1.1.1"];
export const PUBLIC_V6: readonly string[] = ["2001:4860:4860::8888"];

/**
 * Destinations an MCP pod must be refused: every sample of every non-public range and of the cluster's own
 * ranges on NON_PUBLIC_PORTS, and public addresses on every port but 80/443.
 */
export function forbiddenEgress(clusterRanges: readonly NetRange[]): EgressTarget[] {
  const out: EgressTarget[] = [];
  const add = (key: string, text: string, ip: string, cidr: string, p: PortSpec) =>
    out.push({ key: `${key}:${portText(p)}`, text: `${text} on ${portText(p)}`, ip, cidr, ...p });
  for (const r of [...NON_PUBLIC_RANGES, ...clusterRanges]) {
    for (const ip of r.samples) {
      const what = METADATA_IPS[ip] ? `${r.cidr}, ${METADATA_IPS[ip]}` : `${r.cidr}, ${r.what}`;
      for (const p of [...NON_PUBLIC_PORTS, ...(r.ports ?? [])])
        add(`egress:${r.cidr}`, `egress from an MCP pod to ${ip} (${what})`, ip, r.cidr, p);
    }
  }
  for (const ip of [...PUBLIC_V4, ...PUBLIC_V6]) {
    for (const p of EGRESS_OTHER_PORTS) add("egress:internet", `egress from an MCP pod to the internet (${ip})`, ip, "internet", p);
  }
  return out;
}

/** Destinations an MCP pod must reach: public addresses on 80/443. */
export function requiredEgress(): EgressTarget[] {
  return PUBLIC_V4.flatMap((ip) =>
    INTERNET_PORTS.map((p) => ({
      key: `internet:${portText(p)}`,
      text: `egress from an MCP pod to the internet (${ip}) on ${portText(p)}`,
      ip,
      cidr: "internet",
      ...p,
    })),
  );
}
