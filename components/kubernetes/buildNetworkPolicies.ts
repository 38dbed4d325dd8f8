// NetworkPolicies of the build namespace: a build (its git fetch, its Dockerfile's RUN steps, its push) may reach
// the cluster DNS and public addresses on TCP 80/443 (git hosts, package registries, Artifact Registry through
// Private Google Access) and nothing else: not the metadata server, not a private, link-local or cluster range,
// not another namespace. Nothing may connect to a build pod: the backend only creates Jobs and reads logs through
// the API server, so no ingress rule exists at all. The allow policies are the MCP namespace's own builders
// (mcpNetworkPolicies.ts): one except-list, one DNS rule, for every untrusted namespace.
import * as networkingv1 from "@pulumi/kubernetes/networking/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { BUILD_DEFAULTS } from "./buildJob.js";
import {
  createNetworkPolicies,
  defaultDenyPolicy,
  dnsEgressPolicy,
  publicEgressPolicy,
  type ClusterRanges,
  type NetworkPolicyManifest,
} from "./mcpNetworkPolicies.js";

/** TCP ports a build may reach on public addresses: HTTP and HTTPS (git over HTTPS, registries, package mirrors). */
export const BUILD_EGRESS_PORTS = [80, 443] as const;

export interface BuildNetworkPolicyArgs {
  /** The build namespace. Default "gumstack-build". */
  readonly namespace?: string;
  /** The cluster's ranges (excepted from internet egress) and NodeLocal DNSCache. Required; no default. */
  readonly ranges: ClusterRanges;
}

/** default-deny-all, allow-egress-dns, allow-egress-public-web; no ingress policy (nothing reaches a build). */
export function buildNetworkPolicyManifests(args: BuildNetworkPolicyArgs): NetworkPolicyManifest[] {
  const namespace = args.namespace ?? BUILD_DEFAULTS.namespace;
  return [
    defaultDenyPolicy(namespace),
    dnsEgressPolicy(namespace, args.ranges),
    publicEgressPolicy(namespace, "allow-egress-public-web", args.ranges, BUILD_EGRESS_PORTS),
  ];
}

export interface BuildNetworkPoliciesArgs extends BuildNetworkPolicyArgs {
  /** Kubernetes provider of the cluster. Required; no default. */
  readonly provider: K8sProvider;
  /** Resources the policies wait for (the build namespace). Default []. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** The build namespace's NetworkPolicies (see buildNetworkPolicyManifests). */
export class BuildNetworkPolicies extends pulumi.ComponentResource {
  /** The policies, in buildNetworkPolicyManifests order. */
  public readonly policies: networkingv1.NetworkPolicy[];
  /** Cluster names of the policies, same order. */
  public readonly policyNames: pulumi.Output<string>[];

  constructor(name: string, args: BuildNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:BuildNetworkPolicies", name, {}, opts);
    const { provider, dependsOn = [], ...policyArgs } = args;
    this.policies = createNetworkPolicies(name, buildNetworkPolicyManifests(policyArgs), {
      parent: this,
      provider,
      dependsOn: [...dependsOn],
    });
    this.policyNames = this.policies.map((p) => p.metadata.name);
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
