// Values unknown during preview (the engine's sentinel) and secrets an export holds only as ciphertext:
// no crash and no silent pass. Literals isolation depends on fail the mandatory policy ("cannot verify");
// references that are legitimately unknown in a first preview get @pulumi/policy's own advisory.
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/rules/index.js";
import { runPolicyPack, type PolicyRun } from "../../src/policy/analyzer.js";
import { parseExport } from "../../src/policy/export.js";
import { golden, MCP_NS } from "./fixtures/golden.js";
import { add, change, findings, nameOfUrn, resource, UNKNOWN, type Finding } from "./support.js";

const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const m = (policy: string, resource: string, message: string, level = "mandatory"): Finding => ({ policy, level, resource, message });
const deferred = (policy: string, resource: string, type: string, path: string): Finding =>
  m(
    policy,
    resource,
    `can't run policy '${policy}' from policy pack 'gumstack-isolation@v0.1.0' during preview: ${type} value at .${path} can't be known during preview`,
    "advisory",
  );

describe("unknown values", () => {
  it("a literal isolation depends on (metadata mode) fails the mandatory policy", async () => {
    const e = change(golden(), "mcp-pool", (p) => (p.nodeConfig.workloadMetadataConfig.mode = UNKNOWN));
    expect(await findings(e)).toEqual([
      m(
        "gke-node-pool-gke-metadata",
        "mcp-pool",
        "cannot verify nodeConfig.workloadMetadataConfig.mode: the value is unknown during preview, and this rule does not pass a value it cannot see",
      ),
    ]);
  });

  it("an unknown sandbox config fails the sandbox policy", async () => {
    const e = change(golden(), "mcp-pool", (p) => (p.nodeConfig.sandboxConfig = UNKNOWN));
    expect(await findings(e)).toEqual([
      m(
        "gke-node-pool-mcp-sandbox",
        "mcp-pool",
        "cannot verify nodeConfig.sandboxConfig: the value is unknown during preview, and this rule does not pass a value it cannot see",
      ),
    ]);
  });

  it("a node service account email created in the same stack is @pulumi/policy's advisory", async () => {
    const e = change(golden(), "system-pool", (p) => (p.nodeConfig.serviceAccount = UNKNOWN));
    expect(await findings(e)).toEqual([
      deferred("gke-node-pool-dedicated-service-account", "system-pool", "string", "nodeConfig.serviceAccount"),
    ]);
  });

  it("an unknown IAM member is advisory, a known MCP member next to it still mandatory", async () => {
    const e = add(
      golden(),
      resource("gcp:projects/iAMBinding:IAMBinding", "mixed", {
        project: "p",
        role: "roles/viewer",
        members: [`serviceAccount:p.svc.id.goog[${MCP_NS}/mcp-server]`, UNKNOWN],
      }),
    );
    expect(await findings(e)).toEqual([
      m(
        "iam-grant-no-mcp-identity",
        "mixed",
        `grants roles/viewer to serviceAccount:p.svc.id.goog[${MCP_NS}/mcp-server], which is the Workload Identity of ServiceAccount ${MCP_NS}/mcp-server: MCP servers must hold no GCP access`,
      ),
      deferred("iam-grant-no-mcp-identity", "mixed", "string", "members.1"),
      m(
        "iam-grant-no-cluster-kubernetes-access",
        "mixed",
        `serviceAccount:p.svc.id.goog[${MCP_NS}/mcp-server] holds the basic role roles/viewer on project p, which reaches the Kubernetes API of every cluster there, and is reachable from the cluster: serviceAccount:p.svc.id.goog[${MCP_NS}/mcp-server] is a GKE Workload Identity`,
      ),
      m(
        "iam-grant-no-cluster-kubernetes-access",
        "mixed",
        "unknown:urn:pulumi:test::gumstack::gcp:projects/iAMBinding:IAMBinding::mixed holds the basic role roles/viewer on project p, which reaches the Kubernetes API of every cluster there, and is reachable from the cluster: the member of mixed is unknown during preview, so it may be a cluster identity",
      ),
    ]);
  });

  it("a workload whose namespace is unknown gets an advisory from every workload policy", async () => {
    const e = change(golden(), "mcp-example", (p) => (p.metadata.namespace = UNKNOWN));
    const fs = await findings(e);
    expect(fs.map((f) => f.policy).sort()).toEqual([
      "k8s-mcp-workload-allowed-registries",
      "k8s-mcp-workload-gvisor-runtime",
      "k8s-mcp-workload-no-host-namespaces",
      "k8s-mcp-workload-no-token-automount",
      "k8s-mcp-workload-not-privileged",
      "k8s-mcp-workload-pod-security-restricted",
    ]);
    expect(fs).toContainEqual(deferred("k8s-mcp-workload-gvisor-runtime", "mcp-example", "string", "metadata.namespace"));
    expect(new Set(fs.map((f) => f.level))).toEqual(new Set(["advisory"]));
  });

  it("an unknown pod spec in the MCP namespace fails every workload policy", async () => {
    const e = change(golden(), "mcp-warmup", (p) => (p.spec.template.spec = UNKNOWN));
    const fs = await findings(e);
    expect(fs).toHaveLength(6);
    expect(new Set(fs.map((f) => `${f.level} ${f.message}`))).toEqual(
      new Set([
        "mandatory cannot verify spec.template.spec: the value is unknown during preview, and this rule does not pass a value it cannot see",
      ]),
    );
  });

  it("an unknown value inside an MCP NetworkPolicy: the network cannot be judged", async () => {
    const e = change(golden(), "mcp-allow-internet", (p) => (p.spec.egress[0].to[0].ipBlock.except[4] = UNKNOWN));
    const msg =
      "cannot verify NetworkPolicy gumstack-mcp/allow-internet-egress: spec.egress[0].to[0].ipBlock.except[4] is unknown during preview";
    expect(await findings(e)).toEqual([
      m("k8s-mcp-networkpolicy-default-deny", "mcp-allow-internet", msg),
      m("k8s-mcp-networkpolicy-isolation", "mcp-allow-internet", msg),
      m("k8s-mcp-networkpolicy-reachability", "mcp-allow-internet", msg, "advisory"),
      m("k8s-mcp-networkpolicy-envelope", "mcp-allow-internet", msg),
    ]);
  });

  it("edge case, still compliant: a binding that names its policy by an unknown output is matched by its dependency", async () => {
    const e = change(golden(), "guard-sandbox-binding", (p) => (p.spec.policyName = UNKNOWN));
    expect(await findings(e)).toEqual([]);
  });
});

