// Tenant binding, part two: images. An image must be <tenant repository>/<the object's tenant>/<name>, pinned.
// Without a valid tenant label nothing is judged here: the tenant policy, matched on a superset of these
// requests, refuses the object then.
import {
  and,
  bool,
  concat,
  cond,
  group,
  has,
  list,
  none,
  not,
  or,
  t,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import { TENANT_ID, TENANT_LABEL, type Resolved } from "./args.js";
import { containers, escapeRe, isQueueProxy, POD_TEMPLATE_CHANGED, tenant, WORKLOAD_RULES, WORKLOAD_VARIABLES } from "./workload.js";

export function imagesPolicy(r: Resolved): PolicyDefinition {
  const repo = r.tenantImageRepository;
  const name = "[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*";
  const tag = ":[A-Za-z0-9_][A-Za-z0-9._-]{0,127}";
  const digest = "@sha256:[a-f0-9]{64}";
  const pin = r.tenantTagsImmutable ? `((${tag})?${digest}|${tag})` : `(${tag})?${digest}`;
  const shape = `^${escapeRe(repo)}/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/${name}${pin}$`;
  const system = (c: Expr<Obj>) => group(isQueueProxy(c, r.knativeSystemImagePrefixes, false));
  const platform = r.platformImageRepository;
  const isPlatform = (c: Expr<Obj>): Expr<boolean> => (platform ? c.f("image").startsWith(`${platform}/`) : bool(false));
  const pinned = r.tenantTagsImmutable
    ? "by digest or by tag (the repository's tags are immutable)"
    : "by digest (@sha256:...; the repository's tags are mutable)";
  const message = `images must be ${repo}/<tenant>/<name> for the object's ${TENANT_LABEL} tenant, pinned ${pinned}: a tenant runs only images built from its own code`;
  const imageRoot = variable("imageRoot", t.string, concat(`${repo}/`, tenant.ref, "/"));
  const platformImages = variable(
    "platformImages",
    t.list(t.string),
    containers.ref.filter("c", (c) => and(has(c.f("image")), isPlatform(c))).map("c", (c) => concat(c.f("name"), "=", c.f("image"))),
  );
  const refusedImages = variable(
    "refusedImages",
    t.list(t.string),
    cond(
      not(tenant.ref.matches(TENANT_ID)),
      list<string>([]),
      containers.ref
        .filter("c", (c) =>
          or(
            not(has(c.f("image"))),
            group(and(not(isPlatform(c)), not(system(c)), not(and(c.f("image").startsWith(imageRoot.ref), c.f("image").matches(shape))))),
          ),
        )
        .map("c", (c) => concat(c.f("name"), "=", cond(has(c.f("image")), c.f("image"), "<none>"))),
    ),
  );
  return {
    id: "images",
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [...WORKLOAD_VARIABLES, tenant, imageRoot, platformImages, refusedImages],
    validations: [
      ...(platform
        ? [
            none(
              platformImages,
              `the platform's own images (${platform}/) may not run as MCP servers: they carry the platform's code and trust`,
              "refused",
            ),
          ]
        : []),
      none(refusedImages, message, "refused"),
    ],
  };
}
