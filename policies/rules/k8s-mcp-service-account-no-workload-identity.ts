import { configSchema } from "../config";
import { inMcpNamespace, objectName } from "../lib/mcp";
import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, isObject, UNKNOWN } from "../lib/props";
import { K8S_SERVICE_ACCOUNT } from "../lib/types";

const WI_ANNOTATION = "iam.gke.io/gcp-service-account";

// Every ServiceAccount of the namespace, not only mcp-server: a pod may name any of them.
export const k8sMcpServiceAccountNoWorkloadIdentity = resourcePolicy(
  {
    name: "k8s-mcp-service-account-no-workload-identity",
    description: "ServiceAccounts in the MCP namespace carry no Workload Identity annotation: MCP servers hold no GCP identity.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: platformRule(
      "credentials",
      "MCP pods use a Kubernetes service account with NO Workload Identity annotation: zero GCP access",
    ),
    remediationSteps: `Remove the ${WI_ANNOTATION} annotation from the ServiceAccount.`,
    configSchema: configSchema("mcpNamespace"),
  },
  K8S_SERVICE_ACCOUNT,
  (ctx) => {
    if (!inMcpNamespace(ctx)) return;
    const annotations = at(ctx.props, "metadata.annotations");
    if (annotations === UNKNOWN) return ctx.report(cannotVerify("metadata.annotations"));
    const gsa = isObject(annotations) ? annotations[WI_ANNOTATION] : undefined;
    if (gsa === undefined) return;
    const name = `${ctx.config.mcpNamespace}/${objectName(ctx.props, ctx.name)}`;
    ctx.report(
      `ServiceAccount ${name} is annotated ${WI_ANNOTATION}=${typeof gsa === "string" ? gsa : "<unknown>"}: MCP servers must hold no GCP identity`,
    );
  },
);
