// No Secret or ConfigMap is ever named. The namespace is shared by every tenant, and the kubelet hands any
// Secret or ConfigMap of the namespace to any pod that names it (there is no per-pod authorization): a
// reference is a read of another tenant's object. MCP servers get their settings as plain `env` values that the
// backend writes into the Service; `valueFrom` may only read the pod's own fields (fieldRef, resourceFieldRef).
import {
  and,
  concat,
  cond,
  group,
  gt,
  has,
  int,
  list,
  none,
  or,
  size,
  t,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import type { Resolved } from "./args.js";
import { containers, POD_TEMPLATE_CHANGED, podSpec, volumes, WORKLOAD_RULES, WORKLOAD_VARIABLES } from "./workload.js";

const names = t.list(t.string);
/** `<container> env A+B` for each container whose env reads `valueFrom.<ref>`. */
const envWith = (name: string, ref: string) => {
  const reads = (e: Expr<Obj>) => and(has(e.f("valueFrom")), has(e.f("valueFrom").f(ref)));
  return variable(
    name,
    names,
    containers.ref
      .filter("c", (c) => and(has(c.f("env")), c.f("env").exists("e", reads)))
      .map("c", (c) =>
        concat(
          c.f("name"),
          " env ",
          c
            .f("env")
            .filter("e", reads)
            .map("e", (e) => e.f("name"))
            .join("+"),
        ),
      ),
  );
};

export function secretsPolicy(_r: Resolved): PolicyDefinition {
  const p = podSpec.ref;
  const why =
    "the namespace is shared by every tenant and the kubelet gives any pod the objects it names; settings come as plain env values";
  const secretEnv = envWith("secretEnv", "secretKeyRef");
  const envFromContainers = variable(
    "envFromContainers",
    names,
    containers.ref.filter("c", (c) => and(has(c.f("envFrom")), gt(size(c.f("envFrom")), int(0)))).map("c", (c) => c.f("name")),
  );
  const secretVolumes = variable(
    "secretVolumes",
    names,
    volumes.ref
      .filter("v", (v) =>
        or(
          has(v.f("secret")),
          group(
            and(
              has(v.f("projected")),
              has(v.path("projected.sources")),
              v.path("projected.sources").exists("s", (s) => has(s.f("secret"))),
            ),
          ),
        ),
      )
      .map("v", (v) => v.f("name")),
  );
  const pullSecrets = variable(
    "pullSecrets",
    names,
    cond(
      has(p.f("imagePullSecrets")),
      p.f("imagePullSecrets").map("s", (s) => cond(has(s.f("name")), s.f("name"), "")),
      list<string>([]),
    ),
  );
  const configMapEnv = envWith("configMapEnv", "configMapKeyRef");
  return {
    id: "secrets",
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [...WORKLOAD_VARIABLES, secretEnv, envFromContainers, secretVolumes, pullSecrets, configMapEnv],
    validations: [
      none(secretEnv, `env valueFrom.secretKeyRef is not allowed: ${why}`, "containers"),
      none(envFromContainers, `envFrom is not allowed (it only names Secrets and ConfigMaps): ${why}`, "containers"),
      none(secretVolumes, `secret volumes (and projected secret sources) are not allowed: ${why}`, "volumes"),
      none(
        pullSecrets,
        "imagePullSecrets are not allowed: MCP nodes pull from the tenant repository with their own identity, and a pull secret is another tenant's readable Secret",
        "secrets",
      ),
      none(configMapEnv, `env valueFrom.configMapKeyRef is not allowed: ${why}`, "containers"),
    ],
  };
}
