// Scale bounds: every MCP server keeps a warm pod and never runs more than the limit. Knative's shipped
// defaults (min-scale 0, max-scale 0 = unlimited) are outside the limits, so the bounds must be explicit: the
// cluster-wide defaults in config-autoscaler are not visible to admission.
import {
  and,
  ge,
  gt,
  int,
  le,
  matchCondition,
  ne,
  object,
  oldObject,
  or,
  say,
  size,
  toInt,
  validation,
  type Expr,
  type PolicyDefinition,
} from "../cel/index.js";
import type { Resolved } from "./args.js";
import { annotations, annotationsChanged, NUMBER, scaleKeys, shownValues, valuesOf } from "./annotations.js";
import { KNATIVE_RULES, operationIsNot } from "./workload.js";

export function scalePolicy(r: Resolved): PolicyDefinition {
  const number = (v: Expr<string>) => v.matches(NUMBER);
  const minMessage = `autoscaling.knative.dev/min-scale must be at least ${r.minScale} so every MCP server keeps a warm pod`;
  const maxMessage = `autoscaling.knative.dev/max-scale must be between 1 and ${r.maxScaleLimit} (0 means unlimited): MCP servers share the node pool`;
  const minScale = valuesOf("minScale", scaleKeys("min"));
  const maxScale = valuesOf("maxScale", scaleKeys("max"));
  const minExpression = minScale.ref.all("v", (v) => and(number(v), ge(toInt(v), int(r.minScale))));
  return {
    id: "scale",
    rules: KNATIVE_RULES,
    matchConditions: [
      matchCondition(
        "create-or-scale-change",
        or(
          operationIsNot("UPDATE"),
          ne(object.f("spec"), oldObject.f("spec")),
          annotationsChanged([...scaleKeys("min"), ...scaleKeys("max")]),
        ),
      ),
    ],
    variables: [annotations, minScale, maxScale],
    validations: [
      validation(
        r.minScale > 0 ? and(gt(size(minScale.ref), int(0)), minExpression) : minExpression,
        say(minMessage).got(shownValues(minScale.ref)),
      ),
      validation(
        and(
          gt(size(maxScale.ref), int(0)),
          maxScale.ref.all("v", (v) => and(number(v), ge(toInt(v), int(1)), le(toInt(v), int(r.maxScaleLimit)))),
        ),
        say(maxMessage).got(shownValues(maxScale.ref)),
      ),
    ],
  };
}
