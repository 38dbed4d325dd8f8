// No tenant may create a name that Knative derives, or will derive, for another tenant's objects. All tenants share
// the namespace, and Knative names what it makes from the Service's name (knative/serving knative-v1.22.1):
// - the Configuration and Route: the Service's name (pkg/reconciler/service/resources/names/names.go);
// - each Revision: kmeta.ChildName(<configuration>, "-%05d" of its generation)
//   (pkg/reconciler/configuration/resources/revision.go), so `<svc>-00001`, `<svc>-00002`, ... and more digits
//   past 99999;
// - per Revision: the PodAutoscaler and the public Service `<revision>` (pkg/reconciler/revision/resources/names),
//   the private Service ChildName(<revision>, "-private") (pkg/reconciler/serverlessservice/resources/names), the
//   Deployment ChildName(<revision>, "-deployment");
// - per Route: the placeholder Service `<route>` and one `<tag>-<route>` per traffic tag (config-network
//   tag-template, default "{{.Tag}}-{{.Name}}": vendor/knative.dev/networking/pkg/config/config.go;
//   pkg/reconciler/route/resources/service.go), and the Ingress ChildName(<route>, "").
// kmeta.ChildName (vendor/knative.dev/pkg/kmeta/names.go) returns parent+suffix when it fits in 63 characters and
// otherwise a truncated parent plus an md5 of it, a name anyone can compute offline.
//
// Each reconciler refuses an object of that name it does not own (NotOwned), so a squatter blocks the victim's next
// deploy for good. The rule, which holds for every pair of tenants without knowing other objects:
// 1. no Service, Configuration or Route name has a `-<5 or more digits>` segment: every Revision name, and every name
//    derived from one, has such a segment right after its Service's name, so no object a tenant names can be
//    another's Revision, its private Service or its Deployment, now or at any later generation;
// 2. names are at most 40 characters, so no derived name is ever truncated and hashed (the longest,
//    `<svc>-<generation>-deployment`, fits 63 characters up to an 11-digit generation), and rule 1 stays exact;
// 3. no traffic tag: a tag makes `<tag>-<svc>`, which can be any other Service's name (and only the DomainMapping
//    host is served publicly; tagged URLs are cluster-local);
// 4. no generateName: the backend names every server.
// DomainMappings are named `<svc>.<domain>` (domainMappings.ts), which no Service name (a DNS label) can equal, and
// with rule 2 their Ingress names stay unhashed for domains of up to 22 characters; hashed ones are 63 characters,
// longer than any Service name may be.
import {
  and,
  concat,
  cond,
  group,
  has,
  int,
  kindIs,
  le,
  eq,
  matchCondition,
  ne,
  not,
  object,
  oldObject,
  or,
  quoted,
  rule,
  say,
  size,
  string,
  t,
  validation,
  variable,
  type Expr,
  type PolicyDefinition,
} from "../cel/index.js";
import type { Resolved } from "./args.js";
import { KNATIVE, operationIsNot } from "./workload.js";

/** Longest Service, Configuration or Route name: no name Knative derives from it is ever hashed. */
export const MAX_SERVER_NAME = 40;
/** A hyphen-separated segment of five or more digits: what kmeta.ChildName(<svc>, "-%05d") appends. */
export const REVISION_SEGMENT = "-[0-9]{5,}(-|$)";

export function namesPolicy(_r: Resolved): PolicyDefinition {
  const serverName = variable("serverName", t.string, cond(has(object.path("metadata.name")), object.path("metadata.name"), ""));
  const traffic = object.path("spec.traffic");
  // Services and Routes carry traffic; a Configuration has none (its branch folds away under the type check).
  const untagged = or(
    kindIs("Configuration"),
    not(has(traffic)),
    traffic.all("x", (x) => or(not(has(x.f("tag"))), eq(x.f("tag"), ""))),
  );
  const onCreate = (e: Expr<boolean>) => or(operationIsNot("CREATE"), e);
  const digits =
    "Service, Configuration and Route names may not contain a segment of five or more digits (-00001): Knative names Revisions <service>-<generation>, so such a name can take another server's Revision, its private Service or its Deployment";
  const length = `Service, Configuration and Route names may be at most ${MAX_SERVER_NAME} characters: longer ones make Knative hash the names it derives, which another tenant could compute and take`;
  const tagMessage =
    "traffic tags are not allowed: a tag makes a Service named <tag>-<service>, which can be another server's name; only the DomainMapping host is served";
  const generated = "generateName is not allowed on a Service, Configuration or Route: the backend names every MCP server";
  const generateName = object.path("metadata.generateName");
  return {
    id: "names",
    rules: [rule(KNATIVE, ["v1"], ["services", "configurations", "routes"])],
    // The name is immutable: judged on CREATE; the traffic (tags) on every change of the spec.
    matchConditions: [matchCondition("create-or-spec-change", or(operationIsNot("UPDATE"), ne(object.f("spec"), oldObject.f("spec"))))],
    variables: [serverName],
    validations: [
      validation(onCreate(not(serverName.ref.matches(REVISION_SEGMENT))), say(digits).got(quoted(serverName.ref))),
      validation(
        onCreate(le(size(serverName.ref), int(MAX_SERVER_NAME))),
        say(length).got(concat(quoted(serverName.ref), " (", string(size(serverName.ref)), " characters)")),
      ),
      validation(onCreate(not(group(and(has(generateName), ne(generateName, ""))))), say(generated)),
      validation(untagged, say(tagMessage)),
    ],
  };
}
