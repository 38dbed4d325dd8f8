// Stack policies over several resources: the MCP namespace's NetworkPolicies judged by the evaluator's
// semantics (not by their text), the admission guard, and Spanner instance protection.
import { describe, expect, it } from "vitest";
import { EXCEPT, golden, MCP_NS, type FixtureExport } from "./fixtures/golden.js";
import { add, change, find, findings, remove, resource, type Finding } from "./support.js";

const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NETPOLS = ["mcp-default-deny", "mcp-allow-knative", "mcp-allow-dns", "mcp-allow-internet"];
const m = (policy: string, resource: string, message: string, level = "mandatory"): Finding => ({ policy, level, resource, message });
const only = (fs: Finding[], policy: string) => fs.filter((f) => f.policy === policy);
const run = async (build: (e: FixtureExport) => void) => {
  const e = golden();
  build(e);
  // The exact reading (k8s-mcp-networkpolicy-envelope) has its own tests (netpol-envelope.test.ts, mutations/netpol.ts):
  // these cases state the probe rules' findings.
  return (await findings(e)).filter((f) => f.policy !== "k8s-mcp-networkpolicy-envelope");
};

describe("k8s-mcp-networkpolicy-* (evaluated with NetworkPolicy semantics)", () => {
  it("do not apply to a stack without the MCP namespace", async () => {
    expect(await run((e) => remove(e, "mcp-namespace", ...NETPOLS))).toEqual([]);
  });

  it("namespace without any NetworkPolicy: no default deny, and every refusal probe gets through", async () => {
    const fs = await run((e) => remove(e, ...NETPOLS));
    expect(only(fs, "k8s-mcp-networkpolicy-default-deny")).toEqual([
      m(
        "k8s-mcp-networkpolicy-default-deny",
        "mcp-namespace",
        "namespace gumstack-mcp has no default-deny NetworkPolicy for ingress (podSelector: {}, policyTypes including Ingress, no ingress rules)",
      ),
      m(
        "k8s-mcp-networkpolicy-default-deny",
        "mcp-namespace",
        "namespace gumstack-mcp has no default-deny NetworkPolicy for egress (podSelector: {}, policyTypes including Egress, no egress rules)",
      ),
    ]);
    const isolation = only(fs, "k8s-mcp-networkpolicy-isolation");
    expect(isolation).toContainEqual(
      m(
        "k8s-mcp-networkpolicy-isolation",
        "mcp-namespace",
        "egress from an MCP pod to 169.254.169.254 (169.254.0.0/16, GCE metadata server) on 80/TCP is allowed by the MCP pods' egress policies (the MCP pod is not isolated for egress); each layer must refuse it on its own",
      ),
    );
    for (const layer of ["egress", "ingress"]) {
      expect(isolation).toContainEqual(
        m(
          "k8s-mcp-networkpolicy-isolation",
          "mcp-namespace",
          `traffic from MCP pod tenant-a to MCP pod tenant-b on 8012/TCP is allowed by the MCP pods' ${layer} policies (the MCP pod is not isolated for ${layer}); each layer must refuse it on its own`,
        ),
      );
    }
    expect(only(fs, "k8s-mcp-networkpolicy-reachability")).toEqual([]);
  });

  it("allow policies without a deny-all one: isolation holds, the default-deny rule still asks for it", async () => {
    expect(await run((e) => remove(e, "mcp-default-deny"))).toEqual([
      m(
        "k8s-mcp-networkpolicy-default-deny",
        "mcp-namespace",
        "namespace gumstack-mcp has no default-deny NetworkPolicy for ingress (podSelector: {}, policyTypes including Ingress, no ingress rules)",
      ),
      m(
        "k8s-mcp-networkpolicy-default-deny",
        "mcp-namespace",
        "namespace gumstack-mcp has no default-deny NetworkPolicy for egress (podSelector: {}, policyTypes including Egress, no egress rules)",
      ),
    ]);
  });

  it("0.0.0.0/0 except RFC 1918 lets the metadata server through (docs/facts.md fact 4)", async () => {
    const fs = await run((e) =>
      change(e, "mcp-allow-internet", (p) => (p.spec.egress[0].to[0].ipBlock.except = EXCEPT.filter((c) => c !== "169.254.0.0/16"))),
    );
    expect(fs).toEqual([
      m(
        "k8s-mcp-networkpolicy-isolation",
        "mcp-allow-internet",
        "egress from an MCP pod to 169.254.169.254 (169.254.0.0/16, GCE metadata server) on 80/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-internet-egress); each layer must refuse it on its own",
      ),
      m(
        "k8s-mcp-networkpolicy-isolation",
        "mcp-allow-internet",
        "egress from an MCP pod to 169.254.169.254 (169.254.0.0/16, GCE metadata server) on 443/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-internet-egress); each layer must refuse it on its own",
      ),
    ]);
  });

  it("internet egress on every port: one finding per port beyond 80/443", async () => {
    const fs = await run((e) => change(e, "mcp-allow-internet", (p) => delete p.spec.egress[0].ports));
    expect(fs.map((f) => f.message)).toEqual(
      ["22/TCP", "25/TCP", "53/TCP", "3306/TCP", "5432/TCP", "6443/TCP", "8080/TCP", "8443/TCP", "53/UDP", "123/UDP"].map(
        (p) =>
          `egress from an MCP pod to the internet (8.8.8.8) on ${p} is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-internet-egress); each layer must refuse it on its own`,
      ),
    );
    expect(new Set(fs.map((f) => `${f.policy} ${f.level} ${f.resource}`))).toEqual(
      new Set(["k8s-mcp-networkpolicy-isolation mandatory mcp-allow-internet"]),
    );
  });

  it("a cluster range outside RFC 1918, read from the planned subnetwork, must be excepted too", async () => {
    const fs = await run((e) => change(e, "gke-subnet", (p) => (p.secondaryIpRanges[0].ipCidrRange = "11.0.0.0/14")));
    expect(fs).toEqual([
      m(
        "k8s-mcp-networkpolicy-isolation",
        "mcp-allow-internet",
        "egress from an MCP pod to 11.0.0.1 (11.0.0.0/14, secondary range pods) on 80/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-internet-egress); each layer must refuse it on its own",
      ),
      m(
        "k8s-mcp-networkpolicy-isolation",
        "mcp-allow-internet",
        "egress from an MCP pod to 11.0.0.1 (11.0.0.0/14, secondary range pods) on 443/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-internet-egress); each layer must refuse it on its own",
      ),
    ]);
  });

  it("pod-to-pod inside the namespace (podSelector: {} both ways) opens tenants to each other", async () => {
    const fs = await run((e) =>
      add(
        e,
        resource(NP, "mcp-same-namespace", {
          metadata: { name: "allow-same-namespace", namespace: MCP_NS },
          spec: {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ podSelector: {} }] }],
            egress: [{ to: [{ podSelector: {} }] }],
          },
        }),
      ),
    );
    const msgs = fs.map((f) => `${f.policy} ${f.resource}: ${f.message}`);
    for (const layer of ["egress", "ingress"]) {
      expect(msgs).toContain(
        `k8s-mcp-networkpolicy-isolation mcp-same-namespace: traffic from MCP pod tenant-a to MCP pod tenant-b on 8012/TCP is allowed by the MCP pods' ${layer} policies (by gumstack-mcp/allow-same-namespace); each layer must refuse it on its own`,
      );
      expect(msgs).toContain(
        `k8s-mcp-networkpolicy-isolation mcp-same-namespace: traffic from MCP pod tenant-b to MCP pod tenant-a on 9091/TCP is allowed by the MCP pods' ${layer} policies (by gumstack-mcp/allow-same-namespace); each layer must refuse it on its own`,
      );
      expect(msgs).toContain(
        `k8s-mcp-networkpolicy-isolation mcp-same-namespace: traffic from an MCP pod labelled app=activator to MCP pod tenant-a on 8012/TCP is allowed by the MCP pods' ${layer} policies (by gumstack-mcp/allow-same-namespace); each layer must refuse it on its own`,
      );
    }
    expect(fs).toHaveLength(26); // 5 ports each way and three data-plane labels a tenant could put on its pods, on each layer
  });

  describe("each layer is judged alone: loosening one is a violation while the other still blocks", () => {
    const layerOf = (f: Finding) => /the MCP pods' (egress|ingress) policies/.exec(f.message)?.[1];

    it("the golden stack's two layers each hold", async () => {
      expect(only(await run(() => {}), "k8s-mcp-networkpolicy-isolation")).toEqual([]);
    });

    it("ingress admitting every pod of the MCP namespace, while egress still refuses MCP-to-MCP", async () => {
      const fs = await run((e) => change(e, "mcp-allow-knative", (p) => p.spec.ingress.push({ from: [{ podSelector: {} }] })));
      const isolation = only(fs, "k8s-mcp-networkpolicy-isolation");
      expect(isolation).toContainEqual(
        m(
          "k8s-mcp-networkpolicy-isolation",
          "mcp-allow-knative",
          "traffic from MCP pod tenant-b to MCP pod tenant-a on 8080/TCP is allowed by the MCP pods' ingress policies (by gumstack-mcp/allow-knative-data-plane); each layer must refuse it on its own",
        ),
      );
      expect(isolation).toContainEqual(
        m(
          "k8s-mcp-networkpolicy-isolation",
          "mcp-allow-knative",
          "traffic from an MCP pod labelled app=activator to MCP pod tenant-a on 8012/TCP is allowed by the MCP pods' ingress policies (by gumstack-mcp/allow-knative-data-plane); each layer must refuse it on its own",
        ),
      );
      expect(new Set(isolation.map(layerOf))).toEqual(new Set(["ingress"]));
      expect(fs.filter((f) => f.policy !== "k8s-mcp-networkpolicy-isolation")).toEqual([]);
    });

    it("egress to every pod of the MCP namespace, while ingress still refuses MCP-to-MCP", async () => {
      const fs = await run((e) =>
        add(
          e,
          resource(NP, "mcp-egress-same-namespace", {
            metadata: { name: "allow-egress-same-namespace", namespace: MCP_NS },
            spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }] }] },
          }),
        ),
      );
      const isolation = only(fs, "k8s-mcp-networkpolicy-isolation");
      expect(isolation).toContainEqual(
        m(
          "k8s-mcp-networkpolicy-isolation",
          "mcp-egress-same-namespace",
          "traffic from MCP pod tenant-a to MCP pod tenant-b on 8012/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-egress-same-namespace); each layer must refuse it on its own",
        ),
      );
      expect(new Set(isolation.map(layerOf))).toEqual(new Set(["egress"]));
      expect(isolation).toHaveLength(13);
    });

    it("DNS egress widened to all of kube-system on every port: kube-dns's other ports and the namespace's other pods", async () => {
      const fs = await run((e) =>
        change(
          e,
          "mcp-allow-dns",
          (p) => (p.spec.egress = [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }] }]),
        ),
      );
      const msgs = only(fs, "k8s-mcp-networkpolicy-isolation").map((f) => f.message);
      expect(msgs).toContain(
        "egress from an MCP pod to kube-dns on 9153/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-dns); each layer must refuse it on its own",
      );
      expect(msgs).toContain(
        "egress from an MCP pod to a pod in namespace kube-system on 443/TCP is allowed by the MCP pods' egress policies (by gumstack-mcp/allow-dns); each layer must refuse it on its own",
      );
      expect(msgs.every((x) => x.includes("egress policies"))).toBe(true);
    });

    it("ingress from any pod of another namespace, whatever that pod's own egress", async () => {
      const fs = await run((e) =>
        change(e, "mcp-allow-knative", (p) =>
          p.spec.ingress.push({ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gumstack-backend" } } }] }),
        ),
      );
      const msgs = only(fs, "k8s-mcp-networkpolicy-isolation").map((f) => f.message);
      expect(msgs).toContain(
        "ingress to an MCP pod from a pod in namespace gumstack-backend on 8012/TCP is allowed by the MCP pods' ingress policies (by gumstack-mcp/allow-knative-data-plane); each layer must refuse it on its own",
      );
      expect(msgs).toHaveLength(10); // 5 MCP ports, and 5 data-plane ports from pods there labelled as the data plane
    });
  });

  it("namespaceSelector and podSelector in separate `from` elements (OR) admit all of knative-serving", async () => {
    const fs = await run((e) =>
      change(e, "mcp-allow-knative", (p) => {
        p.spec.ingress = [
          {
            from: [
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } } },
              { podSelector: { matchLabels: { app: "3scale-kourier-gateway" } } },
            ],
            ports: [{ port: 8012 }, { port: 8013 }, { port: 9090 }],
          },
        ];
      }),
    );
    const isolation = only(fs, "k8s-mcp-networkpolicy-isolation").map((f) => f.message);
    expect(isolation).toContain(
      "ingress to an MCP pod from knative-serving pod app=controller on 8012/TCP is allowed by the MCP pods' ingress policies (by gumstack-mcp/allow-knative-data-plane); each layer must refuse it on its own",
    );
    expect(isolation).toContain(
      "ingress to an MCP pod from a pod in namespace knative-serving on 9090/TCP is allowed by the MCP pods' ingress policies (by gumstack-mcp/allow-knative-data-plane); each layer must refuse it on its own",
    );
    expect(only(fs, "k8s-mcp-networkpolicy-reachability")).toEqual([]);
  });

  it("ingress from Kourier alone breaks the activator and the autoscaler (advisory)", async () => {
    const fs = await run((e) =>
      change(e, "mcp-allow-knative", (p) => {
        p.spec.ingress = [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "knative-serving" } },
                podSelector: { matchLabels: { app: "3scale-kourier-gateway" } },
              },
            ],
            ports: [{ port: 8012 }, { port: 8013 }],
          },
        ];
      }),
    );
    const why = "selected for Ingress by gumstack-mcp/default-deny, gumstack-mcp/allow-knative-data-plane but no rule matches";
    expect(fs).toEqual([
      m(
        "k8s-mcp-networkpolicy-reachability",
        "mcp-namespace",
        `ingress to an MCP pod from the activator (knative-serving, app=activator) on 8012/TCP is refused (${why})`,
        "advisory",
      ),
      m(
        "k8s-mcp-networkpolicy-reachability",
        "mcp-namespace",
        `ingress to an MCP pod from the activator (knative-serving, app=activator) on 8013/TCP is refused (${why})`,
        "advisory",
      ),
      m(
        "k8s-mcp-networkpolicy-reachability",
        "mcp-namespace",
        `ingress to an MCP pod from the autoscaler (knative-serving, app=autoscaler) on 9090/TCP is refused (${why})`,
        "advisory",
      ),
    ]);
  });

  it("no DNS egress: MCP servers cannot resolve names (advisory)", async () => {
    const why = "selected for Egress by gumstack-mcp/default-deny, gumstack-mcp/allow-internet-egress but no rule matches";
    expect(await run((e) => remove(e, "mcp-allow-dns"))).toEqual([
      m("k8s-mcp-networkpolicy-reachability", "mcp-namespace", `DNS from an MCP pod to kube-dns on 53/UDP is refused (${why})`, "advisory"),
      m("k8s-mcp-networkpolicy-reachability", "mcp-namespace", `DNS from an MCP pod to kube-dns on 53/TCP is refused (${why})`, "advisory"),
    ]);
  });

  it("edge case, still compliant: NodeLocal DNSCache's 169.254.20.10:53 allowed", async () => {
    expect(
      await run((e) =>
        change(e, "mcp-allow-dns", (p) =>
          p.spec.egress.push({
            to: [{ ipBlock: { cidr: "169.254.20.10/32" } }],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          }),
        ),
      ),
    ).toEqual([]);
  });

  it("a NetworkPolicy the API server would reject is reported, not crashed on", async () => {
    const fs = await run((e) => change(e, "mcp-allow-internet", (p) => (p.spec.egress[0].to[0].ipBlock.cidr = "0.0.0.0/33")));
    expect(fs).toEqual([
      m("k8s-mcp-networkpolicy-isolation", "mcp-namespace", 'the NetworkPolicies cannot be evaluated: ipBlock: invalid CIDR "0.0.0.0/33"'),
      m(
        "k8s-mcp-networkpolicy-reachability",
        "mcp-namespace",
        'the NetworkPolicies cannot be evaluated: ipBlock: invalid CIDR "0.0.0.0/33"',
        "advisory",
      ),
    ]);
  });
});

