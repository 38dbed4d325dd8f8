// Credentials only where the platform's code runs, and never at the same time as the customer's: the pod is
// exactly init [fetch, build] then [push], no sidecar (an init container with restartPolicy would run beside
// the build), no ephemeral container, and only fetch and push mount a Secret or read one into their env.
import {
  and,
  cond,
  eq,
  group,
  gt,
  has,
  int,
  isIn,
  le,
  list,
  none,
  not,
  or,
  say,
  size,
  t,
  validation,
  variable,
  type Expr,
  type PolicyDefinition,
} from "../cel/index.js";
import { BUILD_CONTAINERS } from "../buildJob.js";
import type { Resolved } from "./args.js";
import {
  appContainers,
  bounded,
  boundsCheck,
  containers,
  ephemeralContainers,
  initContainers,
  JOBS_AND_PODS,
  SPEC_CHANGED,
  volumes,
  whenBounded,
  WORKLOAD_VARIABLES,
} from "./workload.js";

export function credentialsPolicy(_r: Resolved): PolicyDefinition {
  const trusted = list([BUILD_CONTAINERS.fetch, BUILD_CONTAINERS.push]);
  const order = `initContainers must be exactly [${BUILD_CONTAINERS.fetch}, ${BUILD_CONTAINERS.build}] and containers [${BUILD_CONTAINERS.push}], with no sidecar or ephemeral container: the push credential is mounted only after the untrusted build step has exited`;
  const names = (v: Expr<readonly any[]>) => v.map("c", (c) => cond(has(c.f("name")), c.f("name"), ""));
  const secretVolumes = variable(
    "secretVolumes",
    t.list(t.string),
    whenBounded(
      volumes.ref
        .filter("v", (v) =>
          or(
            has(v.f("secret")),
            group(
              and(
                has(v.f("projected")),
                has(v.path("projected.sources")),
                le(size(v.path("projected.sources")), int(8)),
                v.path("projected.sources").exists("s", (s) => has(s.f("secret"))),
              ),
            ),
          ),
        )
        .map("v", (v) => v.f("name")),
    ),
  );
  const untrustedWithSecrets = variable(
    "untrustedWithSecrets",
    t.list(t.string),
    whenBounded(
      containers.ref
        .filter("c", (c) =>
          and(
            not(isIn(c.f("name"), trusted)),
            group(
              or(
                group(
                  and(
                    has(c.f("volumeMounts")),
                    c.f("volumeMounts").exists("m", (m) => isIn(m.f("name"), secretVolumes.ref)),
                  ),
                ),
                group(
                  and(
                    has(c.f("env")),
                    c.f("env").exists("e", (e) => and(has(e.f("valueFrom")), has(e.path("valueFrom.secretKeyRef")))),
                  ),
                ),
                group(
                  and(
                    has(c.f("envFrom")),
                    c.f("envFrom").exists("f", (f) => has(f.f("secretRef"))),
                  ),
                ),
              ),
            ),
          ),
        )
        .map("c", (c) => c.f("name")),
    ),
  );
  const sidecar = initContainers.ref.exists("c", (c) => has(c.f("restartPolicy")));
  return {
    id: "credentials",
    rules: JOBS_AND_PODS,
    matchConditions: [SPEC_CHANGED],
    variables: [...WORKLOAD_VARIABLES, secretVolumes, untrustedWithSecrets],
    validations: [
      boundsCheck,
      // Vacuously true past the bounds (the bounds check refuses those), so no list is walked there.
      validation(
        or(
          not(bounded.ref),
          group(
            and(
              eq(names(initContainers.ref), list([BUILD_CONTAINERS.fetch, BUILD_CONTAINERS.build])),
              eq(names(appContainers.ref), list([BUILD_CONTAINERS.push])),
              eq(size(ephemeralContainers.ref), int(0)),
              not(sidecar),
            ),
          ),
        ),
        say(order).then(
          "; got init [",
          names(initContainers.ref).join(", "),
          "], containers [",
          names(appContainers.ref).join(", "),
          "]",
          cond(gt(size(ephemeralContainers.ref), int(0)), ", ephemeral containers", ""),
          cond(sidecar, ", a sidecar", ""),
        ),
      ),
      none(
        untrustedWithSecrets,
        `only the ${BUILD_CONTAINERS.fetch} and ${BUILD_CONTAINERS.push} steps may mount a Secret or read one into their environment: the build step runs the customer's Dockerfile`,
        "containers",
      ),
    ],
  };
}
