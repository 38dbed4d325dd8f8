import { configSchema } from "../config";
import { containersOf, isWorkload } from "../lib/k8s";
import { mcpPodSpec } from "../lib/mcp";
import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";

export const k8sMcpWorkloadNotPrivileged = resourcePolicy(
  {
    name: "k8s-mcp-workload-not-privileged",
    description: "No container of an MCP-namespace workload runs privileged.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("sandbox", "Pod Security Standard baseline: privileged containers"),
    remediationSteps: "Remove securityContext.privileged from the container.",
    configSchema: configSchema("mcpNamespace"),
  },
  isWorkload,
  (ctx) => {
    const pod = mcpPodSpec(ctx);
    if (!pod) return;
    for (const c of containersOf(pod.spec)) {
      const v = at(c.container, "securityContext.privileged");
      if (v === UNKNOWN) ctx.report(cannotVerify([...pod.path, ...c.path, "securityContext", "privileged"]));
      else if (v === true) ctx.report(`${c.label} is privileged: it can reach every device of the node`);
    }
  },
);
