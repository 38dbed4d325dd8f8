// enableServiceLinks puts every Service of the namespace into each container's environment as
// <NAME>_SERVICE_HOST/_PORT (https://kubernetes.io/docs/tutorials/services/connect-applications-service/#environment-variables):
// in the shared MCP namespace, every other tenant's server names and ClusterIPs. Knative passes the field through
// and defaults it from config-defaults enable-service-links, "false" (pkg/apis/serving/v1/revision_defaults.go,
// knative-v1.22.1), which the platform also sets explicitly. Refused when true on any kind; a pod-level object
// (what Knative derives, or anything else) must carry false, since Kubernetes' own default for a Pod is true.
import { and, bool, cond, eq, has, kindIs, not, or, say, validation, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";
import { POD_TEMPLATE_CHANGED, podSpec, WORKLOAD_RULES, WORKLOAD_VARIABLES } from "./workload.js";

export function serviceLinksPolicy(_r: Resolved): PolicyDefinition {
  const links = podSpec.ref.f("enableServiceLinks");
  const message =
    "enableServiceLinks must be false: service links put every other tenant's Service names and addresses of the shared namespace into the pod's environment";
  return {
    id: "service-links",
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [...WORKLOAD_VARIABLES],
    validations: [
      validation(
        or(
          and(has(links), eq(links, bool(false))),
          // Knative defaults an unset field to false when it creates the Revision.
          and(kindIs("Service", "Configuration", "Revision"), not(has(links))),
        ),
        say(message).got(cond(has(links), "true", "unset (Kubernetes' default is true)")),
      ),
    ],
  };
}
