import { configSchema } from "../config";
import { isWorkload } from "../lib/k8s";
import { mcpPodSpec } from "../lib/mcp";
import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";

// Knative accepts only `false` here (docs/facts.md fact 5); the pod-level field wins over the ServiceAccount's.
export const k8sMcpWorkloadNoTokenAutomount = resourcePolicy(
  {
    name: "k8s-mcp-workload-no-token-automount",
    description: "Pods in the MCP namespace do not mount a Kubernetes API token (automountServiceAccountToken: false).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("4.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
    remediationSteps: "Set automountServiceAccountToken: false in the pod spec.",
    configSchema: configSchema("mcpNamespace"),
  },
  isWorkload,
  (ctx) => {
    const pod = mcpPodSpec(ctx);
    if (!pod) return;
    const v = at(pod.spec, "automountServiceAccountToken");
    if (v === UNKNOWN) return ctx.report(cannotVerify([...pod.path, "automountServiceAccountToken"]));
    if (v !== false)
      ctx.report(`automountServiceAccountToken is ${JSON.stringify(v ?? null)}, expected false: the pod could call the Kubernetes API`);
  },
);
