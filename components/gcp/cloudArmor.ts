// The Cloud Armor backend security policy of the public edge, attached (through the GKE Gateway's
// GCPBackendPolicy, components/serving/edge.ts) to both load-balancer backends: Kourier (every MCP server) and the
// backend API. Design and sources: docs/edge-egress-ops.md.
//
// Cloud Armor evaluates rules in priority order and applies the first that matches; a throttle rule answers a
// request under its limit with its conform action (allow), which ends the evaluation
// (https://cloud.google.com/armor/docs/rate-limiting-overview; two throttles on the same traffic do not stack:
// GoogleCloudPlatform/terraform-google-cloud-armor#137). A request is therefore counted by exactly one throttle,
// so the rules below split the traffic instead of stacking limits:
// - hosts that can name no MCP server (not `<label>.<domain>`, or a reserved label) are answered 404 by the edge
//   itself, before any counter, so they never reach Kourier or the activator;
// - a server whose limit was raised has its own rule (its Host, all clients together);
// - the API host is throttled per client IP;
// - traffic from documented shared egress ranges (hosted MCP clients: many users behind a few addresses) is
//   counted per server (Host header), as one client per address would throttle all their users together;
// - every other MCP request is counted per client IP across every MCP host: a client cannot escape its limit by
//   rotating `<random>.<domain>` host names (each Host was a fresh counter), nor by spreading over servers.
// Preconfigured WAF rules come first and only deny (no match: evaluation goes on).
// Each expression stays within Cloud Armor's five subexpressions
// (https://cloud.google.com/armor/docs/rules-language-reference): the API-only WAF rules use three.
import * as compute from "../sdk/gcp/compute.js";
import type * as types from "@pulumi/gcp/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { boundedName } from "./naming.js";

/** Rate-limit window of every throttle, seconds (a Cloud Armor interval: 10, 30, 60, 120, ... 3600). */
export const THROTTLE_INTERVAL_SEC = 60;
/** Answer of a throttle above its limit (Cloud Armor allows deny(403|404|429|502)). */
export const THROTTLE_EXCEED_ACTION = "deny(429)";
/** Priority of the catch-all default rule Cloud Armor requires (the lowest priority). */
export const DEFAULT_RULE_PRIORITY = 2147483647;

/**
 * Preconfigured WAF rules (ModSecurity CRS 3.3 signatures, https://cloud.google.com/armor/docs/waf-rules) and
 * where each applies. MCP traffic is JSON-RPC over streamable HTTP and SSE whose bodies carry whatever a tool
 * takes: SQL for a database tool, shell commands, source code, file paths, HTML. Rules that match such text in
 * bodies or arguments (sqli, xss, lfi, rfi, rce, php, java, nodejs, cve-canary) would refuse legitimate tool
 * calls, so they never see MCP hosts. methodenforcement refuses DELETE, which streamable HTTP uses to end a
 * session (MCP spec 2025-03-26, "Session Management"), so it is excluded everywhere.
 */
export const WAF_RULES: readonly {
  readonly rule: string;
  /** "all": every host (MCP servers and API); "api": the API host only. */
  readonly scope: "all" | "api";
  readonly why: string;
}[] = [
  {
    rule: "scannerdetection-v33-stable",
    scope: "all",
    why: "known vulnerability scanners by User-Agent and request headers; MCP clients never send those",
  },
  {
    rule: "protocolattack-v33-stable",
    scope: "all",
    why: "request smuggling, response splitting and header injection need raw CR/LF in headers or arguments; JSON strings cannot hold raw CR/LF (RFC 8259 section 7), so valid MCP bodies never match",
  },
  { rule: "sqli-v33-stable", scope: "api", why: "the API is the platform's own JSON API, not a channel for tenants' SQL" },
  { rule: "xss-v33-stable", scope: "api", why: "the API serves the dashboard; script injection there targets operators" },
  { rule: "lfi-v33-stable", scope: "api", why: "no API route takes file paths" },
  { rule: "rce-v33-stable", scope: "api", why: "no API route takes shell commands" },
];

/** One rule of the policy, in the provider's input shape. */
export type ArmorRule = types.input.compute.SecurityPolicyRule;

