// Writes the admission guards' attack corpus, policies/corpus/{mcp,build}.json: admission requests (kind, resource,
// operation, subresource, object/oldObject, requester) with the verdict the guard must give and the attack class.
// The pack reads only these files (policies/lib/guard.ts runs them through the planned guards' CEL); this script
// is how they were made, once, from compliant baselines (the objects the backend, Knative and Kubernetes create,
// as the guard's tests build them) and one-change attacks on them, each applied to every kind, operation and
// subresource the guard must cover. The policy modules' own allowed/disallowed suites (PolicyDefinition.suite,
// where a module has one) are added as cases too; test/policies/guard-corpus.test.ts fails when one is missing.
// Stack-specific values are placeholders (${tenantRepository}, ${domain}, ...), filled from the plan at check time.
// Usage: npx tsx policies/corpus/generate.ts   (then commit policies/corpus/)
import { writeFileSync } from "node:fs";
import { admissionGuardManifests } from "../../components/kubernetes/admissionPolicies.js";
import { buildAdmissionManifests, imagePathPrefixOf } from "../../components/kubernetes/buildAdmissionPolicies.js";
import { buildJobManifest, buildSecretManifests } from "../../components/kubernetes/buildJob.js";
import { buildJobPod, buildPodSpecOf as bspec, buildStep as step } from "./buildBaselines.js";
import { mcpBaselines, podMetaOf, podSpecOf } from "./mcpBaselines.js";

type Obj = Record<string, any>;
const clone = <T>(o: T): T => structuredClone(o);

// ---- placeholders: the stack's values, filled by the pack ----
const NS = "${mcpNamespace}";
const BUILD_NS = "${buildNamespace}";
const REPO = "${tenantRepository}";
const PLATFORM = "${platformImagesRepository}";
const DOMAIN = "${domain}";

// ---- requesters: who creates each object (any of them may carry a tenant's fields) ----
const BACKEND = {
  username: "system:serviceaccount:gumstack-backend:backend",
  groups: ["system:serviceaccounts", "system:serviceaccounts:gumstack-backend", "system:authenticated"],
};
const sa = (ns: string, name: string) => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
});
const KNATIVE = sa("knative-serving", "controller");
const REQUESTER: Record<string, Obj> = {
  Service: BACKEND,
  DomainMapping: BACKEND,
  CronJob: BACKEND,
  Job: BACKEND,
  Namespace: BACKEND,
  Route: KNATIVE,
  Configuration: KNATIVE,
  Revision: KNATIVE,
  Deployment: KNATIVE,
  ReplicaSet: sa("kube-system", "deployment-controller"),
  Pod: sa("kube-system", "replicaset-controller"),
};
const RESOURCE: Record<string, [string, string, string]> = {
  Service: ["serving.knative.dev", "v1", "services"],
  Configuration: ["serving.knative.dev", "v1", "configurations"],
  Revision: ["serving.knative.dev", "v1", "revisions"],
  Route: ["serving.knative.dev", "v1", "routes"],
  DomainMapping: ["serving.knative.dev", "v1beta1", "domainmappings"],
  Deployment: ["apps", "v1", "deployments"],
  ReplicaSet: ["apps", "v1", "replicasets"],
  StatefulSet: ["apps", "v1", "statefulsets"],
  DaemonSet: ["apps", "v1", "daemonsets"],
  CronJob: ["batch", "v1", "cronjobs"],
  Job: ["batch", "v1", "jobs"],
  Pod: ["", "v1", "pods"],
  Namespace: ["", "v1", "namespaces"],
};

interface Case {
  id: string;
  class: string;
  expect: "allow" | "deny";
  request: Obj;
}
function request(
  kind: string,
  object: Obj,
  opts: { operation?: string; oldObject?: Obj; subResource?: string; namespace?: string; userInfo?: Obj } = {},
): Obj {
  const [group, version, resource] = RESOURCE[kind]!;
  return {
    kind,
    resource: { group, version, resource },
    ...(opts.subResource ? { subResource: opts.subResource } : {}),
    operation: opts.operation ?? "CREATE",
    namespace: kind === "Namespace" ? "" : (opts.namespace ?? NS),
    object,
    ...(opts.oldObject ? { oldObject: opts.oldObject } : {}),
    userInfo: opts.userInfo ?? REQUESTER[kind] ?? BACKEND,
  };
}

