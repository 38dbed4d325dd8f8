import { describe, expect, it } from "vitest";
import {
  CloudArmorPolicy,
  DEFAULT_RULE_PRIORITY,
  MAX_RULE_DESCRIPTION,
  WAF_RULES,
  armorRules,
  hostIs,
  type ArmorRule,
  type ArmorRuleSettings,
} from "../../components/gcp/cloudArmor.js";
import { one, record } from "../support/harness.js";

const settings: ArmorRuleSettings = {
  domain: "gumstack.com",
  apiHost: "api.gumstack.com",
  serverRequestsPerMinute: 6000,
  serverOverrides: {},
  apiRequestsPerMinutePerClient: 600,
  wafPreview: false,
};

const expr = (r: ArmorRule) => (r.match as { expr?: { expression: string } }).expr?.expression ?? "";
const throttles = (rules: ArmorRule[]) => rules.filter((r) => r.action === "throttle");

describe("armorRules", () => {
  it("orders WAF (deny only) before every throttle, and ends with the catch-all allow Cloud Armor requires", () => {
    const rules = armorRules(settings);
    const priorities = rules.map((r) => r.priority as number);
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    expect(new Set(priorities).size).toBe(priorities.length);
    const firstThrottle = rules.findIndex((r) => r.action === "throttle");
    expect(rules.slice(0, firstThrottle).every((r) => r.action === "deny(403)")).toBe(true);
    expect(rules.at(-1)).toMatchObject({
      priority: DEFAULT_RULE_PRIORITY,
      action: "allow",
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
    });
  });

  it("throttles the API per client IP (stricter) and every MCP server per Host header, answering 429", () => {
    const [api, mcp] = throttles(armorRules(settings));
    expect(api).toMatchObject({
      priority: 3000,
      match: { expr: { expression: hostIs("api.gumstack.com") } },
      rateLimitOptions: {
        conformAction: "allow",
        exceedAction: "deny(429)",
        enforceOnKey: "IP",
        rateLimitThreshold: { count: 600, intervalSec: 60 },
      },
    });
    expect(mcp).toMatchObject({
      priority: 4000,
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
      rateLimitOptions: {
        conformAction: "allow",
        exceedAction: "deny(429)",
        enforceOnKey: "HTTP_HEADER",
        enforceOnKeyName: "host",
        rateLimitThreshold: { count: 6000, intervalSec: 60 },
      },
    });
  });

  it("gives each raised server its own Host rule ahead of the API and default throttles", () => {
    const rules = throttles(armorRules({ ...settings, serverOverrides: { "hot-server": 60000, acme: 12000 } }));
    expect(
      rules.map((r) => [
        r.priority,
        expr(r) || "*",
        (r.rateLimitOptions as { rateLimitThreshold: { count: number } }).rateLimitThreshold.count,
      ]),
    ).toEqual([
      [2000, hostIs("acme.gumstack.com"), 12000],
      [2001, hostIs("hot-server.gumstack.com"), 60000],
      [3000, hostIs("api.gumstack.com"), 600],
      [4000, "*", 6000],
    ]);
    expect(rules[0]!.rateLimitOptions).toMatchObject({ enforceOnKey: "HTTP_HEADER", enforceOnKeyName: "host" });
  });

  it("keeps body-matching WAF signatures off MCP hosts: only header-level rules see every host", () => {
    const waf = armorRules(settings).filter((r) => r.action === "deny(403)");
    const everyHost = waf.filter((r) => !expr(r).includes("request.headers['host']"));
    expect(everyHost.map(expr)).toEqual([
      "evaluatePreconfiguredWaf('scannerdetection-v33-stable', {'sensitivity': 1})",
      "evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})",
    ]);
    for (const r of waf.filter((x) => !everyHost.includes(x))) {
      expect(expr(r).startsWith(`${hostIs("api.gumstack.com")} && evaluatePreconfiguredWaf(`)).toBe(true);
    }
    for (const rule of ["sqli", "xss", "lfi", "rce"]) {
      expect(WAF_RULES.find((w) => w.rule.startsWith(`${rule}-`))?.scope).toBe("api");
    }
    // methodenforcement would refuse DELETE, which ends a streamable HTTP session: it is in no rule.
    expect(waf.some((r) => expr(r).includes("methodenforcement"))).toBe(false);
  });

  it("keeps every rule description within Cloud Armor's 64 characters, even for long server names", () => {
    const long = "a".repeat(63);
    for (const r of armorRules({ ...settings, domain: "customer-with-a-long-name.example.com", serverOverrides: { [long]: 100 } })) {
      expect((r.description as string).length).toBeLessThanOrEqual(MAX_RULE_DESCRIPTION);
    }
  });

  it("puts the WAF rules in preview when asked, never the throttles", () => {
    const rules = armorRules({ ...settings, wafPreview: true });
    expect(rules.filter((r) => r.action === "deny(403)").every((r) => r.preview === true)).toBe(true);
    expect(throttles(rules).every((r) => r.preview === undefined)).toBe(true);
  });

  it("refuses limits and names Cloud Armor would refuse", () => {
    expect(() => armorRules({ ...settings, serverRequestsPerMinute: 0 })).toThrow(/serverRequestsPerMinute must be an integer 1-1000000/);
    expect(() => armorRules({ ...settings, apiRequestsPerMinutePerClient: 2_000_000 })).toThrow(/apiRequestsPerMinutePerClient/);
    expect(() => armorRules({ ...settings, serverOverrides: { "Bad.Name": 10 } })).toThrow(/not a DNS label/);
    expect(() => armorRules({ ...settings, serverOverrides: { api: 10 } })).toThrow(/names the API host/);
    expect(() => hostIs("api.gumstack.com' || true || '")).toThrow(/not a lowercase host name/);
  });
});

describe("CloudArmorPolicy", () => {
  it("is a backend security policy with Adaptive Protection, JSON parsing and the rules, named per environment", async () => {
    const resources = await record(() => {
      new CloudArmorPolicy("armor", { project: "gumstack-prod", environment: "prod", domain: "gumstack.com", apiHost: "api.gumstack.com" });
    });
    const p = one(resources, "gcp:compute/securityPolicy:SecurityPolicy");
    expect(p.inputs).toMatchObject({
      project: "gumstack-prod",
      name: "gumstack-prod-edge",
      type: "CLOUD_ARMOR",
      adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true, ruleVisibility: "STANDARD" } },
      advancedOptionsConfig: { jsonParsing: "STANDARD", logLevel: "NORMAL" },
    });
    expect((p.inputs.rules as unknown[]).length).toBe(armorRules(settings).length);
  });
});
