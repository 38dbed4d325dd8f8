// The admission guard, proven by evaluating its CEL with a CEL evaluator the way the API server does: a
// compliant Knative Service, the Configuration, Revision, Deployment, ReplicaSet and Pod Knative derives from
// it (queue-proxy injected), a DomainMapping and the namespace are admitted; each single mutation is refused
// with its message. Then the Pulumi component, under mocks.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Configuration, Revision, Service } from "@kubernetes-models/knative/serving.knative.dev/v1";
import { DomainMapping } from "@kubernetes-models/knative/serving.knative.dev/v1beta1";
import { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Deployment, ReplicaSet } from "kubernetes-models/apps/v1";
import { Namespace, Pod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { AdmissionGuard } from "../components/kubernetes/admissionGuard.js";
import { guardRefusals, type Obj, type Req } from "./support/admission.js";
import {
  admissionGuardManifests, artifactRegistryImagePrefix, KNATIVE_QUEUE_PROXY_IMAGE_PREFIX, podSecurityRestrictedLabels, type AdmissionGuardManifests,
} from "../components/kubernetes/admissionPolicies.js";

const NS = "gumstack-mcp";
const REGISTRY = artifactRegistryImagePrefix("us-west1", "gumstack-prod", "gumstack");
const ARGS = { allowedImagePrefixes: [REGISTRY], domain: "gumstack.com", minScale: 1, maxScaleLimit: 20 };
const GUARD = admissionGuardManifests(ARGS);

/** Every refusal the guard gives, in policy order (the API server reports the first). */
const refusals = (req: Req, guard: AdmissionGuardManifests = GUARD): string[] => guardRefusals(req, guard, NS);
const clone = <T>(o: T): T => structuredClone(o);

// ---- What the backend sends, and what Knative and Kubernetes derive from it ----
const SHA_TAG = "4f2c1e9";
const DIGEST = "sha256:3f8a1c0e2b7d4f6a9c5e8b1d0f3a6c9e2b5d8f1a4c7e0b3d6f9a2c5e8b1d4f7a";
const QUEUE_IMAGE = `${KNATIVE_QUEUE_PROXY_IMAGE_PREFIX}65c427aaab3be9cea1afea32cdef26d5855c69403077d2dc3439f75c26a1e83f`;
const restricted = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };
const scale = { "autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/max-scale": "10", "autoscaling.knative.dev/target": "100" };
const labels = { "serving.knative.dev/service": "acme-weather", "serving.knative.dev/configuration": "acme-weather", "serving.knative.dev/revision": "acme-weather-00001" };
const health = { httpGet: { path: "/health", port: 0 }, successThreshold: 1 };
const userContainer = {
  name: "user-container", image: `${REGISTRY}acme-weather:${SHA_TAG}`, ports: [{ containerPort: 8080, protocol: "TCP" }],
  env: [{ name: "WEATHER_API_KEY", valueFrom: { secretKeyRef: { name: "acme-weather-env", key: "WEATHER_API_KEY" } } }],
  readinessProbe: health, livenessProbe: { httpGet: { path: "/health", port: 0 } },
  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "256Mi" } }, securityContext: restricted,
};
const templateSpec = {
  runtimeClassName: "gvisor", serviceAccountName: "mcp-server", automountServiceAccountToken: false, enableServiceLinks: false,
  containerConcurrency: 0, timeoutSeconds: 300, containers: [userContainer],
};
const service = {
  apiVersion: "serving.knative.dev/v1", kind: "Service",
  metadata: { name: "acme-weather", namespace: NS, labels: { "networking.knative.dev/visibility": "cluster-local" } },
  spec: { template: { metadata: { annotations: scale }, spec: templateSpec }, traffic: [{ latestRevision: true, percent: 100 }] },
};
const configuration = { ...clone(service), kind: "Configuration", spec: { template: clone(service.spec.template) } };
const revision = {
  apiVersion: "serving.knative.dev/v1", kind: "Revision",
  metadata: { name: "acme-weather-00001", namespace: NS, labels, annotations: { ...scale, "serving.knative.dev/routes": "acme-weather", "serving.knative.dev/routingStateModified": "2026-11-24T01:00:00Z" } },
  spec: clone(templateSpec),
};
// Knative's makePodSpec: user containers first (image resolved to its digest, PORT and K_* added, HTTP readiness
// moved to queue-proxy), then queue-proxy; no extra volumes with the default config-deployment.
const { readinessProbe: _movedToQueueProxy, ...userWithoutReadiness } = userContainer;
const derivedUser = {
  ...clone(userWithoutReadiness), image: `${REGISTRY}acme-weather@${DIGEST}`,
  ports: [{ name: "user-port", containerPort: 8080, protocol: "TCP" }], terminationMessagePolicy: "FallbackToLogsOnError",
  env: [...userContainer.env, ...[["PORT", "8080"], ["K_REVISION", "acme-weather-00001"], ["K_CONFIGURATION", "acme-weather"], ["K_SERVICE", "acme-weather"]].map(([name, value]) => ({ name, value }))],
  livenessProbe: { httpGet: { path: "/health", port: 8080 } }, lifecycle: { preStop: { httpGet: { path: "/wait-for-drain", port: 8022 } } },
};
const queueProxy = {
  name: "queue-proxy", image: QUEUE_IMAGE,
  ports: [["http-queueadm", 8022], ["http-autometric", 9090], ["http-usermetric", 9091], ["queue-port", 8012], ["https-port", 8112]].map(([name, containerPort]) => ({ name, containerPort, protocol: "TCP" })),
  env: [["SERVING_NAMESPACE", NS], ["SERVING_SERVICE", "acme-weather"], ["SERVING_REVISION", "acme-weather-00001"], ["QUEUE_SERVING_PORT", "8012"], ["CONTAINER_CONCURRENCY", "0"], ["USER_PORT", "8080"], ["SYSTEM_NAMESPACE", "knative-serving"], ["SERVING_READINESS_PROBE", '{"httpGet":{"path":"/health","port":8080,"host":"127.0.0.1","scheme":"HTTP"},"successThreshold":1}']].map(([name, value]) => ({ name, value })),
  readinessProbe: { httpGet: { port: 8012, httpHeaders: [{ name: "K-Network-Probe", value: "queue" }] } },
  resources: { requests: { cpu: "25m" } },
  securityContext: { ...restricted, readOnlyRootFilesystem: true },
};
const derivedSpec = {
  runtimeClassName: "gvisor", serviceAccountName: "mcp-server", automountServiceAccountToken: false, enableServiceLinks: false,
  terminationGracePeriodSeconds: 300, containers: [derivedUser, queueProxy], dnsPolicy: "ClusterFirst", restartPolicy: "Always", schedulerName: "default-scheduler", securityContext: {},
};
const deployment = {
  apiVersion: "apps/v1", kind: "Deployment",
  metadata: { name: "acme-weather-00001-deployment", namespace: NS, labels, annotations: scale },
  spec: { replicas: 1, progressDeadlineSeconds: 600, selector: { matchLabels: { "serving.knative.dev/revision-uid": "0f5d" } }, template: { metadata: { labels }, spec: derivedSpec } },
};
const replicaSet = { ...clone(deployment), kind: "ReplicaSet", metadata: { ...clone(deployment.metadata), name: "acme-weather-00001-deployment-7d9f8c6b5" } };
// After the API server's defaulting and GKE Sandbox's RuntimeClass scheduling; automount false: no kube-api-access volume.
const pod = {
  apiVersion: "v1", kind: "Pod",
  metadata: { name: "acme-weather-00001-deployment-7d9f8c6b5-x2x9k", namespace: NS, labels },
  spec: {
    ...clone(derivedSpec), serviceAccount: "mcp-server", nodeSelector: { "sandbox.gke.io/runtime": "gvisor" }, overhead: { cpu: "250m", memory: "20Mi" },
    tolerations: [{ key: "sandbox.gke.io/runtime", operator: "Equal", value: "gvisor", effect: "NoSchedule" }], priority: 0, preemptionPolicy: "PreemptLowerPriority",
  },
};
const cronJob = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "nightly", namespace: NS }, spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { spec: { ...clone(templateSpec), restartPolicy: "Never" } } } } } };
const domainMapping = {
  apiVersion: "serving.knative.dev/v1beta1", kind: "DomainMapping",
  metadata: { name: "acme-weather.gumstack.com", namespace: NS }, spec: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "acme-weather" } },
};
const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels: { "kubernetes.io/metadata.name": NS, ...podSecurityRestrictedLabels() } } };

