// The canary probes what the policy pack judges, on the real prod and enterprise plans: the list in the planned
// Knative Service's CANARY_CONFIG equals the pack's MCP egress probes (the pod's own loopback aside), and every
// probe's expectation is the verdict the pack's evaluator gives it against the planned NetworkPolicies. The
// stack context is the one @pulumi/policy's handlers give the pack's stack policies (a capturing policy).
import { describe, expect, it } from "vitest";
import type { StackValidationPolicy } from "@pulumi/policy";
import { configSchema } from "../../policies/config.js";
import { POD_LOCAL_RANGES } from "@gumstack/network/mcpProbes";
import { isolationProbes, modelOf, reachabilityProbes, readMcpNetwork, type McpNetwork } from "../../policies/lib/netpol.js";
import { evaluate, type Endpoint } from "@gumstack/network/netpol-evaluator";
import { platformRule, stackPolicy, type StackContext } from "../../policies/lib/policy.js";
import { parseConfig, type Probe } from "../../canary/canary.js";
import { CANARY_TENANT, TENANT_LABEL } from "../../components/serving/isolationCanaryManifests.js";
import { runPolicyPack } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { sharedCanaryPlan } from "../support/plans.js";
import { parseCidr, cidrContains, parseIpv4 } from "@gumstack/network/cidr";

const KNATIVE_NS = "knative-serving";

/** The stack context the pack's stack policies get for a plan, through the same analyzer handlers. */
async function stackContextOf(plan: unknown): Promise<StackContext> {
  let captured: StackContext | undefined;
  const capture: StackValidationPolicy = stackPolicy(
    {
      name: "capture-stack-context",
      description: "test",
      enforcementLevel: "advisory",
      severity: "low",
      framework: platformRule("test", "test"),
      remediationSteps: "none",
      configSchema: configSchema("mcpNamespace", "knativeNamespace"),
    },
    (ctx) => {
      captured = ctx;
    },
  );
  await runPolicyPack(parseExport(JSON.stringify(plan), "plan"), { policies: [capture] });
  if (!captured) throw new Error("the stack policy was not run");
  return captured;
}

const key = (host: string, port: number, protocol: string) => `${host} ${port}/${protocol.toUpperCase()}`;
const ext = (ip: string): Endpoint => ({ kind: "external", ip });
/** The pack's representative MCP pod (policies/lib/netpol.ts), as the source of every canary probe. */
const tenantPod = (net: McpNetwork, labels: Record<string, string> = {}): Endpoint => ({
  kind: "pod",
  namespace: net.ns,
  labels: { "serving.knative.dev/service": "tenant-a", ...labels },
});

