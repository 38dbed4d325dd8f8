// The build plane's two stack policies over the golden stack plus the build namespace as the program makes it
// (the real manifest builders), then one mutation at a time: judged by NetworkPolicy semantics and by what the
// bindings actually bind, never by names.
import { describe, expect, it } from "vitest";
import { imagePathPrefixOf, buildAdmissionManifests } from "../../components/kubernetes/buildAdmissionPolicies.js";
import { buildNamespaceManifests } from "../../components/kubernetes/buildNamespace.js";
import { buildNetworkPolicyManifests } from "../../components/kubernetes/buildNetworkPolicies.js";
import { golden, TENANT_REPOSITORY, type FixtureExport } from "./fixtures/golden.js";
import { add, change, findings, remove, resource, type Finding } from "./support.js";

const NS = "gumstack-build";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
// The golden stack's ranges (its subnetwork and cluster).
const RANGES = { nodeCidr: "10.10.0.0/20", podCidr: "10.16.0.0/14", serviceCidr: "10.20.0.0/20", masterCidr: "172.16.0.0/28" };
const GUARD = buildAdmissionManifests({
  builderImagePrefix: imagePathPrefixOf(`${TENANT_REPOSITORY}/gumstack-build/builder@sha256:${"8".repeat(64)}`),
});
const POLICIES = buildNetworkPolicyManifests({ ranges: RANGES });

/** The golden stack with the build namespace, its NetworkPolicies and its guard, as the program plans them. */
function withBuildPlane(): FixtureExport {
  const e = golden();
  add(e, resource("kubernetes:core/v1:Namespace", "build-namespace", buildNamespaceManifests().namespace));
  for (const p of POLICIES) add(e, resource(NP, `build-netpol-${p.metadata.name}`, structuredClone(p)));
  GUARD.policies.forEach((p, i) => {
    add(e, resource(VAP, `build-admission-${GUARD.ids[i]}`, structuredClone(p)));
    add(e, resource(BINDING, `build-admission-${GUARD.ids[i]}-binding`, structuredClone(GUARD.bindings[i]!)));
  });
  return e;
}
const ours = (fs: Finding[]) => fs.filter((f) => f.policy.startsWith("k8s-build-"));
const run = async (mutate: (e: FixtureExport) => void) => {
  const e = withBuildPlane();
  mutate(e);
  return ours(await findings(e));
};
/** The findings besides the attack corpus's (policies/corpus/build.json), and the corpus's. */
const structural = (fs: Finding[]) => fs.filter((f) => !/^corpus case |more corpus cases/.test(f.message));
const corpusHoles = (fs: Finding[]) => fs.filter((f) => /^corpus case build\/.*\(attack [a-z.-]+\) admitted/.test(f.message));
const FENCED = "k8s-build-networkpolicy-fenced";
const GUARDED = "k8s-build-admission-guard-bound";

