// @gumstack/network (packages/network/README.md), shared by the program and the policy pack; it depends on
// nothing but ./cidr.
// A pure evaluator of Kubernetes NetworkPolicy (networking.k8s.io/v1) for concrete probes, so component
// tests and the CrossGuard pack can prove what the planned policies allow and refuse.
// Semantics: https://kubernetes.io/docs/concepts/services-networking/network-policies/ and the
// NetworkPolicySpec API reference. It works on plain JSON manifests as Pulumi passes them: optional
// fields may be missing; only structurally invalid content (which the API server would reject) throws.
// Not modelled: traffic from a pod's own node (always allowed by Kubernetes), Services/ClusterIPs
// (probe the backing pod), and the CNI's own exceptions (e.g. GKE metadata server interception).
import { cidrContains, ipv6CidrContains, ipv6HostMask, parseIpv4, parseIpv6 } from "./cidr";

export interface LabelSelectorRequirementLike {
  key?: string;
  operator?: string;
  values?: string[] | null;
}
export interface LabelSelectorLike {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementLike[] | null;
}
export interface IpBlockLike {
  cidr?: string;
  except?: string[] | null;
}
export interface PeerLike {
  podSelector?: LabelSelectorLike | null;
  namespaceSelector?: LabelSelectorLike | null;
  ipBlock?: IpBlockLike | null;
}
export interface PortLike {
  protocol?: string | null;
  port?: number | string | null;
  endPort?: number | null;
}
export interface IngressRuleLike {
  from?: PeerLike[] | null;
  ports?: PortLike[] | null;
}
export interface EgressRuleLike {
  to?: PeerLike[] | null;
  ports?: PortLike[] | null;
}
export interface NetworkPolicyLike {
  metadata?: { name?: string; namespace?: string } | null;
  spec?: {
    podSelector?: LabelSelectorLike | null;
    policyTypes?: string[] | null;
    ingress?: IngressRuleLike[] | null;
    egress?: EgressRuleLike[] | null;
  } | null;
}

/** A namespace; `kubernetes.io/metadata.name: <name>` is always implied (the API server sets it, immutably). */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
}
/** A pod. `ip` matters only for ipBlock peers (see ClusterModel.ipBlockMatchesPods). */
export interface PodEndpoint {
  kind: "pod";
  namespace: string;
  labels: Record<string, string>;
  ip?: string;
}
/** Anything outside the cluster's pods, by IPv4 or IPv6 literal. It has no policies of its own. */
export interface ExternalEndpoint {
  kind: "external";
  ip: string;
}
export type Endpoint = PodEndpoint | ExternalEndpoint;
export type Protocol = "TCP" | "UDP" | "SCTP";
export interface Probe {
  from: Endpoint;
  to: Endpoint;
  /** Destination port number. */
  port: number;
  /** Default "TCP", as in the API. */
  protocol?: Protocol;
  /** Name of the destination container port, if any: rules with a named port match only this name. */
  portName?: string;
}
export interface ClusterModel {
  /** Namespaces with their labels; a namespace not listed has only the implied name label. */
  namespaces: NamespaceInfo[];
  policies: NetworkPolicyLike[];
  /**
   * Whether an ipBlock also matches pod endpoints by their `ip`. Kubernetes leaves this to the
   * implementation: Cilium / GKE Dataplane V2 never match in-cluster pods by ipBlock (cilium#19601),
   * Calico may. Default true: for a security check the reading that allows more is the safe one.
   */
  ipBlockMatchesPods?: boolean;
}
export interface Decision {
  allowed: boolean;
  /** True when some policy in the pod's namespace selects it for this direction. */
  isolated: boolean;
  /** "namespace/name" of every policy isolating the pod for this direction. */
  selectedBy: string[];
  /** "namespace/name" of every isolating policy with a rule that matches the probe. */
  allowedBy: string[];
  reason: string;
}
export interface Verdict {
  allowed: boolean;
  egress: Decision;
  ingress: Decision;
}

const NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Label-selector semantics (apimachinery LabelSelectorAsSelector): matchLabels and matchExpressions
 * are ANDed; `{}` matches everything; NotIn and DoesNotExist match when the key is absent.
 * Throws on an unknown operator or on values that the operator forbids/needs.
 */
export function selectsPod(selector: LabelSelectorLike, labels: Record<string, string>): boolean {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(k) || labels[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const key = req.key ?? "";
    const values = req.values ?? [];
    const op = req.operator;
    if ((op === "In" || op === "NotIn") && values.length === 0) {
      throw new Error(`label selector: operator ${op} on key "${key}" needs a non-empty values list`);
    }
    if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) {
      throw new Error(`label selector: operator ${op} on key "${key}" must not have values`);
    }
    let ok: boolean;
    switch (op) {
      case "In":
        ok = has(key) && values.includes(labels[key]!);
        break;
      case "NotIn":
        ok = !has(key) || !values.includes(labels[key]!);
        break;
      case "Exists":
        ok = has(key);
        break;
      case "DoesNotExist":
        ok = !has(key);
        break;
      default:
        throw new Error(
          `label selector: invalid operator ${JSON.stringify(op)} on key "${key}" (expected In, NotIn, Exists or DoesNotExist)`,
        );
    }
    if (!ok) return false;
  }
  return true;
}