describe("k8s-mcp-admission-guard-bound", () => {
  const NO_GUARD = m(
    "k8s-mcp-admission-guard-bound",
    "mcp-namespace",
    "namespace gumstack-mcp has no admission guard: no ValidatingAdmissionPolicyBinding with validationActions Deny selects it by kubernetes.io/metadata.name and binds a ValidatingAdmissionPolicy of this stack",
  );
  const UNBOUND = m(
    "k8s-mcp-admission-guard-bound",
    "guard-sandbox",
    "ValidatingAdmissionPolicy gumstack-mcp-sandbox targets gumstack-mcp but no binding with validationActions Deny binds it to gumstack-mcp",
  );

  // Each unbinding opens holes the corpus finds (the sandbox policy's attacks admitted), besides the structural finding.
  const CORPUS = /^corpus case mcp\/.* \(attack sandbox\.[a-z-]+\) admitted/;
  const split = (found: Finding[]) => ({
    structural: found.filter((f) => !/^corpus case |more corpus cases/.test(f.message)),
    corpus: found.filter((f) => CORPUS.test(f.message)),
  });

  it("no binding", async () => {
    const { structural, corpus } = split(await run((e) => remove(e, "guard-sandbox-binding")));
    expect(structural).toEqual([UNBOUND]);
    expect(corpus.length).toBeGreaterThan(0);
  });

  it("no guard at all", async () => {
    const { structural, corpus } = split(
      await run((e) =>
        remove(e, ...e.deployment.resources.map((r) => r.urn.slice(r.urn.lastIndexOf("::") + 2)).filter((n) => n.startsWith("guard-"))),
      ),
    );
    expect(structural).toEqual([NO_GUARD]);
    expect(corpus.length).toBeGreaterThan(0);
  });

  it("a binding that only audits", async () => {
    const { structural, corpus } = split(
      await run((e) => change(e, "guard-sandbox-binding", (p) => (p.spec.validationActions = ["Audit", "Warn"]))),
    );
    expect(structural).toEqual([
      m(
        "k8s-mcp-admission-guard-bound",
        "guard-sandbox-binding",
        'ValidatingAdmissionPolicyBinding gumstack-mcp-sandbox selects gumstack-mcp but its validationActions ["Audit","Warn"] lack "Deny": violations are only reported',
      ),
      UNBOUND,
    ]);
    expect(corpus.length).toBeGreaterThan(0);
  });

  it("a binding that selects the namespace by a mutable label", async () => {
    const { structural, corpus } = split(
      await run((e) =>
        change(
          e,
          "guard-sandbox-binding",
          (p) => (p.spec.matchResources.namespaceSelector = { matchLabels: { "gumstack.com/tier": "untrusted" } }),
        ),
      ),
    );
    expect(structural).toEqual([UNBOUND]);
    // The namespace carries the label today, so the corpus is still refused: the finding is the mutable selection.
    expect(corpus).toEqual([]);
  });

  it("a binding naming a policy that is not in the stack", async () => {
    const { structural, corpus } = split(await run((e) => change(e, "guard-sandbox-binding", (p) => (p.spec.policyName = "elsewhere"))));
    expect(structural).toEqual([
      m(
        "k8s-mcp-admission-guard-bound",
        "guard-sandbox-binding",
        'ValidatingAdmissionPolicyBinding gumstack-mcp-sandbox selects gumstack-mcp but binds no ValidatingAdmissionPolicy of this stack (spec.policyName "elsewhere")',
      ),
      UNBOUND,
    ]);
    expect(corpus.length).toBeGreaterThan(0);
  });

  it("a guard that fails open", async () => {
    expect(await run((e) => change(e, "guard-sandbox", (p) => (p.spec.failurePolicy = "Ignore")))).toEqual([
      m(
        "k8s-mcp-admission-guard-bound",
        "guard-sandbox",
        "ValidatingAdmissionPolicy gumstack-mcp-sandbox has failurePolicy Ignore: the guard would let requests through whenever it fails",
      ),
    ]);
  });

  it("edge case, still compliant: selection by matchExpressions on the name label", async () => {
    expect(
      await run((e) =>
        change(
          e,
          "guard-sandbox-binding",
          (p) =>
            (p.spec.matchResources.namespaceSelector = {
              matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [MCP_NS] }],
            }),
        ),
      ),
    ).toEqual([]);
  });
});

