// The MCP namespace's network, judged by NetworkPolicy semantics: the planned Namespaces and NetworkPolicies
// become an evaluator model, and concrete probes (a representative MCP pod talking to the metadata server,
// to another tenant, to the backend, ...) are decided by the same evaluator the program's tests use.
import { parseCidr } from "@gumstack/network/cidr";
import { namespaceOf, selectsAll } from "./k8s";
import { objectName } from "./mcp";
import {
  forbiddenEgress,
  MCP_PORTS,
  netRange,
  nodeRange,
  portText,
  requiredEgress,
  samplesOf,
  type NetRange,
} from "@gumstack/network/mcpProbes";
import type { StackContext, StackResource } from "./policy";
import { asArray, at, isObject, pathText, UNKNOWN, unknownPaths } from "./props";
import {
  effectivePolicyTypes,
  evaluate,
  type ClusterModel,
  type Endpoint,
  type NetworkPolicyLike,
  type PodEndpoint,
  type Probe,
  type Verdict,
} from "@gumstack/network/netpol-evaluator";
import { GKE_CLUSTER, K8S_NAMESPACE, K8S_NETWORK_POLICY, SUBNETWORK } from "./types";

export interface McpNetwork {
  readonly ns: string;
  readonly nsUrn: string;
  readonly namespaces: { name: string; labels: Record<string, string> }[];
  readonly policies: NetworkPolicyLike[];
  /** "namespace/name" of each NetworkPolicy -> its URN. */
  readonly policyUrns: ReadonlyMap<string, string>;
  /** The cluster's node, pod, service and control-plane ranges, from the planned subnetwork and cluster. */
  readonly clusterRanges: readonly NetRange[];
  /** Whether a planned cluster runs Dataplane V2, which never matches pods by ipBlock (cilium#19601). */
  readonly dataplaneV2: boolean;
}

export type McpNetworkRead =
  | { readonly kind: "absent" }
  | { readonly kind: "unknown"; readonly findings: readonly { message: string; urn: string }[] }
  | { readonly kind: "known"; readonly net: McpNetwork };

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const k of Object.keys(v)) if (typeof v[k] === "string") out[k] = v[k] as string;
  return out;
}

function clusterRanges(resources: readonly StackResource[]): NetRange[] {
  const out: NetRange[] = [];
  const add = (v: unknown, what: string) => {
    if (typeof v === "string" && parseCidr(v) && !out.some((r) => r.cidr === v))
      out.push(what === "cluster node range" ? nodeRange(v) : netRange(v, what));
  };
  for (const r of resources) {
    if (r.type === SUBNETWORK) {
      add(at(r.props, "ipCidrRange"), "cluster node range");
      for (const s of asArray(at(r.props, "secondaryIpRanges")))
        add(at(s, "ipCidrRange"), `secondary range ${String(at(s, "rangeName") ?? "")}`.trim());
    } else if (r.type === GKE_CLUSTER) {
      add(at(r.props, "ipAllocationPolicy.clusterIpv4CidrBlock"), "cluster pod range");
      add(at(r.props, "ipAllocationPolicy.servicesIpv4CidrBlock"), "cluster service range");
      add(at(r.props, "privateClusterConfig.masterIpv4CidrBlock"), "control-plane range");
    }
  }
  return out;
}

/** Reads the MCP namespace's network from the stack; "unknown" when a value the evaluation needs is unknown. */
export function readMcpNetwork(ctx: StackContext): McpNetworkRead {
  return readNamespaceNetwork(ctx, ctx.config.mcpNamespace);
}

