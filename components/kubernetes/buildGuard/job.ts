// The build Job: a hard deadline, a TTL, no retry, exactly one pod.
import { and, cond, eq, ge, group, has, int, le, not, object, or, say, string, validation, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";
import { rule, SPEC_CHANGED } from "./workload.js";

export function jobPolicy(r: Resolved): PolicyDefinition {
  const s = object.f("spec");
  const got = (f: string) => cond(has(s.f(f)), string(s.f(f)), "none");
  const deadline = `activeDeadlineSeconds must be set and at most ${r.maxDeadlineSeconds}: a build never runs longer than that`;
  const ttl = `ttlSecondsAfterFinished must be set and at most ${r.maxTtlSecondsAfterFinished}: nothing of a build (its pod, Secrets, emptyDirs) outlives it`;
  const backoff = "backoffLimit must be 0: a failed build is reported, never retried with the same tokens";
  const ads = s.f("activeDeadlineSeconds");
  const ttlField = s.f("ttlSecondsAfterFinished");
  const job = (spec: Record<string, unknown>) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "build-0f5d", namespace: r.namespace },
    spec: { activeDeadlineSeconds: r.maxDeadlineSeconds, ttlSecondsAfterFinished: r.maxTtlSecondsAfterFinished, backoffLimit: 0, ...spec },
  });
  const without = (field: string) => {
    const j = job({});
    delete (j.spec as Record<string, unknown>)[field];
    return j;
  };
  return {
    id: "job",
    rules: [rule("batch", ["jobs"])],
    suite: {
      allowed: [
        { name: "the bounds buildJob.ts writes", kind: "Job", object: job({}) },
        { name: "one pod, said explicitly", kind: "Job", object: job({ parallelism: 1, completions: 1, activeDeadlineSeconds: 60 }) },
        {
          name: "a metadata-only UPDATE of an older Job",
          kind: "Job",
          operation: "UPDATE",
          oldObject: job({ backoffLimit: 6 }),
          object: job({ backoffLimit: 6 }),
        },
      ],
      disallowed: [
        { name: "no deadline", kind: "Job", object: without("activeDeadlineSeconds"), refusedWith: `${deadline}; got none` },
        {
          name: "a longer deadline",
          kind: "Job",
          object: job({ activeDeadlineSeconds: r.maxDeadlineSeconds + 1 }),
          refusedWith: `; got ${r.maxDeadlineSeconds + 1}`,
        },
        { name: "no TTL", kind: "Job", object: without("ttlSecondsAfterFinished"), refusedWith: `${ttl}; got none` },
        { name: "the default backoff", kind: "Job", object: without("backoffLimit"), refusedWith: `${backoff}; got unset (defaults to 6)` },
        {
          name: "a retry",
          kind: "Job",
          operation: "UPDATE",
          oldObject: job({}),
          object: job({ backoffLimit: 1 }),
          refusedWith: `${backoff}; got 1`,
        },
        { name: "two pods", kind: "Job", object: job({ completions: 2 }), refusedWith: "a build Job runs exactly one pod" },
        { name: "pods in parallel", kind: "Job", object: job({ parallelism: 2 }), refusedWith: "a build Job runs exactly one pod" },
      ],
    },
    matchConditions: [SPEC_CHANGED],
    validations: [
      validation(and(has(ads), ge(ads, int(1)), le(ads, int(r.maxDeadlineSeconds))), say(deadline).got(got("activeDeadlineSeconds"))),
      validation(and(has(ttlField), le(ttlField, int(r.maxTtlSecondsAfterFinished))), say(ttl).got(got("ttlSecondsAfterFinished"))),
      validation(
        and(has(s.f("backoffLimit")), eq(s.f("backoffLimit"), int(0))),
        say(backoff).got(cond(has(s.f("backoffLimit")), string(s.f("backoffLimit")), "unset (defaults to 6)")),
      ),
      validation(
        and(
          group(or(not(has(s.f("parallelism"))), le(s.f("parallelism"), int(1)))),
          group(or(not(has(s.f("completions"))), eq(s.f("completions"), int(1)))),
        ),
        "a build Job runs exactly one pod (completions 1, parallelism at most 1)",
      ),
    ],
  };
}
