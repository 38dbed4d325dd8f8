import { configSchema } from "../config";
import { inMcpNamespace, objectName } from "../lib/mcp";
import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { K8S_SERVICE_ACCOUNT } from "../lib/types";

// The control plane's public endpoint answers on 443 from MCP pods (docs/facts.md fact 5): no token to present.
export const k8sMcpServiceAccountNoTokenAutomount = resourcePolicy(
  {
    name: "k8s-mcp-service-account-no-token-automount",
    description: "ServiceAccounts in the MCP namespace do not mount their API token into pods (automountServiceAccountToken: false).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("4.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
    remediationSteps: "Set automountServiceAccountToken: false on the ServiceAccount (top level of the manifest).",
    configSchema: configSchema("mcpNamespace"),
  },
  K8S_SERVICE_ACCOUNT,
  (ctx) => {
    if (!inMcpNamespace(ctx)) return;
    const v = at(ctx.props, "automountServiceAccountToken");
    if (v === UNKNOWN) return ctx.report(cannotVerify("automountServiceAccountToken"));
    if (v !== false) {
      const name = `${ctx.config.mcpNamespace}/${objectName(ctx.props, ctx.name)}`;
      ctx.report(`ServiceAccount ${name} mounts its API token into pods: set automountServiceAccountToken to false`);
    }
  },
);
