// What the MCP admission guard (admissionGuard.ts) and the build admission guard (buildAdmissionGuard.ts) both
// are: ValidatingAdmissionPolicies created from manifests the subclass renders (and tests evaluate without a Pulumi
// runtime), each with its Deny binding. A binding names its policy by the policy's output, so it waits for it.
import * as admissionregistrationv1 from "@pulumi/kubernetes/admissionregistration/v1/index.js";
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type { AdmissionGuardManifests } from "./cel/policy.js";

/** Policies and their Deny bindings; children `<name>-<id>` (a policy and its binding share the id). */
export abstract class ValidatingAdmissionGuard extends pulumi.ComponentResource {
  /** The policies, in the order of the manifests. */
  public readonly policies: admissionregistrationv1.ValidatingAdmissionPolicy[];
  /** One Deny binding per policy, same order. */
  public readonly bindings: admissionregistrationv1.ValidatingAdmissionPolicyBinding[];
  /** Cluster names of the policies. */
  public readonly policyNames: pulumi.Output<string>[];

  protected constructor(
    type: string,
    name: string,
    m: AdmissionGuardManifests,
    provider: K8sProvider,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    const childOpts = { parent: this, provider };
    // Cluster names are fixed by the manifests.
    this.policies = m.policies.map(
      (p, i) =>
        new admissionregistrationv1.ValidatingAdmissionPolicy(`${name}-${m.ids[i]}`, { metadata: p.metadata, spec: p.spec }, childOpts),
    );
    this.policyNames = this.policies.map((p) => p.metadata.name);
    this.bindings = m.bindings.map(
      (b, i) =>
        new admissionregistrationv1.ValidatingAdmissionPolicyBinding(
          `${name}-${m.ids[i]}`,
          { metadata: b.metadata, spec: { ...b.spec, policyName: this.policyNames[i]! } },
          childOpts,
        ),
    );
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
