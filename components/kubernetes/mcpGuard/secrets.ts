// Tenant credentials live only in the tenant's own Secrets. The namespace is shared by every tenant, and the
// kubelet hands any Secret or ConfigMap of the namespace to any pod that names it (the Node authorizer has no
// notion of who may reference what: https://kubernetes.io/docs/reference/access-authn-authz/node/), so every
// reference is bound to the workload's tenant by its name: a Secret an MCP pod may name is `<tenant>.<name>`,
// `<tenant>` being the object's gumstack.com/tenant label. Tenant ids are DNS labels, which hold no dot, so the part
// before the first dot names exactly one tenant (a `<tenant>-` prefix would not: tenant `acme` could name
// `acme-corp-settings`). Every other name, platform Secrets included, is refused: env `secretKeyRef`, `envFrom`
// `secretRef`, secret volumes and projected volumes' secret sources alike. ConfigMaps are never named (they are
// not encrypted by the cluster's KMS key and project viewers read them), nor `imagePullSecrets`; projected
// volumes may carry only Secret and downward-API sources. A plain `env` value whose name says it is a credential
// (API_KEY, *_TOKEN, *_SECRET, PASSWORD, ...) is refused too: a backstop for the contract, which puts every
// setting the customer calls a credential in a Secret (docs/tenant-isolation.md).
import {
  and,
  concat,
  cond,
  group,
  gt,
  has,
  list,
  ne,
  none,
  not,
  or,
  size,
  t,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import { TENANT_ID, type Resolved } from "./args.js";
import {
  containers,
  isQueueProxy,
  POD_TEMPLATE_CHANGED,
  podSpec,
  startsWithAny,
  tenant,
  volumes,
  WORKLOAD_RULES,
  WORKLOAD_VARIABLES,
} from "./workload.js";

/** What separates the tenant from the rest of a Secret's name. */
export const SECRET_NAME_SEPARATOR = ".";

/**
 * Names of plain env values that are credentials by their name: a segment (between underscores, or the whole
 * name) KEY (API_KEY, ACCESS_KEY, PRIVATE_KEY, ...), SECRET(S), TOKEN(S), PASSWORD, PASSWD. Upper
 * case, as env names are written; kept short, since the API server charges a regex by its length for every env
 * entry of every container.
 */
export const CREDENTIAL_ENV_NAME = "(^|_)(KEY|SECRETS?|TOKENS?|PASSWO?R?D)(_|$)";

const names = t.list(t.string);
/** `x.name`, or "" when unset. */
const nameOf = (ref: Expr<Obj>, field = "name"): Expr<string> => group(cond(has(ref.f(field)), ref.f(field), ""));
/** `<tenant>.`, computed once per request (a per-reference concatenation would be charged for every env entry). */
const secretPrefix = variable("secretPrefix", t.string, concat(tenant.ref, SECRET_NAME_SEPARATOR));
const tenantValid = variable("tenantValid", t.bool, tenant.ref.matches(TENANT_ID));
/** Whether a Secret name is the tenant's own: `<tenant>.<something>`, the tenant a valid id. */
const bound = (secret: Expr<string>): Expr<boolean> =>
  and(tenantValid.ref, secret.startsWith(secretPrefix.ref), gt(size(secret), size(secretPrefix.ref)));

export function secretsPolicy(r: Resolved): PolicyDefinition {
  const p = podSpec.ref;
  const shared = "the namespace is shared by every tenant and the kubelet gives any pod the Secrets it names";
  const own = `an MCP pod may name only its own tenant's Secrets, <tenant>${SECRET_NAME_SEPARATOR}<name> for its ${"gumstack.com/tenant"} label`;
  const foreignEnvRef = (e: Expr<Obj>) =>
    and(has(e.f("valueFrom")), has(e.f("valueFrom").f("secretKeyRef")), not(bound(nameOf(e.f("valueFrom").f("secretKeyRef")))));
  // Offending containers by name: listing each entry again would double the walk over every env.
  const foreignSecretEnv = variable(
    "foreignSecretEnv",
    names,
    containers.ref.filter("c", (c) => and(has(c.f("env")), c.f("env").exists("e", foreignEnvRef))).map("c", (c) => c.f("name")),
  );
  const foreignFrom = (f: Expr<Obj>) => and(has(f.f("secretRef")), not(bound(nameOf(f.f("secretRef")))));
  const foreignEnvFrom = variable(
    "foreignEnvFrom",
    names,
    containers.ref
      .filter("c", (c) => and(has(c.f("envFrom")), c.f("envFrom").exists("f", foreignFrom)))
      .map("c", (c) =>
        concat(
          c.f("name"),
          " envFrom ",
          c
            .f("envFrom")
            .filter("f", foreignFrom)
            .map("f", (f) => nameOf(f.f("secretRef")))
            .join("+"),
        ),
      ),
  );
  const configMapEnvFrom = variable(
    "configMapEnvFrom",
    names,
    containers.ref
      .filter("c", (c) =>
        and(
          has(c.f("envFrom")),
          c.f("envFrom").exists("f", (f) => or(has(f.f("configMapRef")), not(has(f.f("secretRef"))))),
        ),
      )
      .map("c", (c) => c.f("name")),
  );
  const sources = (v: Expr<Obj>) => v.path("projected.sources");
  const foreignSecretVolumes = variable(
    "foreignSecretVolumes",
    names,
    volumes.ref
      .filter("v", (v) =>
        or(
          group(and(has(v.f("secret")), not(bound(nameOf(v.f("secret"), "secretName"))))),
          group(
            and(
              has(v.f("projected")),
              has(sources(v)),
              sources(v).exists("s", (s) => and(has(s.f("secret")), not(bound(nameOf(s.f("secret")))))),
            ),
          ),
        ),
      )
      .map("v", (v) => v.f("name")),
  );
  // serviceAccountToken sources are the sandbox policy's refusal; here every source that is neither a Secret nor
  // the pod's own fields (a ConfigMap, a cluster trust bundle, anything newer).
  const otherProjectedSources = variable(
    "otherProjectedSources",
    names,
    volumes.ref
      .filter("v", (v) =>
        and(
          has(v.f("projected")),
          has(sources(v)),
          // A token volume is the sandbox policy's refusal, whatever else it carries.
          not(sources(v).exists("s", (s) => has(s.f("serviceAccountToken")))),
          sources(v).exists("s", (s) => and(not(has(s.f("secret"))), not(has(s.f("downwardAPI"))))),
        ),
      )
      .map("v", (v) => v.f("name")),
  );
  const pullSecrets = variable(
    "pullSecrets",
    names,
    cond(
      has(p.f("imagePullSecrets")),
      p.f("imagePullSecrets").map("s", (s) => nameOf(s)),
      list<string>([]),
    ),
  );
  const configMapRef = (e: Expr<Obj>) => and(has(e.f("valueFrom")), has(e.f("valueFrom").f("configMapKeyRef")));
  const configMapEnv = variable(
    "configMapEnv",
    names,
    containers.ref
      .filter("c", (c) => and(has(c.f("env")), c.f("env").exists("e", configMapRef)))
      .map("c", (c) =>
        concat(
          c.f("name"),
          " env ",
          c
            .f("env")
            .filter("e", configMapRef)
            .map("e", (e) => e.f("name"))
            .join("+"),
        ),
      ),
  );
  // Names under a reserved prefix are the reserved-env policy's refusal.
  const credential = (e: Expr<Obj>) =>
    and(
      has(e.f("value")),
      ne(e.f("value"), ""),
      e.f("name").matches(CREDENTIAL_ENV_NAME),
      not(startsWithAny(r.reservedEnvPrefixes, e.f("name"))),
    );
  const credentialValues = variable(
    "credentialValues",
    names,
    containers.ref
      .filter("c", (c) =>
        and(not(isQueueProxy(c, r.knativeSystemImagePrefixes, true)), has(c.f("env")), c.f("env").exists("e", credential)),
      )
      .map("c", (c) => c.f("name")),
  );
  return {
    id: "secrets",
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      tenant,
      secretPrefix,
      tenantValid,
      foreignSecretEnv,
      foreignEnvFrom,
      configMapEnvFrom,
      foreignSecretVolumes,
      otherProjectedSources,
      pullSecrets,
      configMapEnv,
      credentialValues,
    ],
    validations: [
      none(foreignSecretEnv, `env valueFrom.secretKeyRef: ${own}: ${shared}`, "containers"),
      none(foreignEnvFrom, `envFrom secretRef: ${own}: ${shared}`, "containers"),
      none(
        configMapEnvFrom,
        "envFrom may name only the tenant's own Secrets, never a ConfigMap: ConfigMaps are shared by the namespace, readable by project viewers and not encrypted by the cluster's key",
        "containers",
      ),
      none(foreignSecretVolumes, `secret volumes and projected secret sources: ${own}: ${shared}`, "volumes"),
      none(
        otherProjectedSources,
        "projected volumes may carry only the tenant's Secrets and the pod's own fields (downwardAPI): no ConfigMap or other source",
        "volumes",
      ),
      none(
        pullSecrets,
        "imagePullSecrets are not allowed: MCP nodes pull from the tenant repository with their own identity, and a pull secret is another tenant's readable Secret",
        "secrets",
      ),
      none(
        configMapEnv,
        "env valueFrom.configMapKeyRef is not allowed: ConfigMaps are shared by the namespace, readable by project viewers and not encrypted by the cluster's key; settings come from the tenant's Secrets or as plain values",
        "containers",
      ),
      none(
        credentialValues,
        `credentials may not be plain env values (their names say they are credentials): they would be stored in the Service, every Revision and Pod, readable by project viewers; reference the tenant's Secret (<tenant>${SECRET_NAME_SEPARATOR}<name>) with valueFrom.secretKeyRef`,
        "containers",
      ),
    ],
  };
}
