// Only build Jobs and the pods they make: no Deployments, CronJobs, Knative Services, ... in the build namespace.
import { bool, request, say, validation, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";
import { rule } from "./workload.js";

export function workloadsPolicy(r: Resolved): PolicyDefinition {
  const message = `only build Jobs (batch/v1) and their Pods may run in ${r.namespace}`;
  const workload = (apiVersion: string, kind: string) => ({
    name: `a ${kind}`,
    kind,
    object: { apiVersion, kind, metadata: { name: "miner", namespace: r.namespace }, spec: {} },
    refusedWith: `${message}; got a ${kind}`,
  });
  return {
    id: "workloads",
    suite: {
      // Every kind it matches is refused; Jobs and Pods are not matched (the job and pod policies judge them).
      allowed: [],
      disallowed: [
        workload("apps/v1", "Deployment"),
        workload("apps/v1", "StatefulSet"),
        workload("batch/v1", "CronJob"),
        workload("serving.knative.dev/v1", "Service"),
      ],
    },
    rules: [
      rule("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
      rule("batch", ["cronjobs"]),
      rule("", ["replicationcontrollers"]),
      rule("serving.knative.dev", ["services", "configurations", "revisions"]),
    ],
    validations: [validation(bool(false), say(message).then("; got a ", request.path("kind.kind")))],
  };
}