// ---- the MCP guard: what the backend sends, and what Knative and Kubernetes derive from it (mcpBaselines.ts, the
// objects the guard's own tests judge) ----
const TENANT = "acme";
const {
  DIGEST,
  IMAGE,
  QUEUE_IMAGE,
  restricted,
  service,
  configuration,
  revision,
  deployment,
  replicaSet,
  pod,
  cronJob,
  domainMapping,
  namespace,
} = mcpBaselines({ namespace: NS, tenantRepository: REPO, domain: DOMAIN, tenant: TENANT });
const COMPLIANT: Record<string, Obj> = {
  Service: service,
  Configuration: configuration,
  Revision: revision,
  Deployment: deployment,
  ReplicaSet: replicaSet,
  Pod: pod,
  CronJob: cronJob,
};
const WORKLOADS = Object.keys(COMPLIANT);
const user = (s: Obj): Obj => s.containers[0];
const annotationsOf = (o: Obj): Obj => {
  const m = o.kind === "Revision" ? o.metadata : podMetaOf(o);
  return (m.annotations ??= {});
};

/** One-change attacks on a pod spec: [class, what, change]. The class names the README's list (policy.what). */
const POD_ATTACKS: [string, string, (s: Obj) => void][] = [
  ["sandbox.runtime-class", "no runtimeClassName", (s) => delete s.runtimeClassName],
  ["sandbox.runtime-class", "runtimeClassName runc", (s) => (s.runtimeClassName = "runc")],
  [
    "sandbox.service-account",
    "another service account",
    (s) => ((s.serviceAccountName = "default"), s.serviceAccount && (s.serviceAccount = "default")),
  ],
  ["sandbox.api-token", "an automounted token", (s) => (s.automountServiceAccountToken = true)],
  [
    "sandbox.api-token",
    "a projected token volume",
    (s) => s.volumes.push({ name: "kube-api-access-x7k2p", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } }),
  ],
  ["sandbox.host-namespaces", "hostNetwork", (s) => (s.hostNetwork = true)],
  ["sandbox.host-namespaces", "hostPID", (s) => (s.hostPID = true)],
  ["sandbox.host-namespaces", "hostIPC", (s) => (s.hostIPC = true)],
  ["sandbox.host-port", "a hostPort", (s) => (user(s).ports[0].hostPort = 8080)],
  ["sandbox.privileged", "a privileged container", (s) => (user(s).securityContext = { ...restricted, privileged: true })],
  [
    "sandbox.privileged",
    "a privileged init container",
    (s) => (s.initContainers = [{ name: "setup", image: IMAGE, securityContext: { privileged: true } }]),
  ],
  [
    "sandbox.privilege-escalation",
    "allowPrivilegeEscalation",
    (s) => (user(s).securityContext = { ...restricted, allowPrivilegeEscalation: true }),
  ],
  [
    "sandbox.capabilities",
    "an added capability",
    (s) => (user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } }),
  ],
  ["sandbox.host-path", "a hostPath volume", (s) => s.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } })],
  [
    "sandbox.probe-host",
    "a probe with a host",
    (s) => (user(s).livenessProbe = { httpGet: { path: "/latest/meta-data/", port: 80, host: "169.254.169.254" } }),
  ],
  [
    "sandbox.probe-host",
    "a tcpSocket probe with a host",
    (s) => (user(s).livenessProbe = { tcpSocket: { port: 10250, host: "10.0.0.1" } }),
  ],
  [
    "sandbox.probe-host",
    "a lifecycle hook with a host",
    (s) => (user(s).lifecycle = { postStart: { httpGet: { path: "/", port: 80, host: "169.254.169.254" } } }),
  ],
  [
    "sandbox.volumes",
    "a persistentVolumeClaim volume",
    (s) => s.volumes.push({ name: "extra", persistentVolumeClaim: { claimName: "globex-data" } }),
  ],
  ["sandbox.volumes", "a csi volume", (s) => s.volumes.push({ name: "extra", csi: { driver: "gcsfuse.csi.storage.gke.io" } })],
  ["sandbox.empty-dir-size", "an emptyDir without sizeLimit", (s) => (s.volumes[0].emptyDir = {})],
  ["sandbox.empty-dir-size", "an emptyDir over the bound", (s) => (s.volumes[0].emptyDir = { medium: "Memory", sizeLimit: "100Gi" })],
  ["reserved-env", "a GUMSTACK_ variable", (s) => user(s).env.push({ name: "GUMSTACK_API_TOKEN_URL", value: "x" })],
  ["reserved-env", "a GUMLOOP_ variable", (s) => user(s).env.push({ name: "GUMLOOP_Y", value: "1" })],
  [
    "secrets.other-tenant",
    "another tenant's Secret by secretKeyRef",
    (s) => user(s).env.push({ name: "W", valueFrom: { secretKeyRef: { name: "globex.env", key: "k" } } }),
  ],
  ["secrets.other-tenant", "a prefix-sharing Secret by envFrom", (s) => (user(s).envFrom = [{ secretRef: { name: "acme-corp.env" } }])],
  [
    "secrets.platform",
    "a platform Secret by volume",
    (s) => s.volumes.push({ name: "creds", secret: { secretName: "backend-credentials" } }),
  ],
  [
    "secrets.other-tenant",
    "another tenant's Secret in a projected volume",
    (s) => s.volumes.push({ name: "bundle", projected: { sources: [{ secret: { name: "globex.env" } }] } }),
  ],
  ["secrets.config-map", "a ConfigMap by envFrom", (s) => (user(s).envFrom = [{ configMapRef: { name: "globex-settings" } }])],
  [
    "secrets.config-map",
    "a ConfigMap by configMapKeyRef",
    (s) => user(s).env.push({ name: "X", valueFrom: { configMapKeyRef: { name: "kube-root-ca.crt", key: "ca.crt" } } }),
  ],
  ["secrets.image-pull-secrets", "imagePullSecrets", (s) => (s.imagePullSecrets = [{ name: "globex-pull" }])],
  ["secrets.credential-env", "a credential-named plain value", (s) => user(s).env.push({ name: "OPENAI_API_KEY", value: "sk-live" })],
  ["images.other-tenant", "another tenant's image", (s) => (user(s).image = `${REPO}/globex/globex-crm@${DIGEST}`)],
  ["images.other-tenant", "a tenant-id prefix trick", (s) => (user(s).image = `${REPO}/${TENANT}-evil/x@${DIGEST}`)],
  ["images.outside-repository", "an image from docker.io", (s) => (user(s).image = "docker.io/library/nginx:1.27")],
  ["images.outside-repository", "a sibling repository", (s) => (user(s).image = `${REPO}-evil/${TENANT}/x@${DIGEST}`)],
  ["images.outside-tenant-path", "an image outside any tenant path", (s) => (user(s).image = `${REPO}/acme-weather@${DIGEST}`)],
  ["images.unpinned", "a mutable tag", (s) => (user(s).image = `${REPO}/${TENANT}/acme-weather:4f2c1e9`)],
  ["images.platform", "the platform's backend image", (s) => (user(s).image = `${PLATFORM}/backend@${DIGEST}`)],
  ["images.knative", "Knative's image outside queue-proxy", (s) => (user(s).image = QUEUE_IMAGE)],
  [
    "resources.containers",
    "three containers",
    (s) =>
      s.containers.splice(
        1,
        0,
        { ...clone(s.containers[0]), name: "helper-1", ports: [] },
        { ...clone(s.containers[0]), name: "helper-2", ports: [] },
      ),
  ],
  ["resources.cpu", "a request above the pod's CPU bound", (s) => (user(s).resources.requests.cpu = "3")],
  [
    "resources.memory",
    "a memory limit above the pod's bound",
    (s) => ((user(s).resources.limits.memory = "64Gi"), (user(s).resources.requests.memory = "64Gi")),
  ],
  ["resources.priority-class", "a priority class", (s) => (s.priorityClassName = "system-node-critical")],
  ["service-links", "enableServiceLinks true", (s) => (s.enableServiceLinks = true)],
];
/** Attacks on the object itself (metadata, annotations): [class, what, kinds, change]. */
const OBJECT_ATTACKS: [string, string, readonly string[], (o: Obj) => void][] = [
  [
    "tenant.missing",
    "no tenant label",
    WORKLOADS,
    (o) => (delete o.metadata.labels["gumstack.com/tenant"], delete podMetaOf(o).labels["gumstack.com/tenant"]),
  ],
  [
    "tenant.malformed",
    "a malformed tenant label",
    WORKLOADS,
    (o) => ((o.metadata.labels["gumstack.com/tenant"] = "Acme_Corp"), (podMetaOf(o).labels["gumstack.com/tenant"] = "Acme_Corp")),
  ],
  [
    "tenant.template",
    "a pod template naming another tenant",
    ["Service", "Configuration", "Deployment", "ReplicaSet", "CronJob"],
    (o) => (podMetaOf(o).labels["gumstack.com/tenant"] = "globex"),
  ],
  [
    "tenant.build-plane",
    "the build plane as a tenant",
    WORKLOADS,
    (o) => ((o.metadata.labels["gumstack.com/tenant"] = "gumstack-build"), (podMetaOf(o).labels["gumstack.com/tenant"] = "gumstack-build")),
  ],
  [
    "scale.missing",
    "no max-scale",
    ["Service", "Configuration", "Revision"],
    (o) => delete annotationsOf(o)["autoscaling.knative.dev/max-scale"],
  ],
  [
    "scale.limit",
    "max-scale above the limit",
    ["Service", "Configuration", "Revision"],
    (o) => (annotationsOf(o)["autoscaling.knative.dev/max-scale"] = "1000"),
  ],
  [
    "revisions.initial-scale",
    "initial-scale above max-scale",
    ["Service", "Configuration", "Revision"],
    (o) => (annotationsOf(o)["autoscaling.knative.dev/initial-scale"] = "15"),
  ],
  [
    "revisions.progress-deadline",
    "progress-deadline of an hour",
    ["Service", "Configuration", "Revision"],
    (o) => (annotationsOf(o)["serving.knative.dev/progress-deadline"] = "1h"),
  ],
  [
    "revisions.queue-proxy",
    "a queue-proxy resource annotation",
    ["Service", "Configuration", "Revision"],
    (o) => (annotationsOf(o)["queue.sidecar.serving.knative.dev/cpu-resource-limit"] = "8"),
  ],
  ["revisions.explicit-name", "an explicit revision name", ["Service", "Configuration"], (o) => (podMetaOf(o).name = "acme-weather-00001")],
  [
    "resources.progress-deadline",
    "a Deployment progressDeadlineSeconds beyond the bound",
    ["Deployment"],
    (o) => (o.spec.progressDeadlineSeconds = 86400),
  ],
  ["resources.replicas", "a Deployment created with more replicas than max-scale", ["Deployment"], (o) => (o.spec.replicas = 50)],
  ["names.revision-segment", "a name with a -NNNNN segment", ["Service", "Configuration"], (o) => (o.metadata.name = "acme-weather-00002")],
  [
    "names.length",
    "a name over 40 characters",
    ["Service", "Configuration"],
    (o) => (o.metadata.name = "acme-weather-forecast-for-every-city-on-earth"),
  ],
  ["names.generate-name", "generateName", ["Service"], (o) => (delete o.metadata.name, (o.metadata.generateName = "acme-"))],
  ["names.traffic-tag", "a traffic tag", ["Service"], (o) => (o.spec.traffic = [{ latestRevision: true, percent: 100, tag: "globex" }])],
  [
    "serving-path.target-burst-capacity",
    "target-burst-capacity",
    ["Service", "Configuration", "Revision"],
    (o) => (annotationsOf(o)["autoscaling.knative.dev/target-burst-capacity"] = "-1"),
  ],
  [
    "serving-path.no-gc",
    "serving.knative.dev/no-gc",
    ["Service", "Configuration", "Revision"],
    (o) => (annotationsOf(o)["serving.knative.dev/no-gc"] = "true"),
  ],
  [
    "serving-path.single-replica",
    "single-replica without max-scale 1",
    ["Service"],
    (o) => ((o.metadata.labels["gumstack.com/single-replica"] = "true"), (podMetaOf(o).labels["gumstack.com/single-replica"] = "true")),
  ],
];

