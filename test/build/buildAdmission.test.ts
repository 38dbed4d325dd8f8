// The build guard, evaluated the way the API server evaluates it (test/support/vap.ts): the build Job that
// buildJobManifest produces, and the Pod the Job controller and the API server make of it, are admitted; each
// single escape is refused, for that reason only, with its message. Then the Pulumi component under mocks.
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Job } from "kubernetes-models/batch/v1";
import { Pod, Secret } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import {
  imagePathPrefixOf,
  BUILD_POD_BOUNDS,
  BuildAdmissionGuard,
  buildAdmissionManifests,
} from "../../components/kubernetes/buildAdmissionPolicies.js";
import { buildJobManifest, buildSecretManifests, type BuildPlatform, type BuildRequest } from "../../components/kubernetes/buildJob.js";
import { buildJobPod, buildPodSpecOf as podSpecOf, buildStep as named } from "../../policies/corpus/buildBaselines.js";
import { guardRefusals } from "../support/admission.js";

type Obj = Record<string, any>;
const NS = "gumstack-build";
const BUILDER =
  "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:8c5f2d7e1a4b9c3f6e0d2a5b8c1f4e7a0d3b6c9f2e5a8d1b4c7f0a3e6d9b2c5f";
const PLATFORM: BuildPlatform = { builderImage: BUILDER, deadlineSeconds: 600, ttlSecondsAfterFinished: 300 };
const REQUEST: BuildRequest = {
  buildId: "b7f3c2a1",
  tenantId: "acme",
  server: "weather",
  gitUrl: "https://github.com/acme/weather-mcp.git",
  gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
  imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
};
const GUARD = buildAdmissionManifests({
  builderImagePrefix: imagePathPrefixOf(BUILDER),
  maxDeadlineSeconds: 600,
  maxTtlSecondsAfterFinished: 300,
});
const clone = <T>(o: T): T => structuredClone(o);
const judge = (kind: string, object: Obj, extra: Obj = {}) => guardRefusals({ kind, object, ...extra }, GUARD, NS);
/** Function names called in a CEL expression (string literals skipped). */
const celFunctions = (e: string): string[] =>
  [...e.replaceAll(/"(\\.|[^"\\])*"/g, '""').matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!);

const job = buildJobManifest(PLATFORM, REQUEST);
/** The Pod the Job controller creates (policies/corpus/buildBaselines.ts, the corpus's too). */
const pod: Obj = buildJobPod(job, NS);
const withSpec = (o: Obj, mutate: (s: Obj) => void): Obj => {
  const c = clone(o);
  mutate(podSpecOf(c));
  return c;
};

