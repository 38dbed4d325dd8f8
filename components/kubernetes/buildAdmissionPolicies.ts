// The build guard: ValidatingAdmissionPolicies (Deny) that make the cluster itself refuse, in the build
// namespace, any workload that is not a build Job of the shape buildJob.ts produces: gVisor, the build service
// account, no API token, no host access, a hard deadline, a TTL, no retry, limits on every container, platform
// images by digest, and credentials only in the trusted `fetch` and `push` steps, which run before and after
// the untrusted `build` step (init-container ordering, so the two never run at the same time).
//
// One policy per module in buildGuard/, built with the typed CEL builder (cel/); inputs in buildGuard/args.ts.
// The backend creates build Jobs at run time, so neither Pulumi nor the policy pack sees them: this is where
// the rules hold. Every list walk is bounded by BUILD_POD_BOUNDS (docs/admission-cel.md).
import { guardManifests, type AdmissionGuardManifests } from "./cel/policy.js";
import { resolveBuildAdmissionArgs, type BuildAdmissionPolicyArgs } from "./buildGuard/args.js";
import { contractPolicy } from "./buildGuard/contract.js";
import { credentialsPolicy } from "./buildGuard/credentials.js";
import { jobPolicy } from "./buildGuard/job.js";
import { podPolicy } from "./buildGuard/pod.js";
import { workloadsPolicy } from "./buildGuard/workloads.js";

export * from "./buildGuard/args.js";
// The Pulumi component lives in buildAdmissionGuard.ts; re-exported for the callers that import it from here.
export { BuildAdmissionGuard, type BuildAdmissionGuardArgs } from "./buildAdmissionGuard.js";

/** The guard's manifests; ids are workloads, job, pod, credentials and contract, each the suffix of its policy's cluster name. */
export type BuildAdmissionManifests = AdmissionGuardManifests;

/** The guard's policies, in the order they are created and reported. */
export const BUILD_GUARD_POLICIES = [workloadsPolicy, jobPolicy, podPolicy, credentialsPolicy, contractPolicy] as const;

/** The guard's policies and one Deny binding per policy, scoped to the build namespace by its immutable name label. */
export function buildAdmissionManifests(args: BuildAdmissionPolicyArgs): BuildAdmissionManifests {
  const r = resolveBuildAdmissionArgs(args);
  return guardManifests(
    r.namespace,
    "build-admission-guard",
    BUILD_GUARD_POLICIES.map((policy) => policy(r)),
  );
}
