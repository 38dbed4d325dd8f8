// The build guard: ValidatingAdmissionPolicies (Deny) that make the cluster itself refuse, in the build
// namespace, any workload that is not a build Job of the shape buildJob.ts produces: gVisor, the build service
// account, no API token, no host access, a hard deadline, a TTL, no retry, limits on every container, platform
// images by digest, and credentials only in the trusted `fetch` and `push` steps, which run before and after
// the untrusted `build` step (init-container ordering, so the two never run at the same time).
//
// The backend creates build Jobs at run time, so neither Pulumi nor the policy pack sees them: this is where
// the rules hold. CEL is limited to what Kubernetes and the test evaluator (@marcbachmann/cel-js) both provide
// (see admissionPolicies.ts). Every list walk is bounded: the `bounded` variable caps the containers, volumes,
// mounts and env entries a pod may have (a build pod has 3 containers and 7 volumes) and every other expression
// iterates only when it holds, so the cost of one evaluation has a small fixed ceiling whatever is submitted.
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type {
  AdmissionGuardManifests,
  ValidatingAdmissionPolicyBindingManifest,
  ValidatingAdmissionPolicyManifest,
} from "./admissionPolicies.js";
import { BUILD_CONTAINERS, BUILD_DEFAULTS, BUILDER_CAPABILITIES } from "./buildJob.js";
import { ValidatingAdmissionGuard } from "./validatingAdmissionGuard.js";

export interface BuildAdmissionPolicyArgs {
  /** The build namespace, the only namespace the guard applies to. Default "gumstack-build". */
  readonly namespace?: string;
  /** The ServiceAccount every build pod must run as. Default "builder". */
  readonly serviceAccountName?: string;
  /** RuntimeClass every build pod must use (GKE Sandbox's). Default "gvisor". */
  readonly runtimeClassName?: string;
  /**
   * Where every build image comes from, ending in "/": the build plane's reserved path of the stack's tenant MCP
   * repository, `<tenant repo>/gumstack-build/` (the MCP pool's nodes can pull from nothing else; the release
   * identity copies the builder there by digest). Images must be `<prefix><name>@sha256:<64 hex>`. Required.
   */
  readonly builderImagePrefix: string;
  /** Longest activeDeadlineSeconds of a Job or pod, 60-600. Default 600. */
  readonly maxDeadlineSeconds?: number;
  /** Longest ttlSecondsAfterFinished of a Job, 0-3600. Default 3600. */
  readonly maxTtlSecondsAfterFinished?: number;
}

/** The guard's manifests; ids are workloads, job, pod and credentials, each the suffix of its policy's cluster name. */
export type BuildAdmissionManifests = AdmissionGuardManifests;

/** Caps that keep every expression's cost fixed (see the file comment). A build pod needs 3, 7, 3, 6, 0, 0 and 14. */
export const BUILD_POD_BOUNDS = { containers: 4, volumes: 10, volumeMounts: 8, env: 16, envFrom: 2, ports: 8, capabilities: 16 } as const;

/**
 * The path an Artifact Registry image reference sits in, `<region>-docker.pkg.dev/<project>/<repository>/<path>/`
 * (for the builder `<tenant repo>/gumstack-build/`): where every build image must come from.
 */
export function imagePathPrefixOf(image: string): string {
  const m =
    /^([a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9._-]+\/(?:[a-z0-9._-]+\/)*)[a-z0-9._-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]+)$/.exec(
      image,
    );
  if (!m)
    throw new Error(
      `"${image}" is not an Artifact Registry image reference (<region>-docker.pkg.dev/<project>/<repository>/<path>/<name>@sha256:<digest>)`,
    );
  return m[1]!;
}

type Resolved = Required<BuildAdmissionPolicyArgs>;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const IMAGE_PREFIX = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?\/([a-z0-9._-]+\/)+$/;

