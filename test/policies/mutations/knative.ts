// Holes in Knative Serving's own configuration.
import { all, edit, type Mutation } from "./mutation.js";

const KS = "kubernetes:operator.knative.dev/v1beta1:KnativeServing";
const features = (f: string, v: string) => (p: Record<string, any>) => void (p.spec.config.features[f] = v);

export const knativeMutations: Mutation[] = [
  {
    hole: "Kourier on a LoadBalancer of its own",
    policy: "knative-serving-kourier-cluster-ip",
    apply: (r) => edit(r, KS, all, (p) => void (p.spec.ingress.kourier["service-type"] = "LoadBalancer")),
  },
  {
    hole: "runtimeClassName not accepted",
    policy: "knative-serving-runtime-class-enabled",
    apply: (r) => edit(r, KS, all, features("kubernetes.podspec-runtimeclassname", "disabled")),
  },
  {
    hole: "every route public under a default domain",
    policy: "knative-serving-config-safe",
    apply: (r) => edit(r, KS, all, (p) => void (p.spec.config.domain = { "gumstack.com": "" })),
    message: /domain gumstack\.com/,
  },
  {
    hole: "hostNetwork admitted by Knative",
    policy: "knative-serving-config-safe",
    apply: (r) => edit(r, KS, all, features("kubernetes.podspec-hostnetwork", "enabled")),
  },
  {
    hole: "hostPath volumes admitted by Knative",
    policy: "knative-serving-config-safe",
    apply: (r) => edit(r, KS, all, features("kubernetes.podspec-volumes-hostpath", "Allowed")),
  },
  {
    hole: "added capabilities admitted by Knative",
    policy: "knative-serving-config-safe",
    apply: (r) => edit(r, KS, all, features("kubernetes.containerspec-addcapabilities", "enabled")),
  },
  {
    hole: "secure pod defaults off",
    policy: "knative-serving-config-safe",
    apply: (r) => edit(r, KS, all, features("secure-pod-defaults", "Disabled")),
  },
  {
    hole: "a queue-proxy that is not upstream's in every tenant pod",
    policy: "knative-serving-config-safe",
    apply: (r) => edit(r, KS, all, (p) => void (p.spec.config.deployment["queue-sidecar-image"] = "docker.io/attacker/queue:latest")),
  },
];
