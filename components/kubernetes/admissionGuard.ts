// The admission guard: the cluster itself refuses MCP servers (created at run time by the backend, never seen
// by Pulumi or the policy pack) that would escape their sandbox, leave their tenant or starve their neighbours.
// A thin constructor over the pure manifest builders in admissionPolicies.ts, which the tests evaluate directly.
// The contract with the backend (tenant label, tenant images, plain env settings, DomainMapping names) is the
// doc comment of AdmissionPolicyArgs; the reasons and Knative facts are in docs/admission-guard.md.
import * as admissionregistrationv1 from "@pulumi/kubernetes/admissionregistration/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { admissionGuardManifests, type AdmissionPolicyArgs } from "./admissionPolicies.js";

/** The guard's inputs: every AdmissionPolicyArgs field (each documented with its default there) and the provider. */
export interface AdmissionGuardArgs extends AdmissionPolicyArgs {
  /** Kubernetes provider of the cluster the guard protects. Required; no default (never the ambient kubeconfig). */
  readonly provider: K8sProvider;
}

/** ValidatingAdmissionPolicies with Deny bindings scoped to the MCP namespace (see admissionPolicies.ts). */
export class AdmissionGuard extends pulumi.ComponentResource {
  /** The policies, in the order admissionGuardManifests returns them. */
  public readonly policies: admissionregistrationv1.ValidatingAdmissionPolicy[];
  /** One Deny binding per policy, same order. */
  public readonly bindings: admissionregistrationv1.ValidatingAdmissionPolicyBinding[];
  /** Cluster names of the policies. */
  public readonly policyNames: pulumi.Output<string>[];

  constructor(name: string, args: AdmissionGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:AdmissionGuard", name, {}, opts);
    const { provider, ...policyArgs } = args;
    const manifests = admissionGuardManifests(policyArgs);
    const childOpts = { parent: this, provider };

    // Children are `<name>-<id>` (guard-sandbox, guard-images, ...); cluster names are fixed by the manifests.
    this.policies = manifests.policies.map(
      (m, i) =>
        new admissionregistrationv1.ValidatingAdmissionPolicy(
          `${name}-${manifests.ids[i]}`,
          { metadata: m.metadata, spec: m.spec },
          childOpts,
        ),
    );
    this.policyNames = this.policies.map((p) => p.metadata.name);
    this.bindings = manifests.bindings.map(
      (m, i) =>
        new admissionregistrationv1.ValidatingAdmissionPolicyBinding(
          `${name}-${manifests.ids[i]}`,
          // policyName from the policy's output: the binding waits for its policy.
          { metadata: m.metadata, spec: { ...m.spec, policyName: this.policyNames[i]! } },
          childOpts,
        ),
    );
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
