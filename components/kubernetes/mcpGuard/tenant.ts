// Tenant binding, part one: the label. Judged on CREATE, on a template change, and whenever the label itself
// changes (so immutability holds on an UPDATE that touches only metadata). Replicas-only UPDATEs are skipped.
import {
  cond,
  eq,
  group,
  isIn,
  list,
  matchCondition,
  ne,
  not,
  object,
  oldObject,
  or,
  quoted,
  say,
  validation,
  type Expr,
  type PolicyDefinition,
} from "../cel/index.js";
import { TENANT_ID, TENANT_LABEL, type Resolved } from "./args.js";
import {
  labelsOf,
  operationIsNot,
  TEMPLATE_CHANGED,
  templateMeta,
  TENANT_VARIABLES,
  tenant,
  tenantOf,
  templateTenant,
  WORKLOAD_RULES,
} from "./workload.js";

/** `"none"` for "", the value in quotes otherwise. */
export const shownTenant = (v: Expr<string>): Expr<string> => cond(eq(v, ""), "none", quoted(v));

export function tenantPolicy(r: Resolved): PolicyDefinition {
  const was = tenantOf(labelsOf(oldObject));
  const label = TENANT_LABEL;
  const required = `label ${label} is required on every MCP workload: a DNS label naming the tenant, on metadata.labels`;
  const template = `the pod template must carry the same ${label} label as the object: Knative copies the template's labels to every Revision and pod`;
  const immutable = `label ${label} cannot change: an MCP server never moves to another tenant`;
  const reserved = `label ${label} must not be a tenant id the platform reserves for its own images (${r.reservedTenants.join(", ")})`;
  return {
    id: "tenant",
    rules: WORKLOAD_RULES,
    matchConditions: [
      matchCondition(
        "create-template-or-tenant-change",
        or(operationIsNot("UPDATE"), group(TEMPLATE_CHANGED), ne(tenantOf(labelsOf(object)), was)),
      ),
    ],
    variables: [templateMeta, ...TENANT_VARIABLES],
    validations: [
      validation(tenant.ref.matches(TENANT_ID), say(required).got(shownTenant(tenant.ref))),
      validation(not(isIn(tenant.ref, list(r.reservedTenants))), say(reserved).got(quoted(tenant.ref))),
      validation(eq(templateTenant.ref, tenant.ref), say(template).got(shownTenant(templateTenant.ref))),
      validation(
        or(operationIsNot("UPDATE"), eq(was, tenant.ref)),
        say(immutable).then("; was ", shownTenant(was), ", now ", shownTenant(tenant.ref)),
      ),
    ],
  };
}
