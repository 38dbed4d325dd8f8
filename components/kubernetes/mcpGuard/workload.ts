// What the MCP guard's policies share: the kinds that are or stamp out a pod, when an UPDATE is judged, where
// each kind keeps its pod spec and its template's labels, and the tenant label read from them.
import {
  absentObject,
  and,
  cond,
  concat,
  eq,
  emptyMap,
  group,
  has,
  isIn,
  k8s,
  kindIs,
  list,
  matchCondition,
  ne,
  object,
  oldObject,
  or,
  request,
  rule,
  t,
  variable,
  type Expr,
  type MatchCondition,
  type Obj,
  type ResourceRule,
} from "../cel/index.js";
import { TENANT_LABEL } from "./args.js";

export const KNATIVE = "serving.knative.dev";

/** Every kind that is or stamps out a pod; the Pod rule is the backstop for kinds not listed. */
export const WORKLOAD_RULES: ResourceRule[] = [
  rule(KNATIVE, ["v1"], ["services", "configurations", "revisions"]),
  rule("apps", ["v1"], ["deployments", "replicasets", "statefulsets", "daemonsets"]),
  rule("batch", ["v1"], ["jobs", "cronjobs"]),
  // pods/resize (in-place resize, on by default since Kubernetes 1.33) and pods/ephemeralcontainers change a running
  // Pod's spec without an UPDATE of the Pod itself: every per-pod bound must hold for them too. The object of both
  // requests is the whole Pod (https://kubernetes.io/docs/tasks/configure-pod-container/resize-container-resources/).
  rule("", ["v1"], ["pods", "pods/ephemeralcontainers", "pods/resize", "replicationcontrollers"]),
];
export const KNATIVE_RULES: ResourceRule[] = [rule(KNATIVE, ["v1"], ["services", "configurations", "revisions"])];

/** `request.operation != op`. */
export const operationIsNot = (op: "CREATE" | "UPDATE"): Expr<boolean> => ne(request.f("operation"), op);

// An UPDATE that leaves the pod template alone (labels, finalizers, Knative's routing-state annotations, and
// `spec.replicas`, which the Deployment controller UPDATEs on a ReplicaSet at every scale step) cannot open an
// escape, and refusing it would wedge controllers on objects created before a limit changed: a ReplicaSet that
// no longer complies could then never be scaled, not even down to zero. Like Pod Security admission, only
// creations and changes of what the pods are made of are judged.
export const TEMPLATE_CHANGED: Expr<boolean> = cond(
  kindIs("Pod", "Revision"),
  ne(object.f("spec"), oldObject.f("spec")),
  cond(
    kindIs("CronJob"),
    ne(object.path("spec.jobTemplate"), oldObject.path("spec.jobTemplate")),
    ne(object.path("spec.template"), oldObject.path("spec.template")),
  ),
);
export const POD_TEMPLATE_CHANGED: MatchCondition = matchCondition(
  "create-or-pod-template-change",
  or(operationIsNot("UPDATE"), group(TEMPLATE_CHANGED)),
);

/** A map field, or `{}` when unset: `(has(x) ? x : {})`. */
export const orEmptyMap = (x: Expr): Expr<Readonly<Record<string, string>>> => group(cond(has(x), x, emptyMap<string>()));
/** The object's own labels. */
export const labelsOf = (o: Expr<Obj>): Expr<Readonly<Record<string, string>>> => orEmptyMap(o.path("metadata.labels"));
/** The tenant label of a label map, "" when absent. */
export const tenantOf = (labels: Expr<Readonly<Record<string, string>>>): Expr<string> =>
  group(cond(isIn(TENANT_LABEL, labels), labels.at(TENANT_LABEL), ""));

/** The pod template's metadata (a Pod's and a Revision's are their own: `{}` here). */
export const templateMeta = variable(
  "templateMeta",
  k8s.ObjectMeta,
  cond(
    kindIs("Pod", "Revision"),
    absentObject(),
    cond(
      kindIs("CronJob"),
      group(
        cond(
          has(object.path("spec.jobTemplate.spec.template.metadata")),
          object.path("spec.jobTemplate.spec.template.metadata"),
          absentObject(),
        ),
      ),
      group(cond(has(object.path("spec.template.metadata")), object.path("spec.template.metadata"), absentObject())),
    ),
  ),
);
/** The object's tenant label, "" when absent. */
export const tenant = variable("tenant", t.string, tenantOf(labelsOf(object)));
/** The pod template's tenant label (reads templateMeta). */
export const templateTenant = variable(
  "templateTenant",
  t.string,
  cond(kindIs("Pod", "Revision"), tenant.ref, group(cond(has(templateMeta.ref.f("labels")), tenantOf(templateMeta.ref.f("labels")), ""))),
);

/** The pod spec wherever the kind keeps it. */
export const podSpec = variable(
  "podSpec",
  k8s.PodSpec,
  cond(
    kindIs("Pod", "Revision"),
    object.f("spec"),
    cond(kindIs("CronJob"), object.path("spec.jobTemplate.spec.template.spec"), object.path("spec.template.spec")),
  ),
);
/** A list field of the pod spec, or `[]`. */
const listOf = (field: string) => cond(has(podSpec.ref.f(field)), podSpec.ref.f(field), list<any>([]));
/** Every container of the pod, init and ephemeral included. */
export const containers = variable(
  "containers",
  t.list(k8s.Container),
  concat(listOf("containers"), listOf("initContainers"), listOf("ephemeralContainers")),
);
export const volumes = variable("volumes", t.list(k8s.Volume), listOf("volumes"));
/** Knative's controller adds the queue-proxy sidecar when it turns a Revision into a Deployment. */
export const knativeDerived = variable("knativeDerived", t.bool, kindIs("Deployment", "ReplicaSet", "Pod"));

export const WORKLOAD_VARIABLES = [podSpec, containers, volumes, knativeDerived] as const;
export const TENANT_VARIABLES = [tenant, templateTenant] as const;

/** `xs.exists(p, s.startsWith(p))` over a fixed list of prefixes. */
export const startsWithAny = (prefixes: readonly string[], s: Expr<string>, v = "p"): Expr<boolean> =>
  list(prefixes).exists(v, (p) => s.startsWith(p));

/** Whether the container is Knative's queue-proxy in an object Knative derived (its image, its name). */
export const isQueueProxy = (c: Expr<Obj>, prefixes: readonly string[], requireImage: boolean): Expr<boolean> =>
  and(
    knativeDerived.ref,
    eq(c.f("name"), "queue-proxy"),
    ...(requireImage ? [has(c.f("image"))] : []),
    startsWithAny(prefixes, c.f("image")),
  );

export const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
