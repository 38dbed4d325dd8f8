import { configSchema } from "../config";
import { checkGuardBound, judgeGuardContent, NAME_LABEL } from "../lib/guard";
import { platformRule, stackPolicy } from "../lib/policy";

// MCP servers are created at run time, so the pack never sees them (docs/facts.md fact 21): in every stack that
// has the MCP namespace, the cluster's own admission guard must be present, bound to it with Deny, and refuse
// every attack of the corpus (policies/corpus/mcp.json) while admitting its compliant baselines, judged through
// the planned policies as the API server admits a request (docs/admission-guard.md, "The attack corpus").
export const k8sMcpAdmissionGuardBound = stackPolicy(
  {
    name: "k8s-mcp-admission-guard-bound",
    description:
      "Stacks with the MCP namespace bind their ValidatingAdmissionPolicies to it with validationActions Deny, and the planned guard refuses every attack of the corpus (policies/corpus/mcp.json) and admits its compliant baselines, on every kind, operation and subresource.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "docs/facts.md fact 21",
      "Rules for MCP servers hold only if the cluster itself enforces them (admission control in gumstack-mcp)",
    ),
    remediationSteps: `Make the guard refuse the corpus case named (components/kubernetes/admissionPolicies.ts; run \`npx vitest run test/policies/guard-corpus.test.ts\`). Create the admission guard: ValidatingAdmissionPolicies (failurePolicy Fail) and bindings with validationActions [Deny] and matchResources.namespaceSelector.matchLabels {"${NAME_LABEL}": <mcp namespace>}.`,
    configSchema: configSchema("mcpNamespace"),
  },
  (ctx) => {
    const ns = ctx.config.mcpNamespace;
    const read = checkGuardBound(ctx, ns, "any policy");
    if (!read.namespace) return ctx.notApplicable(`the stack has no namespace ${ns}`);
    judgeGuardContent(ctx, "mcp", ns, read);
  },
);
