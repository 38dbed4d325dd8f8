import { configSchema } from "../config";
import { namespaceOf } from "../lib/k8s";
import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { K8S_SERVICE, KNATIVE_SERVING } from "../lib/types";

const KOURIER_APP = "3scale-kourier-gateway";

// The Operator's Kourier Service is a public LoadBalancer by default (docs/facts.md fact 10): a second way in
// that skips the global load balancer, its TLS policy and its health checks.
export const knativeServingKourierClusterIp = resourcePolicy(
  {
    name: "knative-serving-kourier-cluster-ip",
    description: "Kourier is not exposed by a load balancer of its own: the KnativeServing sets its service type to ClusterIP.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule(
      "docs/facts.md fact 10",
      "The Operator's Kourier Service is a public LoadBalancer by default: make it ClusterIP",
    ),
    remediationSteps: 'Set spec.ingress.kourier: { enabled: true, "service-type": "ClusterIP" } on the KnativeServing.',
    configSchema: configSchema("knativeNamespace"),
  },
  [KNATIVE_SERVING, K8S_SERVICE],
  ({ type, props, providerProps, config, report }) => {
    if (type === KNATIVE_SERVING) {
      const enabled = at(props, "spec.ingress.kourier.enabled");
      if (enabled === UNKNOWN) return report(cannotVerify("spec.ingress.kourier.enabled"));
      if (enabled !== true) return; // another ingress (its own rules would apply)
      const serviceType = at(props, ["spec", "ingress", "kourier", "service-type"]);
      if (serviceType === UNKNOWN) return report(cannotVerify(["spec", "ingress", "kourier", "service-type"]));
      if (serviceType !== "ClusterIP") {
        report(
          `spec.ingress.kourier["service-type"] is ${JSON.stringify(serviceType ?? null)}: the Operator then exposes Kourier through a LoadBalancer of its own; set it to "ClusterIP"`,
        );
      }
      return;
    }
    // A Service the program itself declares for the Kourier gateway pods.
    const selector = at(props, "spec.selector.app");
    const ns = namespaceOf(props, providerProps);
    if (selector !== KOURIER_APP || (ns !== config.knativeNamespace && ns !== "kourier-system")) return;
    const serviceType = at(props, "spec.type");
    if (serviceType === UNKNOWN) return report(cannotVerify("spec.type"));
    if (serviceType === "LoadBalancer" || serviceType === "NodePort") {
      report(`Service for the Kourier gateway has type ${serviceType}: Kourier must be reachable only through the global load balancer`);
    }
  },
);