export function resolveBuildAdmissionArgs(args: BuildAdmissionPolicyArgs): Resolved {
  const r: Resolved = {
    namespace: args.namespace ?? BUILD_DEFAULTS.namespace,
    serviceAccountName: args.serviceAccountName ?? BUILD_DEFAULTS.serviceAccountName,
    runtimeClassName: args.runtimeClassName ?? BUILD_DEFAULTS.runtimeClassName,
    builderImagePrefix: args.builderImagePrefix,
    maxDeadlineSeconds: args.maxDeadlineSeconds ?? 600,
    maxTtlSecondsAfterFinished: args.maxTtlSecondsAfterFinished ?? 3600,
  };
  const fail = (field: string, why: string): never => {
    throw new Error(`BuildAdmissionGuard ${field}: ${why}`);
  };
  for (const f of ["namespace", "serviceAccountName", "runtimeClassName"] as const) {
    if (!DNS_LABEL.test(r[f])) fail(f, `${JSON.stringify(r[f])} is not a DNS-1123 label`);
  }
  if (!IMAGE_PREFIX.test(r.builderImagePrefix))
    fail("builderImagePrefix", `${JSON.stringify(r.builderImagePrefix)} must be <registry host>/<path>/ ending in "/"`);
  if (!Number.isInteger(r.maxDeadlineSeconds) || r.maxDeadlineSeconds < 60 || r.maxDeadlineSeconds > 600)
    fail("maxDeadlineSeconds", `${r.maxDeadlineSeconds} must be an integer from 60 to 600`);
  if (!Number.isInteger(r.maxTtlSecondsAfterFinished) || r.maxTtlSecondsAfterFinished < 0 || r.maxTtlSecondsAfterFinished > 3600)
    fail("maxTtlSecondsAfterFinished", `${r.maxTtlSecondsAfterFinished} must be an integer from 0 to 3600`);
  return r;
}

