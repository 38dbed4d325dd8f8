import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, at, cannotVerify, isObject, UNKNOWN } from "../lib/props";
import { SECURITY_POLICY } from "../lib/types";

// An attached policy that throttles nothing proves nothing: what the edge promises (docs/edge-egress-ops.md) is
// its content. Cloud Armor evaluates rules in priority order, lowest first, and the first match ends evaluation
// (a throttle's conforming request takes the conform action): a broad allow ahead of the throttle is a bypass.
// https://cloud.google.com/armor/docs/security-policy-overview#rule-evaluation-order
// https://cloud.google.com/armor/docs/rate-limiting-overview
// https://cloud.google.com/armor/docs/waf-rules
const DEFAULT_PRIORITY = 2147483647;

interface Rule {
  readonly priority: number;
  readonly action: string;
  readonly everyRequest: boolean;
  readonly expression: string;
  readonly preview: boolean;
  readonly keyedOnIp: boolean;
  readonly exceedDenies: boolean;
}

function keyedOnIp(opts: unknown): boolean {
  if (at(opts, "enforceOnKey") === "IP") return true;
  const configs = asArray(at(opts, "enforceOnKeyConfigs"));
  return configs.length === 1 && at(configs[0], "enforceOnKeyType") === "IP";
}

function readRule(r: unknown): Rule {
  const ranges = asArray(at(r, "match.config.srcIpRanges"));
  const expression = String(at(r, "match.expr.expression") ?? "");
  return {
    priority: Number(at(r, "priority")),
    action: String(at(r, "action") ?? ""),
    everyRequest: (ranges.length === 1 && ranges[0] === "*") || expression.trim() === "true",
    expression,
    preview: at(r, "preview") === true,
    keyedOnIp: keyedOnIp(at(r, "rateLimitOptions")),
    exceedDenies: /^deny\(\d{3}\)$/.test(String(at(r, "rateLimitOptions.exceedAction") ?? "")),
  };
}

/** What is wrong with the edge policy's rules; empty when it holds what the README promises. */
export function edgeContentProblems(props: unknown): string[] {
  const problems: string[] = [];
  if (at(props, "adaptiveProtectionConfig.layer7DdosDefenseConfig.enable") !== true)
    problems.push("Adaptive Protection is off (adaptiveProtectionConfig.layer7DdosDefenseConfig.enable): layer-7 floods go unnoticed");
  const rules = asArray(at(props, "rules"))
    .filter(isObject)
    .map(readRule)
    .sort((a, b) => a.priority - b.priority);
  const waf = rules.filter((r) => /evaluatePreconfiguredWaf\(/.test(r.expression) && r.action.startsWith("deny") && !r.preview);
  if (waf.length === 0) problems.push("no preconfigured WAF rule denies (evaluatePreconfiguredWaf, not in preview)");
  // The per-client bound over every host: a throttle (or ban) keyed on the client IP, matching every request.
  const perClient = rules.find(
    (r) => (r.action === "throttle" || r.action === "rate_based_ban") && r.keyedOnIp && r.everyRequest && r.exceedDenies,
  );
  if (!perClient) {
    problems.push("no throttle keyed on the client IP matches every request: one client rotating host names is never limited");
  } else {
    for (const r of rules) {
      if (r.priority >= perClient.priority) break;
      if (r.action === "allow")
        problems.push(
          `rule ${r.priority} allows before the per-client throttle (${perClient.priority}): what it matches is never throttled`,
        );
    }
  }
  const last = rules[rules.length - 1];
  if (!last || last.priority !== DEFAULT_PRIORITY) problems.push("no default rule (priority 2147483647)");
  return problems;
}

export const computeSecurityPolicyEdgeContent = resourcePolicy(
  {
    name: "compute-security-policy-edge-content",
    description:
      "The edge's Cloud Armor policy holds what the README promises: Adaptive Protection, denying preconfigured WAF rules, and a per-client-IP throttle over every request that no earlier allow bypasses.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("edge abuse protection", "the edge throttles every client across all MCP hosts and filters with the WAF"),
    remediationSteps:
      "Use the CloudArmorPolicy component's rules: WAF deny rules, a throttle with enforceOnKey IP over srcIpRanges ['*'] ahead of any allow, adaptiveProtectionConfig.layer7DdosDefenseConfig.enable: true.",
  },
  SECURITY_POLICY,
  ({ props, report }) => {
    const type = at(props, "type");
    if (type !== undefined && type !== "CLOUD_ARMOR") return; // edge (CDN) and network policies are not the LB's backend policy
    const rules = at(props, "rules");
    if (rules === UNKNOWN) return report(cannotVerify("rules"));
    for (const r of asArray(rules)) {
      for (const p of ["priority", "action", "match", "rateLimitOptions"])
        if (at(r, p) === UNKNOWN) return report(cannotVerify(`rules[].${p}`));
    }
    for (const p of edgeContentProblems(props)) report(p);
  },
);
