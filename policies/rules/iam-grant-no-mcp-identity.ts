import { configSchema } from "../config";
import { mcpIdentityReason } from "../lib/identity";
import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, at, deferUnknown, isObject, isUnknown, UNKNOWN, unknownPaths, type Path } from "../lib/props";
import { isIamGrant } from "../lib/types";

interface Grant {
  readonly role: unknown;
  readonly member: string;
}

// Any grant resource, any member spelling: the old `serviceAccount:P.svc.id.goog[ns/ksa]`, the `principal://`
// and `principalSet://` forms, and sets (a whole pool, a whole cluster) that include the MCP namespace.
export const iamGrantNoMcpIdentity = resourcePolicy(
  {
    name: "iam-grant-no-mcp-identity",
    description: "No IAM grant (project, service account, bucket, database, key, anything) reaches an identity of the MCP namespace.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule("credentials", "MCP pods use a Kubernetes service account with NO Workload Identity annotation: zero GCP access"),
    remediationSteps: "Remove the member; MCP servers call GCP, if ever, through the backend's API.",
    configSchema: configSchema("mcpNamespace"),
  },
  isIamGrant,
  ({ props, proxied, config, report }) => {
    const grants: Grant[] = [];
    const unknown: Path[] = [];
    const role = at(props, "role");
    const member = at(props, "member");
    if (member === UNKNOWN) unknown.push("member");
    else if (typeof member === "string") grants.push({ role, member });
    const members = at(props, "members");
    if (members === UNKNOWN) unknown.push("members");
    asArray(members).forEach((m, i) => {
      if (isUnknown(m)) unknown.push(["members", i]);
      else if (typeof m === "string") grants.push({ role, member: m });
    });
    // *IAMPolicy resources carry the whole policy as JSON text.
    const policyData = at(props, "policyData");
    if (policyData === UNKNOWN) unknown.push("policyData");
    else if (typeof policyData === "string") {
      let policy: unknown;
      try {
        policy = JSON.parse(policyData);
      } catch {
        return report("policyData is not valid JSON, so its members cannot be checked");
      }
      for (const b of asArray(at(policy, "bindings"))) {
        for (const m of asArray(at(b, "members"))) if (typeof m === "string") grants.push({ role: at(b, "role"), member: m });
        if (isObject(b) && unknownPaths(b).length > 0) unknown.push("policyData");
      }
    }
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