describe("the build guard's manifests", () => {
  it("are valid admissionregistration.k8s.io/v1 objects, Deny-bound, failing closed, scoped to the build namespace", () => {
    expect(GUARD.ids).toEqual(["workloads", "job", "pod", "credentials", "contract"]);
    for (const [i, p] of GUARD.policies.entries()) {
      expect(() => new ValidatingAdmissionPolicy(clone(p)).validate()).not.toThrow();
      expect(() => new ValidatingAdmissionPolicyBinding(clone(GUARD.bindings[i]!)).validate()).not.toThrow();
      expect(p.spec.failurePolicy).toBe("Fail");
      expect(GUARD.bindings[i]!.spec).toEqual({
        policyName: p.metadata.name,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } } },
      });
    }
  });

  it("use only CEL functions Kubernetes and cel-js both provide; messages on one line", () => {
    const portable = new Set(["has", "size", "string", "startsWith", "matches", "exists", "all", "filter", "map", "join"]);
    for (const p of GUARD.policies) {
      const exprs = [...(p.spec.matchConditions ?? []), ...(p.spec.variables ?? [])]
        .map((e) => e.expression)
        .concat(p.spec.validations.flatMap((v) => [v.expression, v.messageExpression]));
      for (const e of exprs) for (const fn of celFunctions(e)) expect(portable, `${p.metadata.name}: ${fn}`).toContain(fn);
      for (const v of p.spec.validations) expect(v.message).not.toMatch(/[\r\n]/);
    }
  });

  it("iterate a list only behind the bounds check: every macro over a pod list sits in a `variables.bounded ?` branch", () => {
    for (const p of GUARD.policies) {
      for (const v of p.spec.variables ?? []) {
        const walks = /\b(containers|volumes)\.(filter|exists|all|map)\(/.test(v.expression);
        if (walks && v.name !== "bounded") expect(v.expression, `${p.metadata.name}.${v.name}`).toMatch(/^variables\.bounded \? /);
      }
    }
  });

  it("refuse weak or broken inputs", () => {
    const base = { builderImagePrefix: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/" };
    for (const bad of [
      { builderImagePrefix: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build" },
      { builderImagePrefix: "docker.io/" },
      { maxDeadlineSeconds: 601 },
      { maxDeadlineSeconds: 0 },
      { maxTtlSecondsAfterFinished: 86400 },
      { namespace: "Build" },
    ]) {
      expect(() => buildAdmissionManifests({ ...base, ...bad } as never)).toThrow(/^BuildAdmissionGuard /);
    }
    expect(() => imagePathPrefixOf("docker.io/library/buildah:1")).toThrow(/not an Artifact Registry image/);
    // The builder's own path, not its whole repository: customers' images share that repository.
    expect(imagePathPrefixOf(BUILDER)).toBe("us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/");
  });
});

describe("a compliant build", () => {
  it("is realistic: the Job, its Pod and its Secrets pass their schemas", () => {
    expect(() => new Job(clone(job)).validate()).not.toThrow();
    expect(() => new Pod(clone(pod)).validate()).not.toThrow();
    for (const s of buildSecretManifests({}, REQUEST, {
      job: { name: "build-b7f3c2a1", uid: "5d1c" },
      gitToken: "ghs_x",
      pushToken: "ya29.x",
    }))
      expect(() => new Secret(s).validate()).not.toThrow();
  });

  it.each([
    ["Job", job],
    ["Pod", pod],
  ])("%s is admitted", (kind, object) => {
    expect(judge(kind, object)).toEqual([]);
  });

  it("a public repository's build (no git token Secret) is admitted", () => {
    expect(judge("Job", buildJobManifest(PLATFORM, { ...REQUEST, privateRepository: false }))).toEqual([]);
  });

  it("metadata-only updates pass (the Job controller's finalizers and labels)", () => {
    const relabelled = clone(pod);
    relabelled.metadata.finalizers = ["batch.kubernetes.io/job-tracking"];
    expect(judge("Pod", relabelled, { operation: "UPDATE", oldObject: pod })).toEqual([]);
  });
});

const at = (id: string, why: RegExp) => new RegExp(`^${NS}-${id}: (.* )?${why.source}`);
const pod_ = (why: RegExp) => at("pod", why);
const creds = (why: RegExp) => at("credentials", why);
const ORDER = /initContainers must be exactly \[fetch, build\] and containers \[push\]/;
const contract = (why: RegExp) => at("contract", why);
const POD_ESCAPES: [string, (s: Obj) => void, RegExp | RegExp[]][] = [
  ["no runtimeClassName", (s) => delete s.runtimeClassName, pod_(/runtimeClassName must be "gvisor": .*; got none$/)],
  ["runtimeClassName runc", (s) => (s.runtimeClassName = "runc"), pod_(/runtimeClassName must be "gvisor": .*; got "runc"$/)],
  [
    "the default service account",
    (s) => {
      s.serviceAccountName = "default";
      if (s.serviceAccount) s.serviceAccount = "default";
    },
    pod_(/serviceAccountName must be "builder".*; got "default"$/),
  ],
  [
    "an automounted token",
    (s) => (s.automountServiceAccountToken = true),
    pod_(/automountServiceAccountToken must be false: .*; got true$/),
  ],
  [
    "token automount unset",
    (s) => delete s.automountServiceAccountToken,
    pod_(/automountServiceAccountToken must be false: .*; got unset \(defaults to true\)$/),
  ],
  [
    "no pod deadline",
    (s) => delete s.activeDeadlineSeconds,
    pod_(/activeDeadlineSeconds of the pod must be set and at most 600; got none$/),
  ],
  [
    "a pod deadline of 601 s",
    (s) => (s.activeDeadlineSeconds = 601),
    pod_(/activeDeadlineSeconds of the pod must be set and at most 600; got 601$/),
  ],
  ["restartPolicy OnFailure", (s) => (s.restartPolicy = "OnFailure"), pod_(/restartPolicy must be Never/)],
  ["hostNetwork", (s) => (s.hostNetwork = true), pod_(/hostNetwork, hostPID and hostIPC are not allowed .* \(set: hostNetwork\)$/)],
  [
    "hostPID and hostIPC",
    (s) => Object.assign(s, { hostPID: true, hostIPC: true }),
    pod_(/hostNetwork, hostPID and hostIPC .* \(set: hostPID, hostIPC\)$/),
  ],
  [
    "a privileged build container",
    (s) => (named(s, "build").securityContext.privileged = true),
    pod_(/privileged containers are not allowed .* \(containers: build\)$/),
  ],
  [
    "a hostPort",
    (s) => (named(s, "push").ports = [{ containerPort: 5000, hostPort: 5000 }]),
    pod_(/hostPort is not allowed .* \(containers: push\)$/),
  ],
  [
    "an unmasked /proc",
    (s) => (named(s, "build").securityContext.procMount = "Unmasked"),
    pod_(/procMount must be Default .* \(containers: build\)$/),
  ],
  [
    "seccomp Unconfined",
    (s) => (s.securityContext.seccompProfile = { type: "Unconfined" }),
    pod_(/seccomp and AppArmor profiles must not be Unconfined .* \(at: pod\)$/),
  ],
  [
    "AppArmor unconfined on the build container",
    (s) => (named(s, "build").securityContext.appArmorProfile = { type: "Unconfined" }),
    pod_(/seccomp and AppArmor .* \(at: build\)$/),
  ],
  [
    "a hostPath volume",
    (s) => s.volumes.push({ name: "containerd", hostPath: { path: "/run/containerd/containerd.sock" } }),
    pod_(/a build pod may use only emptyDir volumes with a sizeLimit and Secret volumes .* \(volumes: containerd\)$/),
  ],
  [
    "a projected service account token",
    (s) => s.volumes.push({ name: "kube-api-access", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } }),
    pod_(/may use only emptyDir .* \(volumes: kube-api-access\)$/),
  ],
  [
    "a persistent volume claim",
    (s) => s.volumes.push({ name: "cache", persistentVolumeClaim: { claimName: "shared-cache" } }),
    pod_(/may use only emptyDir .* \(volumes: cache\)$/),
  ],
  [
    "an emptyDir without sizeLimit",
    (s) => delete s.volumes.find((v: Obj) => v.name === "storage").emptyDir.sizeLimit,
    pod_(/may use only emptyDir .* \(volumes: storage\)$/),
  ],
  [
    "no ephemeral-storage limit on the build step",
    (s) => delete named(s, "build").resources.limits["ephemeral-storage"],
    pod_(/every container of a build pod needs cpu, memory and ephemeral-storage limits \(containers: build\)$/),
  ],
  [
    "no limits on fetch",
    (s) => delete named(s, "fetch").resources.limits,
    pod_(/needs cpu, memory and ephemeral-storage limits \(containers: fetch\)$/),
  ],
  [
    "the builder by tag",
    (s) => (named(s, "build").image = "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder:1.4"),
    pod_(
      /build pod images must come from the build plane's path of the tenant MCP repository by digest .* \(refused: build=.*builder:1\.4\)$/,
    ),
  ],
  // The copy's source: the MCP pool's nodes cannot pull it, and the guard no longer names it.
  [
    "the builder from the platform-images repository",
    (s) => (named(s, "build").image = `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/builder@sha256:${"8".repeat(64)}`),
    pod_(/\(refused: build=us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform\/builder@sha256:8+\)$/),
  ],
  [
    "a customer's image from the same tenant repository",
    (s) => (named(s, "build").image = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/acme/evil@sha256:${"b".repeat(64)}`),
    pod_(/\(refused: build=us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod\/acme\/evil@sha256:b+\)$/),
  ],
  [
    "an image nested below the build path",
    (s) => (named(s, "fetch").image = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/acme/evil@sha256:${"c".repeat(64)}`),
    pod_(/\(refused: fetch=.*gumstack-build\/acme\/evil.*\)$/),
  ],
  [
    "an image from docker.io",
    (s) => (named(s, "push").image = "quay.io/skopeo/stable@sha256:" + "a".repeat(64)),
    pod_(/images must come from the build plane's path of the tenant MCP repository .* \(refused: push=quay\.io\/.*\)$/),
  ],
  [
    "the tenant repository's image",
    (s) => (named(s, "build").image = `us-west1-docker.pkg.dev/gumstack-prod/gumstack/acme/evil@sha256:${"b".repeat(64)}`),
    pod_(/\(refused: build=us-west1-docker\.pkg\.dev\/gumstack-prod\/gumstack\/acme\/evil@sha256:b+\)$/),
  ],
  [
    "a sibling path",
    (s) =>
      (named(s, "fetch").image = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build-evil/builder@sha256:${"c".repeat(64)}`),
    pod_(/\(refused: fetch=.*gumstack-build-evil.*\)$/),
  ],
  [
    "push running as root",
    (s) => Object.assign(named(s, "push").securityContext, { runAsNonRoot: false, runAsUser: 0 }),
    pod_(/containers other than build must run as non-root .* \(containers: push\)$/),
  ],
  [
    "fetch allowed to escalate",
    (s) => (named(s, "fetch").securityContext.allowPrivilegeEscalation = true),
    pod_(/containers other than build must run as non-root .* \(containers: fetch\)$/),
  ],
  [
    "the build step adding SYS_PTRACE",
    (s) => named(s, "build").securityContext.capabilities.add.push("SYS_PTRACE"),
    pod_(/build pod containers may add only CHOWN, .*SYS_ADMIN \(containers: build\)$/),
  ],
  [
    "the build step adding NET_RAW",
    (s) => named(s, "build").securityContext.capabilities.add.push("NET_RAW"),
    pod_(/may add only .* \(containers: build\)$/),
  ],
  [
    "the build step keeping the default capabilities",
    (s) => delete named(s, "build").securityContext.capabilities.drop,
    pod_(/every container of a build pod must drop ALL capabilities .* \(containers: build\)$/),
  ],
  [
    "a nodeName",
    (s) => (s.nodeName = "gke-gumstack-prod-pool-system-1"),
    pod_(/a build pod may not choose its node: .* \(set: nodeName\)$/),
  ],
  [
    "a wildcard toleration",
    (s) => (s.tolerations = [...(s.tolerations ?? []), { operator: "Exists" }]),
    pod_(/may not choose its node: .* \(set: tolerations\)$/),
  ],
  [
    "a toleration of the backend pool",
    (s) =>
      (s.tolerations = [...(s.tolerations ?? []), { key: "gumstack.com/pool", operator: "Equal", value: "backend", effect: "NoSchedule" }]),
    pod_(/\(set: tolerations\)$/),
  ],
  [
    "the build step mounting the push credential",
    (s) => named(s, "build").volumeMounts.push({ name: "push-auth", mountPath: "/run/secrets/push" }),
    [
      creds(/only the fetch and push steps may mount a Secret .* \(containers: build\)$/),
      contract(/a build pod mounts only its own Secrets.*\(refused: container build\)$/),
    ],
  ],
  [
    "the build step reading a Secret into env",
    (s) => named(s, "build").env.push({ name: "NPM_TOKEN", valueFrom: { secretKeyRef: { name: "build-b7f3c2a1-git", key: "token" } } }),
    [
      creds(/only the fetch and push steps may mount a Secret .* \(containers: build\)$/),
      contract(/environment is exactly the one buildJob\.ts writes.*\(containers: build\)$/),
    ],
  ],
  [
    "the build step with envFrom a Secret",
    (s) => (named(s, "build").envFrom = [{ secretRef: { name: "build-b7f3c2a1-push" } }]),
    [creds(/\(containers: build\)$/), contract(/environment is exactly the one buildJob\.ts writes.*\(containers: build\)$/)],
  ],
  [
    "the build step beside push (a regular container)",
    (s) => {
      s.containers.unshift(s.initContainers.pop());
    },
    creds(new RegExp(`${ORDER.source}.*; got init \\[fetch\\], containers \\[build, push\\]$`)),
  ],
  ["the build step as a sidecar", (s) => (named(s, "build").restartPolicy = "Always"), creds(new RegExp(`${ORDER.source}.*, a sidecar$`))],
  [
    "an extra (well-behaved) init container after the build",
    (s) =>
      s.initContainers.push({ ...clone(named(s, "fetch")), name: "setup", volumeMounts: [{ name: "workspace", mountPath: "/workspace" }] }),
    [
      creds(/.*; got init \[fetch, build, setup\], containers \[push\]$/),
      contract(/runs exactly its script .*\(containers: setup\)$/),
      contract(/environment is exactly .*\(containers: setup\)$/),
    ],
  ],
];

describe.each(["Job", "Pod"])("a build %s", (kind) => {
  const compliant = kind === "Job" ? job : pod;
  it.each(POD_ESCAPES)("with %s is refused, for that reason only", (_, mutate, message) => {
    const found = judge(kind, withSpec(compliant, mutate));
    // Some escapes break the credentials rules and the contract both; each refusal is named.
    const expected = Array.isArray(message) ? message : [message];
    expect(found, found.join("\n")).toHaveLength(expected.length);
    expected.forEach((m, i) => expect(found[i]).toMatch(m));
  });
});

describe("a build Job", () => {
  const jobWith = (mutate: (s: Obj) => void) => {
    const j = clone(job);
    mutate(j.spec);
    return j;
  };
  it.each([
    ["no deadline", (s: Obj) => delete s.activeDeadlineSeconds, /activeDeadlineSeconds must be set and at most 600: .*; got none$/],
    [
      "a 15-minute deadline",
      (s: Obj) => (s.activeDeadlineSeconds = 900),
      /activeDeadlineSeconds must be set and at most 600: .*; got 900$/,
    ],
    ["no TTL", (s: Obj) => delete s.ttlSecondsAfterFinished, /ttlSecondsAfterFinished must be set and at most 300: .*; got none$/],
    ["a day-long TTL", (s: Obj) => (s.ttlSecondsAfterFinished = 86400), /ttlSecondsAfterFinished .*; got 86400$/],
    ["retries left at the default", (s: Obj) => delete s.backoffLimit, /backoffLimit must be 0: .*; got unset \(defaults to 6\)$/],
    ["one retry", (s: Obj) => (s.backoffLimit = 1), /backoffLimit must be 0: .*; got 1$/],
    ["two pods at once", (s: Obj) => (s.parallelism = 2), /a build Job runs exactly one pod/],
  ])("with %s is refused, for that reason only", (_, mutate, message) => {
    const found = judge("Job", jobWith(mutate));
    expect(found).toEqual([expect.stringMatching(at("job", message))]);
  });

  it("more containers than the bounds is refused by the bounds check before any list is walked", () => {
    const crowded = withSpec(job, (s) => {
      for (let i = 0; i <= BUILD_POD_BOUNDS.containers; i++) s.containers.push({ ...clone(s.containers[0]), name: `push${i}` });
    });
    const found = judge("Job", crowded);
    expect(found).toContainEqual(expect.stringMatching(at("pod", /a build pod has at most 4 containers/)));
    expect(found.filter((f) => /evaluation error/.test(f))).toEqual([]);
  });

  it("an oversized capability list is refused by the bounds check too", () => {
    const padded = withSpec(
      job,
      (s) => (s.containers[0].securityContext.capabilities.drop = Array.from({ length: BUILD_POD_BOUNDS.capabilities + 1 }, () => "ALL")),
    );
    expect(judge("Job", padded)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(at("pod", /a build pod has at most 4 containers/)),
        expect.stringMatching(at("credentials", /a build pod has at most/)),
      ]),
    );
  });
});

describe("the rest of the namespace", () => {
  it.each([
    [
      "Deployment",
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "miner", namespace: NS },
        spec: { selector: {}, template: { spec: podSpecOf(pod) } },
      },
    ],
    [
      "CronJob",
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "nightly", namespace: NS },
        spec: { schedule: "* * * * *", jobTemplate: { spec: job.spec } },
      },
    ],
    [
      "StatefulSet",
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "s", namespace: NS },
        spec: { selector: {}, template: { spec: podSpecOf(pod) } },
      },
    ],
  ])("a %s is refused: only build Jobs run here", (kind, object) => {
    expect(judge(kind, object)).toEqual([`${NS}-workloads: only build Jobs (batch/v1) and their Pods may run in ${NS}; got a ${kind}`]);
  });

  it("an ephemeral debug container added to a running build pod is refused", () => {
    const debug = clone(pod);
    debug.spec.ephemeralContainers = [
      {
        name: "debug",
        image: BUILDER,
        resources: clone(pod.spec.containers[0].resources),
        securityContext: clone(pod.spec.containers[0].securityContext),
      },
    ];
    expect(judge("Pod", debug, { operation: "UPDATE", subResource: "ephemeralcontainers", oldObject: pod })).toEqual([
      expect.stringMatching(creds(/.*, ephemeral containers$/)),
      expect.stringMatching(contract(/runs exactly its script .*\(containers: debug\)$/)),
      expect.stringMatching(contract(/environment is exactly .*\(containers: debug\)$/)),
    ]);
  });

  it("ignores DELETE and other namespaces", () => {
    const runc = withSpec(pod, (s) => (s.runtimeClassName = "runc"));
    expect(guardRefusals({ kind: "Pod", object: null, oldObject: runc, operation: "DELETE" }, GUARD, NS)).toEqual([]);
    expect(guardRefusals({ kind: "Pod", object: runc, namespace: "gumstack-mcp" }, GUARD, NS)).toEqual([]);
    expect(judge("Pod", runc)).toHaveLength(1);
  });
});

describe("BuildAdmissionGuard component", () => {
  it("creates one policy and one Deny binding per policy, on the given provider", async () => {
    const created: pulumi.runtime.MockResourceArgs[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          created.push(a);
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
      },
      "gumstack-platform",
      "test",
      false,
    );
    const guard = new BuildAdmissionGuard("build-admission", {
      provider: new K8sProvider("cluster", {}),
      builderImagePrefix: imagePathPrefixOf(BUILDER),
      maxTtlSecondsAfterFinished: 300,
    });
    await Promise.all(guard.policyNames.map((n) => new Promise((r) => n.apply(r))));
    await Promise.all(guard.bindings.map((b) => new Promise((r) => b.urn.apply(r))));
    for (const [i, id] of GUARD.ids.entries()) {
      const policy = created.find((r) => r.type.endsWith(":ValidatingAdmissionPolicy") && r.name === `build-admission-${id}`);
      const binding = created.find((r) => r.type.endsWith(":ValidatingAdmissionPolicyBinding") && r.name === `build-admission-${id}`);
      expect(policy?.inputs.spec).toEqual(GUARD.policies[i]!.spec);
      expect(binding?.inputs.spec.validationActions).toEqual(["Deny"]);
      expect(binding?.inputs.spec.policyName).toBe(`${NS}-${id}`);
      expect(policy?.provider).toMatch(/::cluster::cluster-id$/);
    }
  });
});

// The contract (buildGuard/contract.ts): a Job creator that points a trusted step at anything while it holds a
// credential, at another tenant's package or a platform path, at another host, or at a chosen node, is refused,
// for that reason only, as a Job and as the Pod the Job controller would make of it.
const env = (c: Obj, name: string): Obj => c.env.find((e: Obj) => e.name === name);
const CONTRACT_ESCAPES: [string, (s: Obj, o: Obj) => void, RegExp][] = [
  [
    "fetch mounting another build's token",
    (s) => (s.volumes.find((v: Obj) => v.name === "git-token").secret.secretName = "build-0ther-git"),
    /mounts only its own Secrets.*\(refused: volume git-token, container fetch\)$/,
  ],
  [
    "push mounting the backend's ClickHouse Secret",
    (s) => (s.volumes.find((v: Obj) => v.name === "push-auth").secret.secretName = "clickhouse"),
    /mounts only its own Secrets.*\(refused: volume push-auth, container push\)$/,
  ],
  [
    "fetch mounting the push credential",
    (s) => named(s, "fetch").volumeMounts.push({ name: "push-auth", mountPath: "/var/run/gumstack/push", readOnly: true }),
    /mounts only its own Secrets.*\(refused: container fetch\)$/,
  ],
  [
    "the token mounted writable into the workspace",
    (s) =>
      Object.assign(
        named(s, "fetch").volumeMounts.find((m: Obj) => m.name === "git-token"),
        { mountPath: "/workspace/t", readOnly: false },
      ),
    /\(refused: container fetch\)$/,
  ],
  [
    "fetch printing its token",
    (s) => (named(s, "fetch").command = ["/bin/sh", "-c", 'cat "$GIT_TOKEN_FILE"']),
    /runs exactly its script .*\(containers: fetch\)$/,
  ],
  ["push with args", (s) => (named(s, "push").args = ["x"]), /runs exactly its script .*\(containers: push\)$/],
  [
    "push with a postStart hook",
    (s) => (named(s, "push").lifecycle = { postStart: { exec: { command: ["/bin/sh", "-c", "cat /var/run/gumstack/push/config.json"] } } }),
    /\(containers: push\)$/,
  ],
  [
    "fetch with an exec liveness probe",
    (s) => (named(s, "fetch").livenessProbe = { exec: { command: ["cat", "/var/run/gumstack/git/token"] } }),
    /\(containers: fetch\)$/,
  ],
  [
    "push reporting the credential as its termination message (the backend reads pod status)",
    (s) => (named(s, "push").terminationMessagePath = "/var/run/gumstack/push/config.json"),
    /reports through \/dev\/termination-log .*\(containers: push\)$/,
  ],
  [
    "push falling back to its logs for the termination message",
    (s) => (named(s, "push").terminationMessagePolicy = "FallbackToLogsOnError"),
    /\(containers: push\)$/,
  ],
  [
    "fetch with git config from the environment (a proxy for the token)",
    (s) =>
      named(s, "fetch").env.push(
        { name: "GIT_CONFIG_COUNT", value: "1" },
        { name: "GIT_CONFIG_KEY_0", value: "http.proxy" },
        { name: "GIT_CONFIG_VALUE_0", value: "http://203.0.113.9:8080" },
      ),
    /environment is exactly .*\(containers: fetch\)$/,
  ],
  [
    "fetch reading its token from elsewhere",
    (s) => (env(named(s, "fetch"), "GIT_TOKEN_FILE").value = "/var/run/gumstack/push/config.json"),
    /\(containers: fetch\)$/,
  ],
  ["the helper scoped to another host", (s) => (env(named(s, "fetch"), "GIT_HOST").value = "evil.example"), /\(containers: fetch\)$/],
  ["push with LD_PRELOAD", (s) => named(s, "push").env.push({ name: "LD_PRELOAD", value: "/layout/x.so" }), /\(containers: push\)$/],
  [
    "a clone URL on another host",
    (s) => (env(named(s, "fetch"), "GIT_URL").value = "https://evil.example/acme/weather-mcp.git"),
    /GIT_URL must be an https:\/\/github\.com\/<owner>\/<repo> clone URL .*; got https:\/\/evil\.example/,
  ],
  [
    "a clone URL with credentials in it",
    (s) => (env(named(s, "fetch"), "GIT_URL").value = "https://x:y@github.com/acme/weather-mcp.git"),
    /GIT_URL must be/,
  ],
  [
    "push tagging another commit than fetched",
    // skopeo would push layout tag GIT_SHA of push: another build of the same server, under this commit's tag.
    (s) => (env(named(s, "push"), "GIT_SHA").value = "0".repeat(40)),
    /GIT_SHA the same 40-hex commit in fetch and push/,
  ],
  [
    "a push to another tenant's package",
    (s) => (env(named(s, "push"), "DESTINATION").value = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/globex/search:${REQUEST.gitSha}`),
    /the push DESTINATION must be .*; got .*\/globex\/search:/,
  ],
  [
    "a push over the pinned builder",
    (s) =>
      (env(named(s, "push"), "DESTINATION").value =
        `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder:${REQUEST.gitSha}`),
    /the push DESTINATION must be/,
  ],
  [
    "a push to another repository",
    (s) =>
      (env(named(s, "push"), "DESTINATION").value =
        `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/acme/weather:${REQUEST.gitSha}`),
    /the push DESTINATION must be/,
  ],
  [
    "affinity to a chosen tenant's pods",
    (s) =>
      (s.affinity = {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { "gumstack.com/tenant": "globex" } }, topologyKey: "kubernetes.io/hostname" },
          ],
        },
      }),
    /chooses nothing about its node .*\(set: affinity\)$/,
  ],
  [
    "a hostname node selector",
    (s) => (s.nodeSelector = { ...(s.nodeSelector ?? {}), "kubernetes.io/hostname": "gke-mcp-1" }),
    /\(set: nodeSelector\)$/,
  ],
  [
    "a topology spread over tenants' pods",
    (s) => (s.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule" }]),
    /\(set: topologySpreadConstraints\)$/,
  ],
  ["hostAliases", (s) => (s.hostAliases = [{ ip: "169.254.169.254", hostnames: ["github.com"] }]), /\(set: hostAliases\)$/],
  ["a shared process namespace", (s) => (s.shareProcessNamespace = true), /\(set: shareProcessNamespace\)$/],
  ["no PriorityClass (a build at servers' priority)", (s) => delete s.priorityClassName, /\(set: priorityClassName\)$/],
  ["a higher PriorityClass", (s) => (s.priorityClassName = "system-node-critical"), /\(set: priorityClassName\)$/],
];