describe("the build plane's stack policies", () => {
  it("pass on the build namespace as the program makes it, and every other policy still passes", async () => {
    expect(await findings(withBuildPlane())).toEqual([]);
  });

  it("do not apply to a stack without the build namespace", async () => {
    expect(ours(await findings(golden()))).toEqual([]);
  });

  it("no NetworkPolicy at all: no default deny, the metadata server and other namespaces reachable", async () => {
    const fs = await run((e) => remove(e, ...POLICIES.map((p) => `build-netpol-${p.metadata.name}`)));
    expect(fs).toContainEqual({
      policy: FENCED,
      level: "mandatory",
      resource: "build-namespace",
      message: `namespace ${NS} has no default-deny NetworkPolicy for egress (podSelector: {}, policyTypes including Egress, no egress rules)`,
    });
    expect(fs).toContainEqual(
      expect.objectContaining({
        policy: FENCED,
        message:
          "egress from a build pod to 169.254.169.254 (169.254.0.0/16, GCE metadata server) on 80/TCP is allowed by the build pods' egress policies (the build pod is not isolated for egress); each layer must refuse it on its own",
      }),
    );
    expect(fs).toContainEqual(
      expect.objectContaining({
        policy: FENCED,
        message: expect.stringMatching(
          /^ingress to a build pod from a pod in namespace default \(app=probe\) on 80\/TCP is allowed by the build pods' ingress policies/,
        ),
      }),
    );
  });

  it("an except-list of RFC 1918 only lets the metadata server through on 80", async () => {
    const fs = await run((e) =>
      change(
        e,
        "build-netpol-allow-egress-public-web",
        (p) => (p.spec.egress[0].to[0].ipBlock.except = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
      ),
    );
    expect(fs).toContainEqual({
      policy: FENCED,
      level: "mandatory",
      resource: "build-netpol-allow-egress-public-web",
      message:
        "egress from a build pod to 169.254.169.254 (169.254.0.0/16, GCE metadata server) on 80/TCP is allowed by the build pods' egress policies (by gumstack-build/allow-egress-public-web); each layer must refuse it on its own",
    });
  });

  it("internet egress on every port: one finding per port beyond 80/443", async () => {
    const fs = await run((e) => change(e, "build-netpol-allow-egress-public-web", (p) => delete p.spec.egress[0].ports));
    expect(fs.filter((f) => f.message.startsWith("egress from a build pod to the internet (8.8.8.8) on 22/TCP"))).toHaveLength(1);
    expect(fs.every((f) => f.policy === FENCED)).toBe(true);
  });

  it("an ingress rule from the backend opens the builds to it", async () => {
    const fs = await run((e) =>
      add(
        e,
        resource(NP, "build-allow-backend", {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: "allow-backend", namespace: NS },
          spec: {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gumstack-backend" } } }] }],
          },
        }),
      ),
    );
    expect(fs).toContainEqual(
      expect.objectContaining({
        policy: FENCED,
        resource: "build-allow-backend",
        message: expect.stringMatching(
          /^ingress to a build pod from a pod in namespace gumstack-backend \(app=probe\) on 80\/TCP is allowed by the build pods' ingress policies \(by gumstack-build\/allow-backend\)/,
        ),
      }),
    );
  });

  it("pod-to-pod inside the namespace lets one tenant's build reach another's", async () => {
    const fs = await run((e) =>
      add(
        e,
        resource(NP, "build-allow-same-ns", {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: "allow-same-namespace", namespace: NS },
          spec: {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ podSelector: {} }] }],
            egress: [{ to: [{ podSelector: {} }] }],
          },
        }),
      ),
    );
    expect(fs).toContainEqual(
      expect.objectContaining({
        policy: FENCED,
        message:
          "traffic from build pod tenant-a to build pod tenant-b on 80/TCP is allowed by the build pods' egress policies (by gumstack-build/allow-same-namespace); each layer must refuse it on its own",
      }),
    );
  });

  it("no DNS egress: builds cannot resolve names", async () => {
    const fs = await run((e) => remove(e, "build-netpol-allow-egress-dns"));
    expect(fs).toEqual([
      expect.objectContaining({
        policy: FENCED,
        message: expect.stringMatching(/^DNS from a build pod to kube-dns on 53\/UDP is refused \(.*\); builds need it$/),
      }),
      expect.objectContaining({
        policy: FENCED,
        message: expect.stringMatching(/^DNS from a build pod to kube-dns on 53\/TCP is refused/),
      }),
    ]);
  });

  it("no guard at all", async () => {
    const fs = await run((e) => remove(e, ...GUARD.ids.flatMap((id) => [`build-admission-${id}`, `build-admission-${id}-binding`])));
    expect(corpusHoles(fs).length).toBeGreaterThan(0);
    expect(structural(fs)).toEqual([
      {
        policy: GUARDED,
        level: "mandatory",
        resource: "build-namespace",
        message: `namespace ${NS} has no admission guard: no ValidatingAdmissionPolicyBinding with validationActions Deny selects it by kubernetes.io/metadata.name and binds a ValidatingAdmissionPolicy of this stack`,
      },
    ]);
  });

  it("bindings that only audit: every build policy inert, the namespace unguarded", async () => {
    const fs = await run((e) => {
      for (const id of GUARD.ids) change(e, `build-admission-${id}-binding`, (b) => (b.spec.validationActions = ["Audit"]));
    });
    expect(fs.filter((f) => f.message.includes('lack "Deny"'))).toHaveLength(GUARD.ids.length);
    expect(fs).toContainEqual(
      expect.objectContaining({ resource: "build-namespace", message: expect.stringMatching(/has no admission guard/) }),
    );
  });

  it("a guard that no longer judges Pods (Jobs only) is walked around by creating a Pod", async () => {
    const fs = await run((e) => {
      for (const id of ["pod", "credentials", "contract"])
        change(
          e,
          `build-admission-${id}`,
          (p) =>
            (p.spec.matchConstraints.resourceRules = p.spec.matchConstraints.resourceRules.filter(
              (r: { resources: string[] }) => !r.resources.includes("pods"),
            )),
        );
    });
    expect(
      corpusHoles(fs)
        .map((f) => f.message)
        .join("\n"),
    ).toMatch(/corpus case build\/Pod\/create\/no-gvisor/);
    expect(structural(fs)).toEqual([
      {
        policy: GUARDED,
        level: "mandatory",
        resource: "build-namespace",
        message: `no Deny-bound ValidatingAdmissionPolicy judges the creation of Pods in ${NS}: build workloads of that kind would be admitted unchecked`,
      },
    ]);
  });

  it("a build policy that fails open", async () => {
    const fs = await run((e) => change(e, "build-admission-credentials", (p) => (p.spec.failurePolicy = "Ignore")));
    expect(fs).toEqual([
      {
        policy: GUARDED,
        level: "mandatory",
        resource: "build-admission-credentials",
        message: `ValidatingAdmissionPolicy ${NS}-credentials has failurePolicy Ignore: the guard would let requests through whenever it fails`,
      },
    ]);
  });

  it("a binding that selects the namespace by a mutable label guards nothing", async () => {
    const fs = await run((e) => {
      for (const id of GUARD.ids)
        change(
          e,
          `build-admission-${id}-binding`,
          (b) => (b.spec.matchResources.namespaceSelector = { matchLabels: { "gumstack.com/tenancy": "untrusted" } }),
        );
    });
    expect(fs).toContainEqual(
      expect.objectContaining({ resource: "build-namespace", message: expect.stringMatching(/has no admission guard/) }),
    );
  });
});