const cases: Case[] = [];
const add = (id: string, cls: string, expect: "allow" | "deny", req: Obj) => cases.push({ id, class: cls, expect, request: req });
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

// Every attack on the two kinds tenants' fields enter and leave by (the Service the backend creates, the Pod
// Kubernetes finally makes), on CREATE; on every other kind and on UPDATE, one attack per policy that judges pod
// specs (so a policy whose match rules or pod-spec reading miss a kind fails there), and the object attacks.
const REPRESENTATIVE = new Set([
  "runtimeClassName runc",
  "a GUMLOOP_ variable",
  "another tenant's Secret by secretKeyRef",
  "another tenant's image",
  "a request above the pod's CPU bound",
  "enableServiceLinks true",
  "hostNetwork",
  "a ConfigMap by envFrom",
]);
/** Attacks an UPDATE cannot make (names are immutable; replicas are judged at creation). */
const CREATE_ONLY = new Set(["names.revision-segment", "names.length", "names.generate-name", "resources.replicas"]);
for (const kind of WORKLOADS) {
  const base = COMPLIANT[kind]!;
  add(`mcp/${kind}/create/baseline`, "baseline", "allow", request(kind, clone(base)));
  // An UPDATE that changes the pod template compliantly is admitted too.
  const changed = clone(base);
  user(podSpecOf(changed)).env.push({ name: "WEATHER_REGION", value: "eu" });
  add(`mcp/${kind}/update/baseline`, "baseline", "allow", request(kind, changed, { operation: "UPDATE", oldObject: clone(base) }));
  for (const op of ["create", "update"] as const) {
    const every = op === "create" && (kind === "Service" || kind === "Pod");
    for (const [cls, what, change] of POD_ATTACKS) {
      if (!every && !REPRESENTATIVE.has(what)) continue;
      const o = clone(base);
      change(podSpecOf(o));
      add(
        `mcp/${kind}/${op}/${slug(what)}`,
        cls,
        "deny",
        request(kind, o, op === "update" ? { operation: "UPDATE", oldObject: clone(base) } : {}),
      );
    }
    for (const [cls, what, kinds, change] of OBJECT_ATTACKS) {
      if (!kinds.includes(kind) || (op === "update" && CREATE_ONLY.has(cls))) continue;
      const o = clone(base);
      change(o);
      add(
        `mcp/${kind}/${op}/${slug(what)}`,
        cls,
        "deny",
        request(kind, o, op === "update" ? { operation: "UPDATE", oldObject: clone(base) } : {}),
      );
    }
  }
}
// A tenant moved on UPDATE.
for (const kind of WORKLOADS) {
  const o = clone(COMPLIANT[kind]!);
  o.metadata.labels["gumstack.com/tenant"] = "globex";
  podMetaOf(o).labels["gumstack.com/tenant"] = "globex";
  add(
    `mcp/${kind}/update/moves-to-another-tenant`,
    "tenant.moved",
    "deny",
    request(kind, o, { operation: "UPDATE", oldObject: clone(COMPLIANT[kind]!) }),
  );
}
// Pods' subresources: an ephemeral container (the backend, or anyone with pods/ephemeralcontainers) and an in-place resize.
{
  const debug = clone(pod) as Obj;
  debug.spec.ephemeralContainers = [{ name: "debugger", image: IMAGE, securityContext: restricted, resources: {} }];
  const sub = { operation: "UPDATE", oldObject: clone(pod), subResource: "ephemeralcontainers", userInfo: BACKEND };
  add("mcp/Pod/ephemeralcontainers/baseline", "baseline", "allow", request("Pod", clone(debug), sub));
  const attacks: [string, string, (c: Obj) => void][] = [
    ["images.outside-repository", "an ephemeral container from docker.io", (c) => (c.image = "docker.io/library/busybox:1")],
    ["images.other-tenant", "an ephemeral container with another tenant's image", (c) => (c.image = `${REPO}/globex/globex-crm@${DIGEST}`)],
    ["sandbox.privileged", "a privileged ephemeral container", (c) => (c.securityContext = { ...restricted, privileged: true })],
    [
      "sandbox.capabilities",
      "an ephemeral container adding SYS_PTRACE",
      (c) => (c.securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["SYS_PTRACE"] } }),
    ],
    [
      "secrets.other-tenant",
      "an ephemeral container reading another tenant's Secret",
      (c) => (c.env = [{ name: "X", valueFrom: { secretKeyRef: { name: "globex.env", key: "k" } } }]),
    ],
    ["reserved-env", "an ephemeral container with a GUMSTACK_ variable", (c) => (c.env = [{ name: "GUMSTACK_X", value: "1" }])],
  ];
  for (const [cls, what, change] of attacks) {
    const o = clone(debug);
    change(o.spec.ephemeralContainers[0]);
    add(`mcp/Pod/ephemeralcontainers/${slug(what)}`, cls, "deny", request("Pod", o, sub));
  }
  const resize = { operation: "UPDATE", oldObject: clone(pod), subResource: "resize", userInfo: BACKEND };
  const grown = clone(pod) as Obj;
  grown.spec.containers[0].resources.limits.cpu = "1";
  grown.spec.containers[0].resources.requests.cpu = "200m";
  add("mcp/Pod/resize/baseline", "baseline", "allow", request("Pod", grown, resize));
  const big = clone(pod) as Obj;
  big.spec.containers[0].resources.requests.cpu = "16";
  big.spec.containers[0].resources.limits.cpu = "16";
  add("mcp/Pod/resize/cpu-beyond-the-pod-bound", "resources.cpu", "deny", request("Pod", big, resize));
  const mem = clone(pod) as Obj;
  mem.spec.containers[0].resources.requests.memory = "64Gi";
  mem.spec.containers[0].resources.limits.memory = "64Gi";
  add("mcp/Pod/resize/memory-beyond-the-pod-bound", "resources.memory", "deny", request("Pod", mem, resize));
}
// Pods the backend creates directly (RBAC should stop it; the guard holds anyway).
for (const [cls, what, change] of POD_ATTACKS.slice(0, 12)) {
  const o = clone(pod) as Obj;
  change(o.spec);
  add(`mcp/Pod/create-by-backend/${slug(what)}`, cls, "deny", request("Pod", o, { userInfo: BACKEND }));
}
// DomainMappings (both served versions).
for (const version of ["v1beta1", "v1alpha1"]) {
  const dm = (o: Obj) => ({
    ...request("DomainMapping", { ...o, apiVersion: `serving.knative.dev/${version}` }),
    resource: { group: "serving.knative.dev", version, resource: "domainmappings" },
  });
  add(`mcp/DomainMapping/${version}/create/baseline`, "baseline", "allow", dm(clone(domainMapping)));
  const attacks: [string, string, (o: Obj) => void][] = [
    ["domain-mappings.host", "a host outside the domain", (o) => (o.metadata.name = "acme-weather.evil.example")],
    ["domain-mappings.reserved", "a reserved host", (o) => ((o.metadata.name = `api.${DOMAIN}`), (o.spec.ref.name = "api"))],
    ["domain-mappings.service-name", "a host not named after its Service", (o) => (o.metadata.name = `globex-crm.${DOMAIN}`)],
    [
      "domain-mappings.ref",
      "a ref that is not a Knative Service",
      (o) => (o.spec.ref = { apiVersion: "v1", kind: "Service", name: "acme-weather" }),
    ],
    ["domain-mappings.tls", "spec.tls", (o) => (o.spec.tls = { secretName: "globex-cert" })],
  ];
  for (const [cls, what, change] of attacks) {
    const o = clone(domainMapping) as Obj;
    change(o);
    add(`mcp/DomainMapping/${version}/create/${slug(what)}`, cls, "deny", dm(o));
    add(`mcp/DomainMapping/${version}/update/${slug(what)}`, cls, "deny", {
      ...dm(o),
      operation: "UPDATE",
      oldObject: clone(domainMapping),
    });
  }
}
// The namespace must keep enforcing Pod Security "restricted".
add(
  "mcp/Namespace/update/baseline",
  "baseline",
  "allow",
  request("Namespace", clone(namespace), { operation: "UPDATE", oldObject: clone(namespace) }),
);
{
  const lax = clone(namespace) as Obj;
  lax.metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged";
  add(
    "mcp/Namespace/update/pod-security-privileged",
    "pod-security",
    "deny",
    request("Namespace", lax, { operation: "UPDATE", oldObject: clone(namespace) }),
  );
  const none = clone(namespace) as Obj;
  delete none.metadata.labels["pod-security.kubernetes.io/enforce"];
  add(
    "mcp/Namespace/update/pod-security-removed",
    "pod-security",
    "deny",
    request("Namespace", none, { operation: "UPDATE", oldObject: clone(namespace) }),
  );
}