describe.each(["prod", "enterprise"])("the canary's probes on the %s plan", async (stack) => {
  // As deployed from the second `up` on, with the canary on (prod starts without it: README "Deploying for real").
  const plan = await sharedCanaryPlan(stack);
  const service = plan.deployment.resources.find((r) => r.type === "kubernetes:serving.knative.dev/v1:Service")!;
  const container = (service.inputs as any).spec.template.spec.containers[0];
  const cfg = parseConfig(container.env.find((e: { name: string }) => e.name === "CANARY_CONFIG").value);
  const ctx = await stackContextOf(plan);
  const read = readMcpNetwork(ctx);
  if (read.kind !== "known") throw new Error(`the MCP network is not readable: ${read.kind}`);
  const net = read.net;
  const packEgress = (probes: ReturnType<typeof isolationProbes>) =>
    probes.filter((p) => p.side === "egress" && p.probe.to.kind === "external");
  const byGroup = (pred: (p: Probe) => boolean) => cfg.probes.filter(pred);

  it("forbidden: exactly the pack's isolation egress destinations, minus the pod's own loopback", () => {
    const pack = packEgress(isolationProbes(net, KNATIVE_NS))
      .filter((p) => !POD_LOCAL_RANGES.some((c) => p.key.startsWith(`egress:${c}:`)))
      .map((p) => key((p.probe.to as { ip: string }).ip, p.probe.port!, p.probe.protocol!));
    const canary = byGroup((p) => p.group.startsWith("egress:")).map((p) => key(p.host, p.port, p.kind));
    expect(pack.length).toBeGreaterThan(200);
    expect(new Set(canary)).toEqual(new Set(pack));
    expect(canary.length).toBe(new Set(canary).size);
    expect(canary).toContain("169.254.169.254 80/TCP");
    expect(canary).toContain("8.8.8.8 53/UDP");
    expect(canary.filter((k) => k.startsWith("127.") || k.startsWith("::1 "))).toEqual([]);
  });

  it("probes its own node (status.hostIP), the kubelet, kube-proxy and the GKE metadata server, all expected refused", () => {
    const own = byGroup((p) => p.group === "own-node");
    expect(own.map((p) => `${p.host} ${p.port}/${p.kind}`).sort()).toEqual(
      [
        "${HOST_IP} 22/tcp",
        "${HOST_IP} 80/tcp",
        "${HOST_IP} 443/tcp",
        "${HOST_IP} 8080/tcp",
        "${HOST_IP} 53/udp",
        "${HOST_IP} 10250/tcp",
        "${HOST_IP} 10255/tcp",
        "${HOST_IP} 10256/tcp",
      ].sort(),
    );
    expect(own.every((p) => p.expect === "refused")).toBe(true);
    // HOST_IP comes from the downward API, not from a value anyone could set.
    expect(container.env).toContainEqual({ name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } });
    const all = cfg.probes.map((p) => key(p.host, p.port, p.kind));
    expect(all).toContain("169.254.169.252 988/TCP");
    expect(all).toContain("169.254.169.254 988/TCP");
    // The node range's samples get the kubelet's ports too (pack and canary alike: the list above is the pack's).
    const nodeCidr = net.clusterRanges.find((r) => r.what === "cluster node range")!.samples;
    for (const ip of nodeCidr) for (const port of [10250, 10255]) expect(all).toContain(key(ip, port, "tcp"));
  });

  it("checks its public source address is one of tenantEgressIps, through the tenant gateway's reserved addresses", () => {
    const [echo, ...more] = byGroup((p) => p.kind === "egress-ip");
    expect(more).toEqual([]);
    expect(echo).toMatchObject({ group: "reach:egress-ip", host: "https://1.1.1.1/cdn-cgi/trace", expect: "reached" });
    const egress = container.env.find((e: { name: string }) => e.name === "CANARY_EGRESS_IPS");
    expect(egress).toBeDefined();
    const nats = plan.deployment.resources.filter((r) => r.type === "gcp:compute/address:Address" && /tenant/.test(r.urn));
    expect(nats.length).toBeGreaterThan(0);
    // The value is the tenant NAT addresses (known once they exist; the mock engine gives each address one).
    if (typeof egress.value === "string" && egress.value !== "")
      for (const a of nats) if (typeof a.outputs?.address === "string") expect(egress.value.split(",")).toContain(a.outputs.address);
  });

  it("required: exactly the pack's reachability egress destinations", () => {
    const pack = packEgress(reachabilityProbes(net, KNATIVE_NS)).map((p) =>
      key((p.probe.to as { ip: string }).ip, p.probe.port!, p.probe.protocol!),
    );
    const canary = byGroup((p) => p.group === "reach:internet").map((p) => key(p.host, p.port, p.kind));
    expect(pack.length).toBe(4);
    expect(new Set(canary)).toEqual(new Set(pack));
    expect(cfg.probes.every((p) => p.expect === (p.group.startsWith("reach:") ? "reached" : "refused"))).toBe(true);
  });

  it("every address probe's expectation is the pack's verdict against the planned NetworkPolicies", () => {
    // Both readings of ipBlock (Calico's, matching pods too; Dataplane V2's, never), as the two rules use them.
    for (const model of [modelOf(net, true), modelOf(net, false)]) {
      const wrong = cfg.probes
        .filter((p) => p.kind === "tcp" || p.kind === "udp")
        .filter((p) => /^[0-9.]+$|:/.test(p.host) && !p.host.includes("${"))
        .filter(
          (p) =>
            evaluate(model, { from: tenantPod(net), to: ext(p.host), port: p.port, protocol: p.kind === "tcp" ? "TCP" : "UDP" }).egress
              .allowed !==
            (p.expect === "reached"),
        );
      expect(wrong).toEqual([]);
    }
  });

  it("every named probe stands for a destination the pack refuses", () => {
    const model = modelOf(net, true);
    const refused = (to: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
      !evaluate(model, { from: tenantPod(net), to, port, protocol }).allowed;
    const named = byGroup((p) => ["metadata", "kubernetes-api", "neighbour"].includes(p.group) && !/^[0-9.]+$/.test(p.host));
    expect(named.map((p) => p.id).sort()).toEqual([
      "${K_REVISION}-private.gumstack-mcp.svc.cluster.local:80/neighbour",
      "gumstack-canary.gumstack-mcp.svc.cluster.local:80/tcp",
      "kubernetes.default.svc.cluster.local:443/tcp",
      "metadata.google.internal:53/udp",
      "metadata.google.internal:80/tcp",
    ]);
    // metadata.google.internal is 169.254.169.254.
    expect(refused(ext("169.254.169.254"), 80)).toBe(true);
    expect(refused(ext("169.254.169.254"), 53, "UDP")).toBe(true);
    // The `kubernetes` Service is the first address of the service range; it forwards to the control plane,
    // whose private endpoint is one of the control-plane range's addresses, each probed on 443.
    const services = net.clusterRanges.find((r) => /service/.test(r.what))!;
    expect(cfg.probes.filter((p) => p.port === 443).map((p) => p.host)).toContain(services.samples[0]);
    const master = net.clusterRanges.find((r) => r.what === "control-plane range")!;
    const inMaster = (ip: string) => parseIpv4(ip) !== undefined && cidrContains(parseCidr(master.cidr)!, parseIpv4(ip)!);
    const masterHosts = cfg.probes.filter((p) => p.kind === "tcp" && p.port === 443 && inMaster(p.host)).map((p) => p.host);
    // Every host address of the /28 (the pack's samples among them, probed once).
    expect(new Set(masterHosts).size).toBe(14);
    expect(byGroup((p) => p.group === "kubernetes-api").length).toBeGreaterThanOrEqual(11);
    expect(refused(ext(masterHosts[1]!), 443)).toBe(true);
    // The revision's private Service forwards port 80 to queue-proxy (8012) of a canary pod: another MCP pod.
    const canaryPod: Endpoint = {
      kind: "pod",
      namespace: net.ns,
      labels: { [TENANT_LABEL]: CANARY_TENANT, "serving.knative.dev/service": "gumstack-canary" },
    };
    expect(refused(canaryPod, 8012)).toBe(true);
    // The cluster-local address is Kourier's internal gateway (port 80 -> 8081 on the gateway pods).
    expect(refused({ kind: "pod", namespace: KNATIVE_NS, labels: { app: "3scale-kourier-gateway" } }, 8081)).toBe(true);
  });

  it("the canary's own scrape rule opens its metrics port to the collectors only, never to a tenant", () => {
    const model = modelOf(net, true);
    const canaryPod: Endpoint = { kind: "pod", namespace: net.ns, labels: { [TENANT_LABEL]: CANARY_TENANT } };
    const collector: Endpoint = { kind: "pod", namespace: "gke-gmp-system", labels: { "app.kubernetes.io/name": "collector" } };
    expect(evaluate(model, { from: collector, to: canaryPod, port: 9464, protocol: "TCP" }).ingress.allowed).toBe(true);
    expect(evaluate(model, { from: collector, to: canaryPod, port: 8080, protocol: "TCP" }).ingress.allowed).toBe(false);
    expect(evaluate(model, { from: tenantPod(net), to: canaryPod, port: 9464, protocol: "TCP" }).allowed).toBe(false);
    expect(evaluate(model, { from: collector, to: tenantPod(net), port: 9464, protocol: "TCP" }).ingress.allowed).toBe(false);
  });

  it("is really judged: with the metadata range let out of the MCP egress policy, the pack allows what the canary must not reach", async () => {
    const holed = structuredClone(plan);
    for (const r of holed.deployment.resources.filter((x) => x.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
      for (const props of [r.inputs, r.outputs] as any[]) {
        for (const rule of props?.spec?.egress ?? [])
          for (const peer of rule.to ?? []) {
            if (peer.ipBlock?.except) peer.ipBlock.except = peer.ipBlock.except.filter((c: string) => c !== "169.254.0.0/16");
          }
      }
    }
    const h = readMcpNetwork(await stackContextOf(holed));
    if (h.kind !== "known") throw new Error("unreadable");
    const probe = cfg.probes.find((p) => p.id === "169.254.169.254:80/tcp")!;
    expect(probe.expect).toBe("refused");
    expect(evaluate(modelOf(h.net, true), { from: tenantPod(h.net), to: ext(probe.host), port: probe.port, protocol: "TCP" }).allowed).toBe(
      true,
    );
  });
});
