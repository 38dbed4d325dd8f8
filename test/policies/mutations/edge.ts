// Holes at the edge: Cloud Armor's content and attachment, TLS, NAT.
import { all, edit, type Mutation } from "./mutation.js";

const SP = "gcp:compute/securityPolicy:SecurityPolicy";
const rules = (fn: (rules: any[]) => any[]) => (p: Record<string, any>) => void (p.rules = fn(p.rules));
const perClient = (x: any) =>
  x.action === "throttle" && x.rateLimitOptions?.enforceOnKey === "IP" && x.match?.config?.srcIpRanges?.[0] === "*";

export const edgeMutations: Mutation[] = [
  {
    hole: "Kourier's backend without Cloud Armor",
    policy: "compute-security-policy-attached-to-backends",
    apply: (r) =>
      edit(
        r,
        "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
        (p) => p.spec?.targetRef?.name === "kourier",
        (p) => delete p.spec.default.securityPolicy,
      ),
  },
  {
    hole: "the per-client throttle over every MCP host removed",
    policy: "compute-security-policy-edge-content",
    apply: (r) =>
      edit(
        r,
        SP,
        all,
        rules((rs) => rs.filter((x) => !perClient(x))),
      ),
  },
  {
    hole: "the per-client throttle keyed on the client-chosen Host header",
    policy: "compute-security-policy-edge-content",
    apply: (r) =>
      edit(
        r,
        SP,
        all,
        rules((rs) =>
          rs.map((x) =>
            perClient(x) ? { ...x, rateLimitOptions: { ...x.rateLimitOptions, enforceOnKey: "HTTP_HEADER", enforceOnKeyName: "host" } } : x,
          ),
        ),
      ),
  },
  {
    hole: "an allow-all rule ahead of the per-client throttle",
    policy: "compute-security-policy-edge-content",
    apply: (r) =>
      edit(
        r,
        SP,
        all,
        rules((rs) => [...rs, { action: "allow", priority: 10, match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } }]),
      ),
  },
  {
    hole: "WAF rules only in preview",
    policy: "compute-security-policy-edge-content",
    apply: (r) =>
      edit(
        r,
        SP,
        all,
        rules((rs) => rs.map((x) => (/evaluatePreconfiguredWaf/.test(x.match?.expr?.expression ?? "") ? { ...x, preview: true } : x))),
      ),
  },
  {
    hole: "Adaptive Protection off",
    policy: "compute-security-policy-edge-content",
    apply: (r) => edit(r, SP, all, (p) => void (p.adaptiveProtectionConfig.layer7DdosDefenseConfig.enable = false)),
  },
  {
    hole: "TLS 1.0 at the edge",
    policy: "compute-ssl-policy-modern-tls",
    apply: (r) => edit(r, "gcp:compute/sSLPolicy:SSLPolicy", all, (p) => void (p.minTlsVersion = "TLS_1_0")),
  },
  {
    hole: "tenants egress through the platform's NAT addresses",
    policy: "compute-router-nat-tenant-egress-apart",
    apply: (r) => {
      const platform = r.find((x) => x.type === "gcp:compute/routerNat:RouterNat" && !/tenant/.test(x.urn));
      return platform
        ? edit(
            r,
            "gcp:compute/routerNat:RouterNat",
            (_p, x) => /tenant/.test(x.urn),
            (p) => void (p.natIps = (platform.inputs as any).natIps),
          )
        : 0;
    },
  },
];