// ---- the build guard: the Job buildJobManifest writes, and the Pod the Job controller makes of it ----
const PROD_REPO = "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod";
const BUILDER = `${PROD_REPO}/gumstack-build/builder@sha256:8c5f2d7e1a4b9c3f6e0d2a5b8c1f4e7a0d3b6c9f2e5a8d1b4c7f0a3e6d9b2c5f`;
// The smallest bounds any stack may set (deadline 60-600 s, TTL 0-3600 s): admitted by every stack's guard.
const job = buildJobManifest(
  { builderImage: BUILDER, deadlineSeconds: 60, ttlSecondsAfterFinished: 0 },
  {
    buildId: "b7f3c2a1",
    tenantId: "acme",
    server: "weather",
    gitUrl: "https://github.com/acme/weather-mcp.git",
    gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
    imageRepository: PROD_REPO,
  },
) as Obj;
void buildSecretManifests;
const buildPod: Obj = buildJobPod(job, BUILD_NS);
const buildCases: Case[] = [];
const addBuild = (id: string, cls: string, expect: "allow" | "deny", req: Obj) => buildCases.push({ id, class: cls, expect, request: req });
const JOB_CONTROLLER = sa("kube-system", "job-controller");
const BUILD_ATTACKS: [string, string, (o: Obj) => void][] = [
  ["pod.runtime-class", "no gVisor", (o) => (bspec(o).runtimeClassName = "runc")],
  ["pod.api-token", "a mounted API token", (o) => (bspec(o).automountServiceAccountToken = true)],
  [
    "pod.service-account",
    "another service account",
    (o) => ((bspec(o).serviceAccountName = "default"), bspec(o).serviceAccount && (bspec(o).serviceAccount = "default")),
  ],
  ["pod.host-access", "hostNetwork", (o) => (bspec(o).hostNetwork = true)],
  ["pod.host-access", "a hostPath volume", (o) => bspec(o).volumes.push({ name: "host", hostPath: { path: "/" } })],
  [
    "pod.privileged",
    "a privileged build step",
    (o) => (step(bspec(o), "build").securityContext = { ...step(bspec(o), "build").securityContext, privileged: true }),
  ],
  ["pod.images", "a build image from docker.io", (o) => (step(bspec(o), "build").image = "docker.io/library/buildah:latest")],
  ["pod.images", "a builder image by tag", (o) => (step(bspec(o), "build").image = `${PROD_REPO}/gumstack-build/builder:latest`)],
  ["pod.limits", "a step without limits", (o) => delete step(bspec(o), "build").resources],
  ["pod.deadline", "a pod deadline over the bound", (o) => (bspec(o).activeDeadlineSeconds = 86400)],
  [
    "credentials.build-step",
    "a Secret mounted into the build step",
    (o) =>
      (step(bspec(o), "build").volumeMounts = [
        ...(step(bspec(o), "build").volumeMounts ?? []),
        ...(step(bspec(o), "fetch").volumeMounts ?? []).filter((m: Obj) => /git/.test(m.mountPath)),
      ]),
  ],
  [
    "credentials.build-step",
    "a Secret in the build step's environment",
    (o) =>
      (step(bspec(o), "build").env = [
        ...(step(bspec(o), "build").env ?? []),
        { name: "T", valueFrom: { secretKeyRef: { name: "build-b7f3c2a1-git", key: "token" } } },
      ]),
  ],
  [
    "contract.destination",
    "a push to another tenant",
    (o) => {
      const push = step(bspec(o), "push");
      for (const e of push.env ?? []) if (e.name === "DESTINATION") e.value = String(e.value).replace("/acme/", "/globex/");
    },
  ],
  ["contract.node-choice", "a nodeName", (o) => (bspec(o).nodeName = "gke-node-1")],
  [
    "contract.git-host",
    "a clone from another host",
    (o) => {
      for (const e of step(bspec(o), "fetch").env ?? []) if (e.name === "GIT_URL") e.value = "https://attacker.example/acme/weather.git";
    },
  ],
  [
    "contract.scripts",
    "a fetch step running its own script beside the credential",
    (o) => (step(bspec(o), "fetch").args = ["cat /var/run/secrets/git/token"]),
  ],
];
const JOB_ATTACKS: [string, string, (o: Obj) => void][] = [
  ["job.deadline", "no Job deadline", (o) => delete o.spec.activeDeadlineSeconds],
  ["job.deadline", "a Job deadline of a day", (o) => (o.spec.activeDeadlineSeconds = 86400)],
  ["job.retries", "retries", (o) => (o.spec.backoffLimit = 3)],
  ["job.ttl", "no TTL", (o) => delete o.spec.ttlSecondsAfterFinished],
];
for (const [kind, base, userInfo] of [
  ["Job", job, BACKEND],
  ["Pod", buildPod, JOB_CONTROLLER],
] as const) {
  const r = (o: Obj, op: "create" | "update") =>
    request(kind, o, { namespace: BUILD_NS, userInfo, ...(op === "update" ? { operation: "UPDATE", oldObject: clone(base) } : {}) });
  addBuild(`build/${kind}/create/baseline`, "baseline", "allow", r(clone(base), "create"));
  for (const op of ["create", "update"] as const)
    for (const [cls, what, change] of [...BUILD_ATTACKS, ...(kind === "Job" ? JOB_ATTACKS : [])]) {
      const o = clone(base) as Obj;
      change(o);
      addBuild(`build/${kind}/${op}/${slug(what)}`, cls, "deny", r(o, op));
    }
}
{
  const debug = clone(buildPod) as Obj;
  debug.spec.ephemeralContainers = [{ name: "debugger", image: "docker.io/library/busybox:1", securityContext: { privileged: true } }];
  addBuild("build/Pod/ephemeralcontainers/a-privileged-debugger", "pod.privileged", "deny", {
    ...request("Pod", debug, {
      namespace: BUILD_NS,
      operation: "UPDATE",
      oldObject: clone(buildPod),
      subResource: "ephemeralcontainers",
      userInfo: BACKEND,
    }),
  });
}
// Anything else that makes pods in the build namespace is refused whole.
for (const kind of ["Deployment", "ReplicaSet", "CronJob", "Service"]) {
  const o = clone(COMPLIANT[kind]!) as Obj;
  o.metadata.namespace = BUILD_NS;
  addBuild(`build/${kind}/create/another-workload-kind`, "workloads", "deny", request(kind, o, { namespace: BUILD_NS, userInfo: BACKEND }));
}