const COMPLIANT: Record<string, Obj> = { Service: service, Configuration: configuration, Revision: revision, Deployment: deployment, ReplicaSet: replicaSet, Pod: pod, CronJob: cronJob, DomainMapping: domainMapping, Namespace: namespace };
const podSpecOf = (o: Obj): Obj =>
  o.kind === "Pod" || o.kind === "Revision" ? o.spec : o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
/** The compliant object of a kind, with one mutation of its pod spec. */
const withPodSpec = (kind: string, mutate: (spec: Obj) => void): Obj => { const o = clone(COMPLIANT[kind]!); mutate(podSpecOf(o)); return o; };
const user = (s: Obj): Obj => s.containers[0];

describe("the guard's manifests", () => {
  it("are valid admissionregistration.k8s.io/v1 objects, Deny-bound and scoped to the MCP namespace", () => {
    for (const p of GUARD.policies) expect(() => new ValidatingAdmissionPolicy(p).validate()).not.toThrow();
    for (const b of GUARD.bindings) expect(() => new ValidatingAdmissionPolicyBinding(b).validate()).not.toThrow();
    expect(GUARD.ids).toEqual(["sandbox", "reserved-env", "images", "scale", "domain-mappings", "pod-security"]);
    for (const [i, b] of GUARD.bindings.entries()) {
      expect(b.spec).toEqual({ policyName: GUARD.policies[i]!.metadata.name, validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } } } });
      expect(GUARD.policies[i]!.spec.failurePolicy).toBe("Fail");
      expect(GUARD.policies[i]!.spec.matchConstraints.resourceRules!.flatMap((r) => r.operations as string[])).not.toContain("DELETE");
    }
  });

  it("use only CEL functions that both Kubernetes and cel-js provide, with messages on one line", () => {
    const portable = new Set(["has", "size", "int", "startsWith", "matches", "exists", "all", "filter", "map", "join"]);
    for (const p of GUARD.policies) {
      const expressions = [...(p.spec.matchConditions ?? []), ...(p.spec.variables ?? [])].map((e) => e.expression)
        .concat(p.spec.validations.flatMap((v) => [v.expression, v.messageExpression]));
      for (const e of expressions) for (const [, fn] of e.replaceAll(/"(\\.|[^"\\])*"/g, '""').matchAll(/([A-Za-z_]\w*)\s*\(/g)) expect(portable).toContain(fn);
      for (const v of p.spec.validations) expect(v.message).not.toMatch(/[\r\n]/);
    }
  });

  it("refuse weak or broken inputs", () => {
    const bad: Obj[] = [
      { allowedImagePrefixes: ["us-west1-docker.pkg.dev/gumstack-prod/gumstack"] }, { allowedImagePrefixes: ["docker.io/"] }, { allowedImagePrefixes: [] },
      { knativeSystemImagePrefixes: ["gcr.io/knative-releases/knative.dev/serving/cmd/queue"] }, { domain: "https://gumstack.com" },
      { reservedEnvPrefixes: ["GUMSTACK"] }, { minScale: 30 }, { maxScaleLimit: 0 }, { namespace: "Gumstack" },
    ];
    for (const b of bad) expect(() => admissionGuardManifests({ ...ARGS, ...b } as never)).toThrow(/^AdmissionGuard /);
  });
});