describe("secrets in an export", () => {
  it("ciphertext is unknown to the policies: reported, not misread as an empty map", async () => {
    const e = change(golden(), "mcp-sa", (p) => (p.metadata.annotations = { ...SECRET, ciphertext: "v1:abc" }));
    expect(await findings(e)).toEqual([
      m(
        "k8s-mcp-service-account-no-workload-identity",
        "mcp-sa",
        "cannot verify metadata.annotations: the value is unknown during preview, and this rule does not pass a value it cannot see",
      ),
    ]);
  });

  it("plaintext (an export with --show-secrets) is checked like any value", async () => {
    const annotations = { "iam.gke.io/gcp-service-account": "mcp@p.iam.gserviceaccount.com" };
    const e = change(golden(), "mcp-sa", (p) => (p.metadata.annotations = { ...SECRET, plaintext: JSON.stringify(annotations) }));
    expect(await findings(e)).toEqual([
      m(
        "k8s-mcp-service-account-no-workload-identity",
        "mcp-sa",
        "ServiceAccount gumstack-mcp/mcp-server is annotated iam.gke.io/gcp-service-account=mcp@p.iam.gserviceaccount.com: MCP servers must hold no GCP identity",
      ),
    ]);
  });
});

describe("no crash on any shape", () => {
  // Each shape of each resource goes through every policy of the pack, as one findings() run would take it, in
  // two runs that together make the same policy calls: a resource policy judges one resource from its own
  // request (its inputs, options and provider), so the resource policies run over the changed resource alone
  // (with the providers it may name); a stack policy judges the whole stack, so the stack policies run over all
  // of it. Every other resource's resource-policy calls are those of the unchanged golden stack, run whole first.
  const resourcePolicies = policies.filter((p) => "validateResource" in p);
  const stackPolicies = policies.filter((p) => "validateStack" in p);
  const named = golden().deployment.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));

  it("the golden stack, every policy over every resource", async () => {
    expect(resourcePolicies.length + stackPolicies.length).toBe(policies.length);
    await expect(findings(golden())).resolves.toBeInstanceOf(Array);
  });

  it.each(named.map((r) => [r.urn.split("::").pop()!, r.urn] as const))(
    "%s: every top-level input unknown, then every one malformed",
    async (name) => {
      for (const replacement of [UNKNOWN, 42, "x", null, [], {}]) {
        const e = golden();
        change(e, name, (p) => {
          for (const k of Object.keys(p)) p[k] = replacement;
        });
        const resources = parseExport(JSON.stringify(e), "fixture");
        const own = resources.filter((r) => nameOfUrn(r.urn) === name || r.type.startsWith("pulumi:providers:"));
        const shape = `${name} with every input ${JSON.stringify(replacement)}`;
        const diagnostics = (run: PolicyRun) => run.diagnostics;
        await expect(
          runPolicyPack(own, { policies: resourcePolicies }).then(diagnostics),
          `${shape}: resource policies`,
        ).resolves.toBeInstanceOf(Array);
        await expect(
          runPolicyPack(resources, { policies: stackPolicies }).then(diagnostics),
          `${shape}: stack policies`,
        ).resolves.toBeInstanceOf(Array);
      }
    },
  );
});
