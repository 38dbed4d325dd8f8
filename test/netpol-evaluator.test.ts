import { describe, expect, it } from "vitest";
import { parseIpv6, parseIpv6Cidr } from "@gumstack/network/cidr";
import {
  effectivePolicyTypes,
  evaluate,
  ipBlockContains,
  selectsPod,
  type ClusterModel,
  type Endpoint,
  type LabelSelectorLike,
  type NetworkPolicyLike,
  type PodEndpoint,
  type Probe,
} from "@gumstack/network/netpol-evaluator";

const namespaces = [
  { name: "gumstack-mcp", labels: { tier: "untrusted" } },
  { name: "knative-serving" },
  { name: "kube-system" },
  { name: "backend", labels: { tier: "trusted" } },
];
const pod = (namespace: string, labels: Record<string, string>, ip?: string): PodEndpoint => ({ kind: "pod", namespace, labels, ip });
const ext = (ip: string): Endpoint => ({ kind: "external", ip });

const mcpA = pod("gumstack-mcp", { app: "server-a" }, "10.4.0.10");
const mcpB = pod("gumstack-mcp", { app: "server-b" }, "10.4.0.11");
const activator = pod("knative-serving", { app: "activator" }, "10.4.1.5");
const kourier = pod("knative-serving", { app: "3scale-kourier-gateway" }, "10.4.1.6");
const controller = pod("knative-serving", { app: "controller" }, "10.4.1.7");
const fakeActivatorInMcp = pod("gumstack-mcp", { app: "activator" }, "10.4.0.66");
const api = pod("backend", { app: "api" }, "10.4.2.2");

const model = (policies: NetworkPolicyLike[], ipBlockMatchesPods?: boolean): ClusterModel => ({ namespaces, policies, ipBlockMatchesPods });
const np = (namespace: string | undefined, name: string, spec: NetworkPolicyLike["spec"]): NetworkPolicyLike => ({
  metadata: { name, namespace },
  spec,
});
const allowed = (m: ClusterModel, from: Endpoint, to: Endpoint, port: number, extra: Partial<Probe> = {}) =>
  evaluate(m, { from, to, port, ...extra }).allowed;

const denyAllMcp = np("gumstack-mcp", "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });

describe("isolation and default allow", () => {
  it("allows everything when no policy exists", () => {
    const v = evaluate(model([]), { from: mcpA, to: mcpB, port: 8080 });
    expect(v.allowed).toBe(true);
    expect(v.egress).toMatchObject({ allowed: true, isolated: false });
    expect(v.ingress.reason).toMatch(/default allow/);
    expect(allowed(model([]), mcpA, ext("8.8.8.8"), 443)).toBe(true);
    expect(allowed(model([]), ext("8.8.8.8"), mcpA, 8012)).toBe(true);
  });

  it("a default-deny policy isolates both directions, only in its own namespace", () => {
    const m = model([denyAllMcp]);
    const out = evaluate(m, { from: mcpA, to: ext("8.8.8.8"), port: 443 });
    expect(out.allowed).toBe(false);
    expect(out.egress).toMatchObject({ allowed: false, isolated: true, selectedBy: ["gumstack-mcp/default-deny"] });
    expect(out.egress.reason).toBe("selected for Egress by gumstack-mcp/default-deny but no rule matches");
    expect(evaluate(m, { from: ext("8.8.8.8"), to: mcpA, port: 8012 }).ingress.allowed).toBe(false);
    expect(allowed(m, mcpA, mcpB, 8080)).toBe(false);
    // Pods elsewhere are untouched: the policy selects only pods in gumstack-mcp.
    expect(allowed(m, api, activator, 8080)).toBe(true);
  });

  it("policies are additive: one matching rule among the selecting policies allows", () => {
    const allowWeb = np("gumstack-mcp", "allow-web", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 443 }] }] });
    const v = evaluate(model([denyAllMcp, allowWeb]), { from: mcpA, to: ext("1.1.1.1"), port: 443 });
    expect(v.egress).toMatchObject({ allowed: true, allowedBy: ["gumstack-mcp/allow-web"] });
    expect(v.egress.selectedBy).toEqual(["gumstack-mcp/default-deny", "gumstack-mcp/allow-web"]);
  });

  it("a pod allowed by its egress can still be refused by the destination's ingress", () => {
    const egressAll = np("gumstack-mcp", "egress-all", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
    const backendDeny = np("backend", "deny-in", { podSelector: {}, policyTypes: ["Ingress"] });
    const v = evaluate(model([egressAll, backendDeny]), { from: mcpA, to: api, port: 8000 });
    expect(v.allowed).toBe(false);
    expect(v.egress).toMatchObject({ allowed: true, allowedBy: ["gumstack-mcp/egress-all"] });
    expect(v.ingress).toMatchObject({ allowed: false, selectedBy: ["backend/deny-in"] });
  });

  it("a policy without metadata.namespace is taken to live in 'default'", () => {
    const m = model([np(undefined, "stray", { podSelector: {} })]);
    expect(allowed(m, mcpA, mcpB, 80)).toBe(true);
    expect(allowed(m, mcpA, pod("default", { app: "x" }), 80)).toBe(false);
  });
});