// CEL literals (inputs validated to plain ASCII above; JSON string escapes are valid CEL escapes).
const lit = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(lit).join(", ")}]`;
const esc = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

interface NamedExpression {
  name: string;
  expression: string;
}
type Validation = ValidatingAdmissionPolicyManifest["spec"]["validations"][number];
type Rule = NonNullable<ValidatingAdmissionPolicyManifest["spec"]["matchConstraints"]["resourceRules"]>[number];
const WRITE: Rule["operations"] = ["CREATE", "UPDATE"];
const rule = (group: string, resources: string[], versions = ["v1"]): Rule => ({
  apiGroups: [group],
  apiVersions: versions,
  resources,
  operations: WRITE,
  scope: "Namespaced",
});
const JOBS_AND_PODS: Rule[] = [rule("batch", ["jobs"]), rule("", ["pods", "pods/ephemeralcontainers"])];

const check = (expression: string, message: string, messageExpression?: string): Validation => ({
  expression,
  message,
  messageExpression: messageExpression ?? lit(message),
  reason: "Forbidden",
});
/** Passes when the list<string> variable of offenders is empty, naming them when not. */
const none = (variable: string, message: string, label: string): Validation =>
  check(`size(variables.${variable}) == 0`, message, `${lit(`${message} (${label}: `)} + variables.${variable}.join(", ") + ${lit(")")}`);
/** A list expression evaluated only when the pod is within BUILD_POD_BOUNDS. */
const bounded = (expression: string) => `variables.bounded ? ${expression} : []`;

/** Judged on creation and on any change of the spec; metadata-only updates (finalizers, labels) pass. */
const SPEC_CHANGED: NamedExpression = {
  name: "create-or-spec-change",
  expression: `request.operation != "UPDATE" || object.spec != oldObject.spec`,
};

const WORKLOAD_VARIABLES: NamedExpression[] = [
  { name: "podSpec", expression: `request.kind.kind == "Job" ? object.spec.template.spec : object.spec` },
  { name: "initContainers", expression: "has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []" },
  { name: "appContainers", expression: "has(variables.podSpec.containers) ? variables.podSpec.containers : []" },
  { name: "ephemeralContainers", expression: "has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : []" },
  { name: "containers", expression: "variables.initContainers + variables.appContainers + variables.ephemeralContainers" },
  { name: "volumes", expression: "has(variables.podSpec.volumes) ? variables.podSpec.volumes : []" },
  {
    name: "bounded",
    expression:
      `size(variables.containers) <= ${BUILD_POD_BOUNDS.containers} && size(variables.volumes) <= ${BUILD_POD_BOUNDS.volumes} && ` +
      `variables.containers.all(c, (!has(c.volumeMounts) || size(c.volumeMounts) <= ${BUILD_POD_BOUNDS.volumeMounts}) && ` +
      `(!has(c.env) || size(c.env) <= ${BUILD_POD_BOUNDS.env}) && (!has(c.envFrom) || size(c.envFrom) <= ${BUILD_POD_BOUNDS.envFrom}) && ` +
      `(!has(c.ports) || size(c.ports) <= ${BUILD_POD_BOUNDS.ports}) && ` +
      `(!has(c.securityContext) || !has(c.securityContext.capabilities) || ` +
      `((!has(c.securityContext.capabilities.add) || size(c.securityContext.capabilities.add) <= ${BUILD_POD_BOUNDS.capabilities}) && ` +
      `(!has(c.securityContext.capabilities.drop) || size(c.securityContext.capabilities.drop) <= ${BUILD_POD_BOUNDS.capabilities}))))`,
  },
];
const boundsCheck = check(
  "variables.bounded",
  `a build pod has at most ${BUILD_POD_BOUNDS.containers} containers, ${BUILD_POD_BOUNDS.volumes} volumes, and per container ${BUILD_POD_BOUNDS.volumeMounts} volume mounts, ${BUILD_POD_BOUNDS.env} env, ${BUILD_POD_BOUNDS.envFrom} envFrom, ${BUILD_POD_BOUNDS.ports} ports and ${BUILD_POD_BOUNDS.capabilities} added or dropped capabilities`,
);

const labels = (): Record<string, string> => ({
  "app.kubernetes.io/part-of": "gumstack",
  "app.kubernetes.io/component": "build-admission-guard",
});
const scope = (r: Resolved) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": r.namespace } } });

function policy(
  r: Resolved,
  id: string,
  rules: Rule[],
  spec: { matchConditions?: NamedExpression[]; variables?: NamedExpression[]; validations: Validation[] },
): ValidatingAdmissionPolicyManifest {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: `${r.namespace}-${id}`, labels: labels() },
    spec: {
      // Fail: an evaluation error (or a cost-limit hit) refuses the object rather than letting it through.
      failurePolicy: "Fail",
      matchConstraints: { ...scope(r), resourceRules: rules, matchPolicy: "Equivalent" },
      ...spec,
    } as ValidatingAdmissionPolicyManifest["spec"],
  };
}

/** Only build Jobs and the pods they make: no Deployments, CronJobs, Knative Services, ... in the build namespace. */
function workloadsPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const message = `only build Jobs (batch/v1) and their Pods may run in ${r.namespace}`;
  return policy(
    r,
    "workloads",
    [
      rule("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
      rule("batch", ["cronjobs"]),
      rule("", ["replicationcontrollers"]),
      rule("serving.knative.dev", ["services", "configurations", "revisions"]),
    ],
    { validations: [check("false", message, `${lit(`${message}; got a `)} + request.kind.kind`)] },
  );
}

function jobPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const s = "object.spec";
  const got = (f: string) => `(has(${s}.${f}) ? string(${s}.${f}) : "none")`;
  const deadline = `activeDeadlineSeconds must be set and at most ${r.maxDeadlineSeconds}: a build never runs longer than that`;
  const ttl = `ttlSecondsAfterFinished must be set and at most ${r.maxTtlSecondsAfterFinished}: nothing of a build (its pod, Secrets, emptyDirs) outlives it`;
  const backoff = "backoffLimit must be 0: a failed build is reported, never retried with the same tokens";
  return policy(r, "job", [rule("batch", ["jobs"])], {
    matchConditions: [SPEC_CHANGED],
    validations: [
      check(
        `has(${s}.activeDeadlineSeconds) && ${s}.activeDeadlineSeconds >= 1 && ${s}.activeDeadlineSeconds <= ${r.maxDeadlineSeconds}`,
        deadline,
        `${lit(`${deadline}; got `)} + ${got("activeDeadlineSeconds")}`,
      ),
      check(
        `has(${s}.ttlSecondsAfterFinished) && ${s}.ttlSecondsAfterFinished <= ${r.maxTtlSecondsAfterFinished}`,
        ttl,
        `${lit(`${ttl}; got `)} + ${got("ttlSecondsAfterFinished")}`,
      ),
      check(
        `has(${s}.backoffLimit) && ${s}.backoffLimit == 0`,
        backoff,
        `${lit(`${backoff}; got `)} + (has(${s}.backoffLimit) ? string(${s}.backoffLimit) : "unset (defaults to 6)")`,
      ),
      check(
        `(!has(${s}.parallelism) || ${s}.parallelism <= 1) && (!has(${s}.completions) || ${s}.completions == 1)`,
        "a build Job runs exactly one pod (completions 1, parallelism at most 1)",
      ),
    ],
  });
}

function podPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const p = "variables.podSpec";
  const sa = lit(r.serviceAccountName);
  const imageRe = `^${esc(r.builderImagePrefix)}[a-z0-9._-]*[a-z0-9]@sha256:[a-f0-9]{64}$`;
  const caps = list(BUILDER_CAPABILITIES);
  const sc = (f: string) => `has(c.securityContext) && has(c.securityContext.${f})`;
  const flagged = (f: string) => bounded(`variables.containers.filter(c, ${sc(f)} && c.securityContext.${f}).map(c, c.name)`);
  const got = (f: string, quoted = true) => `(has(${p}.${f}) ? ${quoted ? `"\\"" + ${p}.${f} + "\\""` : `string(${p}.${f})`} : "none")`;
  const mustBe = (f: string, why: string) =>
    `${f} must be "${f === "runtimeClassName" ? r.runtimeClassName : r.serviceAccountName}": ${why}`;
  const runtime = mustBe("runtimeClassName", "customer build steps run only inside the gVisor sandbox");
  const account = mustBe("serviceAccountName", "the build service account, with no cloud or cluster permissions");
  const token = "automountServiceAccountToken must be false: no Kubernetes API token in a build pod";
  const deadline = `activeDeadlineSeconds of the pod must be set and at most ${r.maxDeadlineSeconds}`;
  return policy(r, "pod", JOBS_AND_PODS, {
    matchConditions: [SPEC_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      {
        name: "hostNamespaces",
        expression: ["hostNetwork", "hostPID", "hostIPC"].map((f) => `(has(${p}.${f}) && ${p}.${f} ? [${lit(f)}] : [])`).join(" + "),
      },
      { name: "privileged", expression: flagged("privileged") },
      {
        name: "hostPorts",
        expression: bounded(
          "variables.containers.filter(c, has(c.ports) && c.ports.exists(pt, has(pt.hostPort) && pt.hostPort != 0)).map(c, c.name)",
        ),
      },
      {
        name: "unmaskedProc",
        expression: bounded(
          `variables.containers.filter(c, ${sc("procMount")} && c.securityContext.procMount != "Default").map(c, c.name)`,
        ),
      },
      {
        name: "unconfined",
        expression: bounded(
          `(has(${p}.securityContext) && has(${p}.securityContext.seccompProfile) && ${p}.securityContext.seccompProfile.type == "Unconfined" ? ["pod"] : []) + ` +
            `variables.containers.filter(c, (${sc("seccompProfile")} && c.securityContext.seccompProfile.type == "Unconfined") || (${sc("appArmorProfile")} && c.securityContext.appArmorProfile.type == "Unconfined")).map(c, c.name)`,
        ),
      },
      {
        name: "badVolumes",
        // emptyDir with a sizeLimit and Secret volumes only: no hostPath, PVC, projected token, CSI, ... at all.
        expression: bounded(
          `variables.volumes.filter(v, !((has(v.emptyDir) && has(v.emptyDir.sizeLimit)) || has(v.secret))).map(v, v.name)`,
        ),
      },
      {
        name: "missingLimits",
        expression: bounded(
          `variables.containers.filter(c, !(has(c.resources) && has(c.resources.limits) && ["cpu", "memory", "ephemeral-storage"].all(k, k in c.resources.limits))).map(c, c.name)`,
        ),
      },
      {
        name: "badImages",
        expression: bounded(
          `variables.containers.filter(c, !has(c.image) || !c.image.matches(${lit(imageRe)})).map(c, c.name + "=" + (has(c.image) ? c.image : "<none>"))`,
        ),
      },
      {
        // fetch and push: the restricted profile (non-root, no escalation, every capability dropped).
        name: "weakTrustedSteps",
        expression: bounded(
          `variables.containers.filter(c, c.name != ${lit(BUILD_CONTAINERS.build)} && !(${sc("runAsNonRoot")} && c.securityContext.runAsNonRoot && ` +
            `${sc("allowPrivilegeEscalation")} && !c.securityContext.allowPrivilegeEscalation && ${sc("capabilities")} && has(c.securityContext.capabilities.drop) && ` +
            `"ALL" in c.securityContext.capabilities.drop && !has(c.securityContext.capabilities.add))).map(c, c.name)`,
        ),
      },
      {
        name: "extraCapabilities",
        expression: bounded(
          `variables.containers.filter(c, ${sc("capabilities")} && has(c.securityContext.capabilities.add) && c.securityContext.capabilities.add.exists(a, !(a in ${caps})))` +
            `.map(c, c.name)`,
        ),
      },
      {
        name: "dropsNotAll",
        expression: bounded(
          `variables.containers.filter(c, !(${sc("capabilities")} && has(c.securityContext.capabilities.drop) && "ALL" in c.securityContext.capabilities.drop)).map(c, c.name)`,
        ),
      },
      {
        // GKE Sandbox's RuntimeClass adds this selector and its toleration; nothing may steer the pod elsewhere.
        name: "placement",
        expression:
          `(has(${p}.nodeName) ? ["nodeName"] : []) + ` +
          `(has(${p}.nodeSelector) && "sandbox.gke.io/runtime" in ${p}.nodeSelector && ${p}.nodeSelector["sandbox.gke.io/runtime"] != ${lit(r.runtimeClassName)} ? ["nodeSelector"] : []) + ` +
          `(has(${p}.tolerations) && (size(${p}.tolerations) > 8 || ${p}.tolerations.exists(t, !has(t.key) || t.key == "" || t.key == "gumstack.com/pool")) ? ["tolerations"] : [])`,
      },
    ],
    validations: [
      boundsCheck,
      check(
        `has(${p}.runtimeClassName) && ${p}.runtimeClassName == ${lit(r.runtimeClassName)}`,
        runtime,
        `${lit(`${runtime}; got `)} + ${got("runtimeClassName")}`,
      ),
      check(
        `has(${p}.serviceAccountName) && ${p}.serviceAccountName == ${sa} && (!has(${p}.serviceAccount) || ${p}.serviceAccount == ${sa})`,
        account,
        `${lit(`${account}; got `)} + ${got("serviceAccountName")}`,
      ),
      check(
        `has(${p}.automountServiceAccountToken) && ${p}.automountServiceAccountToken == false`,
        token,
        `${lit(`${token}; got `)} + (has(${p}.automountServiceAccountToken) ? "true" : "unset (defaults to true)")`,
      ),
      check(
        `has(${p}.activeDeadlineSeconds) && ${p}.activeDeadlineSeconds >= 1 && ${p}.activeDeadlineSeconds <= ${r.maxDeadlineSeconds}`,
        deadline,
        `${lit(`${deadline}; got `)} + ${got("activeDeadlineSeconds", false)}`,
      ),
      check(`has(${p}.restartPolicy) && ${p}.restartPolicy == "Never"`, "restartPolicy must be Never: a build step runs once"),
      none("hostNamespaces", "hostNetwork, hostPID and hostIPC are not allowed in a build pod", "set"),
      none("privileged", "privileged containers are not allowed in a build pod", "containers"),
      none("hostPorts", "hostPort is not allowed in a build pod: it would expose the pod on the node's address", "containers"),
      none("unmaskedProc", "procMount must be Default in a build pod", "containers"),
      none("unconfined", "seccomp and AppArmor profiles must not be Unconfined in a build pod", "at"),
      none(
        "badVolumes",
        "a build pod may use only emptyDir volumes with a sizeLimit and Secret volumes (no hostPath, PVC, projected token or other volume)",
        "volumes",
      ),
      none("missingLimits", "every container of a build pod needs cpu, memory and ephemeral-storage limits", "containers"),
      none(
        "badImages",
        `build pod images must come from the build plane's path of the tenant MCP repository by digest (${r.builderImagePrefix}<name>@sha256:<digest>)`,
        "refused",
      ),
      none(
        "weakTrustedSteps",
        `containers other than ${BUILD_CONTAINERS.build} must run as non-root with allowPrivilegeEscalation false, drop ALL capabilities and add none`,
        "containers",
      ),
      none("extraCapabilities", `build pod containers may add only ${BUILDER_CAPABILITIES.join(", ")}`, "containers"),
      none("dropsNotAll", "every container of a build pod must drop ALL capabilities (and add back only what it is allowed)", "containers"),
      none(
        "placement",
        "a build pod may not choose its node: no nodeName, no other sandbox node selector, no wildcard or pool tolerations",
        "set",
      ),
    ],
  });
}

