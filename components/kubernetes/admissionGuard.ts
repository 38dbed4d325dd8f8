// The admission guard: the cluster itself refuses MCP servers (created at run time by the backend, never seen
// by Pulumi or the policy pack) that would escape their sandbox, leave their tenant or starve their neighbours.
// A thin constructor over the pure manifest builders in admissionPolicies.ts, which the tests evaluate directly.
// The contract with the backend (tenant label, tenant images, plain env settings, DomainMapping names) is the
// doc comment of AdmissionPolicyArgs; the reasons and Knative facts are in docs/admission-guard.md.
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { admissionGuardManifests, type AdmissionPolicyArgs } from "./admissionPolicies.js";
import { ValidatingAdmissionGuard } from "./validatingAdmissionGuard.js";

/** The guard's inputs: every AdmissionPolicyArgs field (each documented with its default there) and the provider. */
export interface AdmissionGuardArgs extends AdmissionPolicyArgs {
  /** Kubernetes provider of the cluster the guard protects. Required; no default (never the ambient kubeconfig). */
  readonly provider: K8sProvider;
}

/** ValidatingAdmissionPolicies with Deny bindings scoped to the MCP namespace (see admissionPolicies.ts). */
export class AdmissionGuard extends ValidatingAdmissionGuard {
  constructor(name: string, args: AdmissionGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    const { provider, ...policyArgs } = args;
    // Children are `<name>-<id>` (guard-sandbox, guard-images, ...).
    super("gumstack:kubernetes:AdmissionGuard", name, admissionGuardManifests(policyArgs), provider, opts);
  }
}
