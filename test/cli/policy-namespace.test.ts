// The offline check follows the stack's MCP namespace. With `gumstack:mcp.namespace` renamed, a plan whose
// namespace lost Pod Security and whose MCP service account mounts its token must FAIL, whether the namespace
// comes from the stack's config (--stack) or the plan's Stack outputs (a file); and a namespace the export does
// not have (a default, a typo) fails instead of passing every MCP rule as "not applicable".
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main as policyMain } from "../../src/cli/policy.js";
import type { StackExport } from "../../src/plan/plan.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { sharedPlanner } from "../support/cli.js";
import { run } from "./support.js";

const policy = (...argv: string[]) => run((a, io) => policyMain(a, io.out, io.err, io), ...argv);
const dir = mkdtempSync(join(tmpdir(), "policy-ns-"));
const renamedFile = join(dir, "Pulumi.renamed.yaml");
const prodText = readFileSync("Pulumi.prod.yaml", "utf8");
if (!prodText.includes("\n  gumstack:mcp:\n")) throw new Error("Pulumi.prod.yaml has no gumstack:mcp block to rename the namespace in");
writeFileSync(renamedFile, prodText.replace("\n  gumstack:mcp:\n", "\n  gumstack:mcp:\n    namespace: tenants\n"));

let plan: StackExport;
beforeAll(async () => {
  // The plan `--stack renamed --config-file <it>` makes below (sharedPlanner plans it once).
  plan = await sharedPlanner({ stack: "renamed", stackConfig: parseStackFile(readFileSync(renamedFile, "utf8"), renamedFile) });
}, 60_000);

const copy = (): StackExport => JSON.parse(JSON.stringify(plan));
const save = (name: string, e: StackExport) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(e));
  return path;
};

/** Pod Security removed from the `tenants` namespace, and the MCP service account mounting its API token. */
function weakened(): StackExport {
  const e = copy();
  let touched = 0;
  for (const r of e.deployment.resources) {
    for (const props of [r.inputs, r.outputs] as any[]) {
      if (r.type === "kubernetes:core/v1:Namespace" && props.metadata?.name === "tenants") {
        for (const k of Object.keys(props.metadata.labels ?? {}))
          if (k.startsWith("pod-security.kubernetes.io/")) delete props.metadata.labels[k];
        touched++;
      }
      if (
        r.type === "kubernetes:core/v1:ServiceAccount" &&
        props.metadata?.namespace === "tenants" &&
        props.metadata?.name === "mcp-server"
      ) {
        props.automountServiceAccountToken = true;
        touched++;
      }
    }
  }
  expect(touched).toBe(4);
  return e;
}

const mandatory = (out: string) => [...out.matchAll(/^mandatory {2}(\S+)/gm)].map((m) => m[1]);

describe("npm run policy with gumstack:mcp.namespace renamed to 'tenants'", () => {
  it("passes the unmodified plan, checking 'tenants' from the Stack outputs", async () => {
    const r = await policy(save("renamed.json", copy()));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^MCP namespace checked: tenants \(from the Stack outputs\)$/m);
  });

  it("FAILS a plan with Pod Security removed and the token mounted (file: namespace from the Stack outputs)", async () => {
    const r = await policy(save("weak.json", weakened()));
    expect(r.code).toBe(1);
    expect(mandatory(r.out)).toEqual(
      expect.arrayContaining(["k8s-mcp-namespace-pod-security-restricted", "k8s-mcp-service-account-no-token-automount"]),
    );
    expect(r.out).toMatch(/^FAILED: /m);
  });

  it("FAILS the same plan when its outputs name no namespace: the default 'gumstack-mcp' is absent", async () => {
    const e = weakened();
    const stack = e.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    stack.outputs = {};
    const r = await policy(save("no-outputs.json", e));
    expect(r.code).toBe(1);
    expect(mandatory(r.out)).toContain("offline-check-mcp-namespace-present");
    expect(r.out).toContain("no Kubernetes Namespace 'gumstack-mcp' (mcpNamespace from the pack's defaults) among the");
  });

  it("FAILS when an explicit --config names a namespace the export does not have", async () => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ "k8s-mcp-namespace-pod-security-restricted": { mcpNamespace: "gumstack-mcp" } }));
    const r = await policy(save("renamed2.json", copy()), "--config", config);
    expect(r.code).toBe(1);
    expect(r.out).toContain("no Kubernetes Namespace 'gumstack-mcp' (mcpNamespace from the --config file)");
  });

  it("--stack derives the namespace from the stack's config and passes the real program", async () => {
    const r = await policy("--stack", "renamed", "--config-file", renamedFile, "--json");
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ mcpNamespace: "tenants", mcpNamespaceFrom: "the stack's config", summary: { passed: true } });
    expect(doc.evaluated["k8s-mcp-namespace-pod-security-restricted"]).toBeGreaterThan(0);
  });
});
