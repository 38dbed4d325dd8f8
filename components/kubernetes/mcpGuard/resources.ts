// Starving neighbours: the LimitRange caps each container, not the pod, and a pod may run many containers.
// Also no priority class, a bounded Deployment progress deadline and initial replica count.
import {
  and,
  cond,
  double,
  eq,
  group,
  gt,
  has,
  int,
  isQuantity,
  kindIs,
  kindIsNot,
  le,
  list,
  matchCondition,
  ne,
  none,
  not,
  object,
  oldObject,
  or,
  quantityFloat,
  quoted,
  say,
  size,
  string,
  t,
  validation,
  variable,
  k8s,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import { MAX_CONTAINERS_LIMIT, quantityValue, type Resolved } from "./args.js";
import { isQueueProxy, operationIsNot, POD_TEMPLATE_CHANGED, podSpec, WORKLOAD_RULES, WORKLOAD_VARIABLES } from "./workload.js";

/** The containers a tenant controls: a derived pod's queue-proxy (Knative's image, Knative's name) is the platform's. */
export const runContainersOf = (r: Resolved) =>
  variable(
    "runContainers",
    t.list(k8s.Container),
    group(cond(has(podSpec.ref.f("containers")), podSpec.ref.f("containers"), list<any>([]))).filter("c", (c) =>
      not(isQueueProxy(c, r.knativeSystemImagePrefixes, true)),
    ),
  );

/** `(has(o.spec.progressDeadlineSeconds) ? o.spec.progressDeadlineSeconds : 0)`. */
const progressOf = (o: Expr<Obj>): Expr<bigint> =>
  group(cond(has(o.path("spec.progressDeadlineSeconds")), o.path("spec.progressDeadlineSeconds"), int(0)));

export function resourcesPolicy(r: Resolved): PolicyDefinition {
  const field = (c: Expr<Obj>, kind: "limits" | "requests", res: string, fallback: string): Expr<string> => {
    const x = c.f("resources").f(kind).f(res);
    return group(cond(and(has(c.f("resources")), has(c.f("resources").f(kind)), has(x)), string(x), fallback));
  };
  const amount = (res: "cpu" | "memory", fallback: string) => ({
    valid: (c: Expr<Obj>) => and(isQuantity(field(c, "limits", res, fallback)), isQuantity(field(c, "requests", res, "0"))),
    value: (c: Expr<Obj>) => {
      const [lim, req] = [quantityFloat(field(c, "limits", res, fallback)), quantityFloat(field(c, "requests", res, "0"))];
      return group(cond(gt(lim, req), lim, req));
    },
  });
  const cpu = amount("cpu", r.containerDefaultCpuLimit);
  const memory = amount("memory", r.containerDefaultMemoryLimit);
  const count = `at most ${r.maxContainers} containers per MCP pod (Knative's queue-proxy not counted): each one costs the node memory and processes`;
  const cpuMessage = `the containers of an MCP pod may use at most ${r.maxPodCpu} CPU together (limit, or ${r.containerDefaultCpuLimit} when unset): one server must not starve its node`;
  const memMessage = `the containers of an MCP pod may use at most ${r.maxPodMemory} of memory together (limit, or ${r.containerDefaultMemoryLimit} when unset): one server must not starve its node`;
  const deadline = `progressDeadlineSeconds may be at most ${r.maxProgressDeadlineSeconds}: a revision that never gets ready holds its pods until then`;
  const replicas = `a Deployment may start with at most ${r.maxScaleLimit} replicas, the highest max-scale`;
  const priority = "priorityClassName is not allowed: a higher priority lets an MCP pod evict its neighbours";
  const progress = progressOf(object);
  const runContainers = runContainersOf(r);
  // Bounded: the count check refuses more than maxContainers; past MAX_CONTAINERS_LIMIT nothing is summed.
  const tooMany = variable("tooMany", t.bool, gt(size(runContainers.ref), int(MAX_CONTAINERS_LIMIT)));
  const badQuantities = variable(
    "badQuantities",
    t.list(t.string),
    cond(
      tooMany.ref,
      list<string>([]),
      runContainers.ref.filter("c", (c) => not(and(cpu.valid(c), memory.valid(c)))).map("c", (c) => c.f("name")),
    ),
  );
  const skipSum = or(tooMany.ref, gt(size(badQuantities.ref), int(0)));
  const podCpu = variable("podCpu", t.double, cond(skipSum, double(0), runContainers.ref.map("c", cpu.value).sum()));
  const podMemory = variable("podMemory", t.double, cond(skipSum, double(0), runContainers.ref.map("c", memory.value).sum()));
  const pc = podSpec.ref.f("priorityClassName");
  return {
    id: "resources",
    rules: WORKLOAD_RULES,
    matchConditions: [
      matchCondition(
        "create-pod-template-or-deadline-change",
        or(POD_TEMPLATE_CHANGED.expression, group(and(kindIs("Deployment"), ne(progress, progressOf(oldObject))))),
      ),
    ],
    variables: [...WORKLOAD_VARIABLES, runContainers, tooMany, badQuantities, podCpu, podMemory],
    validations: [
      validation(le(size(runContainers.ref), int(r.maxContainers)), say(count).got(string(size(runContainers.ref)))),
      none(badQuantities, "container resources must be Kubernetes quantities", "containers"),
      validation(le(podCpu.ref, double(quantityValue(r.maxPodCpu)!)), say(cpuMessage).got(string(podCpu.ref))),
      validation(
        le(podMemory.ref, double(quantityValue(r.maxPodMemory)!)),
        say(memMessage).then("; got ", string(podMemory.ref), " bytes"),
      ),
      // A priority class lets a pod preempt (evict) lower-priority neighbours; MCP pods all run at the default.
      // Knative drops it unless kubernetes.podspec-priorityclassname is enabled (pkg/apis/config/features.go).
      validation(or(not(has(pc)), eq(pc, "")), say(priority).got(cond(has(pc), quoted(pc), "none"))),
      validation(or(kindIsNot("Deployment"), le(progress, int(r.maxProgressDeadlineSeconds))), say(deadline).got(string(progress))),
      validation(
        or(
          operationIsNot("CREATE"),
          kindIsNot("Deployment"),
          not(has(object.path("spec.replicas"))),
          le(object.path("spec.replicas"), int(r.maxScaleLimit)),
        ),
        say(replicas).got(string(object.path("spec.replicas"))),
      ),
    ],
  };
}