/** Reads namespace `ns`'s network (every namespace and NetworkPolicy of the stack, judged from `ns`'s side). */
export function readNamespaceNetwork(ctx: StackContext, ns: string): McpNetworkRead {
  const findings: { message: string; urn: string }[] = [];
  const namespaces: McpNetwork["namespaces"] = [];
  let nsUrn: string | undefined;
  for (const r of ctx.resources.filter((x) => x.type === K8S_NAMESPACE)) {
    const name = at(r.props, "metadata.name");
    if (typeof name !== "string") continue;
    if (name === ns) nsUrn = r.urn;
    const labels = at(r.props, "metadata.labels");
    if (labels === UNKNOWN || unknownPaths(labels).length > 0)
      findings.push({ message: `cannot verify the labels of namespace ${name}: unknown during preview`, urn: r.urn });
    namespaces.push({ name, labels: stringMap(labels) });
  }
  if (!nsUrn) return { kind: "absent" };
  const policies: NetworkPolicyLike[] = [];
  const policyUrns = new Map<string, string>();
  for (const r of ctx.resources.filter((x) => x.type === K8S_NETWORK_POLICY)) {
    const pns = namespaceOf(r.props, r.providerProps);
    const unknown = unknownPaths(at(r.props, "spec"));
    if (pns === UNKNOWN) {
      findings.push({ message: "cannot verify the NetworkPolicy's namespace: metadata.namespace is unknown during preview", urn: r.urn });
      continue;
    }
    if (unknown.length > 0) {
      findings.push({
        message: `cannot verify NetworkPolicy ${pns}/${objectName(r.props, r.name)}: ${pathText(["spec", ...unknown[0]!])} is unknown during preview`,
        urn: r.urn,
      });
      continue;
    }
    const name = objectName(r.props, r.name);
    policies.push({ metadata: { name, namespace: pns }, spec: at(r.props, "spec") as NetworkPolicyLike["spec"] });
    policyUrns.set(`${pns}/${name}`, r.urn);
  }
  if (findings.length > 0) return { kind: "unknown", findings };
  const dataplaneV2 = ctx.resources.some((r) => r.type === GKE_CLUSTER && at(r.props, "datapathProvider") === "ADVANCED_DATAPATH");
  return { kind: "known", net: { ns, nsUrn, namespaces, policies, policyUrns, clusterRanges: clusterRanges(ctx.resources), dataplaneV2 } };
}

/** Whether the namespace has a policy selecting every pod that allows nothing in `direction`. */
export function hasDefaultDeny(net: McpNetwork, direction: "Ingress" | "Egress"): boolean {
  return net.policies.some((p) => {
    if (p.metadata?.namespace !== net.ns || !selectsAll(p.spec?.podSelector) || effectivePolicyTypes(p).indexOf(direction) < 0)
      return false;
    return asArray(direction === "Ingress" ? p.spec?.ingress : p.spec?.egress).length === 0;
  });
}

// ---- probes ---------------------------------------------------------------------------------------------

export interface NetProbe {
  /** Deduplication key of the finding (range/peer and port), so a badly open policy yields one line per hole. */
  readonly key: string;
  readonly text: string;
  readonly probe: Probe;
  /** Which side's policies decide: for MCP egress the source's, for MCP ingress the destination's. */
  readonly side: "egress" | "ingress" | "both";
}

/** Appends to `out` a probe from `from` to `to` on port `p`, keyed and described with the port. */
export function probeAdder(out: NetProbe[]) {
  return (key: string, text: string, side: NetProbe["side"], from: Endpoint, to: Endpoint, p: { port: number; protocol: "TCP" | "UDP" }) =>
    out.push({ key: `${key}:${portText(p)}`, text: `${text} on ${portText(p)}`, side, probe: { from, to, ...p } });
}

/** Probe ports and endpoints, shared by the MCP probes here and the build plane's (build.ts). */
export const tcp = (port: number) => ({ port, protocol: "TCP" as const });
export const udp = (port: number) => ({ port, protocol: "UDP" as const });

/** Labels Knative puts on a revision's pods. */
function knativePod(ns: string, service: string, ip?: string): PodEndpoint {
  return {
    kind: "pod",
    namespace: ns,
    labels: {
      "serving.knative.dev/service": service,
      "serving.knative.dev/configuration": service,
      "serving.knative.dev/revision": `${service}-00001`,
      app: `${service}-00001`,
    },
    ...(ip ? { ip } : {}),
  };
}

export const pod = (namespace: string, labels: Record<string, string>, ip?: string): PodEndpoint => ({
  kind: "pod",
  namespace,
  labels,
  ...(ip ? { ip } : {}),
});
export const ext = (ip: string): Endpoint => ({ kind: "external", ip });

/** Knative's data plane: who must reach MCP pods, and on which ports (docs/facts.md fact 1). */
export function dataPlane(knativeNs: string) {
  return {
    kourier: { pod: pod(knativeNs, { app: "3scale-kourier-gateway" }), ports: [tcp(8012), tcp(8013)], what: "the Kourier gateway" },
    activator: { pod: pod(knativeNs, { app: "activator" }), ports: [tcp(8012), tcp(8013)], what: "the activator" },
    autoscaler: { pod: pod(knativeNs, { app: "autoscaler" }), ports: [tcp(9090)], what: "the autoscaler" },
  };
}