/**
 * Credentials only where the platform's code runs, and never at the same time as the customer's: the pod is
 * exactly init [fetch, build] then [push], no sidecar (an init container with restartPolicy would run beside
 * the build), no ephemeral container, and only fetch and push mount a Secret or read one into their env.
 */
function credentialsPolicy(r: Resolved): ValidatingAdmissionPolicyManifest {
  const trusted = list([BUILD_CONTAINERS.fetch, BUILD_CONTAINERS.push]);
  const order = `initContainers must be exactly [${BUILD_CONTAINERS.fetch}, ${BUILD_CONTAINERS.build}] and containers [${BUILD_CONTAINERS.push}], with no sidecar or ephemeral container: the push credential is mounted only after the untrusted build step has exited`;
  const names = (v: string) => `variables.${v}.map(c, has(c.name) ? c.name : "")`;
  return policy(r, "credentials", JOBS_AND_PODS, {
    matchConditions: [SPEC_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      {
        name: "secretVolumes",
        expression: bounded(
          `variables.volumes.filter(v, has(v.secret) || (has(v.projected) && has(v.projected.sources) && size(v.projected.sources) <= 8 && v.projected.sources.exists(s, has(s.secret)))).map(v, v.name)`,
        ),
      },
      {
        name: "untrustedWithSecrets",
        expression: bounded(
          `variables.containers.filter(c, !(c.name in ${trusted}) && (` +
            `(has(c.volumeMounts) && c.volumeMounts.exists(m, m.name in variables.secretVolumes)) || ` +
            `(has(c.env) && c.env.exists(e, has(e.valueFrom) && has(e.valueFrom.secretKeyRef))) || ` +
            `(has(c.envFrom) && c.envFrom.exists(f, has(f.secretRef))))).map(c, c.name)`,
        ),
      },
    ],
    validations: [
      boundsCheck,
      // Vacuously true past the bounds (the bounds check refuses those), so no list is walked there.
      check(
        `!variables.bounded || (${names("initContainers")} == ${list([BUILD_CONTAINERS.fetch, BUILD_CONTAINERS.build])} && ${names("appContainers")} == ${list([BUILD_CONTAINERS.push])} && ` +
          `size(variables.ephemeralContainers) == 0 && !variables.initContainers.exists(c, has(c.restartPolicy)))`,
        order,
        `${lit(`${order}; got init [`)} + ${names("initContainers")}.join(", ") + "], containers [" + ${names("appContainers")}.join(", ") + "]" + ` +
          `(size(variables.ephemeralContainers) > 0 ? ", ephemeral containers" : "") + (variables.initContainers.exists(c, has(c.restartPolicy)) ? ", a sidecar" : "")`,
      ),
      none(
        "untrustedWithSecrets",
        `only the ${BUILD_CONTAINERS.fetch} and ${BUILD_CONTAINERS.push} steps may mount a Secret or read one into their environment: the build step runs the customer's Dockerfile`,
        "containers",
      ),
    ],
  });
}

/** The guard's policies and one Deny binding per policy, scoped to the build namespace by its immutable name label. */
export function buildAdmissionManifests(args: BuildAdmissionPolicyArgs): BuildAdmissionManifests {
  const r = resolveBuildAdmissionArgs(args);
  const policies = [workloadsPolicy(r), jobPolicy(r), podPolicy(r), credentialsPolicy(r)];
  const bindings = policies.map((p): ValidatingAdmissionPolicyBindingManifest => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: p.metadata.name, labels: labels() },
    spec: { policyName: p.metadata.name, validationActions: ["Deny"], matchResources: scope(r) },
  }));
  return { ids: policies.map((p) => p.metadata.name.slice(r.namespace.length + 1)), policies, bindings };
}

export interface BuildAdmissionGuardArgs extends BuildAdmissionPolicyArgs {
  /** Kubernetes provider of the cluster. Required; no default (never the ambient kubeconfig). */
  readonly provider: K8sProvider;
}

/** ValidatingAdmissionPolicies with Deny bindings scoped to the build namespace (see buildAdmissionManifests). */
export class BuildAdmissionGuard extends ValidatingAdmissionGuard {
  constructor(name: string, args: BuildAdmissionGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    const { provider, ...policyArgs } = args;
    super("gumstack:kubernetes:BuildAdmissionGuard", name, buildAdmissionManifests(policyArgs), provider, opts);
  }
}