// ---- the policy modules' own suites, where they carry one ----
/** A suite's sample moved from the tests' namespace (the default) to the stack's placeholder. */
function inNamespace(o: Obj, ns: string): Obj {
  const given = ns === NS ? "gumstack-mcp" : "gumstack-build";
  const m = o.metadata ?? {};
  if (m.namespace === given) m.namespace = ns;
  if (o.kind === "Namespace" && m.name === given) {
    m.name = ns;
    if (m.labels?.["kubernetes.io/metadata.name"] === given) m.labels["kubernetes.io/metadata.name"] = ns;
  }
  return o;
}
function suiteCases(guard: "mcp" | "build", definitions: readonly Obj[], ns: string): Case[] {
  const out: Case[] = [];
  for (const d of definitions) {
    const suite = d.suite as { allowed: Obj[]; disallowed: Obj[] } | undefined;
    if (!suite) continue;
    // Disallowed samples only: each must be refused by the whole guard too. An allowed sample is compliant for
    // its own policy alone (a partial object, under the tests' bounds), so the baselines above stand for them.
    for (const s of suite.disallowed) {
      const kind = s.kind as string;
      if (!RESOURCE[kind]) continue;
      out.push({
        id: `${guard}/suite/${d.id}/deny/${slug(s.name)}`,
        class: `suite.${d.id}`,
        expect: "deny",
        request: request(kind, inNamespace(clone(s.object), ns), {
          namespace: ns,
          ...(s.operation === "UPDATE" ? { operation: "UPDATE", oldObject: inNamespace(clone(s.oldObject ?? s.object), ns) } : {}),
        }),
      });
    }
  }
  return out;
}

