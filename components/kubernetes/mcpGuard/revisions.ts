// What a revision is made of beyond its pod: how many pods its first rollout starts, how long a failing one
// holds them, its queue-proxy's resources, and its name.
import {
  and,
  cond,
  duration,
  emptyMap,
  eq,
  group,
  gt,
  has,
  int,
  isIn,
  kindIs,
  le,
  lt,
  matchCondition,
  ne,
  none,
  not,
  object,
  oldObject,
  or,
  quoted,
  say,
  size,
  str,
  t,
  toInt,
  validation,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import type { Resolved } from "./args.js";
import { annotations, annotationsChanged, NUMBER, scaleKeys, shownValues, valuesOf } from "./annotations.js";
import { KNATIVE_RULES, operationIsNot } from "./workload.js";

const QUEUE_SIDECAR_PREFIX = "queue.sidecar.serving.knative.dev/";
const PROGRESS_DEADLINE = "serving.knative.dev/progress-deadline";
// Go duration syntax (time.ParseDuration), which Knative parses the annotation with (revision_validation.go).
const GO_DURATION = "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$";

/** Whether `o` has a queue-proxy annotation that `other` lacks or sets differently. */
const sidecarKeys = (o: Expr<Obj>, other: Expr<Obj>): Expr<boolean> => {
  const mine = o.path("metadata.annotations");
  const theirs = other.path("metadata.annotations");
  return group(cond(has(mine), mine, emptyMap<string>())).existsKey("k", (k) =>
    and(k.startsWith(QUEUE_SIDECAR_PREFIX), not(and(has(theirs), isIn(k, theirs), eq(theirs.at(k), mine.at(k))))),
  );
};

export function revisionsPolicy(r: Resolved): PolicyDefinition {
  const initialKeys = scaleKeys("initial");
  const initial = `autoscaling.knative.dev/initial-scale (and initialScale) must be a number no higher than the server's max-scale (and ${r.maxScaleLimit}): the first rollout must not start more pods than the server may ever run`;
  const deadline = `${PROGRESS_DEADLINE} may be at most ${r.maxProgressDeadlineSeconds}s: a revision that never gets ready holds its pods until then`;
  const sidecar = `${QUEUE_SIDECAR_PREFIX}* annotations are not allowed: queue-proxy's resources are the platform's, outside the per-pod bound`;
  const named =
    "spec.template.metadata.name and generateName are not allowed: Knative names revisions itself, and an explicit name can take another server's next revision";
  const initialScale = valuesOf("initialScale", initialKeys);
  const maxScale = valuesOf("maxScale", scaleKeys("max"));
  const maxNumbers = variable(
    "maxNumbers",
    t.list(t.int),
    maxScale.ref.filter("m", (m) => and(m.matches(NUMBER), gt(toInt(m), int(0)))).map("m", (m) => toInt(m)),
  );
  // The server's effective max-scale: the lowest numeric one of at most two keys (no nested macro needed), the
  // limit when none is set (the scale policy refuses that case anyway); 0 (unlimited) counts as the limit.
  const [first, second] = [maxNumbers.ref.at(int(0)), maxNumbers.ref.at(int(1))];
  const lowest = cond(or(eq(size(maxNumbers.ref), int(1)), lt(first, second)), first, second);
  const limit = int(r.maxScaleLimit);
  const maxBound = variable("maxBound", t.int, cond(eq(size(maxNumbers.ref), int(0)), limit, cond(lt(lowest, limit), lowest, limit)));
  const progressDeadline = valuesOf("progressDeadline", [PROGRESS_DEADLINE]);
  const sidecarAnnotations = variable(
    "sidecarAnnotations",
    t.list(t.string),
    annotations.ref.filterKeys("k", (k) => k.startsWith(QUEUE_SIDECAR_PREFIX)),
  );
  const tm = object.path("spec.template.metadata");
  const set = (f: string) => and(has(tm.f(f)), ne(tm.f(f), ""));
  const revisionName = variable(
    "revisionName",
    t.string,
    cond(or(kindIs("Revision"), not(has(tm))), "", cond(set("name"), tm.f("name"), cond(set("generateName"), tm.f("generateName"), ""))),
  );
  return {
    id: "revisions",
    rules: KNATIVE_RULES,
    matchConditions: [
      matchCondition(
        "create-or-revision-change",
        or(
          operationIsNot("UPDATE"),
          ne(object.f("spec"), oldObject.f("spec")),
          annotationsChanged([...initialKeys, ...scaleKeys("max"), PROGRESS_DEADLINE]),
          sidecarKeys(object, oldObject),
          sidecarKeys(oldObject, object),
        ),
      ),
    ],
    variables: [annotations, initialScale, maxScale, maxNumbers, maxBound, progressDeadline, sidecarAnnotations, revisionName],
    validations: [
      validation(
        initialScale.ref.all("i", (i) => and(i.matches(NUMBER), le(toInt(i), maxBound.ref))),
        say(initial).then("; got initial ", shownValues(initialScale.ref), ", max ", shownValues(maxScale.ref)),
      ),
      validation(
        progressDeadline.ref.all("v", (v) =>
          and(v.matches(GO_DURATION), le(duration(v), duration(str(`${r.maxProgressDeadlineSeconds}s`)))),
        ),
        say(deadline).got(shownValues(progressDeadline.ref)),
      ),
      none(sidecarAnnotations, sidecar, "annotations"),
      validation(eq(revisionName.ref, ""), say(named).got(quoted(revisionName.ref))),
    ],
  };
}
