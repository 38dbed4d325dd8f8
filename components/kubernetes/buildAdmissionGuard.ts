// The build admission guard as a Pulumi component: the policies of buildAdmissionPolicies.ts with their Deny
// bindings, on the cluster's provider.
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { buildAdmissionManifests, type BuildAdmissionPolicyArgs } from "./buildAdmissionPolicies.js";
import { ValidatingAdmissionGuard } from "./validatingAdmissionGuard.js";

export interface BuildAdmissionGuardArgs extends BuildAdmissionPolicyArgs {
  /** Kubernetes provider of the cluster. Required; no default (never the ambient kubeconfig). */
  readonly provider: K8sProvider;
}

/** ValidatingAdmissionPolicies with Deny bindings scoped to the build namespace (see buildAdmissionManifests). */
export class BuildAdmissionGuard extends ValidatingAdmissionGuard {
  constructor(name: string, args: BuildAdmissionGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    const { provider, ...policyArgs } = args;
    super("gumstack:kubernetes:BuildAdmissionGuard", name, buildAdmissionManifests(policyArgs), provider, opts);
  }
}
