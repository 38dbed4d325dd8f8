import { configSchema } from "../config";
import { isWorkload } from "../lib/k8s";
import { mcpPodSpec } from "../lib/mcp";
import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";

const HOST_FIELDS = ["hostNetwork", "hostPID", "hostIPC"] as const;

// hostNetwork also bypasses the GKE metadata server and every NetworkPolicy (a host-network pod is the node).
export const k8sMcpWorkloadNoHostNamespaces = resourcePolicy(
  {
    name: "k8s-mcp-workload-no-host-namespaces",
    description: "Workloads in the MCP namespace share no host namespace (hostNetwork, hostPID, hostIPC).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("sandbox", "Pod Security Standard baseline: host namespaces"),
    remediationSteps: "Remove hostNetwork, hostPID and hostIPC from the pod spec.",
    configSchema: configSchema("mcpNamespace"),
  },
  isWorkload,
  (ctx) => {
    const pod = mcpPodSpec(ctx);
    if (!pod) return;
    for (const field of HOST_FIELDS) {
      const v = at(pod.spec, field);
      if (v === UNKNOWN) ctx.report(cannotVerify([...pod.path, field]));
      else if (v === true) ctx.report(`${field} is true: the pod shares the node's ${field.slice(4).toLowerCase()} namespace`);
    }
  },
);