type Ip = { v: 4; addr: number } | { v: 6; addr: bigint };

function parseIp(text: string): Ip | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { v: 4, addr: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { v: 6, addr: v6 };
}

type Block = { v: 4; base: number; prefix: number } | { v: 6; base: bigint; prefix: number };

// A judgement asks about the same few CIDRs (the policies' blocks and excepts) and probe addresses thousands of
// times: each text is parsed once. Bounded, so a policy check over many stacks cannot grow it without limit.
const PARSE_CACHE_LIMIT = 4096;
const parsedBlocks = new Map<string, Block | string>();
const parsedIps = new Map<string, Ip | undefined>();
function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  if (cache.has(key)) return cache.get(key)!;
  const value = make();
  if (cache.size >= PARSE_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** A CIDR with its host bits masked, as Go's net.ParseCIDR (used by the API server) does; the error message when malformed. */
function parseBlock(cidr: string): Block | string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const net = m ? parseIp(m[1]!) : undefined;
  const prefix = Number(m?.[2]);
  if (!net || prefix > (net.v === 4 ? 32 : 128)) return `ipBlock: invalid CIDR ${JSON.stringify(cidr)}`;
  if (net.v === 4) {
    const size = 2 ** (32 - prefix);
    return { v: 4, base: net.addr - (net.addr % size), prefix };
  }
  return { v: 6, base: net.addr & ~ipv6HostMask(prefix), prefix };
}

/** CIDR containment. Throws on a malformed CIDR. */
function cidrHolds(cidr: string, ip: Ip): boolean {
  const block = remember(parsedBlocks, cidr, () => parseBlock(cidr));
  if (typeof block === "string") throw new Error(block);
  if (block.v !== ip.v) return false; // an IPv4 block never matches an IPv6 address, and vice versa
  return block.v === 4 ? cidrContains(block, ip.addr as number) : ipv6CidrContains(block, ip.addr as bigint);
}

/** True when `ip` is inside ipBlock.cidr and outside every `except` entry. Throws on a malformed CIDR or IP. */
export function ipBlockContains(ipBlock: IpBlockLike, ip: string): boolean {
  const parsed = remember(parsedIps, ip, () => parseIp(ip));
  if (!parsed) throw new Error(`invalid IP address ${JSON.stringify(ip)}`);
  return cidrHolds(ipBlock.cidr ?? "", parsed) && !(ipBlock.except ?? []).some((e) => cidrHolds(e, parsed));
}

