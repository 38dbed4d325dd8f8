// Only build Jobs and the pods they make: no Deployments, CronJobs, Knative Services, ... in the build namespace.
import { bool, request, say, validation, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";
import { rule } from "./workload.js";

export function workloadsPolicy(r: Resolved): PolicyDefinition {
  const message = `only build Jobs (batch/v1) and their Pods may run in ${r.namespace}`;
  return {
    id: "workloads",
    rules: [
      rule("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
      rule("batch", ["cronjobs"]),
      rule("", ["replicationcontrollers"]),
      rule("serving.knative.dev", ["services", "configurations", "revisions"]),
    ],
    validations: [validation(bool(false), say(message).then("; got a ", request.path("kind.kind")))],
  };
}
