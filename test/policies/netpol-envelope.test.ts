// The exact NetworkPolicy reading's pieces, directly: address intervals, port intervals and the envelope.
import { describe, expect, it } from "vitest";
import {
  cidrSpan,
  envelopeHoles,
  mcpIngress,
  pinned,
  portsBeyond,
  rulePorts,
  untrustedEgress,
} from "../../policies/lib/netpol-envelope.js";

const egress = untrustedEgress([{ cidr: "10.10.0.0/20", what: "cluster node range", samples: [] }]);
const pol = (spec: Record<string, unknown>) => [{ metadata: { name: "p", namespace: "t" }, spec: { podSelector: {}, ...spec } }];
const holes = (spec: Record<string, unknown>, env = egress, dir: "Egress" | "Ingress" = "Egress") =>
  envelopeHoles(pol(spec) as never, "t", dir, env).map((h) => h.message);

describe("netpol envelope", () => {
  it("reads CIDRs as intervals, masking host bits, both families", () => {
    expect(cidrSpan("10.0.0.1/8")).toEqual({ v: 4, lo: 167772160n, hi: 184549375n });
    expect(cidrSpan("::ffff:169.254.169.252/128")?.v).toBe(6);
    expect(cidrSpan("10.0.0.0/33")).toBeUndefined();
  });
  it("reads ports: endPort ranges, named ports as any number, no ports as every protocol", () => {
    expect([...rulePorts([{ port: 1, endPort: 65535 }]).set]).toEqual([["TCP", [[1, 65535]]]]);
    expect([...rulePorts([{ port: "http", protocol: "UDP" }]).set]).toEqual([["UDP", [[1, 65535]]]]);
    expect([...rulePorts(undefined).set.keys()]).toEqual(["TCP", "UDP", "SCTP"]);
    expect(portsBeyond(rulePorts([{ port: 80, endPort: 443 }]).set, new Map([["TCP", [80, 443]]]))).toBe("TCP 81-442");
    expect(portsBeyond(rulePorts([{ port: 443 }]).set, new Map([["TCP", [80, 443]]]))).toBe("");
  });
  it("pins selector values through matchLabels and In, intersected", () => {
    expect(pinned({ matchLabels: { a: "x" }, matchExpressions: [{ key: "a", operator: "In", values: ["x", "y"] }] }, "a")).toEqual(["x"]);
    expect(pinned({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["x"] }] }, "a")).toBeUndefined();
  });
  it("passes the platform's own egress and refuses each widening", () => {
    const web = {
      to: [
        {
          ipBlock: {
            cidr: "0.0.0.0/0",
            except: [
              "0.0.0.0/8",
              "10.0.0.0/8",
              "100.64.0.0/10",
              "127.0.0.0/8",
              "169.254.0.0/16",
              "172.16.0.0/12",
              "192.168.0.0/16",
              "198.18.0.0/15",
              "192.0.0.0/24",
              "224.0.0.0/4",
              "240.0.0.0/4",
            ],
          },
        },
      ],
      ports: [{ port: 80 }, { port: 443 }],
    };
    const dns = {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
          podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
        },
      ],
      ports: [{ port: 53, protocol: "UDP" }, { port: 53 }],
    };
    expect(holes({ policyTypes: ["Egress"], egress: [web, dns] })).toEqual([]);
    expect(holes({ policyTypes: ["Egress"], egress: [{ ...dns, ports: [{ port: 9153 }] }] })[0]).toMatch(/kube-dns on TCP 9153/);
    expect(holes({ policyTypes: ["Egress"], egress: [{ ...web, ports: [{ port: 443, protocol: "UDP" }] }] })[0]).toMatch(/UDP 443/);
    expect(
      holes({ policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "::ffff:0:0/96" } }], ports: [{ port: 443 }] }] })[0],
    ).toMatch(/IPv4-mapped/);
    expect(
      holes({ policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.10.1.0/24" } }], ports: [{ port: 10250 }] }] }).join(),
    ).toMatch(/cluster node range/);
    expect(holes({ policyTypes: ["Egress"], egress: [{ ports: [{ port: 443 }] }] })[0]).toMatch(/every peer/);
    // Egress rules of a policy whose policyTypes leave Egress out are not enforced.
    expect(holes({ policyTypes: ["Ingress"], egress: [{ ports: [{ port: 443 }] }] })).toEqual([]);
  });
  it("admits only the named peers on ingress, in their namespace", () => {
    const ing = mcpIngress("knative-serving", false);
    const kn = (app: string, ns = "knative-serving") => ({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } }, podSelector: { matchLabels: { app } } }],
    });
    expect(holes({ policyTypes: ["Ingress"], ingress: [kn("activator"), kn("autoscaler")] }, ing, "Ingress")).toEqual([]);
    expect(holes({ policyTypes: ["Ingress"], ingress: [kn("controller")] }, ing, "Ingress")[0]).toMatch(/knative-serving/);
    expect(holes({ policyTypes: ["Ingress"], ingress: [kn("activator", "default")] }, ing, "Ingress")[0]).toMatch(/namespace default/);
    expect(holes({ policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] }, ing, "Ingress")[0]).toMatch(/other tenants/);
    expect(holes({ policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "35.191.0.0/16" } }] }] }, ing, "Ingress")[0]).toMatch(
      /any IPv4/,
    );
    const gmp = {
      from: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gke-gmp-system" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": "collector" } },
        },
      ],
    };
    expect(holes({ policyTypes: ["Ingress"], ingress: [gmp] }, ing, "Ingress")).not.toEqual([]);
    expect(holes({ policyTypes: ["Ingress"], ingress: [gmp] }, mcpIngress("knative-serving", true), "Ingress")).toEqual([]);
  });
});