describe("policyTypes defaulting", () => {
  it.each<[string, NetworkPolicyLike["spec"], string[]]>([
    ["absent, no egress", { podSelector: {} }, ["Ingress"]],
    ["absent, egress rules", { podSelector: {}, egress: [{}] }, ["Ingress", "Egress"]],
    ["absent, egress: [] (empty is not 'has egress rules')", { podSelector: {}, egress: [] }, ["Ingress"]],
    ["explicit empty list is defaulted too", { podSelector: {}, policyTypes: [], egress: [{}] }, ["Ingress", "Egress"]],
    ["explicit Egress only", { podSelector: {}, policyTypes: ["Egress"], ingress: [] }, ["Egress"]],
    ["spec missing", undefined, ["Ingress"]],
  ])("%s", (_, spec, types) => {
    expect(effectivePolicyTypes({ spec })).toEqual(types);
  });

  it("an Egress-only policy does not isolate ingress, and an Ingress-only one not egress", () => {
    const egressOnly = model([np("gumstack-mcp", "e", { podSelector: {}, policyTypes: ["Egress"] })]);
    expect(allowed(egressOnly, ext("8.8.8.8"), mcpA, 8012)).toBe(true);
    expect(allowed(egressOnly, mcpA, ext("8.8.8.8"), 443)).toBe(false);
    const ingressDefault = model([np("gumstack-mcp", "i", { podSelector: {} })]);
    expect(allowed(ingressDefault, mcpA, ext("8.8.8.8"), 443)).toBe(true);
    expect(allowed(ingressDefault, ext("8.8.8.8"), mcpA, 8012)).toBe(false);
  });
});

