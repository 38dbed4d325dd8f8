import { configSchema } from "../config";
import { checkGuardBound, judgeGuardContent, judgesCreate, NAME_LABEL } from "../lib/guard";
import { platformRule, stackPolicy } from "../lib/policy";

// Build Jobs are created at run time by the backend, so the pack never sees them: in every stack with the build
// namespace, the build guard must be present, bound to it with Deny, never failing open, and judge the creation
// of both Jobs and Pods there (a guard on Jobs alone is walked around by creating a Pod), and refuse every attack
// of the corpus (policies/corpus/build.json) while admitting the Job buildJobManifest writes and its Pod.
export const k8sBuildAdmissionGuardBound = stackPolicy(
  {
    name: "k8s-build-admission-guard-bound",
    description:
      "Stacks with the build namespace bind ValidatingAdmissionPolicies judging Job and Pod creation there with validationActions Deny, and the planned guard refuses every attack of the corpus (policies/corpus/build.json) and admits the build Job and its Pod.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "build plane",
      "a build workload without gVisor, with a deadline over 10 minutes or none, host access, a mounted token or a privileged container is refused by the cluster",
    ),
    remediationSteps:
      `Create the build admission guard (components/kubernetes/buildAdmissionPolicies.ts): ValidatingAdmissionPolicies (failurePolicy Fail) over batch/jobs and pods, ` +
      `each with a binding whose validationActions is [Deny] and whose matchResources.namespaceSelector.matchLabels is {"${NAME_LABEL}": <build namespace>}.`,
    configSchema: configSchema("buildNamespace"),
  },
  (ctx) => {
    const ns = ctx.config.buildNamespace;
    const read = checkGuardBound(ctx, ns);
    if (!read.namespace) return ctx.notApplicable(`the stack has no namespace ${ns}`);
    judgeGuardContent(ctx, "build", ns, read);
    if (read.guarding.length === 0) return;
    for (const [group, resource, what] of [
      ["batch", "jobs", "Jobs"],
      ["", "pods", "Pods"],
    ] as const) {
      if (!read.guarding.some((p) => judgesCreate(p, group, resource))) {
        ctx.report(
          `no Deny-bound ValidatingAdmissionPolicy judges the creation of ${what} in ${ns}: build workloads of that kind would be admitted unchecked`,
          read.namespace.urn,
        );
      }
    }
  },
);
