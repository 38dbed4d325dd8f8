// The MCP admission guard's manifests, as plain data: ValidatingAdmissionPolicies (CEL) and their bindings that
// make the cluster itself refuse MCP servers escaping their sandbox, leaving their tenant, or starving their
// neighbours. MCP servers are created at run time by the backend, so neither Pulumi nor the CrossGuard pack
// ever sees them. Knative facts cited by path are from knative/serving at tag knative-v1.22.1 (docs/admission-guard.md).
//
// One policy per module in mcpGuard/ (as gatekeeper-library keeps one per folder), each built with the typed
// CEL builder (cel/) and carrying its allowed and disallowed samples; the inputs and their checks are
// mcpGuard/args.ts. How to add a policy, and how CEL cost is bounded: docs/admission-cel.md.
//
// CEL used here is limited to what Kubernetes CEL and both test evaluators (@marcbachmann/cel-js and
// @bufbuild/cel) support: has(), ternaries, `in`, size(), string(), duration(), the exists/all/filter/map macros,
// startsWith, matches, int(), join (Kubernetes' strings extension), and from Kubernetes' own libraries
// isQuantity()/quantity().asApproximateFloat() (quantity library) and sum() (lists library), which the tests
// emulate. No optional types, cel.bind or object indexing by field name.
import { guardManifests, type AdmissionGuardManifests } from "./cel/policy.js";
import { resolveAdmissionPolicyArgs, type AdmissionPolicyArgs } from "./mcpGuard/args.js";
import { domainMappingPolicy } from "./mcpGuard/domainMappings.js";
import { imagesPolicy } from "./mcpGuard/images.js";
import { namesPolicy } from "./mcpGuard/names.js";
import { podSecurityPolicy } from "./mcpGuard/podSecurity.js";
import { reservedEnvPolicy } from "./mcpGuard/reservedEnv.js";
import { resourcesPolicy } from "./mcpGuard/resources.js";
import { revisionsPolicy } from "./mcpGuard/revisions.js";
import { sandboxPolicy } from "./mcpGuard/sandbox.js";
import { scalePolicy } from "./mcpGuard/scale.js";
import { secretsPolicy } from "./mcpGuard/secrets.js";
import { serviceLinksPolicy } from "./mcpGuard/serviceLinks.js";
import { servingPathPolicy } from "./mcpGuard/servingPath.js";
import { tenantPolicy } from "./mcpGuard/tenant.js";

export * from "./mcpGuard/args.js";
export type { AdmissionGuardManifests, ValidatingAdmissionPolicyBindingManifest, ValidatingAdmissionPolicyManifest } from "./cel/policy.js";

/** The guard's policies, in the order they are created and reported (the API server reports the first refusal). */
export const MCP_GUARD_POLICIES = [
  sandboxPolicy,
  reservedEnvPolicy,
  secretsPolicy,
  tenantPolicy,
  imagesPolicy,
  resourcesPolicy,
  scalePolicy,
  revisionsPolicy,
  domainMappingPolicy,
  podSecurityPolicy,
  namesPolicy,
  serviceLinksPolicy,
  servingPathPolicy,
] as const;

/** The guard's policies and one Deny binding per policy, scoped to the MCP namespace. */
export function admissionGuardManifests(args: AdmissionPolicyArgs): AdmissionGuardManifests {
  const r = resolveAdmissionPolicyArgs(args);
  return guardManifests(
    r.namespace,
    "admission-guard",
    MCP_GUARD_POLICIES.map((policy) => policy(r)),
  );
}
