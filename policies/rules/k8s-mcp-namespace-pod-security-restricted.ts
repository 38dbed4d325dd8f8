import { platformRule, resourcePolicy } from "../lib/policy";
import { configSchema } from "../config";
import { at, cannotVerify, deferUnknown, UNKNOWN } from "../lib/props";
import { K8S_NAMESPACE } from "../lib/types";

const ENFORCE = "pod-security.kubernetes.io/enforce";

// MCP servers are created at run time by the backend, never seen by this pack (docs/facts.md fact 21): Pod
// Security Admission on the namespace is what holds the line for them.
export const k8sMcpNamespacePodSecurityRestricted = resourcePolicy(
  {
    name: "k8s-mcp-namespace-pod-security-restricted",
    description: 'The MCP namespace enforces the Pod Security Standard "restricted" through Pod Security Admission.',
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("docs/facts.md fact 21", "Rules for MCP servers hold only if the cluster itself enforces them in gumstack-mcp"),
    remediationSteps: `Label the namespace ${ENFORCE}: restricted (and pin pod-security.kubernetes.io/enforce-version if you need to).`,
    configSchema: configSchema("mcpNamespace"),
  },
  K8S_NAMESPACE,
  ({ props, proxied, config, report }) => {
    const name = at(props, "metadata.name");
    if (name === UNKNOWN) return deferUnknown(proxied, "metadata.name");
    if (name !== config.mcpNamespace) return;
    const level = at(props, ["metadata", "labels", ENFORCE]);
    if (level === UNKNOWN) return report(cannotVerify(["metadata", "labels", ENFORCE]));
    if (level !== "restricted") {
      report(
        `namespace ${config.mcpNamespace} does not enforce Pod Security "restricted": label ${ENFORCE} is ${JSON.stringify(level ?? null)}`,
      );
    }
  },
);
