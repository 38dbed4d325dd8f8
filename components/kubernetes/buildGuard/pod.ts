// The build pod: gVisor, the build service account, no API token, no host access, a deadline, limits on every
// container, platform images by digest, the trusted steps restricted, and no choice of node.
import {
  and,
  bool,
  concat,
  cond,
  eq,
  ge,
  group,
  gt,
  has,
  int,
  isIn,
  le,
  list,
  ne,
  none,
  not,
  or,
  quoted,
  say,
  size,
  string,
  t,
  validation,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import { BUILD_CONTAINERS, BUILDER_CAPABILITIES } from "../buildJob.js";
import type { Resolved } from "./args.js";
import { boundsCheck, containers, JOBS_AND_PODS, podSpec, SPEC_CHANGED, volumes, whenBounded, WORKLOAD_VARIABLES } from "./workload.js";

const esc = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
const names = t.list(t.string);

export function podPolicy(r: Resolved): PolicyDefinition {
  const p = podSpec.ref;
  const sa = r.serviceAccountName;
  const imageRe = `^${esc(r.builderImagePrefix)}[a-z0-9._-]*[a-z0-9]@sha256:[a-f0-9]{64}$`;
  const sc = (c: Expr<Obj>, f: string) => and(has(c.f("securityContext")), has(c.path(`securityContext.${f}`)));
  const scf = (c: Expr<Obj>, f: string) => c.path(`securityContext.${f}`);
  const containerNames = (keep: (c: Expr<Obj>) => Expr<boolean>) =>
    whenBounded(containers.ref.filter("c", keep).map("c", (c) => c.f("name")));
  const got = (f: string, quote = true) => cond(has(p.f(f)), quote ? quoted(p.f(f)) : string(p.f(f)), "none");
  const mustBe = (f: string, why: string) =>
    `${f} must be "${f === "runtimeClassName" ? r.runtimeClassName : r.serviceAccountName}": ${why}`;
  const runtime = mustBe("runtimeClassName", "customer build steps run only inside the gVisor sandbox");
  const account = mustBe("serviceAccountName", "the build service account, with no cloud or cluster permissions");
  const token = "automountServiceAccountToken must be false: no Kubernetes API token in a build pod";
  const deadline = `activeDeadlineSeconds of the pod must be set and at most ${r.maxDeadlineSeconds}`;
  const hostNamespaces = variable(
    "hostNamespaces",
    names,
    concat(...["hostNetwork", "hostPID", "hostIPC"].map((f) => cond(and(has(p.f(f)), p.f(f)), list([f]), list<string>([])))),
  );
  const privileged = variable(
    "privileged",
    names,
    containerNames((c) => and(sc(c, "privileged"), scf(c, "privileged"))),
  );
  const hostPorts = variable(
    "hostPorts",
    names,
    containerNames((c) =>
      and(
        has(c.f("ports")),
        c.f("ports").exists("pt", (pt) => and(has(pt.f("hostPort")), ne(pt.f("hostPort"), int(0)))),
      ),
    ),
  );
  const unmaskedProc = variable(
    "unmaskedProc",
    names,
    containerNames((c) => and(sc(c, "procMount"), ne(scf(c, "procMount"), "Default"))),
  );
  const unconfinedAt = (c: Expr<Obj>, f: string) => group(and(sc(c, f), eq(scf(c, f).f("type"), "Unconfined")));
  const unconfined = variable(
    "unconfined",
    names,
    whenBounded(
      concat(
        cond(
          and(
            has(p.f("securityContext")),
            has(p.path("securityContext.seccompProfile")),
            eq(p.path("securityContext.seccompProfile.type"), "Unconfined"),
          ),
          list(["pod"]),
          list<string>([]),
        ),
        containers.ref
          .filter("c", (c) => or(unconfinedAt(c, "seccompProfile"), unconfinedAt(c, "appArmorProfile")))
          .map("c", (c) => c.f("name")),
      ),
    ),
  );
  // emptyDir with a sizeLimit and Secret volumes only: no hostPath, PVC, projected token, CSI, ... at all.
  const badVolumes = variable(
    "badVolumes",
    names,
    whenBounded(
      volumes.ref
        .filter("v", (v) => not(or(group(and(has(v.f("emptyDir")), has(v.path("emptyDir.sizeLimit")))), has(v.f("secret")))))
        .map("v", (v) => v.f("name")),
    ),
  );
  const missingLimits = variable(
    "missingLimits",
    names,
    containerNames((c) =>
      not(
        and(
          has(c.f("resources")),
          has(c.path("resources.limits")),
          list(["cpu", "memory", "ephemeral-storage"]).all("k", (k) => isIn(k, c.path("resources.limits"))),
        ),
      ),
    ),
  );
  const badImages = variable(
    "badImages",
    names,
    whenBounded(
      containers.ref
        .filter("c", (c) => or(not(has(c.f("image"))), not(c.f("image").matches(imageRe))))
        .map("c", (c) => concat(c.f("name"), "=", cond(has(c.f("image")), c.f("image"), "<none>"))),
    ),
  );
  const caps = (c: Expr<Obj>) => c.path("securityContext.capabilities");
  const dropsAll = (c: Expr<Obj>) => and(sc(c, "capabilities"), has(caps(c).f("drop")), isIn("ALL", caps(c).f("drop")));
  // fetch and push: the restricted profile (non-root, no escalation, every capability dropped).
  const weakTrustedSteps = variable(
    "weakTrustedSteps",
    names,
    containerNames((c) =>
      and(
        ne(c.f("name"), BUILD_CONTAINERS.build),
        not(
          and(
            sc(c, "runAsNonRoot"),
            scf(c, "runAsNonRoot"),
            sc(c, "allowPrivilegeEscalation"),
            not(scf(c, "allowPrivilegeEscalation")),
            dropsAll(c),
            not(has(caps(c).f("add"))),
          ),
        ),
      ),
    ),
  );
  const extraCapabilities = variable(
    "extraCapabilities",
    names,
    containerNames((c) =>
      and(
        sc(c, "capabilities"),
        has(caps(c).f("add")),
        caps(c)
          .f("add")
          .exists("a", (a) => not(isIn(a, list(BUILDER_CAPABILITIES)))),
      ),
    ),
  );
  const dropsNotAll = variable(
    "dropsNotAll",
    names,
    containerNames((c) => not(dropsAll(c))),
  );
  // GKE Sandbox's RuntimeClass adds this selector and its toleration; nothing may steer the pod elsewhere.
  const selector = p.f("nodeSelector");
  const tolerations = p.f("tolerations");
  const placement = variable(
    "placement",
    names,
    concat(
      cond(has(p.f("nodeName")), list(["nodeName"]), list<string>([])),
      cond(
        and(has(selector), isIn("sandbox.gke.io/runtime", selector), ne(selector.at("sandbox.gke.io/runtime"), r.runtimeClassName)),
        list(["nodeSelector"]),
        list<string>([]),
      ),
      cond(
        and(
          has(tolerations),
          group(
            or(
              gt(size(tolerations), int(8)),
              tolerations.exists("t", (tl) => or(not(has(tl.f("key"))), eq(tl.f("key"), ""), eq(tl.f("key"), "gumstack.com/pool"))),
            ),
          ),
        ),
        list(["tolerations"]),
        list<string>([]),
      ),
    ),
  );
  const ads = p.f("activeDeadlineSeconds");
  return {
    id: "pod",
    rules: JOBS_AND_PODS,
    matchConditions: [SPEC_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      hostNamespaces,
      privileged,
      hostPorts,
      unmaskedProc,
      unconfined,
      badVolumes,
      missingLimits,
      badImages,
      weakTrustedSteps,
      extraCapabilities,
      dropsNotAll,
      placement,
    ],
    validations: [
      boundsCheck,
      validation(
        and(has(p.f("runtimeClassName")), eq(p.f("runtimeClassName"), r.runtimeClassName)),
        say(runtime).got(got("runtimeClassName")),
      ),
      validation(
        and(
          has(p.f("serviceAccountName")),
          eq(p.f("serviceAccountName"), sa),
          group(or(not(has(p.f("serviceAccount"))), eq(p.f("serviceAccount"), sa))),
        ),
        say(account).got(got("serviceAccountName")),
      ),
      validation(
        and(has(p.f("automountServiceAccountToken")), eq(p.f("automountServiceAccountToken"), bool(false))),
        say(token).got(cond(has(p.f("automountServiceAccountToken")), "true", "unset (defaults to true)")),
      ),
      validation(
        and(has(ads), ge(ads, int(1)), le(ads, int(r.maxDeadlineSeconds))),
        say(deadline).got(got("activeDeadlineSeconds", false)),
      ),
      validation(and(has(p.f("restartPolicy")), eq(p.f("restartPolicy"), "Never")), "restartPolicy must be Never: a build step runs once"),
      none(hostNamespaces, "hostNetwork, hostPID and hostIPC are not allowed in a build pod", "set"),
      none(privileged, "privileged containers are not allowed in a build pod", "containers"),
      none(hostPorts, "hostPort is not allowed in a build pod: it would expose the pod on the node's address", "containers"),
      none(unmaskedProc, "procMount must be Default in a build pod", "containers"),
      none(unconfined, "seccomp and AppArmor profiles must not be Unconfined in a build pod", "at"),
      none(
        badVolumes,
        "a build pod may use only emptyDir volumes with a sizeLimit and Secret volumes (no hostPath, PVC, projected token or other volume)",
        "volumes",
      ),
      none(missingLimits, "every container of a build pod needs cpu, memory and ephemeral-storage limits", "containers"),
      none(
        badImages,
        `build pod images must come from the build plane's path of the tenant MCP repository by digest (${r.builderImagePrefix}<name>@sha256:<digest>)`,
        "refused",
      ),
      none(
        weakTrustedSteps,
        `containers other than ${BUILD_CONTAINERS.build} must run as non-root with allowPrivilegeEscalation false, drop ALL capabilities and add none`,
        "containers",
      ),
      none(extraCapabilities, `build pod containers may add only ${BUILDER_CAPABILITIES.join(", ")}`, "containers"),
      none(dropsNotAll, "every container of a build pod must drop ALL capabilities (and add back only what it is allowed)", "containers"),
      none(
        placement,
        "a build pod may not choose its node: no nodeName, no other sandbox node selector, no wildcard or pool tolerations",
        "set",
      ),
    ],
  };
}