describe.each(["Job", "Pod"])("a build %s against the contract", (kind) => {
  const compliant = kind === "Job" ? job : pod;
  it.each(CONTRACT_ESCAPES)("with %s is refused, for that reason only", (_, mutate, message) => {
    const o = clone(compliant);
    mutate(podSpecOf(o), o);
    const found = judge(kind, o);
    expect(found, found.join("\n")).toHaveLength(1);
    expect(found[0]).toMatch(contract(message));
  });

  const relabel = (o: Obj, labels: Obj) => Object.assign(kind === "Job" ? o.spec.template.metadata.labels : o.metadata.labels, labels);
  it("refuses a platform tenant label even with a destination that matches it", () => {
    const o = clone(compliant);
    relabel(o, { "gumstack.com/tenant": "gumstack-canary" });
    env(named(podSpecOf(o), "push"), "DESTINATION").value =
      `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-canary/weather:${REQUEST.gitSha}`;
    expect(judge(kind, o)).toEqual([expect.stringMatching(contract(/carries the labels .*; got gumstack\.com\/tenant=gumstack-canary/))]);
  });

  it("refuses Binary Authorization's breakglass annotation (an unattested image would be admitted)", () => {
    const o = clone(compliant);
    const meta = kind === "Job" ? o.spec.template.metadata : o.metadata;
    meta.annotations = { ...(meta.annotations ?? {}), "alpha.image-policy.k8s.io/break-glass": "true" };
    expect(judge(kind, o)).toEqual([expect.stringMatching(contract(/never carries alpha\.image-policy\.k8s\.io\/break-glass/))]);
  });

  it("refuses a pod without its build label (its Secrets would be nobody's)", () => {
    const o = clone(compliant);
    delete (kind === "Job" ? o.spec.template.metadata.labels : o.metadata.labels)["gumstack.com/build"];
    const found = judge(kind, o);
    expect(found[0]).toMatch(contract(/carries the labels/));
  });
});

it("a Job not named build-<its build label> is refused (its Secrets are named after the label)", () => {
  const o = clone(job);
  o.metadata.name = "build-0ther";
  expect(judge("Job", o)).toEqual([expect.stringMatching(contract(/a build Job is named build-<gumstack\.com\/build>/))]);
});
