import { configSchema } from "../config";
import { grantMembers } from "../lib/iam";
import { mcpIdentityReason } from "../lib/identity";
import { platformRule, resourcePolicy } from "../lib/policy";
import { deferUnknown } from "../lib/props";
import { isIamGrant } from "../lib/types";

// Any grant resource, any member spelling: the old `serviceAccount:P.svc.id.goog[ns/ksa]`, the `principal://`
// and `principalSet://` forms, and sets (a whole pool, a whole cluster) that include the MCP namespace.
export const iamGrantNoMcpIdentity = resourcePolicy(
  {
    name: "iam-grant-no-mcp-identity",
    description: "No IAM grant (project, service account, bucket, database, key, anything) reaches an identity of the MCP namespace.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "credentials",
      "MCP pods use a Kubernetes service account with NO Workload Identity annotation: zero GCP access",
    ),
    remediationSteps: "Remove the member; MCP servers call GCP, if ever, through the backend's API.",
    configSchema: configSchema("mcpNamespace"),
  },
  isIamGrant,
  ({ props, proxied, config, report }) => {
    const { grants, unknown, invalid } = grantMembers(props);
    if (invalid) return report(invalid);
    for (const g of grants) {
      const reason = mcpIdentityReason(g.member, config.mcpNamespace);
      if (reason === undefined) continue;
      const roleText = typeof g.role === "string" ? g.role : "a role";
      report(`grants ${roleText} to ${g.member}, which ${reason}: MCP servers must hold no GCP access`);
    }
    // Members are references (emails of accounts created in the same stack): let @pulumi/policy report them.
    if (unknown.length > 0) deferUnknown(proxied, unknown[0]!);
  },
);
