// The pack's shape: one policy per file named after it, names that say what they check, and the metadata
// @pulumi/policy and Pulumi Cloud show (description, level, severity, framework, remediation).
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_PROPERTIES } from "../../policies/config.js";
import { PACK_NAME, packArgs, policies } from "../../policies/rules/index.js";
import { packVersion } from "../../src/policy/analyzer.js";

const RULES_DIR = new URL("../../policies/rules/", import.meta.url).pathname;
/** Resource kinds a policy name may start with. */
const KINDS = [
  "gke-cluster",
  "gke-node-pool",
  "k8s-mcp-namespace",
  "k8s-mcp-networkpolicy",
  "k8s-mcp-service-account",
  "k8s-mcp-workload",
  "k8s-mcp-service",
  "k8s-mcp-admission-guard",
  "k8s-build-networkpolicy",
  "k8s-build-admission-guard",
  "k8s-rbac-binding",
  "iam-grant",
  "knative-serving",
  "compute-ssl-policy",
  "compute-security-policy",
  "compute-router-nat",
  "artifact-registry-repository",
  "kms-crypto-key",
  "spanner-instance",
  "spanner-database",
  "storage-bucket",
];
/** The isolation rules: never anything but mandatory. */
const ISOLATION = [
  "gke-cluster-network-policy-enforcement",
  "gke-cluster-workload-identity",
  "gke-node-pool-gke-metadata",
  "gke-node-pool-mcp-sandbox",
  "gke-node-pool-dedicated-service-account",
  "k8s-mcp-namespace-pod-security-restricted",
  "k8s-mcp-networkpolicy-default-deny",
  "k8s-mcp-networkpolicy-isolation",
  "k8s-mcp-service-account-no-workload-identity",
  "k8s-mcp-service-account-no-token-automount",
  "iam-grant-no-mcp-identity",
  "k8s-rbac-binding-no-mcp-subjects",
  "k8s-mcp-workload-gvisor-runtime",
  "k8s-mcp-workload-no-host-namespaces",
  "k8s-mcp-workload-not-privileged",
  "k8s-mcp-workload-pod-security-restricted",
  "k8s-mcp-workload-no-token-automount",
  "k8s-mcp-workload-allowed-registries",
  "k8s-mcp-service-no-external-exposure",
  "knative-serving-kourier-cluster-ip",
  "knative-serving-runtime-class-enabled",
  "k8s-mcp-admission-guard-bound",
  "iam-grant-no-cluster-write-platform-images",
  "iam-grant-enterprise-foreign-project-read-only",
  "gke-node-pool-mcp-own-service-account",
  "compute-security-policy-attached-to-backends",
  "compute-router-nat-tenant-egress-apart",
  "k8s-build-networkpolicy-fenced",
  "k8s-build-admission-guard-bound",
];

describe("the pack", () => {
  const files = readdirSync(RULES_DIR).filter((f) => f.endsWith(".ts") && f !== "index.ts");

  it("has one policy per file, the file named after the policy, every file in the pack", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(files.map((f) => f.replace(/\.ts$/, "")).sort());
    for (const f of files) {
      const exported = readFileSync(join(RULES_DIR, f), "utf8").match(/^export const \w+ = (resourcePolicy|stackPolicy)\(/gm) ?? [];
      expect(exported, f).toHaveLength(1);
    }
  });

  it.each(policies.map((p) => [p.name, p] as const))("%s: kebab-case name starting with a resource kind, full metadata", (name, p) => {
    expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
    expect(
      KINDS.some((k) => name.startsWith(`${k}-`)),
      `${name} starts with one of ${KINDS.join(", ")}`,
    ).toBe(true);
    expect(p.description.length).toBeGreaterThan(20);
    expect(p.description).toMatch(/\.$/);
    expect(["mandatory", "advisory"]).toContain(p.enforcementLevel);
    expect(["low", "medium", "high", "critical"]).toContain(p.severity);
    expect(p.remediationSteps?.length ?? 0).toBeGreaterThan(10);
    const fw = p.framework!;
    for (const field of [fw.name, fw.version, fw.reference, fw.specification]) expect(field.length).toBeGreaterThan(0);
    if (fw.name.startsWith("CIS")) {
      expect(fw.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(fw.reference).toMatch(/^\d+(\.\d+)+$/);
    }
    for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
      expect(Object.keys(CONFIG_PROPERTIES)).toContain(k);
      expect(schema).toHaveProperty("default");
    }
  });

  it("keeps every isolation rule mandatory", () => {
    for (const name of ISOLATION) expect(policies.find((p) => p.name === name)?.enforcementLevel, name).toBe("mandatory");
  });

  it("is metadata @pulumi/policy accepts (the GetAnalyzerInfo answer the CLI reads)", () => {
    const requirePolicy = createRequire(createRequire(import.meta.url).resolve("@pulumi/policy/package.json"));
    const { makeAnalyzerInfo } = requirePolicy("./protoutil.js") as {
      makeAnalyzerInfo: (...a: unknown[]) => { getName(): string; getPoliciesList(): { getName(): string; getSeverity(): number }[] };
    };
    const info = makeAnalyzerInfo(PACK_NAME, packVersion(), packArgs.enforcementLevel, { ...packArgs, policies });
    expect(info.getName()).toBe("gumstack-isolation");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(policies.map((p) => p.name));
    expect(info.getPoliciesList().every((p) => p.getSeverity() > 0)).toBe(true);
  });

  it("takes its version from policies/package.json, as PolicyPack does", () => {
    expect(packVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
