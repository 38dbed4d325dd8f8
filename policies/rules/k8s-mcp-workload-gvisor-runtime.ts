import { configSchema } from "../config";
import { HELM_RELEASE, isWorkload } from "../lib/k8s";
import { mcpPodSpec } from "../lib/mcp";
import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, deferUnknown, UNKNOWN } from "../lib/props";

export const k8sMcpWorkloadGvisorRuntime = resourcePolicy(
  {
    name: "k8s-mcp-workload-gvisor-runtime",
    description: "Every workload in the MCP namespace (Knative Services included) runs with runtimeClassName gvisor.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisGke("5.10.4", "Consider GKE Sandbox for running untrusted workloads"),
    remediationSteps: 'Set runtimeClassName: "gvisor" in the pod spec (spec.template.spec for Deployments and Knative Services).',
    configSchema: configSchema("mcpNamespace"),
  },
  (type) => isWorkload(type) || type === HELM_RELEASE,
  (ctx) => {
    if (ctx.type === HELM_RELEASE) {
      // A v3 Release renders its manifests inside the provider: none of its pods reach this pack.
      const ns = at(ctx.props, "namespace");
      if (ns === UNKNOWN) return deferUnknown(ctx.proxied, "namespace");
      if (ns === ctx.config.mcpNamespace) {
        ctx.report(
          `Helm release installs into ${ctx.config.mcpNamespace}, where its workloads escape this pack's checks: declare MCP-namespace workloads as Kubernetes resources`,
        );
      }
      return;
    }
    const pod = mcpPodSpec(ctx);
    if (!pod) return;
    const rc = at(pod.spec, "runtimeClassName");
    if (rc === UNKNOWN) return ctx.report(cannotVerify([...pod.path, "runtimeClassName"]));
    if (rc !== "gvisor")
      ctx.report(`runtimeClassName is ${JSON.stringify(rc ?? null)}, expected "gvisor": the pod would share the node's kernel`);
  },
);