export interface ArmorRuleSettings {
  /** The platform domain: MCP servers are `<server>.<domain>`. */
  readonly domain: string;
  /** The API host (`<apiSubdomain>.<domain>`). */
  readonly apiHost: string;
  /** Requests per minute one MCP server may receive from all its clients together. */
  readonly serverRequestsPerMinute: number;
  /** Raised (or lowered) limits per server name, each its own rule. */
  readonly serverOverrides: Readonly<Record<string, number>>;
  /** Requests per minute one client IP may send to the API host. */
  readonly apiRequestsPerMinutePerClient: number;
  /** Requests per minute one client IP may send to all MCP hosts together (outside the shared ranges). */
  readonly mcpRequestsPerMinutePerClient: number;
  /** Documented egress ranges of hosted MCP clients (CIDRs, at most 10): counted per server, not per address. */
  readonly sharedClientRanges: readonly string[];
  /** Labels under the domain that no MCP server may take (the API subdomain excepted): answered 404 at the edge. */
  readonly reservedLabels: readonly string[];
  /** WAF rules only log. */
  readonly wafPreview: boolean;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A CEL expression true when the request's Host header is `host`, with or without :443 (docs/edge-egress-ops.md, Edge). */
export function hostIs(host: string): string {
  if (!/^[a-z0-9.-]+$/.test(host)) throw new Error(`"${host}" is not a lowercase host name`);
  return `(request.headers['host'].lower() == '${host}' || request.headers['host'].lower() == '${host}:443')`;
}

/** Cloud Armor's most source ranges in one basic (SRC_IPS_V1) match. */
export const MAX_SHARED_CLIENT_RANGES = 10;
const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;

/** RE2 source matching `text` literally (Cloud Armor's matches() is RE2). */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A CEL expression true when the Host header cannot name an MCP server or the API: not one DNS label under the
 * domain (optionally with :443). Such hosts (`a.b.<domain>`, the bare domain, other domains, IP literals) match
 * no route Kourier serves, so they are answered at the edge.
 */
export function hostIsNotUnderDomain(domain: string): string {
  if (!/^[a-z0-9.-]+$/.test(domain)) throw new Error(`"${domain}" is not a lowercase domain`);
  return `!request.headers['host'].lower().matches('^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\\\.${literal(domain).replace(/\\/g, "\\\\")}(:443)?$')`;
}

/** A CEL expression true when the Host header is `<label>.<domain>` for one of `labels` (with or without :443). */
export function hostIsOneOf(labels: readonly string[], domain: string): string {
  for (const l of labels) if (!LABEL.test(l)) throw new Error(`reserved label "${l}" is not a DNS label`);
  if (!/^[a-z0-9.-]+$/.test(domain)) throw new Error(`"${domain}" is not a lowercase domain`);
  return `request.headers['host'].lower().matches('^(${labels.join("|")})\\\\.${literal(domain).replace(/\\/g, "\\\\")}(:443)?$')`;
}

/** Cloud Armor limits a rule's description to 64 characters (https://cloud.google.com/armor/docs/best-practices). */
export const MAX_RULE_DESCRIPTION = 64;
const describe = (text: string): string => (text.length <= MAX_RULE_DESCRIPTION ? text : `${text.slice(0, MAX_RULE_DESCRIPTION - 3)}...`);

function checkRate(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new Error(`${what} must be an integer 1-1000000 (Cloud Armor throttle count), got ${n}`);
  return n;
}

function throttle(
  priority: number,
  description: string,
  match: ArmorRule["match"],
  count: number,
  key: { enforceOnKey: string; enforceOnKeyName?: string },
): ArmorRule {
  return {
    priority,
    description: describe(description),
    action: "throttle",
    match,
    rateLimitOptions: {
      conformAction: "allow",
      exceedAction: THROTTLE_EXCEED_ACTION,
      ...key,
      rateLimitThreshold: { count, intervalSec: THROTTLE_INTERVAL_SEC },
    },
  };
}

/** Every rule of the policy, by priority: WAF, hosts that name no server, per-server overrides, the API, shared client ranges, every other MCP client by IP, allow. */
export function armorRules(s: ArmorRuleSettings): ArmorRule[] {
  const api = hostIs(s.apiHost);
  const rules: ArmorRule[] = WAF_RULES.map((w, i) => {
    const waf = `evaluatePreconfiguredWaf('${w.rule}', {'sensitivity': 1})`;
    return {
      priority: 1000 + i,
      description: describe(`WAF ${w.rule} (${w.scope === "all" ? "every host" : "API host only"})`),
      action: "deny(403)",
      preview: s.wafPreview,
      match: { expr: { expression: w.scope === "all" ? waf : `${api} && ${waf}` } },
    };
  });
  // Hosts that name no server: answered by the edge, before any counter (a request denied here is not counted).
  rules.push({
    priority: 1500,
    description: describe(`hosts not <label>.${s.domain}: 404 at the edge`),
    action: "deny(404)",
    match: { expr: { expression: hostIsNotUnderDomain(s.domain) } },
  });
  const apiLabel = s.apiHost.endsWith(`.${s.domain}`) ? s.apiHost.slice(0, -(s.domain.length + 1)) : undefined;
  const reserved = [...new Set(s.reservedLabels)].filter((l) => l !== apiLabel).sort();
  if (reserved.length > 0) {
    rules.push({
      priority: 1501,
      description: describe(`reserved labels of ${s.domain}: 404 at the edge`),
      action: "deny(404)",
      match: { expr: { expression: hostIsOneOf(reserved, s.domain) } },
    });
  }
  Object.entries(s.serverOverrides)
    .sort(([a], [b]) => a.localeCompare(b))
    .forEach(([server, count], i) => {
      if (!LABEL.test(server)) throw new Error(`server override "${server}" is not a DNS label (the <server> of <server>.${s.domain})`);
      const host = `${server}.${s.domain}`;
      if (host === s.apiHost) throw new Error(`server override "${server}" names the API host; its limit is apiRequestsPerMinutePerClient`);
      rules.push(
        throttle(
          2000 + i,
          `${count}/min, all clients: ${host}`,
          { expr: { expression: hostIs(host) } },
          checkRate(`server override ${server}`, count),
          {
            enforceOnKey: "HTTP_HEADER",
            enforceOnKeyName: "host",
          },
        ),
      );
    });
  rules.push(
    throttle(
      3000,
      `API: ${s.apiRequestsPerMinutePerClient} requests/min per client IP`,
      { expr: { expression: api } },
      checkRate("apiRequestsPerMinutePerClient", s.apiRequestsPerMinutePerClient),
      {
        enforceOnKey: "IP",
      },
    ),
  );
  if (s.sharedClientRanges.length > MAX_SHARED_CLIENT_RANGES)
    throw new Error(
      `sharedClientRanges: at most ${MAX_SHARED_CLIENT_RANGES} ranges (one Cloud Armor source-range match), got ${s.sharedClientRanges.length}`,
    );
  for (const range of s.sharedClientRanges)
    if (!CIDR.test(range)) throw new Error(`sharedClientRanges: "${range}" is not an IPv4 CIDR such as 203.0.113.0/24`);
  if (s.sharedClientRanges.length > 0) {
    rules.push(
      throttle(
        3200,
        `shared client ranges: ${s.serverRequestsPerMinute}/min per MCP server`,
        { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: [...s.sharedClientRanges] } },
        checkRate("serverRequestsPerMinute", s.serverRequestsPerMinute),
        // Keyed on the Host header: one counter per server for all these addresses together.
        { enforceOnKey: "HTTP_HEADER", enforceOnKeyName: "host" },
      ),
    );
  } else checkRate("serverRequestsPerMinute", s.serverRequestsPerMinute);
  rules.push(
    throttle(
      3500,
      `MCP: ${s.mcpRequestsPerMinutePerClient} requests/min per client IP, all hosts`,
      { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
      checkRate("mcpRequestsPerMinutePerClient", s.mcpRequestsPerMinutePerClient),
      // One counter per client address for every MCP host together (the API host was matched above).
      { enforceOnKey: "IP" },
    ),
    {
      priority: DEFAULT_RULE_PRIORITY,
      description: "default: allow (every request above was already throttled)",
      action: "allow",
      match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
    },
  );
  return rules;
}

/** Defaults of the policy's limits and switches (also the config schema's defaults of gumstack:edge.armor). */
export const CLOUD_ARMOR_DEFAULTS = {
  adaptiveProtection: true,
  serverRequestsPerMinute: 6000,
  apiRequestsPerMinutePerClient: 600,
  mcpRequestsPerMinutePerClient: 1200,
  wafPreview: false,
} as const;

export interface CloudArmorPolicyArgs {
  /** Project of the policy. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment name, used in the policy's name. Required. */
  readonly environment: string;
  /** The platform domain (MCP servers are `<server>.<domain>`). Required. */
  readonly domain: string;
  /** The API host. Required. */
  readonly apiHost: string;
  /** Adaptive Protection's layer 7 DDoS defense (detects attacks, proposes rules). Default true. */
  readonly adaptiveProtection?: boolean;
  /** Requests per minute one MCP server may receive from all clients in sharedClientRanges together. Default 6000. */
  readonly serverRequestsPerMinute?: number;
  /** Per-server limits by server name, replacing serverRequestsPerMinute for that server. Default {}. */
  readonly serverOverrides?: Readonly<Record<string, number>>;
  /** Requests per minute one client IP may send to the API host. Default 600. */
  readonly apiRequestsPerMinutePerClient?: number;
  /** Requests per minute one client IP may send to every MCP host together (outside sharedClientRanges). Default 1200. */
  readonly mcpRequestsPerMinutePerClient?: number;
  /** Documented egress ranges of hosted MCP clients, counted per server instead of per address (IPv4 CIDRs, at most 10). Default []. */
  readonly sharedClientRanges?: readonly string[];
  /** Labels under the domain no MCP server may take, answered 404 at the edge (the API's label excepted). Default []. */
  readonly reservedLabels?: readonly string[];
  /** WAF rules only log matches (preview) instead of answering 403. Default false. */
  readonly wafPreview?: boolean;
  /** Resources the policy waits for (the Compute API). Default []. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A Cloud Armor backend security policy (type CLOUD_ARMOR) for the edge's backend services. */
export class CloudArmorPolicy extends pulumi.ComponentResource {
  readonly policy: compute.SecurityPolicy;
  /** The policy's name: what GCPBackendPolicy.spec.default.securityPolicy refers to. */
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: CloudArmorPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:CloudArmorPolicy", name, {}, opts);
    const rules = armorRules({
      domain: args.domain,
      apiHost: args.apiHost,
      serverRequestsPerMinute: args.serverRequestsPerMinute ?? CLOUD_ARMOR_DEFAULTS.serverRequestsPerMinute,
      serverOverrides: args.serverOverrides ?? {},
      apiRequestsPerMinutePerClient: args.apiRequestsPerMinutePerClient ?? CLOUD_ARMOR_DEFAULTS.apiRequestsPerMinutePerClient,
      mcpRequestsPerMinutePerClient: args.mcpRequestsPerMinutePerClient ?? CLOUD_ARMOR_DEFAULTS.mcpRequestsPerMinutePerClient,
      sharedClientRanges: args.sharedClientRanges ?? [],
      reservedLabels: args.reservedLabels ?? [],
      wafPreview: args.wafPreview ?? CLOUD_ARMOR_DEFAULTS.wafPreview,
    });
    this.policy = new compute.SecurityPolicy(
      `${name}-policy`,
      {
        project: args.project,
        name: boundedName(["gumstack", args.environment, "edge"], 63),
        description: `Gumstack ${args.environment} edge: WAF, per-server and API throttles (docs/edge-egress-ops.md)`,
        type: "CLOUD_ARMOR",
        adaptiveProtectionConfig: {
          layer7DdosDefenseConfig: {
            enable: args.adaptiveProtection ?? CLOUD_ARMOR_DEFAULTS.adaptiveProtection,
            ruleVisibility: "STANDARD",
          },
        },
        // WAF rules read JSON bodies as JSON (values, not raw text), which keeps their false positives down
        // (https://cloud.google.com/armor/docs/security-policy-overview#json-parsing).
        advancedOptionsConfig: { jsonParsing: "STANDARD", logLevel: "NORMAL" },
        rules,
      },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.name = this.policy.name;
    this.registerOutputs({ name: this.name });
  }
}
