// Knative revision annotations, as the scale and revisions policies read them.
import {
  and,
  cond,
  emptyMap,
  eq,
  group,
  has,
  int,
  isIn,
  kindIs,
  list,
  ne,
  object,
  oldObject,
  size,
  t,
  variable,
  quoted,
  type Expr,
  type Obj,
} from "../cel/index.js";

/** A scale key and its legacy camelCase alias (pkg/apis/autoscaling/register.go): every present alias is read. */
export const scaleKeys = (key: string): string[] => [`autoscaling.knative.dev/${key}-scale`, `autoscaling.knative.dev/${key}Scale`];
/** Numbers as Knative's annotations carry them. */
export const NUMBER = "^[0-9]{1,9}$";

/** Knative reads the revision's annotations from the template (Service, Configuration) or the Revision itself. */
export const annotations = variable(
  "annotations",
  t.map(t.string),
  cond(
    kindIs("Revision"),
    group(cond(has(object.path("metadata.annotations")), object.path("metadata.annotations"), emptyMap<string>())),
    group(
      cond(
        and(has(object.path("spec.template.metadata")), has(object.path("spec.template.metadata.annotations"))),
        object.path("spec.template.metadata.annotations"),
        emptyMap<string>(),
      ),
    ),
  ),
);

/** The values of whichever of `keys` are set. */
export const valuesOf = (name: string, keys: readonly string[]) =>
  variable(
    name,
    t.list(t.string),
    list(keys)
      .filter("k", (k) => isIn(k, annotations.ref))
      .map("k", (k) => annotations.ref.at(k)),
  );

/** `none`, or the quoted values of a list<string>, for a message. */
export const shownValues = (values: Expr<readonly string[]>): Expr<string> =>
  cond(eq(size(values), int(0)), "none", values.map("v", (v) => quoted(v)).join(", "));

const annotationOr = (o: Expr<Obj>, k: Expr<string>) =>
  cond(and(has(o.path("metadata.annotations")), isIn(k, o.path("metadata.annotations"))), o.path("metadata.annotations").at(k), "");
/** On a Revision UPDATE, whether any of these annotation keys changed (a Revision's bounds live in its metadata). */
export const annotationsChanged = (keys: readonly string[]): Expr<boolean> =>
  list(keys).exists("k", (k) => ne(annotationOr(object, k), annotationOr(oldObject, k)));
