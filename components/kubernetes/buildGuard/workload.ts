// What the build guard's policies share: the kinds they judge, when an UPDATE is judged, where the pod spec is,
// and the bound every list walk relies on. The backend creates build Jobs at run time, so neither Pulumi nor the
// policy pack sees them: this is where the rules hold.
import {
  and,
  cond,
  concat,
  group,
  has,
  int,
  k8s,
  kindIs,
  le,
  list,
  matchCondition,
  ne,
  not,
  object,
  oldObject,
  or,
  request,
  rule as celRule,
  size,
  t,
  validation,
  variable,
  type Expr,
  type Obj,
  type ResourceRule,
} from "../cel/index.js";
import { BUILD_POD_BOUNDS } from "./args.js";

/** CREATE and UPDATE of namespaced `resources` in `group`. */
export const rule = (group: string, resources: string[], versions = ["v1"]): ResourceRule => celRule(group, versions, resources);
export const JOBS_AND_PODS: ResourceRule[] = [rule("batch", ["jobs"]), rule("", ["pods", "pods/ephemeralcontainers"])];

/** Judged on creation and on any change of the spec; metadata-only updates (finalizers, labels) pass. */
export const SPEC_CHANGED = matchCondition(
  "create-or-spec-change",
  or(ne(request.f("operation"), "UPDATE"), ne(object.f("spec"), oldObject.f("spec"))),
);

export const podSpec = variable("podSpec", k8s.PodSpec, cond(kindIs("Job"), object.path("spec.template.spec"), object.f("spec")));
const listOf = (field: string) => cond(has(podSpec.ref.f(field)), podSpec.ref.f(field), list<any>([]));
export const initContainers = variable("initContainers", t.list(k8s.Container), listOf("initContainers"));
export const appContainers = variable("appContainers", t.list(k8s.Container), listOf("containers"));
export const ephemeralContainers = variable("ephemeralContainers", t.list(k8s.Container), listOf("ephemeralContainers"));
export const containers = variable(
  "containers",
  t.list(k8s.Container),
  concat(initContainers.ref, appContainers.ref, ephemeralContainers.ref),
);
export const volumes = variable("volumes", t.list(k8s.Volume), listOf("volumes"));

const B = BUILD_POD_BOUNDS;
/** `!has(x) || size(x) <= n`. */
const atMost = (x: Expr, n: number) => group(or(not(has(x)), le(size(x), int(n))));
/** Whether the pod is within BUILD_POD_BOUNDS: every other list walk of the guard runs only when it is. */
export const bounded = variable(
  "bounded",
  t.bool,
  and(
    le(size(containers.ref), int(B.containers)),
    le(size(volumes.ref), int(B.volumes)),
    containers.ref.all("c", (c: Expr<Obj>) => {
      const caps = c.path("securityContext.capabilities");
      return and(
        atMost(c.f("volumeMounts"), B.volumeMounts),
        atMost(c.f("env"), B.env),
        atMost(c.f("envFrom"), B.envFrom),
        atMost(c.f("ports"), B.ports),
        group(
          or(
            not(has(c.f("securityContext"))),
            not(has(caps)),
            group(and(atMost(caps.f("add"), B.capabilities), atMost(caps.f("drop"), B.capabilities))),
          ),
        ),
      );
    }),
  ),
);
export const WORKLOAD_VARIABLES = [podSpec, initContainers, appContainers, ephemeralContainers, containers, volumes, bounded] as const;

/** A list expression evaluated only when the pod is within BUILD_POD_BOUNDS. */
export const whenBounded = <E>(expression: Expr<readonly E[]>): Expr<readonly E[]> => cond(bounded.ref, expression, list<E>([]));

export const boundsCheck = validation(
  bounded.ref,
  `a build pod has at most ${B.containers} containers, ${B.volumes} volumes, and per container ${B.volumeMounts} volume mounts, ${B.env} env, ${B.envFrom} envFrom, ${B.ports} ports and ${B.capabilities} added or dropped capabilities`,
);