describe("label selectors", () => {
  const labels = { app: "server-a", env: "prod" };
  it.each<[string, LabelSelectorLike, boolean]>([
    ["empty selector matches everything", {}, true],
    ["matchLabels hit", { matchLabels: { app: "server-a" } }, true],
    ["matchLabels miss", { matchLabels: { app: "server-b" } }, false],
    ["matchLabels key absent", { matchLabels: { team: "x" } }, false],
    ["In hit", { matchExpressions: [{ key: "app", operator: "In", values: ["x", "server-a"] }] }, true],
    ["In with key absent", { matchExpressions: [{ key: "team", operator: "In", values: ["x"] }] }, false],
    ["NotIn with value listed", { matchExpressions: [{ key: "app", operator: "NotIn", values: ["server-a"] }] }, false],
    ["NotIn with other value", { matchExpressions: [{ key: "app", operator: "NotIn", values: ["server-b"] }] }, true],
    ["NotIn matches when the key is absent", { matchExpressions: [{ key: "team", operator: "NotIn", values: ["x"] }] }, true],
    ["Exists", { matchExpressions: [{ key: "env", operator: "Exists" }] }, true],
    ["Exists, key absent", { matchExpressions: [{ key: "team", operator: "Exists" }] }, false],
    ["DoesNotExist, key absent", { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, true],
    ["DoesNotExist, key present", { matchExpressions: [{ key: "env", operator: "DoesNotExist" }] }, false],
    [
      "matchLabels AND matchExpressions",
      { matchLabels: { app: "server-a" }, matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }] },
      false,
    ],
    ["null fields are ignored", { matchLabels: null, matchExpressions: null }, true],
  ])("%s", (_, selector, expected) => {
    expect(selectsPod(selector, labels)).toBe(expected);
  });

  it.each<[string, LabelSelectorLike, RegExp]>([
    [
      "unknown operator",
      { matchExpressions: [{ key: "app", operator: "Equals", values: ["a"] }] },
      /invalid operator "Equals" on key "app"/,
    ],
    ["missing operator", { matchExpressions: [{ key: "app" }] }, /invalid operator undefined/],
    [
      "In without values",
      { matchExpressions: [{ key: "app", operator: "In", values: [] }] },
      /In on key "app" needs a non-empty values list/,
    ],
    ["Exists with values", { matchExpressions: [{ key: "app", operator: "Exists", values: ["a"] }] }, /must not have values/],
  ])("throws on %s", (_, selector, message) => {
    expect(() => selectsPod(selector, labels)).toThrow(message);
  });
});

describe("peers", () => {
  // Fact 2: namespaceSelector and podSelector in ONE element is AND; in two elements it is OR.
  const andPolicy = np("gumstack-mcp", "and", {
    podSelector: {},
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } },
            podSelector: { matchLabels: { app: "activator" } },
          },
        ],
      },
    ],
  });
  const orPolicy = np("gumstack-mcp", "or", {
    podSelector: {},
    ingress: [
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } } },
          { podSelector: { matchLabels: { app: "activator" } } },
        ],
      },
    ],
  });
  it.each<[string, PodEndpoint, boolean, boolean]>([
    // source                                           AND    OR
    ["activator in knative-serving", activator, true, true],
    ["other knative-serving pod", controller, false, true],
    ["pod labelled app=activator inside gumstack-mcp", fakeActivatorInMcp, false, true],
    ["unrelated pod in backend", api, false, false],
  ])("%s", (_, source, viaAnd, viaOr) => {
    expect(allowed(model([andPolicy]), source, mcpA, 8012)).toBe(viaAnd);
    expect(allowed(model([orPolicy]), source, mcpA, 8012)).toBe(viaOr);
  });

  it("podSelector alone means the policy's own namespace", () => {
    const m = model([
      np("gumstack-mcp", "p", { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: "activator" } } }] }] }),
    ]);
    expect(allowed(m, fakeActivatorInMcp, mcpA, 8012)).toBe(true);
    expect(allowed(m, activator, mcpA, 8012)).toBe(false);
  });

  it("namespaceSelector matches user labels and the implied name label; {} means every pod, never external", () => {
    const byLabel = model([
      np("backend", "n", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { tier: "untrusted" } } }] }] }),
    ]);
    expect(allowed(byLabel, mcpA, api, 80)).toBe(true);
    expect(allowed(byLabel, activator, api, 80)).toBe(false);
    // A namespace absent from the model still carries kubernetes.io/metadata.name.
    const unlisted = pod("ci", { app: "runner" });
    const byName = model([
      np("backend", "n", {
        podSelector: {},
        ingress: [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["ci"] }] } }] },
        ],
      }),
    ]);
    expect(allowed(byName, unlisted, api, 80)).toBe(true);
    const anyPod = model([np("backend", "n", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] })]);
    expect(allowed(anyPod, unlisted, api, 80)).toBe(true);
    expect(allowed(anyPod, ext("8.8.8.8"), api, 80)).toBe(false);
  });

  it("the MCP ingress of facts 1-2: gateway and activator on 8012/8013, autoscaler on 9090, no MCP-to-MCP", () => {
    const knative = (apps: string[]) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } },
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: apps }] },
    });
    const m = model([
      np("gumstack-mcp", "mcp-ingress", {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          { from: [knative(["3scale-kourier-gateway", "activator"])], ports: [{ port: 8012 }, { port: 8013 }] },
          { from: [knative(["autoscaler"])], ports: [{ port: 9090 }] },
        ],
      }),
    ]);
    const autoscaler = pod("knative-serving", { app: "autoscaler" });
    expect([kourier, activator].map((s) => allowed(m, s, mcpA, 8012))).toEqual([true, true]);
    expect(allowed(m, autoscaler, mcpA, 9090)).toBe(true);
    expect(allowed(m, autoscaler, mcpA, 8012)).toBe(false);
    expect(allowed(m, kourier, mcpA, 9090)).toBe(false);
    expect(allowed(m, mcpB, mcpA, 8012)).toBe(false);
  });
});