describe("compliant objects", () => {
  it("are realistic: they pass their own schemas", () => {
    for (const [Model, o] of [[Service, service], [Configuration, configuration], [Revision, revision], [DomainMapping, domainMapping], [Deployment, deployment], [ReplicaSet, replicaSet], [Pod, pod], [Namespace, namespace]] as const) {
      expect(() => new (Model as any)(clone(o)).validate()).not.toThrow();
    }
  });

  it.each(Object.keys(COMPLIANT))("%s is admitted", (kind) => {
    expect(refusals({ kind, object: COMPLIANT[kind]! })).toEqual([]);
  });

  it("stop being compliant if Knative is configured to mount a token into queue-proxy (queue-sidecar-token-audiences)", () => {
    const tokened = withPodSpec("Pod", (s) => (s.volumes = [{ name: "knative-token-volume", projected: { sources: [{ serviceAccountToken: { audience: "svc-x", path: "svc-x", expirationSeconds: 3600 } }] } }]));
    expect(refusals({ kind: "Pod", object: tokened })).toEqual([expect.stringMatching(/^gumstack-mcp-sandbox: projected serviceAccountToken volumes .*\(volumes: knative-token-volume\)$/)]);
  });

  // Knative's secure-pod-defaults (Enabled on the platform) add NET_BIND_SERVICE to a container with a port below
  // 1024 (revision_defaults.go defaultSecurityContext) before admission runs; Pod Security "restricted" allows it.
  it.each(["Service", "Configuration", "Revision", "Deployment", "ReplicaSet", "Pod", "CronJob"])("a %s listening on port 80, as Knative defaults it, is admitted", (kind) => {
    const port80 = withPodSpec(kind, (s) => {
      user(s).ports = [{ ...user(s).ports[0], containerPort: 80 }];
      user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } };
    });
    expect(refusals({ kind, object: port80 })).toEqual([]);
  });

  it("admits the scale limits' edges and the legacy alias within them", () => {
    const s = clone(service);
    Object.assign(s.spec.template.metadata.annotations, { "autoscaling.knative.dev/max-scale": "20", "autoscaling.knative.dev/minScale": "2" });
    expect(refusals({ kind: "Service", object: s })).toEqual([]);
  });
});

