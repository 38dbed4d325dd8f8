import { cisGcp, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { SSL_POLICY } from "../lib/types";

const PROFILES = ["MODERN", "RESTRICTED"];
const VERSIONS = ["TLS_1_2", "TLS_1_3"];

export const computeSslPolicyModernTls = resourcePolicy(
  {
    name: "compute-ssl-policy-modern-tls",
    description: "SSL policies use the MODERN or RESTRICTED profile with TLS 1.2 or higher.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGcp("3.9", "Ensure No HTTPS or SSL Proxy Load Balancers Permit SSL Policies With Weak Cipher Suites"),
    remediationSteps: 'Set profile: "MODERN" and minTlsVersion: "TLS_1_2" on the SSL policy.',
  },
  SSL_POLICY,
  ({ props, report }) => {
    const profile = at(props, "profile");
    const min = at(props, "minTlsVersion");
    if (profile === UNKNOWN) report(cannotVerify("profile"));
    // The API defaults are COMPATIBLE and TLS_1_0.
    else if (PROFILES.indexOf(String(profile ?? "COMPATIBLE")) < 0)
      report(`profile is ${profile ?? "COMPATIBLE (the default)"}, expected MODERN or RESTRICTED`);
    if (min === UNKNOWN) report(cannotVerify("minTlsVersion"));
    else if (VERSIONS.indexOf(String(min ?? "TLS_1_0")) < 0)
      report(`minTlsVersion is ${min ?? "TLS_1_0 (the default)"}, expected TLS_1_2 or higher`);
  },
);