describe("ipBlock", () => {
  const rfc1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
  it.each<[string, string, boolean]>([
    ["0.0.0.0/0 except 10/8: public address", "8.8.8.8", true],
    ["0.0.0.0/0 except 10/8: excepted address", "10.1.2.3", false],
    ["0.0.0.0/0 except 10/8: network boundary", "11.0.0.0", true],
    ["0.0.0.0/0 except 10/8: metadata server is NOT excepted", "169.254.169.254", true],
  ])("%s (%s)", (_, ip, expected) => {
    expect(ipBlockContains({ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }, ip)).toBe(expected);
  });

  it("docs/facts.md fact 4: 'internet except RFC 1918 on 80/443' still reaches the metadata server on port 80", () => {
    const naive = np("gumstack-mcp", "egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: rfc1918 } }], ports: [{ port: 80 }, { port: 443 }] }],
    });
    const metadata = ext("169.254.169.254");
    expect(evaluate(model([naive]), { from: mcpA, to: metadata, port: 80 }).egress.allowedBy).toEqual(["gumstack-mcp/egress"]);
    expect(allowed(model([naive]), mcpA, ext("10.128.0.2"), 443)).toBe(false);
    // The strict except list of fact 4 closes it.
    const strictExcept = [
      ...rfc1918,
      "169.254.0.0/16",
      "127.0.0.0/8",
      "0.0.0.0/8",
      "100.64.0.0/10",
      "192.0.0.0/24",
      "198.18.0.0/15",
      "224.0.0.0/4",
      "240.0.0.0/4",
    ];
    const strict = np("gumstack-mcp", "egress", {
      ...naive.spec,
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: strictExcept } }], ports: [{ port: 80 }, { port: 443 }] }],
    });
    expect(allowed(model([strict]), mcpA, metadata, 80)).toBe(false);
    expect(allowed(model([strict]), mcpA, ext("8.8.8.8"), 443)).toBe(true);
  });

  it.each<[string, string, boolean]>([
    ["public IPv6", "2001:4860:4860::8888", true],
    ["ULA fc00::/7 (fd..)", "fd12:3456::1", false],
    ["link-local fe80::/10", "fe80::1", false],
    ["link-local upper edge", "febf:ffff::1", false],
    ["just above link-local", "fec0::1", true],
    ["loopback ::1", "::1", false],
    ["IPv4 address never matches an IPv6 block", "169.254.169.254", false],
  ])("::/0 except fc00::/7, fe80::/10, ::1/128: %s", (_, ip, expected) => {
    expect(ipBlockContains({ cidr: "::/0", except: ["fc00::/7", "fe80::/10", "::1/128"] }, ip)).toBe(expected);
  });

  it("families never mix: an IPv4 block does not match IPv6 (even IPv4-mapped) addresses", () => {
    expect(ipBlockContains({ cidr: "0.0.0.0/0" }, "2001:db8::1")).toBe(false);
    expect(ipBlockContains({ cidr: "0.0.0.0/0" }, "::ffff:8.8.8.8")).toBe(false);
    const v4Only = model([
      np("gumstack-mcp", "e", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }),
    ]);
    expect(allowed(v4Only, mcpA, ext("2001:db8::1"), 443)).toBe(false);
    expect(allowed(v4Only, mcpA, ext("8.8.8.8"), 443)).toBe(true);
  });

  it("masks host bits in a CIDR as the API server does, and rejects malformed input", () => {
    expect(ipBlockContains({ cidr: "10.1.2.3/8" }, "10.200.0.1")).toBe(true);
    expect(ipBlockContains({ cidr: "fd00::1/8" }, "fdff::1")).toBe(true);
    expect(() => ipBlockContains({ cidr: "10.0.0.0/33" }, "10.0.0.1")).toThrow(/invalid CIDR "10.0.0.0\/33"/);
    expect(() => ipBlockContains({}, "10.0.0.1")).toThrow(/invalid CIDR ""/);
    expect(() => ipBlockContains({ cidr: "10.0.0.0/8" }, "10.0.0")).toThrow(/invalid IP address/);
  });

  it("ipBlockMatchesPods: pods are matched by their ip when on (default), never when off", () => {
    // GKE can use non-RFC 1918 pod ranges (e.g. 100.64.0.0/10): a naive internet allow then reaches pods.
    const target = pod("backend", { app: "api" }, "100.64.3.4");
    const internet = np("gumstack-mcp", "e", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
    });
    expect(allowed(model([internet]), mcpA, target, 8000)).toBe(true);
    expect(allowed(model([internet], true), mcpA, target, 8000)).toBe(true);
    expect(allowed(model([internet], false), mcpA, target, 8000)).toBe(false);
    expect(allowed(model([internet]), mcpA, pod("backend", { app: "api" }), 8000)).toBe(false); // no ip: nothing to match
    expect(allowed(model([internet], false), mcpA, ext("100.64.3.4"), 8000)).toBe(true);
  });
});