const sandbox = (why: RegExp) => new RegExp(`^gumstack-mcp-sandbox: ${why.source}`);
const POD_VIOLATIONS: [string, (s: Obj) => void, RegExp][] = [
  ["no runtimeClassName", (s) => delete s.runtimeClassName, sandbox(/runtimeClassName must be "gvisor": .*; got none$/)],
  ["runtimeClassName runc", (s) => (s.runtimeClassName = "runc"), sandbox(/runtimeClassName must be "gvisor": .*; got "runc"$/)],
  ["another service account", (s) => (s.serviceAccountName = "default"), sandbox(/serviceAccountName must be "mcp-server".*; got "default"$/)],
  ["no service account", (s) => { delete s.serviceAccountName; delete s.serviceAccount; }, sandbox(/serviceAccountName must be "mcp-server".*; got none$/)],
  ["automounted token", (s) => (s.automountServiceAccountToken = true), sandbox(/automountServiceAccountToken must be false: .*; got true$/)],
  ["token automount unset", (s) => delete s.automountServiceAccountToken, sandbox(/automountServiceAccountToken must be false: .*; got unset \(defaults to true\)$/)],
  ["projected token volume", (s) => (s.volumes = [{ name: "kube-api-access-x7k2p", projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3607 } }, { configMap: { name: "kube-root-ca.crt" } }] } }]), sandbox(/projected serviceAccountToken volumes are not allowed: .* \(volumes: kube-api-access-x7k2p\)$/)],
  ["hostNetwork", (s) => (s.hostNetwork = true), sandbox(/hostNetwork, hostPID and hostIPC are not allowed: .* \(set: hostNetwork\)$/)],
  ["hostPID and hostIPC", (s) => Object.assign(s, { hostPID: true, hostIPC: true }), sandbox(/hostNetwork, hostPID and hostIPC .* \(set: hostPID, hostIPC\)$/)],
  ["hostPort", (s) => (user(s).ports[0].hostPort = 8080), sandbox(/hostPort is not allowed: .* \(containers: user-container\)$/)],
  ["privileged", (s) => (user(s).securityContext = { ...restricted, privileged: true }), sandbox(/privileged containers are not allowed: .* \(containers: user-container\)$/)],
  ["privileged init container", (s) => (s.initContainers = [{ name: "setup", image: `${REGISTRY}setup:${SHA_TAG}`, securityContext: { privileged: true } }]), sandbox(/privileged containers .* \(containers: setup\)$/)],
  ["allowPrivilegeEscalation", (s) => (user(s).securityContext = { ...restricted, allowPrivilegeEscalation: true }), sandbox(/allowPrivilegeEscalation must not be true: .* \(containers: user-container\)$/)],
  ["hostPath volume", (s) => (s.volumes = [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }]), sandbox(/hostPath volumes are not allowed: .* \(volumes: docker\)$/)],
  ["added capability", (s) => (user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } }), sandbox(/adding Linux capabilities other than NET_BIND_SERVICE is not allowed: .* \(containers: user-container adds NET_ADMIN\)$/)],
  ["a capability beside NET_BIND_SERVICE", (s) => (user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE", "SYS_PTRACE"] } }), sandbox(/adding Linux capabilities other than NET_BIND_SERVICE .* \(containers: user-container adds SYS_PTRACE\)$/)],
  ["GUMSTACK_ env", (s) => user(s).env.push({ name: "GUMSTACK_API_TOKEN", value: "x" }), /^gumstack-mcp-reserved-env: environment variables starting with GUMSTACK_ or GUMLOOP_ are reserved for the platform .* \(containers: user-container sets GUMSTACK_API_TOKEN\)$/],
  ["GUMLOOP_ env in an init container", (s) => (s.initContainers = [{ name: "setup", image: `${REGISTRY}setup:${SHA_TAG}`, env: [{ name: "GUMLOOP_Y", value: "1" }] }]), /^gumstack-mcp-reserved-env: .* \(containers: setup sets GUMLOOP_Y\)$/],
  ["envFrom prefix GUM", (s) => (user(s).envFrom = [{ prefix: "GUM", secretRef: { name: "acme-weather-env" } }]), /^gumstack-mcp-reserved-env: envFrom prefixes that would produce names starting with GUMSTACK_ or GUMLOOP_ are not allowed: .* \(containers: user-container\)$/],
  ["image from docker.io", (s) => (user(s).image = "docker.io/library/nginx:1.27"), /^gumstack-mcp-images: images must come from the platform's Artifact Registry \(us-west1-docker\.pkg\.dev\/gumstack-prod\/gumstack\/\): .* \(refused: user-container=docker\.io\/library\/nginx:1\.27\)$/],
  ["short image name", (s) => (user(s).image = "nginx"), /^gumstack-mcp-images: .* \(refused: user-container=nginx\)$/],
  ["another project's registry", (s) => (user(s).image = `us-west1-docker.pkg.dev/attacker-proj/gumstack/x:${SHA_TAG}`), /^gumstack-mcp-images: .*\(refused: user-container=us-west1-docker\.pkg\.dev\/attacker-proj\/gumstack\/x:4f2c1e9\)$/],
  ["sibling repository prefix trick", (s) => (user(s).image = `us-west1-docker.pkg.dev/gumstack-prod/gumstack-evil/x:${SHA_TAG}`), /^gumstack-mcp-images: .*\(refused: user-container=us-west1-docker\.pkg\.dev\/gumstack-prod\/gumstack-evil\/x:4f2c1e9\)$/],
  ["Knative's image outside queue-proxy", (s) => (user(s).image = QUEUE_IMAGE), /^gumstack-mcp-images: .*\(refused: user-container=gcr\.io\/knative-releases\/.*\)$/],
];

describe.each(["Service", "Configuration", "Revision", "Deployment", "ReplicaSet", "Pod", "CronJob"])("a %s", (kind) => {
  it.each(POD_VIOLATIONS)("with %s is refused, for that reason only", (_, mutate, message) => {
    const found = refusals({ kind, object: withPodSpec(kind, mutate) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
});

describe("scale, domain and namespace", () => {
  const scaled = (kind: "Service" | "Revision", annotations: Obj): Obj => {
    const o = clone(COMPLIANT[kind]!);
    const target = kind === "Revision" ? o.metadata.annotations : o.spec.template.metadata.annotations;
    for (const [k, v] of Object.entries(annotations)) v === undefined ? delete target[k] : (target[k] = v);
    return o;
  };
  const min = /^gumstack-mcp-scale: autoscaling\.knative\.dev\/min-scale must be at least 1 so every MCP server keeps a warm pod; got /;
  const max = /^gumstack-mcp-scale: autoscaling\.knative\.dev\/max-scale must be between 1 and 20 \(0 means unlimited\): .*; got /;
  it.each([
    ["min-scale 0", { "autoscaling.knative.dev/min-scale": "0" }, min, '"0"'],
    ["no min-scale", { "autoscaling.knative.dev/min-scale": undefined }, min, "none"],
    ["legacy minScale 0 beside min-scale 1", { "autoscaling.knative.dev/minScale": "0" }, min, '"1", "0"'],
    ["max-scale 1000", { "autoscaling.knative.dev/max-scale": "1000" }, max, '"1000"'],
    ["max-scale 21", { "autoscaling.knative.dev/max-scale": "21" }, max, '"21"'],
    ["max-scale 0 (unlimited)", { "autoscaling.knative.dev/max-scale": "0" }, max, '"0"'],
    ["non-numeric max-scale", { "autoscaling.knative.dev/max-scale": "ten" }, max, '"ten"'],
    ["no max-scale", { "autoscaling.knative.dev/max-scale": undefined }, max, "none"],
  ] as const)("%s is refused on a Service and a Revision", (_, annotations, why, got) => {
    for (const kind of ["Service", "Revision"] as const) {
      const found = refusals({ kind, object: scaled(kind, annotations) });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(why);
      expect(found[0]!.endsWith(`got ${got}`)).toBe(true);
    }
  });

  it.each([
    ["evil.com", /must be <server>\.gumstack\.com, one label under the platform domain.*; got "evil\.com"$/],
    ["gumstack.com.evil.com", /; got "gumstack\.com\.evil\.com"$/],
    ["evilgumstack.com", /; got "evilgumstack\.com"$/],
    ["a.b.gumstack.com", /; got "a\.b\.gumstack\.com"$/],
    ["gumstack.com", /; got "gumstack\.com"$/],
    ["api.gumstack.com", /^gumstack-mcp-domain-mappings: "api\.gumstack\.com": the host is reserved for the platform \(api\.gumstack\.com\)/],
  ])("a DomainMapping for %s is refused", (host, message) => {
    const found = refusals({ kind: "DomainMapping", object: { ...clone(domainMapping), metadata: { name: host, namespace: NS } } });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each([
    ["without Pod Security labels", { "kubernetes.io/metadata.name": NS }],
    ["enforcing baseline", { "kubernetes.io/metadata.name": NS, "pod-security.kubernetes.io/enforce": "baseline" }],
    ["pinned to an old restricted", { ...namespace.metadata.labels, "pod-security.kubernetes.io/enforce-version": "v1.22" }],
  ])("the MCP namespace %s is refused", (_, nsLabels) => {
    for (const operation of ["CREATE", "UPDATE"] as const) {
      const found = refusals({ kind: "Namespace", operation, object: { ...namespace, metadata: { name: NS, labels: nsLabels } }, oldObject: operation === "UPDATE" ? namespace : null });
      expect(found).toEqual([`gumstack-mcp-pod-security: namespace gumstack-mcp must enforce Pod Security "restricted" (label pod-security.kubernetes.io/enforce=restricted, pod-security.kubernetes.io/enforce-version unset or latest): it runs untrusted MCP code`]);
    }
  });
});

describe("operations and scope", () => {
  const runc = withPodSpec("Revision", (s) => (s.runtimeClassName = "runc"));
  it("judges an UPDATE that changes the spec", () => {
    const found = refusals({ kind: "Service", operation: "UPDATE", oldObject: service, object: withPodSpec("Service", (s) => (user(s).image = "ghcr.io/x/y:1")) });
    expect(found).toEqual([expect.stringMatching(/^gumstack-mcp-images: .*refused: user-container=ghcr\.io\/x\/y:1\)$/)]);
  });
  it("lets an UPDATE that leaves the spec alone through, so controllers are not wedged on older objects", () => {
    const relabelled = { ...clone(runc), metadata: { ...clone(runc.metadata), labels: { ...labels, "serving.knative.dev/routingState": "reserve" } } };
    expect(refusals({ kind: "Revision", operation: "UPDATE", oldObject: runc, object: relabelled })).toEqual([]);
  });
  it("lets the Deployment controller scale a ReplicaSet (a replicas-only UPDATE) even after the rules tightened", () => {
    // The registry moved: the running revision's image is outside the new prefix, but scaling it must work, down to 0.
    const moved = admissionGuardManifests({ ...ARGS, allowedImagePrefixes: ["us-west1-docker.pkg.dev/gumstack-prod/gumstack-v2/"] });
    expect(refusals({ kind: "ReplicaSet", object: replicaSet }, moved)).toHaveLength(1);
    for (const replicas of [3, 0]) {
      const scaled = { ...clone(replicaSet), spec: { ...clone(replicaSet.spec), replicas } };
      expect(refusals({ kind: "ReplicaSet", operation: "UPDATE", oldObject: replicaSet, object: scaled }, moved)).toEqual([]);
    }
  });
  it("judges a Deployment or CronJob UPDATE that changes its pod template", () => {
    for (const kind of ["Deployment", "CronJob"]) {
      const found = refusals({ kind, operation: "UPDATE", oldObject: COMPLIANT[kind]!, object: withPodSpec(kind, (s) => (s.hostNetwork = true)) });
      expect(found).toEqual([expect.stringMatching(/^gumstack-mcp-sandbox: hostNetwork, hostPID and hostIPC are not allowed/)]);
    }
  });
  it("judges a Revision UPDATE that changes only its scale annotations", () => {
    const raised = clone(revision);
    raised.metadata.annotations["autoscaling.knative.dev/max-scale"] = "1000";
    expect(refusals({ kind: "Revision", operation: "UPDATE", oldObject: revision, object: raised })).toEqual([expect.stringMatching(/^gumstack-mcp-scale: .*max-scale.*got "1000"$/)]);
  });
  it("judges ephemeral containers added through pods/ephemeralcontainers", () => {
    const debug = (image: string) => ({ ...clone(pod), spec: { ...clone(pod.spec), ephemeralContainers: [{ name: "debugger", image, securityContext: restricted }] } });
    expect(refusals({ kind: "Pod", operation: "UPDATE", subResource: "ephemeralcontainers", oldObject: pod, object: debug("docker.io/library/busybox:1") }))
      .toEqual([expect.stringMatching(/^gumstack-mcp-images: .*\(refused: debugger=docker\.io\/library\/busybox:1\)$/)]);
    expect(refusals({ kind: "Pod", operation: "UPDATE", subResource: "ephemeralcontainers", oldObject: pod, object: debug(`${REGISTRY}debug:${SHA_TAG}`) })).toEqual([]);
  });
  it("ignores DELETE and other namespaces", () => {
    expect(refusals({ kind: "Revision", operation: "DELETE", object: null, oldObject: runc })).toEqual([]);
    expect(refusals({ kind: "Revision", namespace: "default", object: runc })).toEqual([]);
    expect(refusals({ kind: "Revision", object: runc })).toHaveLength(1);
  });
  it("bakes the configured limits in: min-scale 0 allowed and omittable outside prod", () => {
    const staging = admissionGuardManifests({ ...ARGS, minScale: 0 });
    const zero = clone(service);
    delete (zero.spec.template.metadata.annotations as Obj)["autoscaling.knative.dev/min-scale"];
    expect(refusals({ kind: "Service", object: zero }, staging)).toEqual([]);
  });
});

describe("AdmissionGuard component", () => {
  it("creates one policy and one Deny binding per guard, parented and on the given provider", async () => {
    const created: pulumi.runtime.MockResourceArgs[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => { created.push(args); return { id: `${args.name}-id`, state: args.inputs }; },
      call: () => ({}),
    }, "gumstack-platform", "test", false);
    const provider = new k8s.Provider("cluster", {});
    const guard = new AdmissionGuard("guard", { ...ARGS, provider });
    const outputOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
    const urns = await Promise.all([...guard.policies, ...guard.bindings].map((r) => outputOf(r.urn)));
    await Promise.all(guard.policyNames.map(outputOf));

    // Registration order is asynchronous: resources are found by type and name.
    const find = (type: string, name: string) => created.filter((r) => r.type === `kubernetes:admissionregistration.k8s.io/v1:${type}` && r.name === name);
    expect(created.filter((r) => r.type.startsWith("kubernetes:admissionregistration"))).toHaveLength(2 * GUARD.ids.length);
    for (const [i, id] of GUARD.ids.entries()) {
      const [policy] = find("ValidatingAdmissionPolicy", `guard-${id}`);
      const [binding] = find("ValidatingAdmissionPolicyBinding", `guard-${id}`);
      expect(policy?.inputs.metadata.name).toBe(`gumstack-mcp-${id}`);
      expect(policy?.inputs.spec).toEqual(GUARD.policies[i]!.spec);
      expect(binding?.inputs.spec).toEqual({ policyName: `gumstack-mcp-${id}`, validationActions: ["Deny"], matchResources: GUARD.bindings[i]!.spec.matchResources });
      for (const r of [policy, binding]) expect(r?.provider).toMatch(/::cluster::cluster-id$/);
    }
    for (const urn of urns) expect(urn).toContain("gumstack:kubernetes:AdmissionGuard$kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
  });
});
