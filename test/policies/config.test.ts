// Policy pack config, applied with the semantics @pulumi/policy gives it: per-policy enforcement levels
// ("all" for every policy, a policy's own entry winning) and properties read through args.getConfig().
import { describe, expect, it } from "vitest";
import { expandPackConfig, imageAllowed } from "../../policies/config.js";
import { policies } from "../../policies/rules/index.js";
import { golden, mcpPodSpec } from "./fixtures/golden.js";
import { add, change, findings, resource } from "./support.js";

const unprotected = () => change(golden(), "gke", (p) => (p.deletionProtection = false));
const DELETION = "deletionProtection is false: a replacement or `pulumi destroy` deletes the cluster and every MCP server on it";

describe("enforcement levels", () => {
  it("a policy's level can be lowered to advisory", async () => {
    expect(await findings(unprotected(), { "gke-cluster-deletion-protection": "advisory" })).toEqual([
      { policy: "gke-cluster-deletion-protection", level: "advisory", resource: "gke", message: DELETION },
    ]);
  });

  it("'all' sets every policy, a policy's own entry wins", async () => {
    const e = change(unprotected(), "tls", (p) => (p.profile = "COMPATIBLE"));
    expect(
      (await findings(e, { all: "advisory", "compute-ssl-policy-modern-tls": { enforcementLevel: "mandatory" } })).map(
        (f) => `${f.policy}=${f.level}`,
      ),
    ).toEqual(["gke-cluster-deletion-protection=advisory", "compute-ssl-policy-modern-tls=mandatory"]);
  });

  it("a disabled policy does not run", async () => {
    expect(await findings(unprotected(), { "gke-cluster-deletion-protection": "disabled" })).toEqual([]);
  });

  it("an unknown policy or property, or a bad value, is refused", async () => {
    await expect(findings(golden(), { "no-such-policy": "advisory" })).rejects.toThrow(
      "policy config names 'no-such-policy', which is not a policy of the pack",
    );
    await expect(findings(golden(), { "gke-cluster-private-nodes": { mcpNamespace: "x" } })).rejects.toThrow(
      "gke-cluster-private-nodes: 'mcpNamespace' is not a config property of this policy",
    );
    await expect(findings(golden(), { "k8s-mcp-workload-gvisor-runtime": { mcpNamespace: "Not_A_Name" } })).rejects.toThrow(
      'mcpNamespace: "Not_A_Name" is not a Kubernetes name',
    );
    await expect(findings(golden(), { "gke-cluster-private-nodes": "sometimes" as never })).rejects.toThrow(
      'enforcementLevel "sometimes" is not one of',
    );
  });
});

describe("pack config values", () => {
  it("the tenant namespace: rules follow it, and the old namespace is just another namespace", async () => {
    const config = expandPackConfig({ mcpNamespace: "tenants" }, policies);
    expect(await findings(golden(), config)).toEqual([]);
    const e = add(
      golden(),
      resource("kubernetes:serving.knative.dev/v1:Service", "tenant-svc", {
        metadata: { name: "x", namespace: "tenants" },
        spec: { template: { spec: { ...mcpPodSpec(), runtimeClassName: "runc" } } },
      }),
    );
    expect(await findings(e, config)).toEqual([
      {
        policy: "k8s-mcp-workload-gvisor-runtime",
        level: "mandatory",
        resource: "tenant-svc",
        message: 'runtimeClassName is "runc", expected "gvisor": the pod would share the node\'s kernel',
      },
    ]);
  });

  it("allowed registries", async () => {
    expect(
      await findings(golden(), expandPackConfig({ allowedRegistries: ["us-west1-docker.pkg.dev/gumstack-test/gumstack/"] }, policies)),
    ).toEqual([]);
    const fs = await findings(golden(), expandPackConfig({ allowedRegistries: ["europe-docker.pkg.dev/"] }, policies));
    expect(fs.map((f) => `${f.resource}: ${f.message}`)).toEqual([
      "mcp-example: container 'server' uses image \"us-west1-docker.pkg.dev/gumstack-test/gumstack/mcp-example:4f2c1e9\", which is not under an allowed registry (europe-docker.pkg.dev/)",
      "mcp-warmup: container 'server' uses image \"us-west1-docker.pkg.dev/gumstack-test/gumstack/mcp-example:4f2c1e9\", which is not under an allowed registry (europe-docker.pkg.dev/)",
    ]);
  });

  it.each([
    ["us-west1-docker.pkg.dev/p/r/img:1", ["*-docker.pkg.dev/"], true],
    ["docker.io/library/nginx", ["*-docker.pkg.dev/"], false],
    ["nginx", ["*-docker.pkg.dev/"], false],
    ["evil.example/us-docker.pkg.dev/x", ["*-docker.pkg.dev/"], false],
    ["us-docker.pkg.dev.evil.example/x", ["*-docker.pkg.dev/"], false],
    ["us-west1-docker.pkg.dev/other/r/img", ["us-west1-docker.pkg.dev/p/"], false],
  ] as const)("imageAllowed(%s, %j) = %s", (image, prefixes, allowed) => {
    expect(imageAllowed(image, prefixes)).toBe(allowed);
  });

  it("expandPackConfig gives each value only to the policies that declare it", () => {
    const c = expandPackConfig({ mcpNamespace: "tenants", allowedRegistries: ["x/"] }, policies);
    expect(c["k8s-mcp-workload-allowed-registries"]).toEqual({ mcpNamespace: "tenants", allowedRegistries: ["x/"] });
    expect(c["k8s-mcp-workload-gvisor-runtime"]).toEqual({ mcpNamespace: "tenants" });
    expect(c["gke-cluster-private-nodes"]).toBeUndefined();
  });
});
