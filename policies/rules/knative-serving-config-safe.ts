import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, isObject, UNKNOWN } from "../lib/props";
import { KNATIVE_SERVING } from "../lib/types";

// Knative's own config can undo the guard from behind: a public default domain makes every tenant's route public
// under a name the platform did not map, a feature flag lets a Service carry what the guard's defaults keep out
// (Knative's webhook is the first to refuse these fields, and the admission guard the second), and a queue-proxy
// image that is not upstream's by digest runs in every tenant pod. Knative v1.22.1:
// pkg/apis/config/features.go (flags and their defaults), pkg/reconciler/route/config/domain.go (DefaultDomain
// "svc.<cluster domain>" when no domain matches), pkg/deployment/config.go (queue-sidecar-image).

/**
 * Flags that admit pod-spec fields weakening isolation: each must stay disabled (Knative's default for all of them).
 * Not kubernetes.podspec-fieldref: the canary reads status.hostIP through it, and the admission guard pins which
 * fieldRef paths a tenant may read (docs/admission-guard.md).
 */
export const WEAKENING_FEATURES: readonly string[] = [
  "kubernetes.containerspec-addcapabilities",
  "kubernetes.podspec-affinity",
  "kubernetes.podspec-dnsconfig",
  "kubernetes.podspec-dnspolicy",
  "kubernetes.podspec-hostaliases",
  "kubernetes.podspec-hostipc",
  "kubernetes.podspec-hostnetwork",
  "kubernetes.podspec-hostpid",
  "kubernetes.podspec-volumes-hostpath",
  "kubernetes.podspec-volumes-csi",
  "kubernetes.podspec-volumes-image",
  "kubernetes.podspec-volumes-mount-propagation",
  "kubernetes.podspec-init-containers",
  "kubernetes.podspec-nodeselector",
  "kubernetes.podspec-persistent-volume-claim",
  "kubernetes.podspec-persistent-volume-write",
  "kubernetes.podspec-priorityclassname",
  "kubernetes.podspec-schedulername",
  "kubernetes.podspec-securitycontext",
  "kubernetes.podspec-shareprocessnamespace",
  "kubernetes.podspec-tolerations",
  "queueproxy.mount-podinfo",
];

/** The cluster-local domain Knative gives routes that no public domain selects. */
const CLUSTER_LOCAL = /^svc\.cluster\.local$/;
/** Upstream's queue-proxy, by digest. */
const UPSTREAM_QUEUE = /^gcr\.io\/knative-releases\/knative\.dev\/serving\/cmd\/queue@sha256:[0-9a-f]{64}$/;

export const knativeServingConfigSafe = resourcePolicy(
  {
    name: "knative-serving-config-safe",
    description:
      "Knative's config keeps routes cluster-local unless mapped (config-domain), enables no pod-spec feature that weakens the guard's defaults, keeps secure-pod-defaults on, and runs upstream's queue-proxy by digest.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("sandbox", "Knative's configuration cannot admit what the admission guard refuses"),
    remediationSteps:
      'spec.config.domain: { "svc.cluster.local": "" } only (public hosts come from DomainMappings); remove the listed feature flags (Knative defaults them to disabled); secure-pod-defaults: "Enabled"; leave deployment.queue-sidecar-image unset (the operator pins upstream\'s digest) or set it to gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:<digest>.',
  },
  KNATIVE_SERVING,
  ({ props, report }) => {
    const config = at(props, "spec.config");
    if (config === UNKNOWN) return report(cannotVerify("spec.config"));
    const domain = at(config, "domain");
    if (domain === UNKNOWN) return report(cannotVerify("spec.config.domain"));
    if (!isObject(domain) || Object.keys(domain).length === 0) {
      report("spec.config.domain is not set: state the cluster-local domain (svc.cluster.local) so no route is public by default");
    } else {
      for (const d of Object.keys(domain)) {
        if (!CLUSTER_LOCAL.test(d))
          report(`spec.config.domain gives routes the domain ${d}: tenants' routes would be public under names the platform did not map`);
      }
    }
    const features = at(config, "features");
    if (features === UNKNOWN) return report(cannotVerify("spec.config.features"));
    for (const f of WEAKENING_FEATURES) {
      const v = at(features, [f]);
      if (v === UNKNOWN) report(cannotVerify(["spec", "config", "features", f]));
      else if (typeof v === "string" && /^(enabled|allowed)$/i.test(v.trim()))
        report(`spec.config.features["${f}"] is "${v}": Knative would admit pod-spec fields the guard's defaults keep out`);
    }
    const secure = at(features, ["secure-pod-defaults"]);
    if (secure === UNKNOWN) report(cannotVerify("spec.config.features.secure-pod-defaults"));
    else if (secure !== "Enabled")
      report(`spec.config.features["secure-pod-defaults"] is ${JSON.stringify(secure ?? null)}, expected "Enabled"`);
    const queue = at(config, ["deployment", "queue-sidecar-image"]) ?? at(config, ["deployment", "queueSidecarImage"]);
    if (queue === UNKNOWN) report(cannotVerify("spec.config.deployment.queue-sidecar-image"));
    else if (queue !== undefined && (typeof queue !== "string" || !UPSTREAM_QUEUE.test(queue)))
      report(
        `spec.config.deployment.queue-sidecar-image is ${JSON.stringify(queue)}: every tenant pod would run a queue-proxy that is not upstream's by digest`,
      );
  },
);
