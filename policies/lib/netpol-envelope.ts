// An exact reading of what an untrusted namespace's own NetworkPolicies allow, rule by rule, against an allowed
// envelope: no sampled ports. For every egress (ingress) rule of every policy in the namespace (tenants choose
// their pods' labels, so every policy there may select a tenant's pod), the rule's peers become address
// intervals (ipBlock cidr minus except, IPv4 and IPv6) or pod peers (namespace and pod selectors), and its ports
// become per-protocol port intervals (port..endPort; a named port is any number, since the tenant names its
// container ports; no ports is every port of TCP, UDP and SCTP). Semantics:
// https://kubernetes.io/docs/concepts/services-networking/network-policies/ (endPort, named ports, ipBlock).
import { NON_PUBLIC_RANGES, type NetRange } from "@gumstack/network/mcpProbes";
import {
  effectivePolicyTypes,
  type LabelSelectorLike,
  type NetworkPolicyLike,
  type PeerLike,
  type PortLike,
} from "@gumstack/network/netpol-evaluator";
import { parseIpv4, parseIpv6 } from "@gumstack/network/cidr";

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export type Proto = (typeof PROTOCOLS)[number];

/** Inclusive address interval of one family. */
interface Span {
  readonly v: 4 | 6;
  readonly lo: bigint;
  readonly hi: bigint;
}

/** A CIDR as an inclusive interval (host bits masked, as the API server's net.ParseCIDR does); undefined when malformed. */
export function cidrSpan(text: string): Span | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const prefix = Number(m[2]);
  const v4 = parseIpv4(m[1]!);
  const [v, addr, bits] = v4 !== undefined ? ([4, BigInt(v4), 32] as const) : ([6, parseIpv6(m[1]!), 128] as const);
  if (addr === undefined || prefix > bits) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const lo = addr - (addr % size);
  return { v, lo, hi: lo + size - 1n };
}

function subtract(set: readonly Span[], cut: Span): Span[] {
  const out: Span[] = [];
  for (const s of set) {
    if (s.v !== cut.v || cut.hi < s.lo || cut.lo > s.hi) out.push(s);
    else {
      if (s.lo < cut.lo) out.push({ v: s.v, lo: s.lo, hi: cut.lo - 1n });
      if (s.hi > cut.hi) out.push({ v: s.v, lo: cut.hi + 1n, hi: s.hi });
    }
  }
  return out;
}

const overlaps = (a: Span, b: Span) => a.v === b.v && a.lo <= b.hi && b.lo <= a.hi;

/**
 * Ranges never reachable from an untrusted pod on any port: the non-public IPv4 ranges (docs/facts.md fact 4,
 * link-local with the metadata servers 169.254.169.254 and 169.254.169.252 included), the cluster's node, pod,
 * service and control-plane ranges (the kubelet listens on the nodes), and the IPv6 ranges that are not the
 * public internet or that carry IPv4 (RFC 6890 / IANA special-purpose registry:
 * https://www.iana.org/assignments/iana-ipv6-special-registry/).
 */
export function forbiddenRanges(clusterRanges: readonly NetRange[]): NetRange[] {
  const v6 = (cidr: string, what: string): NetRange => ({ cidr, what, samples: [] });
  return [
    ...NON_PUBLIC_RANGES,
    ...clusterRanges,
    v6("::/128", "IPv6 unspecified"),
    v6("::ffff:0:0/96", "IPv4-mapped IPv6 (reaches every IPv4 address)"),
    v6("64:ff9b::/96", "IPv6 NAT64 (reaches IPv4 addresses)"),
    v6("64:ff9b:1::/48", "IPv6 local NAT64"),
    v6("100::/64", "IPv6 discard-only"),
    v6("2001:db8::/32", "IPv6 documentation"),
    v6("ff00::/8", "IPv6 multicast"),
  ];
}

/** Per-protocol inclusive port intervals. */
export type PortSet = Map<Proto, [number, number][]>;