function podIps(net: McpNetwork): [string, string, string] {
  const pods = net.clusterRanges.find((r) => /pod/i.test(r.what));
  const s = pods ? samplesOf(pods.cidr) : [];
  return [s[0] ?? "10.64.0.10", s[1] ?? "10.64.0.11", s[2] ?? "10.64.0.12"];
}

/** Probes that must be refused. */
export function isolationProbes(net: McpNetwork, knativeNs: string): NetProbe[] {
  const [ipA, ipB, ipC] = podIps(net);
  const a = knativePod(net.ns, "tenant-a", ipA);
  const b = knativePod(net.ns, "tenant-b", ipB);
  const out: NetProbe[] = [];
  const add = probeAdder(out);

  // The egress destinations are shared data (@gumstack/network/mcpProbes): the isolation canary probes the same ones live.
  for (const t of forbiddenEgress(net.clusterRanges)) {
    out.push({ key: t.key, text: t.text, side: "egress", probe: { from: a, to: ext(t.ip), port: t.port, protocol: t.protocol } });
  }
  for (const p of MCP_PORTS) {
    add("mcp:a-b", "traffic from MCP pod tenant-a to MCP pod tenant-b", "both", a, b, p);
    add("mcp:b-a", "traffic from MCP pod tenant-b to MCP pod tenant-a", "both", b, a, p);
  }
  // Tenants choose their pods' labels: data-plane labels inside the MCP namespace must not open a door.
  for (const [app, port] of [
    ["3scale-kourier-gateway", tcp(8012)],
    ["activator", tcp(8012)],
    ["autoscaler", tcp(9090)],
  ] as const) {
    add(`mcp:spoof-${app}`, `traffic from an MCP pod labelled app=${app} to MCP pod tenant-a`, "both", pod(net.ns, { app }, ipC), a, port);
  }
  const others = new Set(net.namespaces.map((n) => n.name).filter((n) => n !== net.ns));
  others.add(knativeNs).add("kube-system").add("default");
  for (const ns of others) {
    const peer = pod(ns, { app: "probe" });
    for (const p of [tcp(80), tcp(443), tcp(8080), tcp(8012)])
      add(`egress-ns:${ns}`, `egress from an MCP pod to a pod in namespace ${ns}`, "both", a, peer, p);
    for (const p of MCP_PORTS) add(`ingress-ns:${ns}`, `ingress to an MCP pod from a pod in namespace ${ns}`, "both", peer, a, p);
  }
  // DNS is the one thing MCP pods may reach inside the cluster, on port 53 only (kube-dns also serves metrics).
  const dns = pod("kube-system", { "k8s-app": "kube-dns" });
  for (const p of [tcp(80), tcp(443), tcp(8080), tcp(9153), tcp(10055)])
    add("egress-dns-other", "egress from an MCP pod to kube-dns", "both", a, dns, p);
  for (const app of ["controller", "webhook", "net-kourier-controller"]) {
    for (const p of MCP_PORTS)
      add(`ingress-kn:${app}`, `ingress to an MCP pod from ${knativeNs} pod app=${app}`, "both", pod(knativeNs, { app }), a, p);
  }
  // The data plane's labels are honoured only in the data plane's namespace.
  const elsewhere = [...others].find((n) => n !== knativeNs) ?? "default";
  for (const dp of Object.values(dataPlane(knativeNs))) {
    const impostor = pod(elsewhere, dp.pod.labels);
    for (const p of dp.ports)
      add(
        `ingress-impostor:${dp.pod.labels.app}`,
        `ingress to an MCP pod from a pod labelled app=${dp.pod.labels.app} in namespace ${elsewhere}`,
        "both",
        impostor,
        a,
        p,
      );
  }
  const externals = ["8.8.8.8", "35.191.0.1", "130.211.0.1", ...net.clusterRanges.map((r) => r.samples[0]!)];
  for (const ip of externals) {
    for (const p of MCP_PORTS) add(`ingress-ext:${ip}`, `ingress to an MCP pod from ${ip}`, "ingress", ext(ip), a, p);
  }
  return out;
}