describe("the build namespace the pack judges", () => {
  it("follows the stack: its config's gumstack:build.namespace, or the plan's buildNamespace output", async () => {
    const { packValuesFromConfig, packValuesFromOutputs } = await import("../../src/policy/packConfig.js");
    const config = {
      region: "us-west1",
      project: "gumstack-test",
      environment: "test",
      mcp: { namespace: "gumstack-mcp" },
      artifactRegistry: {},
      build: { namespace: "tenant-builds" },
    } as never;
    expect(packValuesFromConfig(config).buildNamespace).toBe("tenant-builds");
    const stack = {
      urn: "urn:pulumi:test::gumstack::pulumi:pulumi:Stack::gumstack-test",
      type: "pulumi:pulumi:Stack",
      outputs: { mcpNamespace: "gumstack-mcp", buildNamespace: "tenant-builds" },
    };
    expect(packValuesFromOutputs([stack] as never)?.buildNamespace).toBe("tenant-builds");
  });

  it("a renamed build namespace without its NetworkPolicies is judged, not skipped as absent", async () => {
    const e = golden();
    add(e, resource("kubernetes:core/v1:Namespace", "build-namespace", buildNamespaceManifests({ namespace: "tenant-builds" }).namespace));
    const fs = ours(await findings(e, { "k8s-build-networkpolicy-fenced": { buildNamespace: "tenant-builds" } }));
    expect(fs).toContainEqual(
      expect.objectContaining({
        policy: FENCED,
        message: expect.stringMatching(/^namespace tenant-builds has no default-deny NetworkPolicy for ingress/),
      }),
    );
  });
});
