// What a server may choose about the shared serving path and its own lifetime (docs/serving-timeouts.md):
// - `gumstack.com/single-replica: "true"` (on the Service and its template, like the tenant label) is the platform's
//   offer to a server that keeps MCP sessions in memory: Knative has no session affinity
//   (https://github.com/knative/serving/issues/8160), so such a server must run one pod: max-scale must be 1
//   (initial-scale is then at most 1, the revisions policy's rule); any other value of the label is refused;
// - `autoscaling.knative.dev/target-burst-capacity` (and its alias targetBurstCapacity,
//   pkg/apis/autoscaling/register.go) is refused: the platform sets 0, which keeps the shared activator out of a
//   running server's path (a server could otherwise route every request, and long streams, through it);
// - `serving.knative.dev/no-gc` (pkg/apis/serving/register.go, RevisionPreservedAnnotationKey) is refused: it
//   exempts a Revision, and the old spec it carries, from the platform's bounded retention (config-gc).
import {
  and,
  cond,
  eq,
  group,
  gt,
  has,
  int,
  isIn,
  kindIs,
  list,
  matchCondition,
  ne,
  none,
  not,
  object,
  oldObject,
  or,
  say,
  size,
  t,
  validation,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import type { Resolved } from "./args.js";
import { annotations, annotationsChanged, scaleKeys, shownValues, valuesOf } from "./annotations.js";
import { KNATIVE_RULES, labelsOf, operationIsNot, orEmptyMap } from "./workload.js";

export const SINGLE_REPLICA_LABEL = "gumstack.com/single-replica";
export const TARGET_BURST_CAPACITY_KEYS = ["autoscaling.knative.dev/target-burst-capacity", "autoscaling.knative.dev/targetBurstCapacity"];
export const NO_GC_ANNOTATION = "serving.knative.dev/no-gc";

/** The label's value in a label map, "" when absent. */
const labelIn = (labels: Expr<Readonly<Record<string, string>>>): Expr<string> =>
  group(cond(isIn(SINGLE_REPLICA_LABEL, labels), labels.at(SINGLE_REPLICA_LABEL), ""));
const labelOf = (o: Expr<Obj>) => labelIn(labelsOf(o));

export function servingPathPolicy(_r: Resolved): PolicyDefinition {
  const templateLabels = orEmptyMap(object.path("spec.template.metadata.labels"));
  const singleReplica = variable(
    "singleReplica",
    t.list(t.string),
    cond(
      kindIs("Revision"),
      list([labelOf(object)]),
      list([labelOf(object), group(cond(has(object.path("spec.template.metadata")), labelIn(templateLabels), ""))]),
    ).filter("v", (v) => ne(v, "")),
  );
  const maxScale = valuesOf("maxScale", scaleKeys("max"));
  const burst = valuesOf("burstCapacity", TARGET_BURST_CAPACITY_KEYS);
  const noGc = valuesOf("noGc", [NO_GC_ANNOTATION]);
  const value = `label ${SINGLE_REPLICA_LABEL} may only be "true" (one pod, for servers that keep sessions in memory)`;
  const one = `a server labelled ${SINGLE_REPLICA_LABEL}: "true" keeps its sessions in one pod: autoscaling.knative.dev/max-scale must be "1" (Knative has no session affinity)`;
  return {
    id: "serving-path",
    rules: KNATIVE_RULES,
    matchConditions: [
      matchCondition(
        "create-spec-annotation-or-label-change",
        or(
          operationIsNot("UPDATE"),
          ne(object.f("spec"), oldObject.f("spec")),
          annotationsChanged([...scaleKeys("max"), ...TARGET_BURST_CAPACITY_KEYS, NO_GC_ANNOTATION]),
          ne(labelOf(object), labelOf(oldObject)),
        ),
      ),
    ],
    variables: [annotations, singleReplica, maxScale, burst, noGc],
    validations: [
      validation(
        singleReplica.ref.all("v", (v) => eq(v, "true")),
        say(value).got(shownValues(singleReplica.ref)),
      ),
      validation(
        or(
          not(singleReplica.ref.exists("v", (v) => eq(v, "true"))),
          and(
            gt(size(maxScale.ref), int(0)),
            maxScale.ref.all("m", (m) => eq(m, "1")),
          ),
        ),
        say(one).got(shownValues(maxScale.ref)),
      ),
      none(
        burst,
        "autoscaling.knative.dev/target-burst-capacity is the platform's (0): it keeps the shared activator out of running servers' paths",
        "values",
      ),
      none(
        noGc,
        `${NO_GC_ANNOTATION} is not allowed: every Revision is subject to the platform's bounded retention, so no old spec is kept for good`,
        "values",
      ),
    ],
  };
}
