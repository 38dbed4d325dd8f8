// The MCP namespace itself must enforce Pod Security "restricted" at the latest version: it runs untrusted code.
import { and, eq, group, has, isIn, not, object, or, rule, validation, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";

export function podSecurityPolicy(r: Resolved): PolicyDefinition {
  const labels = object.path("metadata.labels");
  const enforce = "pod-security.kubernetes.io/enforce";
  const version = "pod-security.kubernetes.io/enforce-version";
  const message = `namespace ${r.namespace} must enforce Pod Security "restricted" (label ${enforce}=restricted, ${version} unset or latest): it runs untrusted MCP code`;
  return {
    id: "pod-security",
    rules: [rule("", ["v1"], ["namespaces"], ["CREATE", "UPDATE"], "Cluster")],
    validations: [
      validation(
        and(
          has(labels),
          isIn(enforce, labels),
          eq(labels.at(enforce), "restricted"),
          group(or(not(isIn(version, labels)), eq(labels.at(version), "latest"))),
        ),
        message,
      ),
    ],
  };
}