/** What a rule's `ports` open: per protocol, the port intervals, and a text for each entry. */
export function rulePorts(ports: readonly PortLike[] | null | undefined): { set: PortSet; text: string } {
  const set: PortSet = new Map();
  const add = (p: Proto, lo: number, hi: number) => set.set(p, [...(set.get(p) ?? []), [lo, hi]]);
  if (!ports || ports.length === 0) {
    for (const p of PROTOCOLS) add(p, 1, 65535);
    return { set, text: "every port of TCP, UDP and SCTP" };
  }
  const texts: string[] = [];
  for (const e of ports) {
    const proto = (e.protocol ?? "TCP") as Proto;
    if (!PROTOCOLS.includes(proto)) throw new Error(`port protocol ${JSON.stringify(e.protocol)} is not TCP, UDP or SCTP`);
    if (e.port === undefined || e.port === null) {
      add(proto, 1, 65535);
      texts.push(`${proto} every port`);
    } else if (typeof e.port === "string" && !/^\d+$/.test(e.port)) {
      add(proto, 1, 65535);
      texts.push(`${proto} named port ${e.port} (any number a container names)`);
    } else {
      const lo = Number(e.port);
      const hi = e.endPort ?? lo;
      add(proto, lo, hi);
      texts.push(hi === lo ? `${proto} ${lo}` : `${proto} ${lo}-${hi}`);
    }
  }
  return { set, text: texts.join(", ") };
}

/** The parts of `set` outside `allowed` (per protocol, exact port intervals), as text; "" when none. */
export function portsBeyond(set: PortSet, allowed: ReadonlyMap<Proto, readonly number[]>): string {
  const out: string[] = [];
  for (const [proto, spans] of set) {
    const ok = allowed.get(proto) ?? [];
    for (const [lo, hi] of spans) {
      // Points of [lo, hi] not in `ok`: [lo, hi] minus single ports.
      let rest: [number, number][] = [[lo, hi]];
      for (const p of ok)
        rest = rest.flatMap(([a, b]) =>
          p < a || p > b
            ? [[a, b]]
            : (
                [
                  [a, p - 1],
                  [p + 1, b],
                ] as [number, number][]
              ).filter(([x, y]) => x <= y),
        );
      for (const [a, b] of rest) out.push(a === b ? `${proto} ${a}` : `${proto} ${a}-${b}`);
    }
  }
  return out.join(", ");
}

/** The values a selector pins `key` to (matchLabels or `In`), or undefined when it can match any value. */
export function pinned(sel: LabelSelectorLike | null | undefined, key: string): string[] | undefined {
  let vals: string[] | undefined;
  const meet = (v: string[]) => (vals = vals === undefined ? v : vals.filter((x) => v.includes(x)));
  const ml = sel?.matchLabels?.[key];
  if (typeof ml === "string") meet([ml]);
  for (const r of sel?.matchExpressions ?? []) if (r.key === key && r.operator === "In") meet(r.values ?? []);
  return vals;
}

/** A named peer a pod selector may admit: pods of `namespace` whose `key` label is one of `values`. */
export interface PodPeer {
  readonly what: string;
  readonly namespace: string;
  readonly key: string;
  readonly values: readonly string[];
  /** Ports allowed to it; undefined when any port. */
  readonly ports?: ReadonlyMap<Proto, readonly number[]>;
}

/** The allowed envelope of one direction. */
export interface Envelope {
  /** Peers selected by namespace and pod selectors that may be allowed. */
  readonly pods: readonly PodPeer[];
  /** Ports allowed to public addresses (ipBlock parts outside every forbidden range); empty map = no address peers. */
  readonly publicPorts: ReadonlyMap<Proto, readonly number[]>;
  /** Ranges no rule may open on any port. */
  readonly forbidden: readonly NetRange[];
  /** What the envelope is, for messages. */
  readonly text: string;
}

/** A rule of a policy that opens something beyond the envelope. */
export interface EnvelopeHole {
  readonly policy: string;
  readonly message: string;
}

