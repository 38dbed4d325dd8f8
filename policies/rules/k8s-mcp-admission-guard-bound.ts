import { configSchema } from "../config";
import { checkGuardBound, NAME_LABEL } from "../lib/guard";
import { platformRule, stackPolicy } from "../lib/policy";

// MCP servers are created at run time, so the pack never sees them (docs/facts.md fact 21): in every stack that
// has the MCP namespace, the cluster's own admission guard must be present and bound to it with Deny.
export const k8sMcpAdmissionGuardBound = stackPolicy(
  {
    name: "k8s-mcp-admission-guard-bound",
    description: "Stacks with the MCP namespace bind their ValidatingAdmissionPolicies to it with validationActions Deny.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "docs/facts.md fact 21",
      "Rules for MCP servers hold only if the cluster itself enforces them (admission control in gumstack-mcp)",
    ),
    remediationSteps: `Create the admission guard: ValidatingAdmissionPolicies (failurePolicy Fail) and bindings with validationActions [Deny] and matchResources.namespaceSelector.matchLabels {"${NAME_LABEL}": <mcp namespace>}.`,
    configSchema: configSchema("mcpNamespace"),
  },
  (ctx) => {
    const ns = ctx.config.mcpNamespace;
    const read = checkGuardBound(ctx, ns, "any policy");
    if (!read.namespace) return ctx.notApplicable(`the stack has no namespace ${ns}`);
  },
);
