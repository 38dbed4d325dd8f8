import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { KNATIVE_SERVING } from "../lib/types";

const FLAG = "kubernetes.podspec-runtimeclassname";

// Knative's webhook rejects runtimeClassName unless this feature flag is on (docs/facts.md fact 6): without it
// an MCP Service either fails to deploy or is deployed without gVisor.
export const knativeServingRuntimeClassEnabled = resourcePolicy(
  {
    name: "knative-serving-runtime-class-enabled",
    description: "Knative Serving accepts runtimeClassName (config-features kubernetes.podspec-runtimeclassname: enabled).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule(
      "docs/facts.md fact 6",
      "Knative rejects runtimeClassName unless config-features has kubernetes.podspec-runtimeclassname: enabled",
    ),
    remediationSteps: `Set spec.config.features["${FLAG}"]: "enabled" on the KnativeServing.`,
  },
  KNATIVE_SERVING,
  ({ props, report }) => {
    const path = ["spec", "config", "features", FLAG];
    const v = at(props, path);
    if (v === UNKNOWN) return report(cannotVerify(path));
    if (v !== "enabled") {
      report(
        `spec.config.features["${FLAG}"] is ${JSON.stringify(v ?? null)}, expected "enabled": Knative would reject runtimeClassName: gvisor`,
      );
    }
  },
);
