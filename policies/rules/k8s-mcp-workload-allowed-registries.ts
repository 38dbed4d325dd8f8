import { configSchema, imageAllowed } from "../config";
import { containersOf, isWorkload } from "../lib/k8s";
import { mcpPodSpec } from "../lib/mcp";
import { cisGke, resourcePolicy } from "../lib/policy";
import { at, deferUnknown, UNKNOWN } from "../lib/props";

export const k8sMcpWorkloadAllowedRegistries = resourcePolicy(
  {
    name: "k8s-mcp-workload-allowed-registries",
    description: "Containers in the MCP namespace pull only from the allowed registries (pack config allowedRegistries).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("5.1.4", "Minimize Container Registries to only those approved"),
    remediationSteps:
      "Push the image to the platform's Artifact Registry repository, or add its prefix to allowedRegistries in the pack config.",
    configSchema: configSchema("mcpNamespace", "allowedRegistries"),
  },
  isWorkload,
  (ctx) => {
    const pod = mcpPodSpec(ctx);
    if (!pod) return;
    let unknown: (string | number)[] | undefined;
    for (const c of containersOf(pod.spec)) {
      const image = at(c.container, "image");
      if (image === UNKNOWN) unknown = unknown ?? [...pod.path, ...c.path, "image"];
      else if (typeof image !== "string" || !imageAllowed(image, ctx.config.allowedRegistries)) {
        ctx.report(
          `${c.label} uses image ${JSON.stringify(image ?? null)}, which is not under an allowed registry (${ctx.config.allowedRegistries.join(", ")})`,
        );
      }
    }
    // Image references are often built from a repository's output: a reference, not a literal.
    if (unknown) deferUnknown(ctx.proxied, unknown);
  },
);