describe("ports", () => {
  const withPorts = (ports: object[]) =>
    model([np("gumstack-mcp", "e", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports }] })]);
  const dns = pod("kube-system", { "k8s-app": "kube-dns" });
  it.each<[string, object[], Partial<Probe> & { port: number }, boolean]>([
    ["endPort lower bound", [{ port: 8000, endPort: 8010 }], { port: 8000 }, true],
    ["endPort upper bound", [{ port: 8000, endPort: 8010 }], { port: 8010 }, true],
    ["endPort below", [{ port: 8000, endPort: 8010 }], { port: 7999 }, false],
    ["endPort above", [{ port: 8000, endPort: 8010 }], { port: 8011 }, false],
    ["protocol defaults to TCP in the rule", [{ port: 53 }], { port: 53, protocol: "UDP" }, false],
    ["protocol defaults to TCP in the probe", [{ port: 53, protocol: "UDP" }], { port: 53 }, false],
    ["UDP rule, UDP probe", [{ port: 53, protocol: "UDP" }], { port: 53, protocol: "UDP" }, true],
    ["SCTP", [{ port: 9899, protocol: "SCTP" }], { port: 9899, protocol: "SCTP" }, true],
    ["protocol only: every port of it", [{ protocol: "UDP" }], { port: 5353, protocol: "UDP" }, true],
    ["protocol only: not other protocols", [{ protocol: "UDP" }], { port: 5353 }, false],
    ["named port matches by name", [{ port: "dns-tcp" }], { port: 53, portName: "dns-tcp" }, true],
    ["named port ignores the number", [{ port: "dns-tcp" }], { port: 53 }, false],
    ["numeric rule ignores the name", [{ port: 53 }], { port: 53, portName: "dns-tcp" }, true],
    ["any of several entries", [{ port: 80 }, { port: 443 }], { port: 443 }, true],
    ["empty ports list means all ports", [], { port: 12345, protocol: "UDP" }, true],
  ])("%s", (_, ports, probe, expected) => {
    expect(evaluate(withPorts(ports), { from: mcpA, to: dns, ...probe }).allowed).toBe(expected);
  });

  it("rejects a numeric string port (the API server reads a string as a port name and refuses digits)", () => {
    expect(() => evaluate(withPorts([{ port: "443" }]), { from: mcpA, to: dns, port: 443 })).toThrow(/port "443" is a string/);
  });
});

