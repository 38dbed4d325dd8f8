import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_NODE_POOL } from "../lib/types";

// The kubelet's read-only port (10255) serves pod specs, env values included, with no authentication to anything
// that reaches the node's address; GKE still enables it on node pools that do not say otherwise (the provider's
// insecureKubeletReadonlyPortEnabled is unset unless sent, and GKE's default depends on the version the pool was
// created with). Every pool says "FALSE" itself.
// https://cloud.google.com/kubernetes-engine/docs/how-to/disable-kubelet-readonly-port
export const gkeNodePoolKubeletReadonlyPortOff = resourcePolicy(
  {
    name: "gke-node-pool-kubelet-readonly-port-off",
    description:
      "Every GKE node pool disables the kubelet's unauthenticated read-only port 10255 (kubeletConfig.insecureKubeletReadonlyPortEnabled FALSE).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("3.2.4", "Ensure that the --read-only-port argument is set to 0"),
    remediationSteps: 'Set nodeConfig.kubeletConfig.insecureKubeletReadonlyPortEnabled: "FALSE" on the node pool.',
  },
  GKE_NODE_POOL,
  ({ props, report }) => {
    const path = "nodeConfig.kubeletConfig.insecureKubeletReadonlyPortEnabled";
    const v = at(props, path);
    if (v === UNKNOWN) return report(cannotVerify(path));
    if (v !== "FALSE")
      report(
        `${path} is ${JSON.stringify(v ?? null)}, expected "FALSE": the kubelet's read-only port 10255 serves every pod's spec, env included, without authentication`,
      );
  },
);
