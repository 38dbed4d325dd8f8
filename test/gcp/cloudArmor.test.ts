import { describe, expect, it } from "vitest";
import {
  CloudArmorPolicy,
  DEFAULT_RULE_PRIORITY,
  MAX_RULE_DESCRIPTION,
  WAF_RULES,
  armorRules,
  hostIs,
  hostIsOneOf,
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
  mcpRequestsPerMinutePerClient: 1200,
  sharedClientRanges: [],
  reservedLabels: [],
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
    // WAF (403) and the hosts that name no server (404): deny only, so evaluation goes on when they do not match.
    expect(rules.slice(0, firstThrottle).every((r) => r.action === "deny(403)" || r.action === "deny(404)")).toBe(true);
    expect(rules.at(-1)).toMatchObject({
      priority: DEFAULT_RULE_PRIORITY,
      action: "allow",
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
    });
  });

  it("throttles the API per client IP and every other MCP request per client IP across all MCP hosts, answering 429", () => {
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
      priority: 3500,
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
      rateLimitOptions: {
        conformAction: "allow",
        exceedAction: "deny(429)",
        enforceOnKey: "IP",
        rateLimitThreshold: { count: 1200, intervalSec: 60 },
      },
    });
    expect(mcp!.rateLimitOptions).not.toHaveProperty("enforceOnKeyName");
  });

  it("gives each raised server its own Host rule, and the documented shared ranges a per-server rule, ahead of the per-client one", () => {
    const rules = throttles(
      armorRules({
        ...settings,
        serverOverrides: { "hot-server": 60000, acme: 12000 },
        sharedClientRanges: ["203.0.113.0/24", "198.51.100.0/24"],
      }),
    );
    expect(
      rules.map((r) => {
        const o = r.rateLimitOptions as { rateLimitThreshold: { count: number }; enforceOnKey: string; enforceOnKeyName?: string };
        return [
          r.priority,
          expr(r) || JSON.stringify((r.match as { config: object }).config),
          o.enforceOnKey,
          o.enforceOnKeyName,
          o.rateLimitThreshold.count,
        ];
      }),
    ).toEqual([
      [2000, hostIs("acme.gumstack.com"), "HTTP_HEADER", "host", 12000],
      [2001, hostIs("hot-server.gumstack.com"), "HTTP_HEADER", "host", 60000],
      [3000, hostIs("api.gumstack.com"), "IP", undefined, 600],
      [3200, JSON.stringify({ srcIpRanges: ["203.0.113.0/24", "198.51.100.0/24"] }), "HTTP_HEADER", "host", 6000],
      [3500, JSON.stringify({ srcIpRanges: ["*"] }), "IP", undefined, 1200],
    ]);
  });

  it("answers hosts that can name no server with 404 at the edge, before any throttle counts them", () => {
    const rules = armorRules({ ...settings, reservedLabels: ["api", "www", "status"] });
    const edge404 = rules.filter((r) => r.action === "deny(404)");
    expect(edge404.map((r) => r.priority)).toEqual([1500, 1501]);
    const firstThrottle = Math.min(...throttles(rules).map((r) => r.priority as number));
    expect(edge404.every((r) => (r.priority as number) < firstThrottle)).toBe(true);
    // The API's own label is never among the reserved 404s.
    expect(expr(edge404[1]!)).toBe(hostIsOneOf(["status", "www"], "gumstack.com"));
    expect(
      armorRules(settings)
        .filter((r) => r.action === "deny(404)")
        .map((r) => r.priority),
    ).toEqual([1500]);
  });

  it("refuses shared ranges Cloud Armor would refuse", () => {
    expect(() => armorRules({ ...settings, sharedClientRanges: ["203.0.113.0"] })).toThrow(/not an IPv4 CIDR/);
    expect(() => armorRules({ ...settings, sharedClientRanges: Array.from({ length: 11 }, (_, i) => `10.${i}.0.0/16`) })).toThrow(
      /at most 10/,
    );
    expect(() => armorRules({ ...settings, mcpRequestsPerMinutePerClient: 0 })).toThrow(/mcpRequestsPerMinutePerClient/);
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

// The policy as Cloud Armor applies it: the first rule (by priority) whose match holds decides, and a throttle
// counts the request under its key. The expressions this module writes are few shapes (Host comparisons, RE2
// matches on the Host, evaluatePreconfiguredWaf, negation, &&, ||), rewritten here to JavaScript; a WAF signature
// is taken not to match (benign requests).
function firstMatch(rules: ArmorRule[], req: { host: string; ip: string }): { priority: number; action: string; key?: string } {
  const inRange = (ip: string, cidr: string) => {
    if (cidr === "*") return true;
    const [base, bits] = cidr.split("/");
    const n = (a: string) => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    return Math.floor(n(ip) / size) === Math.floor(n(base!) / size);
  };
  for (const r of [...rules].sort((a, b) => (a.priority as number) - (b.priority as number))) {
    const m = r.match as { expr?: { expression: string }; config?: { srcIpRanges: string[] } };
    let holds: boolean;
    if (m.expr) {
      const js = m.expr.expression
        .replaceAll("request.headers['host'].lower()", "h")
        .replace(/evaluatePreconfiguredWaf\([^)]*\)/g, "false")
        .replace(/h\.matches\(('(?:[^'\\]|\\.)*')\)/g, "(h.match(new RegExp($1)) !== null)");
      holds = new Function("h", `return (${js});`)(req.host.toLowerCase()) as boolean;
    } else holds = m.config!.srcIpRanges.some((c) => inRange(req.ip, c));
    if (!holds) continue;
    const o = r.rateLimitOptions as { enforceOnKey: string; enforceOnKeyName?: string } | undefined;
    const key = o ? (o.enforceOnKey === "IP" ? `ip:${req.ip}` : `host:${req.host.toLowerCase()}`) : undefined;
    return { priority: r.priority as number, action: r.action as string, ...(key ? { key } : {}) };
  }
  throw new Error("no rule matched: the policy needs its catch-all");
}

describe("the policy as Cloud Armor applies it (first match, one counter per request)", () => {
  const rules = armorRules({
    ...settings,
    reservedLabels: ["api", "www", "status", "acme"],
    serverOverrides: { "hot-server": 60000 },
    sharedClientRanges: ["203.0.113.0/24"],
  });

  it("counts one client rotating random host names under one key, its address, whatever the hosts", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const host = `${Math.random().toString(36).slice(2, 10)}${i}.gumstack.com${i % 2 ? ":443" : ""}`;
      const hit = firstMatch(rules, { host, ip: "192.0.2.7" });
      expect(hit.priority).toBe(3500);
      keys.add(hit.key!);
    }
    expect([...keys]).toEqual(["ip:192.0.2.7"]);
  });

  it("answers hosts that name no server at the edge (404), whoever asks", () => {
    for (const host of [
      "gumstack.com",
      "a.b.gumstack.com",
      "evil.example",
      "10.0.0.1",
      "x.gumstack.com:8080",
      "www.gumstack.com",
      "acme.gumstack.com",
      "-x.gumstack.com",
      "x.gumstack.com.evil.example",
    ]) {
      for (const ip of ["192.0.2.7", "203.0.113.9"]) expect(firstMatch(rules, { host, ip }), host).toMatchObject({ action: "deny(404)" });
    }
    // The API host, the canary's and any one-label server host are not.
    for (const host of ["api.gumstack.com", "gumstack-canary.gumstack.com", "weather.gumstack.com:443", "Weather.GUMSTACK.com"])
      expect(firstMatch(rules, { host, ip: "192.0.2.7" }).action, host).toBe("throttle");
  });

  it("counts the API per address, a raised server per host, and hosted clients' ranges per server", () => {
    expect(firstMatch(rules, { host: "api.gumstack.com", ip: "192.0.2.7" })).toEqual({
      priority: 3000,
      action: "throttle",
      key: "ip:192.0.2.7",
    });
    expect(firstMatch(rules, { host: "hot-server.gumstack.com", ip: "192.0.2.7" })).toEqual({
      priority: 2000,
      action: "throttle",
      key: "host:hot-server.gumstack.com",
    });
    const a = firstMatch(rules, { host: "weather.gumstack.com", ip: "203.0.113.9" });
    const b = firstMatch(rules, { host: "weather.gumstack.com", ip: "203.0.113.200" });
    expect(a).toEqual({ priority: 3200, action: "throttle", key: "host:weather.gumstack.com" });
    expect(b.key).toBe(a.key);
    // Outside the range, the same server is counted per client.
    expect(firstMatch(rules, { host: "weather.gumstack.com", ip: "198.51.100.1" }).key).toBe("ip:198.51.100.1");
  });
});