describe("robustness to odd manifests", () => {
  it("tolerates missing and null optional fields", () => {
    const odd: NetworkPolicyLike[] = [
      { metadata: { name: "nospec", namespace: "backend" } },
      {
        metadata: { name: "nulls", namespace: "gumstack-mcp" },
        spec: { podSelector: null, policyTypes: null, ingress: [{ from: null, ports: null }], egress: null },
      },
      { metadata: null, spec: null },
    ];
    const v = evaluate(model(odd), { from: mcpA, to: api, port: 80 });
    expect(v.egress.isolated).toBe(false);
    expect(v.ingress).toMatchObject({ allowed: false, selectedBy: ["backend/nospec"] }); // {} spec = deny all ingress
    expect(evaluate(model(odd), { from: api, to: mcpA, port: 80 }).ingress.allowedBy).toEqual(["gumstack-mcp/nulls"]);
  });

  it.each<[string, object, RegExp]>([
    ["an empty peer", {}, /must set podSelector, namespaceSelector or ipBlock/],
    ["ipBlock with a selector", { ipBlock: { cidr: "0.0.0.0/0" }, podSelector: {} }, /ipBlock cannot be combined/],
  ])("throws on %s", (_, peer, message) => {
    const m = model([np("gumstack-mcp", "bad", { podSelector: {}, ingress: [{ from: [peer] }] })]);
    expect(() => evaluate(m, { from: api, to: mcpA, port: 80 })).toThrow(message);
  });

  it("throws on an external endpoint that is not an IP literal", () => {
    expect(() => evaluate(model([]), { from: mcpA, to: ext("metadata.google.internal"), port: 80 })).toThrow(/invalid external IP/);
  });
});

describe("parseIpv6 / parseIpv6Cidr (@gumstack/network/cidr)", () => {
  it.each<[string, bigint]>([
    ["::", 0n],
    ["::1", 1n],
    ["1::", 1n << 112n],
    ["fe80::1", (0xfe80n << 112n) | 1n],
    ["2001:db8:0:0:0:0:0:1", (0x2001n << 112n) | (0xdb8n << 96n) | 1n],
    ["1:2:3:4:5:6:7::", 0x0001000200030004000500060007_0000n],
    ["::ffff:10.0.0.1", 0xffff0a000001n],
    ["FFFF::", 0xffffn << 112n],
  ])("parses %s", (text, value) => {
    expect(parseIpv6(text)).toBe(value);
  });

  it.each([
    "",
    ":",
    ":::",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8::",
    "12345::",
    "g::1",
    "fe80::1%eth0",
    "1.2.3.4",
    "::1.2.3",
    "10.0.0.1::",
  ])("rejects %j", (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  it("parses CIDRs and, like parseCidr, refuses host bits", () => {
    expect(parseIpv6Cidr("fc00::/7")).toEqual({ base: 0xfcn << 120n, prefix: 7 });
    expect(parseIpv6Cidr("::/0")).toEqual({ base: 0n, prefix: 0 });
    expect(parseIpv6Cidr("::1/128")).toEqual({ base: 1n, prefix: 128 });
    expect(parseIpv6Cidr("fd00::/7")).toBeUndefined();
    expect(parseIpv6Cidr("::/129")).toBeUndefined();
  });
});
