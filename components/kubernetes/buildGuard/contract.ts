// The build pod is exactly what buildJobManifest writes, where it matters: the credentials and placement policies
// fix who runs when and where; this one fixes what the trusted steps run and with what. A Job creator (the
// backend, or whoever holds its RBAC) can otherwise point a trusted step at anything while it holds a credential:
//   - each container runs its own script (FETCH_SCRIPT, BUILD_SCRIPT, PUSH_SCRIPT) with no args, no lifecycle
//     hook and no probe (a hook or an exec probe is a second command run with the step's mounts), and reports
//     through /dev/termination-log only (a terminationMessagePath on the credential would put it in the pod's
//     status, which the backend reads; FallbackToLogsOnError would put logs there);
//   - each container's environment is exactly the Job's: the same names (no GIT_CONFIG_*, GIT_SSH_COMMAND,
//     http_proxy, LD_PRELOAD, ...), the fixed values fixed, GIT_URL on https://<git host>/, GIT_SHA 40 hex, the
//     push DESTINATION `<repository>/<tenant label>/<server label>:<GIT_SHA>` of this very pod's labels, for a
//     tenant that is not the platform's;
//   - the only Secrets are this build's own (`build-<build label>-git` in fetch, `-push` in push), mounted
//     read-only where the scripts read them, so no step holds another build's or any other Secret;
//   - the pod names the builds' PriorityClass and chooses nothing about its node or neighbours: no affinity, no
//     node selector but GKE Sandbox's, no topology spread, no hostAliases, no shared process namespace.
import {
  and,
  concat,
  cond,
  emptyMap,
  eq,
  group,
  has,
  isIn,
  kindIs,
  list,
  ne,
  none,
  not,
  object,
  or,
  say,
  int,
  str,
  t,
  validation,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import {
  BUILD_CONTAINERS,
  BUILD_LABEL,
  BUILD_PRIORITY_CLASS,
  BUILD_SCRIPT,
  FETCH_SCRIPT,
  GIT_TOKEN_DIR,
  PUSH_AUTH_DIR,
  PUSH_SCRIPT,
  RESERVED_TENANT_PREFIX,
  SERVER_LABEL,
  TENANT_LABEL,
} from "../buildJob.js";
import type { Resolved } from "./args.js";
import {
  bounded,
  boundsCheck,
  containers,
  JOBS_AND_PODS,
  podSpec,
  SPEC_CHANGED,
  volumes,
  whenBounded,
  WORKLOAD_VARIABLES,
} from "./workload.js";

const esc = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
const names = t.list(t.string);
const DNS_LABEL_RE = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
const SHA_RE = "^[0-9a-f]{40}$";
/** Binary Authorization's breakglass: a pod annotated so is admitted whatever its image (and audit-logged). */
export const BREAKGLASS_ANNOTATION = "alpha.image-policy.k8s.io/break-glass";
/** The one node selector a build pod carries: GKE Sandbox's RuntimeClass adds it at admission. */
export const SANDBOX_NODE_SELECTOR = "sandbox.gke.io/runtime";

/** Each step's environment, by name in order; `null` values are checked by pattern, the others are fixed. */
export function stepEnvironment(r: Resolved): Record<string, [string, string | null][]> {
  return {
    [BUILD_CONTAINERS.fetch]: [
      ["GIT_URL", null],
      ["GIT_SHA", null],
      ["GIT_HOST", r.gitHost],
      ["GIT_TOKEN_FILE", `${GIT_TOKEN_DIR}/token`],
      ["HOME", "/tmp"],
      ["GIT_TERMINAL_PROMPT", "0"],
      ["GIT_CONFIG_NOSYSTEM", "1"],
    ],
    [BUILD_CONTAINERS.build]: [
      ["GIT_SHA", null],
      ["DOCKERFILE", null],
      ["CONTEXT", null],
      ["BUILDAH_ISOLATION", "chroot"],
      ["STORAGE_DRIVER", "vfs"],
      ["HOME", "/root"],
    ],
    [BUILD_CONTAINERS.push]: [
      ["GIT_SHA", null],
      ["DESTINATION", null],
      ["PUSH_AUTH_FILE", `${PUSH_AUTH_DIR}/config.json`],
      ["HOME", "/tmp"],
      ["TMPDIR", "/tmp"],
    ],
  };
}

export function contractPolicy(r: Resolved): PolicyDefinition {
  const p = podSpec.ref;
  const { fetch, build, push } = BUILD_CONTAINERS;
  // The pod's labels: the template's on a Job (the Job controller copies them onto its pod), the pod's own on a Pod.
  const labels = variable(
    "labels",
    t.map(t.string),
    cond(
      kindIs("Job"),
      cond(has(object.path("spec.template.metadata.labels")), object.path("spec.template.metadata.labels"), emptyMap<string>()),
      cond(has(object.path("metadata.labels")), object.path("metadata.labels"), emptyMap<string>()),
    ),
  );
  const annotations = variable(
    "annotations",
    t.map(t.string),
    cond(
      kindIs("Job"),
      cond(has(object.path("spec.template.metadata.annotations")), object.path("spec.template.metadata.annotations"), emptyMap<string>()),
      cond(has(object.path("metadata.annotations")), object.path("metadata.annotations"), emptyMap<string>()),
    ),
  );
  const label = (k: string) => cond(isIn(str(k), labels.ref), labels.ref.at(k), "");
  const buildId = variable("buildId", t.string, label(BUILD_LABEL));
  const tenant = variable("tenant", t.string, label(TENANT_LABEL));
  const server = variable("server", t.string, label(SERVER_LABEL));
  const named = (c: Expr<Obj>, n: string) => and(has(c.f("name")), eq(c.f("name"), n));
  const envOf = (c: Expr<Obj>) => cond(has(c.f("env")), c.f("env"), list<any>([]));
  /** The value of env `name` in the step named `step` ("" when absent). */
  const envValue = (step: string, name: string): Expr<string> =>
    cond(
      containers.ref.exists("c", (c) =>
        and(
          named(c, step),
          envOf(c).exists("e", (e) => and(eq(e.f("name"), name), has(e.f("value")))),
        ),
      ),
      containers.ref
        .filter("c", (c) => named(c, step))
        .at(int(0))
        .f("env")
        .filter("e", (e) => and(eq(e.f("name"), name), has(e.f("value"))))
        .at(int(0))
        .f("value"),
      "",
    );
  const fetchSha = variable("fetchSha", t.string, whenBoundedString(envValue(fetch, "GIT_SHA")));
  const gitUrl = variable("gitUrl", t.string, whenBoundedString(envValue(fetch, "GIT_URL")));
  const pushSha = variable("pushSha", t.string, whenBoundedString(envValue(push, "GIT_SHA")));
  const destination = variable("destination", t.string, whenBoundedString(envValue(push, "DESTINATION")));

  const scripts: Record<string, string> = { [fetch]: FETCH_SCRIPT, [build]: BUILD_SCRIPT, [push]: PUSH_SCRIPT };
  const commandOf = (c: Expr<Obj>) =>
    cond(
      named(c, fetch),
      list(["/bin/sh", "-c", scripts[fetch]!]),
      cond(named(c, build), list(["/bin/sh", "-c", scripts[build]!]), list(["/bin/sh", "-c", scripts[push]!])),
    );
  const unpinnedScripts = variable(
    "unpinnedScripts",
    names,
    whenBounded(
      containers.ref
        .filter("c", (c) =>
          or(
            not(has(c.f("command"))),
            ne(c.f("command"), commandOf(c)),
            has(c.f("args")),
            has(c.f("lifecycle")),
            has(c.f("livenessProbe")),
            has(c.f("readinessProbe")),
            has(c.f("startupProbe")),
            group(and(has(c.f("terminationMessagePath")), ne(c.f("terminationMessagePath"), "/dev/termination-log"))),
            group(and(has(c.f("terminationMessagePolicy")), ne(c.f("terminationMessagePolicy"), "File"))),
          ),
        )
        .map("c", (c) => cond(has(c.f("name")), c.f("name"), "<unnamed>")),
    ),
  );

  const env = stepEnvironment(r);
  const expectedNames = (c: Expr<Obj>) =>
    cond(
      named(c, fetch),
      list(env[fetch]!.map(([n]) => n)),
      cond(named(c, build), list(env[build]!.map(([n]) => n)), list(env[push]!.map(([n]) => n))),
    );
  const fixedValuesHold = (c: Expr<Obj>, step: string) =>
    and(
      named(c, step),
      ...env[step]!.filter(([, v]) => v !== null).map(([n, v]) =>
        c.f("env").exists("e", (e) => and(eq(e.f("name"), n), has(e.f("value")), eq(e.f("value"), v!))),
      ),
    );
  const foreignEnv = variable(
    "foreignEnv",
    names,
    whenBounded(
      containers.ref
        .filter("c", (c) =>
          or(
            has(c.f("envFrom")),
            not(has(c.f("env"))),
            ne(
              c.f("env").map("e", (e) => e.f("name")),
              expectedNames(c),
            ),
            c.f("env").exists("e", (e) => or(has(e.f("valueFrom")), not(has(e.f("value"))))),
            not(or(fixedValuesHold(c, fetch), fixedValuesHold(c, build), fixedValuesHold(c, push))),
          ),
        )
        .map("c", (c) => cond(has(c.f("name")), c.f("name"), "<unnamed>")),
    ),
  );

  const ownSecret = (c: Expr<Obj>) => concat("build-", buildId.ref, cond<string>(named(c, fetch), "-git", "-push"));
  const secretVolume = (name: Expr<string>) => volumes.ref.exists("v", (v) => and(eq(v.f("name"), name), has(v.f("secret"))));
  const foreignSecrets = variable(
    "foreignSecrets",
    names,
    whenBounded(
      concat(
        // Every Secret volume is one of this build's two.
        volumes.ref
          .filter(
            "v",
            (v) =>
              and(
                has(v.f("secret")),
                not(
                  group(
                    and(
                      has(v.path("secret.secretName")),
                      isIn(
                        v.path("secret.secretName"),
                        list([concat("build-", buildId.ref, "-git"), concat("build-", buildId.ref, "-push")]),
                      ),
                    ),
                  ),
                ),
              ) as Expr<boolean>,
          )
          .map("v", (v) => concat("volume ", v.f("name"))),
        // A container mounts only its own Secret, read-only, where its script reads it.
        containers.ref
          .filter("c", (c) =>
            and(
              has(c.f("volumeMounts")),
              c.f("volumeMounts").exists("m", (m) =>
                and(
                  secretVolume(m.f("name")),
                  or(
                    not(isIn(c.f("name"), list([fetch, push]))),
                    volumes.ref.exists("v", (v) =>
                      and(
                        eq(v.f("name"), m.f("name")),
                        has(v.f("secret")),
                        group(or(not(has(v.path("secret.secretName"))), ne(v.path("secret.secretName"), ownSecret(c)))),
                      ),
                    ),
                    ne(m.f("mountPath"), cond(named(c, fetch), GIT_TOKEN_DIR, PUSH_AUTH_DIR)),
                    not(group(and(has(m.f("readOnly")), m.f("readOnly")))),
                    has(m.f("subPath")),
                    has(m.f("subPathExpr")),
                  ),
                ),
              ),
            ),
          )
          .map("c", (c) => concat("container ", cond(has(c.f("name")), c.f("name"), "<unnamed>"))),
      ),
    ),
  );

  const placement = variable(
    "choosesPlacement",
    names,
    concat(
      cond(has(p.f("affinity")), list(["affinity"]), list<string>([])),
      cond(
        and(
          has(p.f("nodeSelector")),
          p.f("nodeSelector").existsKey("k", (k) => ne(k, SANDBOX_NODE_SELECTOR)),
        ),
        list(["nodeSelector"]),
        list<string>([]),
      ),
      cond(has(p.f("topologySpreadConstraints")), list(["topologySpreadConstraints"]), list<string>([])),
      cond(has(p.f("hostAliases")), list(["hostAliases"]), list<string>([])),
      cond(and(has(p.f("shareProcessNamespace")), p.f("shareProcessNamespace")), list(["shareProcessNamespace"]), list<string>([])),
      cond(
        and(has(p.f("priorityClassName")), eq(p.f("priorityClassName"), BUILD_PRIORITY_CLASS.name)),
        list<string>([]),
        list(["priorityClassName"]),
      ),
    ),
  );

  const repo = r.imageRepository;
  const hostRe = `^https://${esc(r.gitHost)}/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$`;
  const labelsMsg = `a build pod carries the labels ${TENANT_LABEL} (a tenant id not starting ${RESERVED_TENANT_PREFIX}), ${SERVER_LABEL} and ${BUILD_LABEL} (DNS labels), and a build Job is named build-<${BUILD_LABEL}>`;
  return {
    id: "contract",
    rules: JOBS_AND_PODS,
    matchConditions: [SPEC_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      labels,
      annotations,
      buildId,
      tenant,
      server,
      fetchSha,
      gitUrl,
      pushSha,
      destination,
      unpinnedScripts,
      foreignEnv,
      foreignSecrets,
      placement,
    ],
    validations: [
      boundsCheck,
      validation(
        and(
          buildId.ref.matches(DNS_LABEL_RE),
          tenant.ref.matches(DNS_LABEL_RE),
          not(tenant.ref.startsWith(RESERVED_TENANT_PREFIX)),
          server.ref.matches(DNS_LABEL_RE),
          group(or(not(kindIs("Job")), eq(object.path("metadata.name"), concat("build-", buildId.ref)))),
        ),
        say(labelsMsg).got(concat(TENANT_LABEL, "=", tenant.ref, ", ", SERVER_LABEL, "=", server.ref, ", ", BUILD_LABEL, "=", buildId.ref)),
      ),
      none(
        unpinnedScripts,
        `each build step runs exactly its script from buildJob.ts (/bin/sh -c FETCH_SCRIPT, BUILD_SCRIPT, PUSH_SCRIPT), with no args, lifecycle hook or probe, and reports through /dev/termination-log (policy File) only`,
        "containers",
      ),
      none(
        foreignEnv,
        "each build step's environment is exactly the one buildJob.ts writes (the same names in order, plain values, the fixed ones fixed; no envFrom or valueFrom)",
        "containers",
      ),
      validation(
        and(gitUrl.ref.matches(hostRe), fetchSha.ref.matches(SHA_RE), eq(pushSha.ref, fetchSha.ref)),
        say(`GIT_URL must be an https://${r.gitHost}/<owner>/<repo> clone URL and GIT_SHA the same 40-hex commit in fetch and push`).got(
          concat(gitUrl.ref, " @ ", fetchSha.ref, " / ", pushSha.ref),
        ),
      ),
      validation(
        eq(destination.ref, concat(`${repo}/`, tenant.ref, "/", server.ref, ":", fetchSha.ref)),
        say(
          `the push DESTINATION must be ${repo}/<${TENANT_LABEL}>/<${SERVER_LABEL}>:<GIT_SHA> of this pod: no other tenant's image, no platform path`,
        ).got(destination.ref),
      ),
      none(
        foreignSecrets,
        `a build pod mounts only its own Secrets, build-<${BUILD_LABEL}>-git in fetch at ${GIT_TOKEN_DIR} and build-<${BUILD_LABEL}>-push in push at ${PUSH_AUTH_DIR}, read-only, whole`,
        "refused",
      ),
      validation(
        not(isIn(str(BREAKGLASS_ANNOTATION), annotations.ref)),
        `a build pod never carries ${BREAKGLASS_ANNOTATION}: Binary Authorization's breakglass is for operators, never for a build`,
      ),
      none(
        placement,
        `a build pod names the PriorityClass ${BUILD_PRIORITY_CLASS.name} and chooses nothing about its node or neighbours (no affinity, node selector but ${SANDBOX_NODE_SELECTOR}, topology spread, hostAliases or shared process namespace)`,
        "set",
      ),
    ],
  };
}

/** A string expression evaluated only when the pod is within BUILD_POD_BOUNDS ("" otherwise; the bounds check refuses). */
function whenBoundedString(e: Expr<string>): Expr<string> {
  return cond(bounded.ref, e, "");
}