function peerText(p: PeerLike): string {
  return JSON.stringify(p);
}

/** The namespace a peer's pods can be in: pinned names, or undefined for any namespace (selector without a name pin). */
function peerNamespaces(p: PeerLike, own: string): string[] | undefined {
  if (!p.namespaceSelector) return [own];
  return pinned(p.namespaceSelector, "kubernetes.io/metadata.name");
}

/**
 * The envelope's pod peers that together admit every pod `p` can select (its namespaces all one peer namespace,
 * its pinned values of that peer's key all among the peers' values), or undefined when `p` reaches beyond them.
 */
function admittedPeers(p: PeerLike, own: string, env: Envelope): PodPeer[] | undefined {
  const nss = peerNamespaces(p, own);
  if (!nss) return undefined;
  if (nss.length === 0) return [];
  for (const key of new Set(env.pods.map((x) => x.key))) {
    const candidates = env.pods.filter((x) => x.key === key && nss.every((n) => n === x.namespace));
    const v = pinned(p.podSelector, key);
    if (candidates.length === 0 || v === undefined) continue;
    const matched = candidates.filter((x) => v.some((y) => x.values.includes(y)));
    if (v.every((y) => matched.some((x) => x.values.includes(y)))) return matched;
  }
  return undefined;
}

/**
 * Every rule of `direction` of every policy in namespace `ns` that opens a peer, protocol or port beyond `env`.
 * Throws on a manifest the API server would reject (a malformed CIDR, an unknown protocol).
 */
export function envelopeHoles(
  policies: readonly NetworkPolicyLike[],
  ns: string,
  direction: "Ingress" | "Egress",
  env: Envelope,
): EnvelopeHole[] {
  const holes: EnvelopeHole[] = [];
  const way = direction === "Egress" ? "egress" : "ingress";
  const forbidden = env.forbidden.map((r) => ({ r, s: cidrSpan(r.cidr) })).filter((x): x is { r: NetRange; s: Span } => !!x.s);
  for (const pol of policies) {
    if (pol.metadata?.namespace !== ns || effectivePolicyTypes(pol).indexOf(direction) < 0) continue;
    const id = `${ns}/${pol.metadata?.name ?? "?"}`;
    const rules = (direction === "Egress" ? pol.spec?.egress : pol.spec?.ingress) ?? [];
    rules.forEach((rule, i) => {
      const peers = ((direction === "Egress" ? (rule as { to?: PeerLike[] | null }).to : (rule as { from?: PeerLike[] | null }).from) ??
        []) as PeerLike[];
      const ports = rulePorts(rule.ports);
      const say = (what: string) =>
        holes.push({ policy: id, message: `NetworkPolicy ${id} ${way} rule ${i + 1} opens ${what}; allowed ${way}: ${env.text}` });
      if (peers.length === 0)
        return say(`every peer (no ${direction === "Egress" ? "to" : "from"}: every pod and address) on ${ports.text}`);
      for (const p of peers) {
        if (p.ipBlock) {
          const cidr = cidrSpan(p.ipBlock.cidr ?? "");
          if (!cidr) throw new Error(`NetworkPolicy ${id}: ipBlock cidr ${JSON.stringify(p.ipBlock.cidr)} is not a CIDR`);
          let set = [cidr];
          for (const e of p.ipBlock.except ?? []) {
            const cut = cidrSpan(e);
            if (!cut) throw new Error(`NetworkPolicy ${id}: ipBlock except ${JSON.stringify(e)} is not a CIDR`);
            set = subtract(set, cut);
          }
          // NodeLocal DNSCache listens on 169.254.20.10 (https://cloud.google.com/kubernetes-engine/docs/how-to/nodelocal-dns-cache): DNS there is kube-dns.
          if (portsBeyond(ports.set, DNS_PORTS) === "" && env.pods.some((x) => x.what === "kube-dns"))
            set = subtract(set, cidrSpan("169.254.20.10/32")!);
          if (set.length === 0) continue;
          const hit = forbidden.filter(({ s }) => set.some((x) => overlaps(x, s)));
          for (const { r } of hit) say(`${r.cidr} (${r.what}) through ipBlock ${p.ipBlock.cidr} on ${ports.text}`);
          let pub = set;
          for (const { s } of forbidden) pub = subtract(pub, s);
          if (pub.length > 0) {
            const beyond = env.publicPorts.size === 0 ? ports.text : portsBeyond(ports.set, env.publicPorts);
            if (beyond) say(`public addresses through ipBlock ${p.ipBlock.cidr} on ${beyond} (the rule's ports: ${ports.text})`);
          }
          continue;
        }
        const admitted = admittedPeers(p, ns, env);
        if (!admitted) {
          const nss = peerNamespaces(p, ns);
          const where = !nss
            ? "pods of any namespace"
            : nss.includes(ns)
              ? `pods of namespace ${ns} (other tenants)`
              : `pods of namespace ${nss.join(", ")}`;
          say(`${where} (peer ${peerText(p)}) on ${ports.text}`);
          continue;
        }
        for (const peer of admitted) {
          const beyond = peer.ports ? portsBeyond(ports.set, peer.ports) : "";
          if (beyond) say(`${peer.what} on ${beyond} (the rule's ports: ${ports.text})`);
        }
      }
    });
  }
  return holes;
}