/** policyTypes, defaulted as the API server does: ["Ingress"], plus "Egress" when spec.egress is non-empty. */
export function effectivePolicyTypes(policy: NetworkPolicyLike): ("Ingress" | "Egress")[] {
  const spec = policy.spec ?? {};
  const given = spec.policyTypes ?? [];
  if (given.length > 0) return given.filter((t): t is "Ingress" | "Egress" => t === "Ingress" || t === "Egress");
  return (spec.egress ?? []).length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

/** A policy without metadata.namespace lands in the provider's namespace; we assume "default". */
function policyNamespace(p: NetworkPolicyLike): string {
  return p.metadata?.namespace || "default";
}

function policyId(p: NetworkPolicyLike): string {
  return `${policyNamespace(p)}/${p.metadata?.name ?? "<unnamed>"}`;
}

/**
 * The model indexed once, so a probe costs what the policies of its two pods' namespaces cost, not a scan of every
 * policy and namespace (which made checking a stack quadratic in its NetworkPolicies). Kept per model object and
 * rebuilt when its `policies` or `namespaces` array is replaced or changes length; the order within a namespace is
 * the model's, so evaluation (and the first error thrown) is exactly that of a scan.
 */
interface ModelIndex {
  readonly policies: readonly NetworkPolicyLike[];
  readonly policyCount: number;
  readonly namespaces: readonly NamespaceInfo[];
  readonly namespaceCount: number;
  /** Policies by their namespace, in model order. */
  readonly byNamespace: ReadonlyMap<string, readonly NetworkPolicyLike[]>;
  /** Each namespace's labels; the first entry wins, as `find` would. */
  readonly labels: ReadonlyMap<string, Record<string, string> | undefined>;
}

const indexes = new WeakMap<ClusterModel, ModelIndex>();

function indexOf(model: ClusterModel): ModelIndex {
  const cached = indexes.get(model);
  if (
    cached &&
    cached.policies === model.policies &&
    cached.policyCount === model.policies.length &&
    cached.namespaces === model.namespaces &&
    cached.namespaceCount === model.namespaces.length
  )
    return cached;
  const byNamespace = new Map<string, NetworkPolicyLike[]>();
  for (const p of model.policies) {
    const ns = policyNamespace(p);
    const list = byNamespace.get(ns);
    if (list) list.push(p);
    else byNamespace.set(ns, [p]);
  }
  const labels = new Map<string, Record<string, string> | undefined>();
  for (const n of model.namespaces) if (!labels.has(n.name)) labels.set(n.name, n.labels);
  const index: ModelIndex = {
    policies: model.policies,
    policyCount: model.policies.length,
    namespaces: model.namespaces,
    namespaceCount: model.namespaces.length,
    byNamespace,
    labels,
  };
  indexes.set(model, index);
  return index;
}

function namespaceLabels(model: ClusterModel, name: string): Record<string, string> {
  return { ...(indexOf(model).labels.get(name) ?? {}), [NAME_LABEL]: name };
}

/** Whether one peer element matches `ep`, selectors being relative to the policy's namespace. */
function peerMatches(model: ClusterModel, peer: PeerLike, policyNs: string, ep: Endpoint): boolean {
  const { podSelector, namespaceSelector, ipBlock } = peer;
  if (ipBlock) {
    if (podSelector || namespaceSelector)
      throw new Error("network policy peer: ipBlock cannot be combined with podSelector/namespaceSelector");
    if (ep.kind === "pod" && (!(model.ipBlockMatchesPods ?? true) || !ep.ip)) return false;
    return ipBlockContains(ipBlock, ep.ip!);
  }
  if (!podSelector && !namespaceSelector) throw new Error("network policy peer: must set podSelector, namespaceSelector or ipBlock");
  if (ep.kind !== "pod") return false; // selectors only ever match pods
  // podSelector alone: the policy's own namespace. namespaceSelector present: matching namespaces (AND podSelector).
  const nsOk = namespaceSelector ? selectsPod(namespaceSelector, namespaceLabels(model, ep.namespace)) : ep.namespace === policyNs;
  return nsOk && (!podSelector || selectsPod(podSelector, ep.labels));
}

function portMatches(rulePort: PortLike, probe: Probe): boolean {
  if ((rulePort.protocol ?? "TCP") !== (probe.protocol ?? "TCP")) return false;
  const { port, endPort } = rulePort;
  if (port === undefined || port === null) return true; // protocol only: all ports
  if (typeof port === "string") {
    // IntOrString: a JSON string is always a port name; the API server rejects a numeric string.
    if (/^\d+$/.test(port)) throw new Error(`network policy port "${port}" is a string; use a number`);
    return probe.portName === port;
  }
  return typeof endPort === "number" ? probe.port >= port && probe.port <= endPort : probe.port === port;
}

function ruleMatches(
  model: ClusterModel,
  peers: PeerLike[] | null | undefined,
  ports: PortLike[] | null | undefined,
  policyNs: string,
  peer: Endpoint,
  probe: Probe,
): boolean {
  const peerOk = !peers?.length || peers.some((p) => peerMatches(model, p ?? {}, policyNs, peer));
  const portOk = !ports?.length || ports.some((p) => portMatches(p ?? {}, probe));
  return peerOk && portOk;
}

function decide(model: ClusterModel, dir: "Egress" | "Ingress", pod: Endpoint, peer: Endpoint, probe: Probe): Decision {
  if (pod.kind !== "pod") {
    return { allowed: true, isolated: false, selectedBy: [], allowedBy: [], reason: "external endpoint (no policies apply)" };
  }
  const selecting = (indexOf(model).byNamespace.get(pod.namespace) ?? []).filter(
    (p) => effectivePolicyTypes(p).includes(dir) && selectsPod(p.spec?.podSelector ?? {}, pod.labels),
  );
  if (selecting.length === 0) {
    return {
      allowed: true,
      isolated: false,
      selectedBy: [],
      allowedBy: [],
      reason: `no policy selects the pod for ${dir} (default allow)`,
    };
  }
  const allowedBy = selecting.filter((p) => {
    const rules = (dir === "Egress" ? p.spec?.egress : p.spec?.ingress) ?? [];
    return rules.some((r) => {
      const peers = dir === "Egress" ? (r as EgressRuleLike)?.to : (r as IngressRuleLike)?.from;
      return ruleMatches(model, peers, r?.ports, policyNamespace(p), peer, probe);
    });
  });
  const selectedBy = selecting.map(policyId);
  const ids = allowedBy.map(policyId);
  return {
    allowed: ids.length > 0,
    isolated: true,
    selectedBy,
    allowedBy: ids,
    reason: ids.length > 0 ? `${dir} allowed by ${ids.join(", ")}` : `selected for ${dir} by ${selectedBy.join(", ")} but no rule matches`,
  };
}

/**
 * Allowed iff the source allows the egress (not a pod, not egress-isolated, or a rule of an isolating
 * policy in its namespace matches) AND the destination allows the ingress (likewise). Policies are additive.
 */
export function evaluate(model: ClusterModel, probe: Probe): Verdict {
  for (const ep of [probe.from, probe.to]) {
    if (ep.kind === "external" && !parseIp(ep.ip)) throw new Error(`probe: invalid external IP ${JSON.stringify(ep.ip)}`);
  }
  const egress = decide(model, "Egress", probe.from, probe.to, probe);
  const ingress = decide(model, "Ingress", probe.to, probe.from, probe);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}