describe("resources read, not managed (external in an export)", () => {
  it("get no resource policy: a read cluster with empty inputs is not the program's to fix", async () => {
    expect(await run((e) => add(e, resource("gcp:container/cluster:Cluster", "read-cluster", {}, { external: true })))).toEqual([]);
  });

  it("are part of the stack policies' view, through their state", async () => {
    const fs = await run((e) => {
      remove(e, "mcp-namespace", "mcp-default-deny");
      const read = resource("kubernetes:core/v1:Namespace", "read-mcp-namespace", {}, { external: true });
      read.outputs = { metadata: { name: MCP_NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } };
      add(e, read);
    });
    expect(only(fs, "k8s-mcp-networkpolicy-default-deny").map((f) => f.resource)).toEqual(["read-mcp-namespace", "read-mcp-namespace"]);
  });
});

describe("spanner-instance-deletion-protection", () => {
  it("a protected instance needs no drop-protected database", async () => {
    const fs = await run((e) => {
      find(e, "spanner").protect = true;
      change(e, "gumstack-db", (p) => (p.enableDropProtection = false));
    });
    expect(fs.map((f) => f.policy)).toEqual(["spanner-database-drop-protection"]);
  });

  it("an instance with no database at all", async () => {
    expect(await run((e) => remove(e, "gumstack-db"))).toEqual([
      m(
        "spanner-instance-deletion-protection",
        "spanner",
        "the Spanner instance can be deleted: no database in it has enableDropProtection, and it is neither protected nor deletionPolicy PREVENT",
      ),
    ]);
  });
});