/** DNS over UDP and TCP 53 from `from` (`who` names it in the probe's text) to kube-dns: what every pod must reach. */
export function kubeDnsProbes(from: PodEndpoint, who: string): NetProbe[] {
  const dns = pod("kube-system", { "k8s-app": "kube-dns" });
  return [udp(53), tcp(53)].map((p) => ({
    key: `dns:${portText(p)}`,
    text: `DNS from ${who} to kube-dns on ${portText(p)}`,
    side: "both",
    probe: { from, to: dns, ...p },
  }));
}

/** Probes that must be allowed for MCP servers to work at all. */
export function reachabilityProbes(net: McpNetwork, knativeNs: string): NetProbe[] {
  const [ipA] = podIps(net);
  const a = knativePod(net.ns, "tenant-a", ipA);
  const out: NetProbe[] = [];
  for (const t of requiredEgress()) {
    out.push({ key: t.key, text: t.text, side: "egress", probe: { from: a, to: ext(t.ip), port: t.port, protocol: t.protocol } });
  }
  out.push(...kubeDnsProbes(a, "an MCP pod"));
  for (const dp of Object.values(dataPlane(knativeNs))) {
    for (const p of dp.ports)
      out.push({
        key: `dp:${dp.what}:${portText(p)}`,
        text: `ingress to an MCP pod from ${dp.what} (${knativeNs}, app=${dp.pod.labels.app}) on ${portText(p)}`,
        side: "both",
        probe: { from: dp.pod, to: a, ...p },
      });
  }
  return out;
}

export function modelOf(net: McpNetwork, ipBlockMatchesPods: boolean): ClusterModel {
  return { namespaces: net.namespaces, policies: net.policies, ipBlockMatchesPods };
}

/** A finding of a probe: its deduplication key (one line per hole), message and the URN to attach it to. */
export interface ProbeFinding {
  readonly key: string;
  readonly message: string;
  readonly urn: string;
}

/**
 * Evaluates the probes and reports what `judge` finds in each verdict, each key once.
 * The evaluator throws only on manifests the API server would reject: that is reported once and ends the check.
 */
export function judgeProbes(
  ctx: StackContext,
  net: McpNetwork,
  model: ClusterModel,
  probes: readonly NetProbe[],
  judge: (p: NetProbe, v: Verdict) => readonly ProbeFinding[],
): void {
  const reported = new Set<string>();
  for (const p of probes) {
    let verdict: Verdict;
    try {
      verdict = evaluate(model, p.probe);
    } catch (err) {
      return ctx.report(`the NetworkPolicies cannot be evaluated: ${(err as Error).message}`, net.nsUrn);
    }
    for (const f of judge(p, verdict)) {
      if (reported.has(f.key)) continue;
      reported.add(f.key);
      ctx.report(f.message, f.urn);
    }
  }
}

/** A layer of the MCP pods' own NetworkPolicies that lets a probe through, why, and the URN to attach it to. */
export interface LayerFinding {
  readonly layer: "egress" | "ingress";
  readonly by: string;
  readonly urn: string;
}

/**
 * The MCP namespace's layers that a probe crosses (egress when the source is an MCP pod, ingress when the
 * destination is) and that let it through, each judged alone: a hole in one layer is a finding even while the
 * other layer still blocks the connection, because one policy change away the other may not.
 */
export function openLayers(net: McpNetwork, p: NetProbe, v: Verdict): LayerFinding[] {
  const isMcp = (e: Endpoint) => e.kind === "pod" && e.namespace === net.ns;
  const layers = [
    ...(isMcp(p.probe.from) ? [{ layer: "egress" as const, d: v.egress }] : []),
    ...(isMcp(p.probe.to) ? [{ layer: "ingress" as const, d: v.ingress }] : []),
  ];
  return layers
    .filter(({ d }) => d.allowed)
    .map(({ layer, d }) => ({
      layer,
      by: d.isolated ? `by ${[...new Set(d.allowedBy)].join(", ")}` : `the MCP pod is not isolated for ${layer}`,
      urn: d.allowedBy.map((id) => net.policyUrns.get(id)).find((u) => u !== undefined) ?? net.nsUrn,
    }));
}

/** Why a probe that must be allowed is refused. */
export function refusal(p: NetProbe, v: Verdict): string {
  const decisions = p.side === "egress" ? [v.egress] : p.side === "ingress" ? [v.ingress] : [v.egress, v.ingress];
  return decisions
    .filter((d) => !d.allowed)
    .map((d) => d.reason)
    .join("; ");
}
