// The MCP namespace itself must enforce Pod Security "restricted" at the latest version: it runs untrusted code.
import { and, eq, group, has, isIn, not, object, or, rule, validation, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";

export function podSecurityPolicy(r: Resolved): PolicyDefinition {
  const labels = object.path("metadata.labels");
  const enforce = "pod-security.kubernetes.io/enforce";
  const version = "pod-security.kubernetes.io/enforce-version";
  const message = `namespace ${r.namespace} must enforce Pod Security "restricted" (label ${enforce}=restricted, ${version} unset or latest): it runs untrusted MCP code`;
  const ns = (labels: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: r.namespace, labels: { "kubernetes.io/metadata.name": r.namespace, ...labels } },
  });
  const restricted = { [enforce]: "restricted", "pod-security.kubernetes.io/warn": "restricted" };
  return {
    id: "pod-security",
    rules: [rule("", ["v1"], ["namespaces"], ["CREATE", "UPDATE"], "Cluster")],
    suite: {
      allowed: [
        { name: "restricted, latest by default", kind: "Namespace", object: ns(restricted) },
        { name: "restricted, latest", kind: "Namespace", object: ns({ ...restricted, [version]: "latest" }) },
      ],
      disallowed: [
        { name: "no Pod Security label", kind: "Namespace", object: ns({}), refusedWith: message },
        { name: "baseline", kind: "Namespace", object: ns({ [enforce]: "baseline" }), refusedWith: message },
        {
          name: "restricted of an old version",
          kind: "Namespace",
          operation: "UPDATE",
          oldObject: ns(restricted),
          object: ns({ ...restricted, [version]: "v1.22" }),
          refusedWith: message,
        },
      ],
    },
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