// The suites are written against the tests' arguments (prod's repository, gumstack.com): made placeholders here.
const PROD_DOMAIN = "gumstack.com";
const placeholders = (text: string) =>
  text
    .replaceAll(PROD_REPO, REPO)
    .replaceAll("us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform", PLATFORM)
    .replaceAll(`.${PROD_DOMAIN}`, `.${DOMAIN}`);
const mcpDefs = admissionGuardManifests({
  tenantImageRepository: PROD_REPO,
  platformImageRepository: "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform",
  domain: PROD_DOMAIN,
}).definitions as unknown as Obj[];
const buildDefs = buildAdmissionManifests({ builderImagePrefix: imagePathPrefixOf(BUILDER) }).definitions as unknown as Obj[];

const EQUIVALENTS = [
  [
    { group: "serving.knative.dev", version: "v1beta1", resource: "domainmappings" },
    { group: "serving.knative.dev", version: "v1alpha1", resource: "domainmappings" },
  ],
];
const write = (file: string, guard: string, namespaceParameter: string, all: Case[]) => {
  const ids = new Set<string>();
  for (const c of all) {
    if (ids.has(c.id)) throw new Error(`duplicate corpus case id ${c.id}`);
    ids.add(c.id);
  }
  const doc = {
    description: `The ${guard} admission guard's attack corpus: every case is judged by the pack through the planned guard (policies/lib/guard.ts). Generated by policies/corpus/generate.ts.`,
    namespace: namespaceParameter,
    parameters: ["mcpNamespace", "buildNamespace", "tenantRepository", "platformImagesRepository", "domain"],
    equivalents: EQUIVALENTS,
    cases: all,
  };
  // One case per line: a diff of the corpus names the cases it changes.
  const { cases: _c, ...head } = doc;
  const text = `${JSON.stringify(head).slice(0, -1)},"cases":[\n${all.map((c) => JSON.stringify(c)).join(",\n")}\n]}\n`;
  writeFileSync(file, placeholders(text));
  console.log(`${file}: ${all.length} cases (${all.filter((c) => c.expect === "deny").length} attacks)`);
};
write("policies/corpus/mcp.json", "MCP", NS, [...cases, ...suiteCases("mcp", mcpDefs, NS)]);
write("policies/corpus/build.json", "build", BUILD_NS, [...buildCases, ...suiteCases("build", buildDefs, BUILD_NS)]);