const DNS_PORTS: ReadonlyMap<Proto, readonly number[]> = new Map<Proto, number[]>([
  ["UDP", [53]],
  ["TCP", [53]],
]);

const only = (entries: [Proto, number[]][]): ReadonlyMap<Proto, readonly number[]> => new Map(entries);

/** The egress every untrusted namespace may have: kube-dns on 53 UDP/TCP, public addresses on TCP 80/443. */
export function untrustedEgress(clusterRanges: readonly NetRange[]): Envelope {
  return {
    pods: [
      {
        what: "kube-dns",
        namespace: "kube-system",
        key: "k8s-app",
        values: ["kube-dns", "node-local-dns"],
        ports: only([
          ["UDP", [53]],
          ["TCP", [53]],
        ]),
      },
    ],
    publicPorts: only([["TCP", [80, 443]]]),
    forbidden: forbiddenRanges(clusterRanges),
    text: "kube-dns (kube-system, k8s-app kube-dns/node-local-dns) on UDP/TCP 53 and public addresses on TCP 80/443",
  };
}

/** The ingress MCP pods may have: Knative's data plane, and the managed collectors when the stack scrapes the canary. */
export function mcpIngress(knativeNs: string, collectors: boolean): Envelope {
  const kn = (app: string, what: string): PodPeer => ({ what, namespace: knativeNs, key: "app", values: [app] });
  return {
    pods: [
      kn("3scale-kourier-gateway", "the Kourier gateway"),
      kn("activator", "the activator"),
      kn("autoscaler", "the autoscaler"),
      ...(collectors
        ? [{ what: "the managed collectors", namespace: "gke-gmp-system", key: "app.kubernetes.io/name", values: ["collector"] }]
        : []),
    ],
    publicPorts: new Map(),
    forbidden: [
      { cidr: "0.0.0.0/0", what: "any IPv4 address", samples: [] },
      { cidr: "::/0", what: "any IPv6 address", samples: [] },
    ],
    text: `only pods of ${knativeNs} labelled app=3scale-kourier-gateway, activator or autoscaler${collectors ? ", and gke-gmp-system's collectors (the stack has a PodMonitoring in the namespace)" : ""}`,
  };
}

/** No ingress at all (the build namespace). */
export const NO_INGRESS: Envelope = {
  pods: [],
  publicPorts: new Map(),
  forbidden: [
    { cidr: "0.0.0.0/0", what: "any IPv4 address", samples: [] },
    { cidr: "::/0", what: "any IPv6 address", samples: [] },
  ],
  text: "none",
};
