import { cisGke, resourcePolicy } from "../lib/policy";
import { asArray, at, cannotVerify, isObject, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

// The control plane answers every identity that reaches it, and GKE authorizes by IAM as well as RBAC: an
// address anyone on the internet reaches is a target for every stolen or over-granted credential. Private
// endpoint (no public IP), or authorized networks that admit neither the internet nor every Google Cloud address.
// The DNS endpoint (controlPlaneEndpointsConfig.dnsEndpointConfig) is IAM-gated on every request and carries no
// IP allow-list, so it is judged by the IAM rules, not here.
// https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation
// https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster#gcp_public_cidrs_access_enabled
export const gkeClusterControlPlanePrivate = resourcePolicy(
  {
    name: "gke-cluster-control-plane-private",
    description:
      "GKE control planes are not reachable from the internet: private endpoint, or authorized networks without 0.0.0.0/0 and without all of Google Cloud's public ranges.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("5.6.3", "Ensure Control Plane Authorized Networks is Enabled"),
    remediationSteps:
      "Set privateClusterConfig.enablePrivateEndpoint: true (reach it through the DNS endpoint), or masterAuthorizedNetworksConfig with your ranges only and gcpPublicCidrsAccessEnabled: false.",
  },
  GKE_CLUSTER,
  ({ props, report }) => {
    const priv = at(props, "privateClusterConfig.enablePrivateEndpoint");
    if (priv === UNKNOWN) return report(cannotVerify("privateClusterConfig.enablePrivateEndpoint"));
    const man = at(props, "masterAuthorizedNetworksConfig");
    if (man === UNKNOWN) return report(cannotVerify("masterAuthorizedNetworksConfig"));
    const problems: string[] = [];
    if (!isObject(man)) {
      if (priv !== true)
        problems.push(
          "the public endpoint admits every address (no privateClusterConfig.enablePrivateEndpoint, no masterAuthorizedNetworksConfig)",
        );
    } else {
      // Authorized networks bind the public endpoint and, when it is private, the private one (from any VPC peer).
      const gcp = at(man, "gcpPublicCidrsAccessEnabled");
      if (gcp === UNKNOWN) return report(cannotVerify("masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled"));
      if (gcp === true)
        problems.push(
          "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true: every Google Cloud VM's public address reaches it",
        );
      for (const block of asArray(at(man, "cidrBlocks"))) {
        const cidr = at(block, "cidrBlock");
        if (cidr === UNKNOWN) return report(cannotVerify("masterAuthorizedNetworksConfig.cidrBlocks[].cidrBlock"));
        if (typeof cidr === "string" && /\/0$/.test(cidr.trim()))
          problems.push(`masterAuthorizedNetworksConfig admits ${cidr}: the whole internet reaches the control plane`);
      }
    }
    for (const p of problems) report(p);
  },
);
