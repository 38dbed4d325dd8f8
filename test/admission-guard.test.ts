// The admission guard, proven by evaluating its CEL the way the API server does, with two independent CEL
// evaluators (test/support/cel.ts): a compliant Knative Service carrying its tenant label, the Configuration,
// Revision, Deployment, ReplicaSet and Pod Knative derives from it (queue-proxy injected, LimitRange defaults
// applied), a DomainMapping and the namespace are admitted; each single violation of each class is refused with
// its message, on CREATE and UPDATE; UPDATEs that only scale are never refused. Then the CEL cost bound, and the
// Pulumi component under mocks.
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { Configuration, Revision, Service } from "@kubernetes-models/knative/serving.knative.dev/v1";
import { DomainMapping } from "@kubernetes-models/knative/serving.knative.dev/v1beta1";
import { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Deployment, ReplicaSet } from "kubernetes-models/apps/v1";
import { Namespace, Pod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { AdmissionGuard } from "../components/kubernetes/admissionGuard.js";
import {
  admissionGuardManifests,
  DEFAULT_RESERVED_HOSTNAMES,
  MAX_CONTAINERS_LIMIT,
  quantityValue,
  TENANT_LABEL,
  type AdmissionGuardManifests,
  type AdmissionPolicyArgs,
} from "../components/kubernetes/admissionPolicies.js";
import { mcpBaselines, podMetaOf, podSpecOf } from "../policies/corpus/mcpBaselines.js";
import { guardRefusals, type Obj, type Req } from "./support/admission.js";
import { EVALUATORS, kubernetesQuantity, type CelEvaluator } from "./support/cel.js";

const NS = "gumstack-mcp";
const TENANT = "acme";
const REPO = "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod";
const PLATFORM = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform";
const ARGS: AdmissionPolicyArgs = {
  tenantImageRepository: REPO,
  platformImageRepository: PLATFORM,
  domain: "gumstack.com",
  minScale: 1,
  maxScaleLimit: 20,
  reservedHostnames: [...DEFAULT_RESERVED_HOSTNAMES, "globex"],
};
const GUARD = admissionGuardManifests(ARGS);

/** Every refusal the guard gives with evaluator `ev`, in policy order (the API server reports the first). */
const refusals = (ev: CelEvaluator, req: Req, guard: AdmissionGuardManifests = GUARD): string[] => guardRefusals(req, guard, NS, ev);
const clone = <T>(o: T): T => structuredClone(o);

// ---- What the backend sends, and what Knative and Kubernetes derive from it (policies/corpus/mcpBaselines.ts, the corpus's too) ----
const {
  DIGEST,
  IMAGE,
  QUEUE_IMAGE,
  restricted,
  labels,
  userContainer,
  service,
  configuration,
  revision,
  deployment,
  replicaSet,
  pod,
  cronJob,
  domainMapping,
  namespace,
} = mcpBaselines({ namespace: NS, tenantRepository: REPO, domain: "gumstack.com", tenant: TENANT });

const COMPLIANT: Record<string, Obj> = {
  Service: service,
  Configuration: configuration,
  Revision: revision,
  Deployment: deployment,
  ReplicaSet: replicaSet,
  Pod: pod,
  CronJob: cronJob,
  DomainMapping: domainMapping,
  Namespace: namespace,
};
const WORKLOADS = ["Service", "Configuration", "Revision", "Deployment", "ReplicaSet", "Pod", "CronJob"];
const KNATIVE_KINDS = ["Service", "Configuration", "Revision"] as const;
/** The compliant object of a kind, with one mutation of its pod spec. */
const withPodSpec = (kind: string, mutate: (spec: Obj) => void): Obj => {
  const o = clone(COMPLIANT[kind]!);
  mutate(podSpecOf(o));
  return o;
};
const withObject = (kind: string, mutate: (o: Obj) => void): Obj => {
  const o = clone(COMPLIANT[kind]!);
  mutate(o);
  return o;
};
const user = (s: Obj): Obj => s.containers[0];
/** The annotations Knative reads a revision's settings from. */
const revisionAnnotations = (o: Obj): Obj => (o.kind === "Revision" ? o.metadata.annotations : o.spec.template.metadata.annotations);

describe("the guard's manifests", () => {
  it("are valid admissionregistration.k8s.io/v1 objects, Deny-bound and scoped to the MCP namespace", () => {
    for (const p of GUARD.policies) expect(() => new ValidatingAdmissionPolicy(p).validate()).not.toThrow();
    for (const b of GUARD.bindings) expect(() => new ValidatingAdmissionPolicyBinding(b).validate()).not.toThrow();
    expect(GUARD.ids).toEqual([
      "sandbox",
      "reserved-env",
      "secrets",
      "tenant",
      "images",
      "resources",
      "scale",
      "revisions",
      "domain-mappings",
      "pod-security",
      "names",
      "service-links",
      "serving-path",
    ]);
    for (const [i, b] of GUARD.bindings.entries()) {
      expect(b.spec).toEqual({
        policyName: GUARD.policies[i]!.metadata.name,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } } },
      });
      expect(GUARD.policies[i]!.spec.failurePolicy).toBe("Fail");
      expect(GUARD.policies[i]!.spec.matchConstraints.resourceRules!.flatMap((r) => r.operations as string[])).not.toContain("DELETE");
    }
  });

  it("judge CREATE and UPDATE of every kind Knative derives from a Service, wherever a rule must hold", () => {
    const judged = (id: string) =>
      GUARD.policies[GUARD.ids.indexOf(id)]!.spec.matchConstraints.resourceRules!.flatMap((r) =>
        r.resources.flatMap((res) => r.operations.map((op) => `${op} ${res}`)),
      );
    for (const id of ["sandbox", "reserved-env", "secrets", "tenant", "images", "resources"]) {
      for (const res of ["services", "configurations", "revisions", "deployments", "replicasets", "pods"]) {
        expect(judged(id)).toEqual(expect.arrayContaining([`CREATE ${res}`, `UPDATE ${res}`]));
      }
    }
    for (const id of ["scale", "revisions"])
      expect(judged(id)).toEqual(["services", "configurations", "revisions"].flatMap((r) => [`CREATE ${r}`, `UPDATE ${r}`]));
    expect(judged("domain-mappings")).toEqual(["CREATE domainmappings", "UPDATE domainmappings"]);
  });

  const expressionsOf = (p: AdmissionGuardManifests["policies"][number]) =>
    [...(p.spec.matchConditions ?? []), ...(p.spec.variables ?? [])]
      .map((e) => e.expression)
      .concat(p.spec.validations.flatMap((v) => [v.expression, v.messageExpression]));

  it("use only CEL functions that Kubernetes and both test evaluators provide, with messages on one line", () => {
    // Standard CEL, the strings extension's join, and Kubernetes' quantity and lists libraries (emulated in the tests).
    // (`in` is an operator, caught by the pattern when followed by a parenthesis.)
    const portable = new Set([
      "in",
      "has",
      "size",
      "int",
      "string",
      "duration",
      "startsWith",
      "matches",
      "exists",
      "all",
      "filter",
      "map",
      "join",
      "isQuantity",
      "quantity",
      "asApproximateFloat",
      "sum",
    ]);
    for (const p of GUARD.policies) {
      for (const e of expressionsOf(p)) {
        const code = e.replaceAll(/"(\\.|[^"\\])*"/g, '""');
        for (const [, fn] of code.matchAll(/([A-Za-z_]\w*)\s*\(/g)) expect(portable).toContain(fn);
        // The tests model quantity() as a double: sound only if a Quantity is never used any other way.
        for (const m of code.matchAll(/\bquantity\(/g)) {
          let depth = 0,
            i = m.index! + "quantity".length;
          do depth += code[i] === "(" ? 1 : code[i] === ")" ? -1 : 0;
          while (depth > 0 && ++i < code.length);
          expect(code.slice(i + 1).startsWith(".asApproximateFloat()"), code.slice(m.index!, i + 25)).toBe(true);
        }
      }
      for (const v of p.spec.validations) expect(v.message).not.toMatch(/[\r\n]/);
    }
  });

  it("refuse weak or broken inputs", () => {
    const bad: Obj[] = [
      { tenantImageRepository: "mcp-prod" },
      { tenantImageRepository: "docker.io" },
      { tenantImageRepository: "" },
      { platformImageRepository: REPO },
      { platformImageRepository: "us-west1-docker.pkg.dev/gumstack-prod" },
      { platformImageRepository: `${REPO}/acme` },
      { knativeSystemImagePrefixes: ["gcr.io/knative-releases/knative.dev/serving/cmd/queue"] },
      { domain: "https://gumstack.com" },
      { reservedEnvPrefixes: ["GUMSTACK"] },
      { minScale: 30 },
      { maxScaleLimit: 0 },
      { namespace: "Gumstack" },
      { reservedHostnames: ["api.gumstack.com"] },
      { maxContainers: 0 },
      { maxContainers: MAX_CONTAINERS_LIMIT + 1 },
      { maxPodCpu: "lots" },
      { maxPodCpu: "1", containerDefaultCpuLimit: "2" },
      { maxPodMemory: "128Mi" },
      { maxProgressDeadlineSeconds: 0 },
      { maxEmptyDirSize: "-1Gi" },
    ];
    for (const b of bad) expect(() => admissionGuardManifests({ ...ARGS, ...b } as never), JSON.stringify(b)).toThrow(/^AdmissionGuard /);
  });

  it("read quantities with Kubernetes' grammar, the same way the tests' CEL emulation does", () => {
    for (const [q, v] of [
      ["2", 2],
      ["100m", 0.1],
      ["1.5", 1.5],
      ["256Mi", 256 * 2 ** 20],
      ["2Gi", 2 ** 31],
      ["1G", 1e9],
      ["1e3", 1000],
      ["1k", 1000],
      [".5", 0.5],
      ["5Ei", 5 * 2 ** 60],
    ] as const) {
      expect(quantityValue(q)).toBe(v);
      expect(kubernetesQuantity(q)).toBe(v);
    }
    for (const q of ["", "lots", "1 Gi", "1gi", "Gi", "1.2.3", "0x10"]) {
      expect(quantityValue(q)).toBeUndefined();
      expect(kubernetesQuantity(q)).toBeUndefined();
    }
  });
});

// CEL cost (estimated per expression, and the macro nesting rule) is proven for both guards in admission-cel.test.ts.

const sandbox = (why: RegExp) => new RegExp(`^gumstack-mcp-sandbox: ${why.source}`);
const secrets = (why: RegExp) => new RegExp(`^gumstack-mcp-secrets: ${why.source}`);
const resources = (why: RegExp) => new RegExp(`^gumstack-mcp-resources: ${why.source}`);
const images = (why: RegExp) => new RegExp(`^gumstack-mcp-images: ${why.source}`);
const IMAGES_WHY =
  "images must be us-west1-docker\\.pkg\\.dev/gumstack-prod/mcp-prod/<tenant>/<name> for the object's gumstack\\.com/tenant tenant, pinned by digest";
const small = (name: string) => ({
  ...clone(userContainer),
  name,
  ports: [],
  image: `${REPO}/${TENANT}/helper@${DIGEST}`,
  resources: { limits: { cpu: "100m", memory: "64Mi" } },
});
const hosted = (probe: string, action: "httpGet" | "tcpSocket") => (s: Obj) => {
  const c = user(s);
  const target = { ...(action === "httpGet" ? { path: "/latest/meta-data/" } : {}), port: 80, host: "169.254.169.254" };
  if (probe.startsWith("lifecycle.")) c.lifecycle = { ...(c.lifecycle ?? {}), [probe.slice(10)]: { [action]: target } };
  else c[probe] = { [action]: target };
};
const POD_VIOLATIONS: [string, (s: Obj) => void, RegExp][] = [
  // -- refused before this change, kept refused
  ["no runtimeClassName", (s) => delete s.runtimeClassName, sandbox(/runtimeClassName must be "gvisor": .*; got none$/)],
  ["runtimeClassName runc", (s) => (s.runtimeClassName = "runc"), sandbox(/runtimeClassName must be "gvisor": .*; got "runc"$/)],
  [
    "another service account",
    (s) => (s.serviceAccountName = "default"),
    sandbox(/serviceAccountName must be "mcp-server".*; got "default"$/),
  ],
  [
    "no service account",
    (s) => {
      delete s.serviceAccountName;
      delete s.serviceAccount;
    },
    sandbox(/serviceAccountName must be "mcp-server".*; got none$/),
  ],
  [
    "automounted token",
    (s) => (s.automountServiceAccountToken = true),
    sandbox(/automountServiceAccountToken must be false: .*; got true$/),
  ],
  [
    "token automount unset",
    (s) => delete s.automountServiceAccountToken,
    sandbox(/automountServiceAccountToken must be false: .*; got unset \(defaults to true\)$/),
  ],
  [
    "projected token volume",
    (s) =>
      (s.volumes = [
        {
          name: "kube-api-access-x7k2p",
          projected: {
            sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3607 } }, { configMap: { name: "kube-root-ca.crt" } }],
          },
        },
      ]),
    sandbox(/projected serviceAccountToken volumes are not allowed: .* \(volumes: kube-api-access-x7k2p\)$/),
  ],
  ["hostNetwork", (s) => (s.hostNetwork = true), sandbox(/hostNetwork, hostPID and hostIPC are not allowed: .* \(set: hostNetwork\)$/)],
  [
    "hostPID and hostIPC",
    (s) => Object.assign(s, { hostPID: true, hostIPC: true }),
    sandbox(/hostNetwork, hostPID and hostIPC .* \(set: hostPID, hostIPC\)$/),
  ],
  ["hostPort", (s) => (user(s).ports[0].hostPort = 8080), sandbox(/hostPort is not allowed: .* \(containers: user-container\)$/)],
  [
    "privileged",
    (s) => (user(s).securityContext = { ...restricted, privileged: true }),
    sandbox(/privileged containers are not allowed: .* \(containers: user-container\)$/),
  ],
  [
    "privileged init container",
    (s) => (s.initContainers = [{ name: "setup", image: `${REPO}/${TENANT}/setup@${DIGEST}`, securityContext: { privileged: true } }]),
    sandbox(/privileged containers .* \(containers: setup\)$/),
  ],
  [
    "allowPrivilegeEscalation",
    (s) => (user(s).securityContext = { ...restricted, allowPrivilegeEscalation: true }),
    sandbox(/allowPrivilegeEscalation must not be true: .* \(containers: user-container\)$/),
  ],
  [
    "hostPath volume",
    (s) => (s.volumes = [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }]),
    sandbox(/hostPath volumes are not allowed: .* \(volumes: docker\)$/),
  ],
  [
    "added capability",
    (s) => (user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } }),
    sandbox(/adding Linux capabilities other than NET_BIND_SERVICE is not allowed: .* \(containers: user-container adds NET_ADMIN\)$/),
  ],
  [
    "a capability beside NET_BIND_SERVICE",
    (s) => (user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE", "SYS_PTRACE"] } }),
    sandbox(/adding Linux capabilities other than NET_BIND_SERVICE .* \(containers: user-container adds SYS_PTRACE\)$/),
  ],
  [
    "GUMSTACK_ env",
    (s) => user(s).env.push({ name: "GUMSTACK_API_TOKEN", value: "x" }),
    /^gumstack-mcp-reserved-env: environment variables starting with GUMSTACK_ or GUMLOOP_ are reserved for the platform .* \(containers: user-container sets GUMSTACK_API_TOKEN\)$/,
  ],
  [
    "GUMLOOP_ env in an init container",
    (s) => (s.initContainers = [{ name: "setup", image: `${REPO}/${TENANT}/setup@${DIGEST}`, env: [{ name: "GUMLOOP_Y", value: "1" }] }]),
    /^gumstack-mcp-reserved-env: .* \(containers: setup sets GUMLOOP_Y\)$/,
  ],
  [
    "image from docker.io",
    (s) => (user(s).image = "docker.io/library/nginx:1.27"),
    images(new RegExp(`${IMAGES_WHY}.* \\(refused: user-container=docker\\.io/library/nginx:1\\.27\\)$`)),
  ],
  ["short image name", (s) => (user(s).image = "nginx"), images(/.* \(refused: user-container=nginx\)$/)],
  [
    "another project's registry",
    (s) => (user(s).image = `us-west1-docker.pkg.dev/attacker-proj/mcp-prod/${TENANT}/x@${DIGEST}`),
    images(/.*\(refused: user-container=us-west1-docker\.pkg\.dev\/attacker-proj\/mcp-prod\/acme\/x@sha256:3f8a.*\)$/),
  ],
  [
    "sibling repository prefix trick",
    (s) => (user(s).image = `${REPO}-evil/${TENANT}/x@${DIGEST}`),
    images(/.*\(refused: user-container=us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod-evil\/acme\/x@.*\)$/),
  ],
  [
    "Knative's image outside queue-proxy",
    (s) => (user(s).image = QUEUE_IMAGE),
    images(/.*\(refused: user-container=gcr\.io\/knative-releases\/.*\)$/),
  ],
  // -- tenant binding of images
  [
    "another tenant's image",
    (s) => (user(s).image = `${REPO}/globex/globex-crm@${DIGEST}`),
    images(/.*\(refused: user-container=us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod\/globex\/globex-crm@sha256:.*\)$/),
  ],
  [
    "a tenant-id prefix trick",
    (s) => (user(s).image = `${REPO}/${TENANT}-evil/x@${DIGEST}`),
    images(/.*\(refused: user-container=.*\/mcp-prod\/acme-evil\/x@sha256:.*\)$/),
  ],
  [
    "an image outside any tenant path",
    (s) => (user(s).image = `${REPO}/acme-weather@${DIGEST}`),
    images(/.*\(refused: user-container=.*\/mcp-prod\/acme-weather@sha256:.*\)$/),
  ],
  [
    "a mutable tag",
    (s) => (user(s).image = `${REPO}/${TENANT}/acme-weather:4f2c1e9`),
    images(/.*pinned by digest .*\(refused: user-container=.*\/acme\/acme-weather:4f2c1e9\)$/),
  ],
  [
    "the platform's backend image",
    (s) => (user(s).image = `${PLATFORM}/backend@${DIGEST}`),
    images(
      /the platform's own images \(us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform\/\) may not run as MCP servers: .*\(refused: user-container=.*\/gumstack-platform\/backend@sha256:.*\)$/,
    ),
  ],
  [
    "a tenant's ephemeral debug image from elsewhere",
    (s) => (s.ephemeralContainers = [{ name: "debugger", image: "docker.io/library/busybox:1", securityContext: restricted }]),
    images(/.*\(refused: debugger=docker\.io\/library\/busybox:1\)$/),
  ],
  // -- the kubelet as a proxy
  ...(["livenessProbe", "readinessProbe", "startupProbe", "lifecycle.preStop", "lifecycle.postStart"] as const).flatMap((probe) =>
    (["httpGet", "tcpSocket"] as const).map((action): [string, (s: Obj) => void, RegExp] => [
      `${probe} ${action} with a host`,
      hosted(probe, action),
      sandbox(/probes and lifecycle hooks may not set host: the kubelet would send them from the node, .* \(containers: user-container\)$/),
    ]),
  ),
  // -- secrets (and ConfigMaps): every way a pod can name one
  [
    "env secretKeyRef",
    (s) => user(s).env.push({ name: "WEATHER_API_KEY", valueFrom: { secretKeyRef: { name: "globex-env", key: "API_KEY" } } }),
    secrets(
      /env valueFrom\.secretKeyRef: an MCP pod may name only its own tenant's Secrets, <tenant>\.<name> .* \(containers: user-container\)$/,
    ),
  ],
  [
    "envFrom secretRef",
    (s) => (user(s).envFrom = [{ secretRef: { name: "globex-env" } }]),
    secrets(/envFrom secretRef: an MCP pod may name only its own tenant's Secrets, .* \(containers: user-container envFrom globex-env\)$/),
  ],
  [
    "envFrom configMapRef",
    (s) => (user(s).envFrom = [{ configMapRef: { name: "globex-settings" } }]),
    secrets(/envFrom may name only the tenant's own Secrets, never a ConfigMap: .* \(containers: user-container\)$/),
  ],
  [
    "env configMapKeyRef",
    (s) => user(s).env.push({ name: "X", valueFrom: { configMapKeyRef: { name: "globex-settings", key: "x" } } }),
    secrets(/env valueFrom\.configMapKeyRef is not allowed: .* \(containers: user-container env X\)$/),
  ],
  [
    "secret volume",
    (s) => s.volumes.push({ name: "creds", secret: { secretName: "globex-env" } }),
    secrets(/secret volumes and projected secret sources: an MCP pod may name only its own tenant's Secrets, .* \(volumes: creds\)$/),
  ],
  [
    "projected secret volume",
    (s) => s.volumes.push({ name: "bundle", projected: { sources: [{ secret: { name: "globex-env" } }] } }),
    secrets(/secret volumes .* \(volumes: bundle\)$/),
  ],
  [
    "imagePullSecrets",
    (s) => (s.imagePullSecrets = [{ name: "globex-pull" }]),
    secrets(/imagePullSecrets are not allowed: .* \(secrets: globex-pull\)$/),
  ],
  // -- volumes: only emptyDir, bounded
  ...(
    [
      ["configMap", { configMap: { name: "kube-root-ca.crt" } }],
      ["persistentVolumeClaim", { persistentVolumeClaim: { claimName: "globex-data" } }],
      ["csi", { csi: { driver: "gcsfuse.csi.storage.gke.io" } }],
      ["nfs", { nfs: { server: "10.0.0.2", path: "/" } }],
      ["projected downwardAPI", { projected: { sources: [{ downwardAPI: { items: [] } }] } }],
    ] as const
  ).map(([what, source]): [string, (s: Obj) => void, RegExp] => [
    `a ${what} volume`,
    (s) => s.volumes.push({ name: "extra", ...clone(source) }),
    sandbox(/only emptyDir volumes are allowed: .* \(volumes: extra\)$/),
  ]),
  [
    "emptyDir without sizeLimit",
    (s) => (s.volumes[0].emptyDir = {}),
    sandbox(/emptyDir volumes need a sizeLimit of at most 4Gi: .* \(volumes: scratch\)$/),
  ],
  [
    "emptyDir over the bound",
    (s) => (s.volumes[0].emptyDir = { medium: "Memory", sizeLimit: "100Gi" }),
    sandbox(/emptyDir volumes need a sizeLimit .* \(volumes: scratch\)$/),
  ],
  // -- starving neighbours
  [
    "three containers",
    (s) => {
      user(s).resources.limits.cpu = "500m";
      s.containers.splice(1, 0, small("helper-1"), small("helper-2"));
    },
    resources(/at most 2 containers per MCP pod \(Knative's queue-proxy not counted\): .*; got 3$/),
  ],
  [
    "two containers over the CPU bound",
    (s) => {
      user(s).resources.limits.cpu = "1500m";
      s.containers.splice(1, 0, { ...small("helper"), resources: { limits: { cpu: "1", memory: "64Mi" } } });
    },
    resources(/the containers of an MCP pod may use at most 2 CPU together .*; got 2\.5$/),
  ],
  [
    "two containers over the memory bound",
    (s) => {
      user(s).resources.limits = { cpu: "500m", memory: "1536Mi" };
      s.containers.splice(1, 0, { ...small("helper"), resources: { limits: { cpu: "500m", memory: "1Gi" } } });
    },
    resources(/the containers of an MCP pod may use at most 2Gi of memory together .*; got 2684354560 bytes$/),
  ],
  [
    "a request above the pod's CPU bound",
    (s) => (user(s).resources.requests.cpu = "3"),
    resources(/the containers of an MCP pod may use at most 2 CPU together .*; got 3$/),
  ],
  [
    "a priority class",
    (s) => (s.priorityClassName = "system-node-critical"),
    resources(/priorityClassName is not allowed: a higher priority lets an MCP pod evict its neighbours; got "system-node-critical"$/),
  ],
  [
    "a quantity that is not one",
    (s) => (user(s).resources.limits.cpu = "lots"),
    resources(/container resources must be Kubernetes quantities \(containers: user-container\)$/),
  ],
];

const SERVICE_VIOLATIONS: [string, (o: Obj) => void, RegExp][] = [
  [
    "initial-scale above max-scale",
    (o) => (revisionAnnotations(o)["autoscaling.knative.dev/initial-scale"] = "15"),
    /^gumstack-mcp-revisions: autoscaling\.knative\.dev\/initial-scale .* no higher than the server's max-scale .*; got initial "15", max "10"$/,
  ],
  [
    "initialScale (legacy key) above max-scale",
    (o) => (revisionAnnotations(o)["autoscaling.knative.dev/initialScale"] = "11"),
    /^gumstack-mcp-revisions: .*initial-scale.*; got initial "11", max "10"$/,
  ],
  [
    "initial-scale above the legacy maxScale",
    (o) => Object.assign(revisionAnnotations(o), { "autoscaling.knative.dev/maxScale": "5", "autoscaling.knative.dev/initial-scale": "8" }),
    /^gumstack-mcp-revisions: .*initial-scale.*; got initial "8", max "10", "5"$/,
  ],
  [
    "non-numeric initial-scale",
    (o) => (revisionAnnotations(o)["autoscaling.knative.dev/initial-scale"] = "all"),
    /^gumstack-mcp-revisions: .*initial-scale.*; got initial "all"/,
  ],
  [
    "progress-deadline of an hour",
    (o) => (revisionAnnotations(o)["serving.knative.dev/progress-deadline"] = "1h"),
    /^gumstack-mcp-revisions: serving\.knative\.dev\/progress-deadline may be at most 600s: .*; got "1h"$/,
  ],
  [
    "progress-deadline 601s",
    (o) => (revisionAnnotations(o)["serving.knative.dev/progress-deadline"] = "601s"),
    /^gumstack-mcp-revisions: serving\.knative\.dev\/progress-deadline .*; got "601s"$/,
  ],
  [
    "queue-proxy resource annotation",
    (o) => (revisionAnnotations(o)["queue.sidecar.serving.knative.dev/cpu-resource-limit"] = "8"),
    /^gumstack-mcp-revisions: queue\.sidecar\.serving\.knative\.dev\/\* annotations are not allowed: .* \(annotations: queue\.sidecar\.serving\.knative\.dev\/cpu-resource-limit\)$/,
  ],
];

const TEMPLATED = ["Service", "Configuration", "Deployment", "ReplicaSet", "CronJob"];
const tenantMsg = /^gumstack-mcp-tenant: label gumstack\.com\/tenant is required on every MCP workload: .*; got /;
const templateMsg = /^gumstack-mcp-tenant: the pod template must carry the same gumstack\.com\/tenant label as the object: .*; got /;

describe.each(EVALUATORS)("with $name", (ev) => {
  const refuse = (req: Req, guard?: AdmissionGuardManifests) => refusals(ev, req, guard);

  describe("compliant objects", () => {
    it("are realistic: they pass their own schemas", () => {
      for (const [Model, o] of [
        [Service, service],
        [Configuration, configuration],
        [Revision, revision],
        [DomainMapping, domainMapping],
        [Deployment, deployment],
        [ReplicaSet, replicaSet],
        [Pod, pod],
        [Namespace, namespace],
      ] as const) {
        expect(() => new (Model as any)(clone(o)).validate()).not.toThrow();
      }
    });

    it.each(Object.keys(COMPLIANT))("%s is admitted, on CREATE and on an UPDATE", (kind) => {
      expect(refuse({ kind, object: COMPLIANT[kind]! })).toEqual([]);
      expect(refuse({ kind, operation: "UPDATE", object: COMPLIANT[kind]!, oldObject: COMPLIANT[kind]! })).toEqual([]);
    });

    it("stop being compliant if Knative is configured to mount a token into queue-proxy (queue-sidecar-token-audiences)", () => {
      const tokened = withPodSpec(
        "Pod",
        (s) =>
          (s.volumes = [
            {
              name: "knative-token-volume",
              projected: { sources: [{ serviceAccountToken: { audience: "svc-x", path: "svc-x", expirationSeconds: 3600 } }] },
            },
          ]),
      );
      expect(refuse({ kind: "Pod", object: tokened })).toEqual([
        expect.stringMatching(/^gumstack-mcp-sandbox: projected serviceAccountToken volumes .*\(volumes: knative-token-volume\)$/),
      ]);
    });

    // Knative's secure-pod-defaults (Enabled on the platform) add NET_BIND_SERVICE to a container with a port below
    // 1024 (revision_defaults.go defaultSecurityContext) before admission runs; Pod Security "restricted" allows it.
    it.each(WORKLOADS)("a %s listening on port 80, as Knative defaults it, is admitted", (kind) => {
      const port80 = withPodSpec(kind, (s) => {
        user(s).ports = [{ ...user(s).ports[0], containerPort: 80 }];
        user(s).securityContext = { ...restricted, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } };
      });
      expect(refuse({ kind, object: port80 })).toEqual([]);
    });

    it("admit the limits' edges: legacy scale keys within them, initial-scale = max-scale, a 10m deadline, two containers at the pod bounds", () => {
      const s: Obj = clone(service);
      Object.assign(s.spec.template.metadata.annotations, {
        "autoscaling.knative.dev/max-scale": "20",
        "autoscaling.knative.dev/minScale": "2",
        "autoscaling.knative.dev/initial-scale": "20",
        "serving.knative.dev/progress-deadline": "10m",
      });
      s.spec.template.spec.containers[0].resources.limits = { cpu: "1500m", memory: "1536Mi" };
      s.spec.template.spec.containers.push({ ...small("helper"), resources: { limits: { cpu: "500m", memory: "512Mi" } } });
      expect(refuse({ kind: "Service", object: s })).toEqual([]);
    });

    it("admit an image pinned by tag when the tenant repository's tags are immutable", () => {
      const immutable = admissionGuardManifests({ ...ARGS, tenantTagsImmutable: true });
      for (const image of [`${REPO}/${TENANT}/acme-weather:4f2c1e9`, `${REPO}/${TENANT}/acme-weather:4f2c1e9@${DIGEST}`, IMAGE]) {
        expect(refuse({ kind: "Service", object: withPodSpec("Service", (s) => (user(s).image = image)) }, immutable)).toEqual([]);
      }
      expect(refuse({ kind: "Service", object: withPodSpec("Service", (s) => (user(s).image = `${REPO}/globex/x:1`)) }, immutable)).toEqual(
        [
          expect.stringMatching(
            /^gumstack-mcp-images: .*pinned by digest or by tag \(the repository's tags are immutable\).*\(refused: user-container=.*\/globex\/x:1\)$/,
          ),
        ],
      );
    });
  });

  describe.each(WORKLOADS)("a %s", (kind) => {
    it.each(POD_VIOLATIONS)("with %s is refused, for that reason only", (_, mutate, message) => {
      const found = refuse({ kind, object: withPodSpec(kind, mutate) });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(message);
    });

    it.each(POD_VIOLATIONS)("whose UPDATE brings %s is refused", (_, mutate, message) => {
      expect(refuse({ kind, operation: "UPDATE", oldObject: COMPLIANT[kind]!, object: withPodSpec(kind, mutate) })).toEqual([
        expect.stringMatching(message),
      ]);
    });

    it("without the tenant label is refused", () => {
      const found = refuse({
        kind,
        object: withObject(kind, (o) => {
          delete o.metadata.labels[TENANT_LABEL];
          delete podMetaOf(o).labels?.[TENANT_LABEL];
        }),
      });
      expect(found).toEqual([expect.stringMatching(new RegExp(`${tenantMsg.source}none$`))]);
    });

    it("with a tenant id that is not a DNS label is refused", () => {
      const found = refuse({
        kind,
        object: withObject(kind, (o) => {
          o.metadata.labels[TENANT_LABEL] = "Acme_Corp";
          podMetaOf(o).labels[TENANT_LABEL] = "Acme_Corp";
        }),
      });
      expect(found).toEqual([expect.stringMatching(new RegExp(`${tenantMsg.source}"Acme_Corp"$`))]);
    });

    // The builder's copy lives at <tenant repo>/gumstack-build/ (docs/build-plane.md): an MCP server taking that
    // path as its tenant would pass the images check with the platform's builder, so the label itself is refused.
    const asTenant = (tenant: string, image: string) =>
      withObject(kind, (o) => {
        o.metadata.labels[TENANT_LABEL] = tenant;
        podMetaOf(o).labels[TENANT_LABEL] = tenant;
        user(podSpecOf(o)).image = image;
      });
    it("taking the build plane's reserved tenant id, to run the builder image, is refused", () => {
      const found = refuse({ kind, object: asTenant("gumstack-build", `${REPO}/gumstack-build/builder@${DIGEST}`) });
      expect(found).toEqual([
        expect.stringMatching(
          /^gumstack-mcp-tenant: label gumstack\.com\/tenant must not be a tenant id the platform reserves for its own images \(gumstack-build\); got "gumstack-build"$/,
        ),
      ]);
      expect(
        refuse({
          kind,
          operation: "UPDATE",
          oldObject: COMPLIANT[kind]!,
          object: asTenant("gumstack-build", `${REPO}/gumstack-build/builder@${DIGEST}`),
        }),
      ).toContainEqual(expect.stringMatching(/must not be a tenant id the platform reserves/));
    });
    it("running as the canary's tenant with the canary's image is admitted (the canary runs as that MCP tenant on purpose)", () => {
      expect(refuse({ kind, object: asTenant("gumstack-canary", `${REPO}/gumstack-canary/canary@${DIGEST}`) })).toEqual([]);
    });

    it("whose UPDATE moves it to another tenant is refused, even when nothing else changes", () => {
      const moved = withObject(kind, (o) => {
        o.metadata.labels[TENANT_LABEL] = "globex";
        podMetaOf(o).labels[TENANT_LABEL] = "globex";
      });
      const found = refuse({ kind, operation: "UPDATE", oldObject: COMPLIANT[kind]!, object: moved });
      expect(found).toContainEqual(
        expect.stringMatching(/^gumstack-mcp-tenant: label gumstack\.com\/tenant cannot change: .*; was "acme", now "globex"$/),
      );
      // Its images are acme's: wherever the template changed with the label, they no longer match the tenant.
      expect(found.filter((f) => !f.startsWith("gumstack-mcp-images: ") && !/cannot change/.test(f))).toEqual([]);
    });
  });

  describe.each(TEMPLATED)("a %s whose pod template", (kind) => {
    it("lacks the tenant label is refused", () => {
      expect(refuse({ kind, object: withObject(kind, (o) => delete podMetaOf(o).labels[TENANT_LABEL]) })).toEqual([
        expect.stringMatching(new RegExp(`${templateMsg.source}none$`)),
      ]);
    });
    it("names another tenant is refused", () => {
      expect(refuse({ kind, object: withObject(kind, (o) => (podMetaOf(o).labels[TENANT_LABEL] = "globex")) })).toEqual([
        expect.stringMatching(new RegExp(`${templateMsg.source}"globex"$`)),
      ]);
    });
  });

  describe.each(KNATIVE_KINDS)("a %s", (kind) => {
    it.each(SERVICE_VIOLATIONS)("with %s is refused, on CREATE and UPDATE", (_, mutate, message) => {
      const o = withObject(kind, mutate);
      expect(refuse({ kind, object: o })).toEqual([expect.stringMatching(message)]);
      expect(refuse({ kind, operation: "UPDATE", oldObject: COMPLIANT[kind]!, object: o })).toEqual([expect.stringMatching(message)]);
    });
  });

  describe.each(["Service", "Configuration"])("a %s", (kind) => {
    it.each([
      ["name", "acme-weather-00002"],
      ["name", "acme-weather-crm-00001"],
      ["generateName", "acme-weather-"],
    ])("naming its revision (template %s %s) is refused", (field, value) => {
      const o = withObject(kind, (x) => (x.spec.template.metadata[field] = value));
      const why = new RegExp(
        `^gumstack-mcp-revisions: spec\\.template\\.metadata\\.name and generateName are not allowed: .*; got "${value}"$`,
      );
      expect(refuse({ kind, object: o })).toEqual([expect.stringMatching(why)]);
      expect(refuse({ kind, operation: "UPDATE", oldObject: COMPLIANT[kind]!, object: o })).toEqual([expect.stringMatching(why)]);
    });
  });

  describe("a Deployment", () => {
    it("with a progress deadline beyond the bound is refused, on CREATE and on an UPDATE of that field alone", () => {
      const slow = withObject("Deployment", (o) => (o.spec.progressDeadlineSeconds = 3600));
      const why = /^gumstack-mcp-resources: progressDeadlineSeconds may be at most 600: .*; got 3600$/;
      expect(refuse({ kind: "Deployment", object: slow })).toEqual([expect.stringMatching(why)]);
      expect(refuse({ kind: "Deployment", operation: "UPDATE", oldObject: deployment, object: slow })).toEqual([
        expect.stringMatching(why),
      ]);
    });
    it("created with more replicas than any server may run is refused", () => {
      expect(refuse({ kind: "Deployment", object: withObject("Deployment", (o) => (o.spec.replicas = 500)) })).toEqual([
        expect.stringMatching(/^gumstack-mcp-resources: a Deployment may start with at most 20 replicas, the highest max-scale; got 500$/),
      ]);
    });
  });

  describe("scale, domain and namespace", () => {
    const scaled = (kind: "Service" | "Revision", annotations: Obj): Obj => {
      const o = clone(COMPLIANT[kind]!);
      const target = revisionAnnotations(o);
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
        const found = refuse({ kind, object: scaled(kind, annotations) });
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(why);
        expect(found[0]!.endsWith(`got ${got}`)).toBe(true);
      }
    });

    const dm = (name: string, ref: Obj = domainMapping.spec.ref, extra: Obj = {}) => ({
      ...clone(domainMapping),
      metadata: { name, namespace: NS },
      spec: { ref: clone(ref), ...extra },
    });
    it.each([
      ["evil.com", /must be <server>\.gumstack\.com, one label under the platform domain.*; got "evil\.com"$/],
      ["gumstack.com.evil.com", /; got "gumstack\.com\.evil\.com"$/],
      ["evilgumstack.com", /; got "evilgumstack\.com"$/],
      ["a.b.gumstack.com", /; got "a\.b\.gumstack\.com"$/],
      ["gumstack.com", /; got "gumstack\.com"$/],
      [
        "api.gumstack.com",
        /^gumstack-mcp-domain-mappings: "api\.gumstack\.com": the host is reserved for the platform \(api\.gumstack\.com, www\.gumstack\.com/,
      ],
      ["dashboard.gumstack.com", /^gumstack-mcp-domain-mappings: "dashboard\.gumstack\.com": the host is reserved for the platform/],
      [
        "globex.gumstack.com",
        /^gumstack-mcp-domain-mappings: "globex\.gumstack\.com": the host is reserved for the platform .*globex\.gumstack\.com\)/,
      ],
    ])("a DomainMapping for %s is refused", (host, message) => {
      const found = refuse({ kind: "DomainMapping", object: dm(host) });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(message);
    });

    it("a reserved host is refused even for a Service of that name", () => {
      expect(refuse({ kind: "DomainMapping", object: dm("login.gumstack.com", { ...domainMapping.spec.ref, name: "login" }) })).toEqual([
        expect.stringMatching(/"login\.gumstack\.com": the host is reserved/),
      ]);
    });

    const bound = /^gumstack-mcp-domain-mappings: a DomainMapping must be named <its Service>\.gumstack\.com: .*; got /;
    it.each([
      ["another server's host", dm("globex-crm.gumstack.com"), '"globex-crm.gumstack.com" for Service "acme-weather"'],
      [
        "a host for a Service of another name",
        dm("acme-weather.gumstack.com", { ...domainMapping.spec.ref, name: "globex-crm" }),
        '"acme-weather.gumstack.com" for Service "globex-crm"',
      ],
      [
        "no ref name",
        dm("acme-weather.gumstack.com", { apiVersion: "serving.knative.dev/v1", kind: "Service" }),
        '"acme-weather.gumstack.com" for Service none',
      ],
    ])("a DomainMapping with %s is refused, on CREATE and UPDATE", (_, object, got) => {
      for (const operation of ["CREATE", "UPDATE"] as const) {
        expect(refuse({ kind: "DomainMapping", operation, object, oldObject: operation === "UPDATE" ? domainMapping : null })).toEqual([
          expect.stringMatching(new RegExp(`${bound.source}${got.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)),
        ]);
      }
    });

    it.each([
      ["a Route", { apiVersion: "serving.knative.dev/v1", kind: "Route", name: "acme-weather" }],
      ["a core Service", { apiVersion: "v1", kind: "Service", name: "acme-weather" }],
    ])("a DomainMapping pointing at %s is refused", (_, ref) => {
      expect(refuse({ kind: "DomainMapping", object: dm("acme-weather.gumstack.com", ref) })).toEqual([
        "gumstack-mcp-domain-mappings: a DomainMapping must point at a Knative Service (spec.ref apiVersion serving.knative.dev/v1, kind Service)",
      ]);
    });

    it("a DomainMapping with its own TLS is refused, on CREATE and UPDATE", () => {
      const tls = dm("acme-weather.gumstack.com", domainMapping.spec.ref, { tls: { secretName: "acme-weather-cert" } });
      for (const operation of ["CREATE", "UPDATE"] as const) {
        expect(refuse({ kind: "DomainMapping", operation, object: tls, oldObject: operation === "UPDATE" ? domainMapping : null })).toEqual(
          ["gumstack-mcp-domain-mappings: spec.tls is not allowed on a DomainMapping: TLS ends at the platform's load balancer"],
        );
      }
    });

    it.each([
      ["without Pod Security labels", { "kubernetes.io/metadata.name": NS }],
      ["enforcing baseline", { "kubernetes.io/metadata.name": NS, "pod-security.kubernetes.io/enforce": "baseline" }],
      ["pinned to an old restricted", { ...namespace.metadata.labels, "pod-security.kubernetes.io/enforce-version": "v1.22" }],
    ])("the MCP namespace %s is refused", (_, nsLabels) => {
      for (const operation of ["CREATE", "UPDATE"] as const) {
        const found = refuse({
          kind: "Namespace",
          operation,
          object: { ...namespace, metadata: { name: NS, labels: nsLabels } },
          oldObject: operation === "UPDATE" ? namespace : null,
        });
        expect(found).toEqual([
          `gumstack-mcp-pod-security: namespace gumstack-mcp must enforce Pod Security "restricted" (label pod-security.kubernetes.io/enforce=restricted, pod-security.kubernetes.io/enforce-version unset or latest): it runs untrusted MCP code`,
        ]);
      }
    });
  });

  describe("operations and scope", () => {
    const runc = withPodSpec("Revision", (s) => (s.runtimeClassName = "runc"));
    it("judges an UPDATE that changes the spec", () => {
      const found = refuse({
        kind: "Service",
        operation: "UPDATE",
        oldObject: service,
        object: withPodSpec("Service", (s) => (user(s).image = "ghcr.io/x/y:1")),
      });
      expect(found).toEqual([expect.stringMatching(/^gumstack-mcp-images: .*refused: user-container=ghcr\.io\/x\/y:1\)$/)]);
    });
    it("lets an UPDATE that leaves the spec alone through, so controllers are not wedged on older objects", () => {
      const relabelled = {
        ...clone(runc),
        metadata: { ...clone(runc.metadata), labels: { ...labels, "serving.knative.dev/routingState": "reserve" } },
      };
      expect(refuse({ kind: "Revision", operation: "UPDATE", oldObject: runc, object: relabelled })).toEqual([]);
    });

    // The guard tightened after these objects were created (the repository moved, one container less, smaller pods,
    // shorter deadlines): the running revision no longer complies, but scaling it must still work, down to 0.
    const tight = admissionGuardManifests({
      ...ARGS,
      tenantImageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod-v2",
      maxContainers: 1,
      maxPodCpu: "1",
      containerDefaultCpuLimit: "1",
      maxProgressDeadlineSeconds: 60,
      maxScaleLimit: 5,
    });
    it.each(["Deployment", "ReplicaSet"])("never refuses an UPDATE that only scales a %s, even after the rules tightened", (kind) => {
      const old = withObject(kind, (o) => {
        o.spec.replicas = 4;
        podSpecOf(o).containers.splice(1, 0, small("helper"));
      });
      expect(refuse({ kind, object: old }, tight).length).toBeGreaterThan(1);
      for (const replicas of [20, 3, 0]) {
        expect(
          refuse({ kind, operation: "UPDATE", oldObject: old, object: { ...clone(old), spec: { ...clone(old.spec), replicas } } }, tight),
        ).toEqual([]);
        expect(
          refuse({ kind, operation: "UPDATE", oldObject: old, object: { ...clone(old), spec: { ...clone(old.spec), replicas } } }),
        ).toEqual([]);
      }
    });
    it("never refuses a scale-only UPDATE of a legacy object without the tenant label", () => {
      const legacy = withObject("ReplicaSet", (o) => {
        delete o.metadata.labels[TENANT_LABEL];
        delete o.spec.template.metadata.labels[TENANT_LABEL];
      });
      expect(
        refuse({
          kind: "ReplicaSet",
          operation: "UPDATE",
          oldObject: legacy,
          object: { ...clone(legacy), spec: { ...clone(legacy.spec), replicas: 0 } },
        }),
      ).toEqual([]);
    });
    it("admits a Service UPDATE that only moves its scale annotations within the limits", () => {
      const rescaled = withObject("Service", (o) =>
        Object.assign(revisionAnnotations(o), { "autoscaling.knative.dev/min-scale": "2", "autoscaling.knative.dev/max-scale": "15" }),
      );
      expect(refuse({ kind: "Service", operation: "UPDATE", oldObject: service, object: rescaled })).toEqual([]);
    });
    it("judges a Deployment or CronJob UPDATE that changes its pod template", () => {
      for (const kind of ["Deployment", "CronJob"]) {
        const found = refuse({
          kind,
          operation: "UPDATE",
          oldObject: COMPLIANT[kind]!,
          object: withPodSpec(kind, (s) => (s.hostNetwork = true)),
        });
        expect(found).toEqual([expect.stringMatching(/^gumstack-mcp-sandbox: hostNetwork, hostPID and hostIPC are not allowed/)]);
      }
    });
    it("judges a Revision UPDATE that changes only its scale, initial-scale, deadline or queue-proxy annotations", () => {
      for (const [key, value, id] of [
        ["autoscaling.knative.dev/max-scale", "1000", "scale"],
        ["autoscaling.knative.dev/initialScale", "19", "revisions"],
        ["serving.knative.dev/progress-deadline", "2h", "revisions"],
        ["queue.sidecar.serving.knative.dev/memory-resource-limit", "8Gi", "revisions"],
      ]) {
        const raised: Obj = clone(revision);
        raised.metadata.annotations[key!] = value;
        expect(refuse({ kind: "Revision", operation: "UPDATE", oldObject: revision, object: raised }), key).toEqual([
          expect.stringMatching(new RegExp(`^gumstack-mcp-${id}: `)),
        ]);
      }
    });
    it("judges ephemeral containers added through pods/ephemeralcontainers", () => {
      const debug = (image: string) => ({
        ...clone(pod),
        spec: { ...clone(pod.spec), ephemeralContainers: [{ name: "debugger", image, securityContext: restricted }] },
      });
      expect(
        refuse({
          kind: "Pod",
          operation: "UPDATE",
          subResource: "ephemeralcontainers",
          oldObject: pod,
          object: debug("docker.io/library/busybox:1"),
        }),
      ).toEqual([expect.stringMatching(/^gumstack-mcp-images: .*\(refused: debugger=docker\.io\/library\/busybox:1\)$/)]);
      expect(
        refuse({
          kind: "Pod",
          operation: "UPDATE",
          subResource: "ephemeralcontainers",
          oldObject: pod,
          object: debug(`${REPO}/${TENANT}/debug@${DIGEST}`),
        }),
      ).toEqual([]);
    });
    it("judges a Pod whose labels alone change to another tenant", () => {
      const moved = withObject("Pod", (o) => (o.metadata.labels[TENANT_LABEL] = "globex"));
      expect(refuse({ kind: "Pod", operation: "UPDATE", oldObject: pod, object: moved })).toEqual([
        expect.stringMatching(/^gumstack-mcp-tenant: label gumstack\.com\/tenant cannot change: .*; was "acme", now "globex"$/),
      ]);
    });
    it("ignores DELETE and other namespaces", () => {
      expect(refuse({ kind: "Revision", operation: "DELETE", object: null, oldObject: runc })).toEqual([]);
      expect(refuse({ kind: "Revision", namespace: "default", object: runc })).toEqual([]);
      expect(refuse({ kind: "Revision", object: runc })).toHaveLength(1);
    });
    it("bakes the configured limits in: min-scale 0 allowed and omittable outside prod", () => {
      const staging = admissionGuardManifests({ ...ARGS, minScale: 0 });
      const zero = clone(service);
      delete (zero.spec.template.metadata.annotations as Obj)["autoscaling.knative.dev/min-scale"];
      expect(refuse({ kind: "Service", object: zero }, staging)).toEqual([]);
    });
  });

  describe("at a large request (about 1 MB; the API server's limit is 3 MiB)", () => {
    // Evaluation is linear in the object: no nested pass over two independent lists. A Pod with 30,000 env
    // entries (admitted: plain values) and one with 1,500 containers (refused: too many) are judged without an
    // evaluation error. The times printed are these JS evaluators', not Kubernetes cost units (docs/admission-guard.md).
    it("judges a Pod with 30,000 env entries and one with 1,500 containers, correctly and without an evaluation error", () => {
      const manyEnv = withPodSpec("Pod", (s) => {
        user(s).env = Array.from({ length: 30_000 }, (_, i) => ({ name: `V${i}`, value: "x" }));
      });
      const manyContainers = withPodSpec("Pod", (s) => {
        s.containers = Array.from({ length: 1_500 }, (_, i) => ({ ...small(`c${i}`), env: [] }));
      });
      for (const [object, expected] of [
        [manyEnv, []],
        [manyContainers, [expect.stringMatching(/^gumstack-mcp-resources: at most 2 containers per MCP pod .*; got 1500$/)]],
      ] as const) {
        expect(JSON.stringify(object).length).toBeGreaterThan(800_000);
        const started = performance.now();
        const found = refuse({ kind: "Pod", object });
        const ms = performance.now() - started;
        console.log(`${ev.name}: ${object.spec.containers.length} containers, ${JSON.stringify(object).length} bytes: ${ms.toFixed(0)} ms`);
        expect(found).toEqual(expected);
        expect(ms).toBeLessThan(30_000);
      }
    });
  });
});

describe("AdmissionGuard component", () => {
  it("creates one policy and one Deny binding per guard, parented and on the given provider", async () => {
    const created: pulumi.runtime.MockResourceArgs[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          created.push(args);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
      },
      "gumstack-platform",
      "test",
      false,
    );
    const provider = new K8sProvider("cluster", {});
    const guard = new AdmissionGuard("guard", { ...ARGS, provider });
    const outputOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
    const urns = await Promise.all([...guard.policies, ...guard.bindings].map((r) => outputOf(r.urn)));
    await Promise.all(guard.policyNames.map(outputOf));

    // Registration order is asynchronous: resources are found by type and name.
    const find = (type: string, name: string) =>
      created.filter((r) => r.type === `kubernetes:admissionregistration.k8s.io/v1:${type}` && r.name === name);
    expect(created.filter((r) => r.type.startsWith("kubernetes:admissionregistration"))).toHaveLength(2 * GUARD.ids.length);
    for (const [i, id] of GUARD.ids.entries()) {
      const [policy] = find("ValidatingAdmissionPolicy", `guard-${id}`);
      const [binding] = find("ValidatingAdmissionPolicyBinding", `guard-${id}`);
      expect(policy?.inputs.metadata.name).toBe(`gumstack-mcp-${id}`);
      expect(policy?.inputs.spec).toEqual(GUARD.policies[i]!.spec);
      expect(binding?.inputs.spec).toEqual({
        policyName: `gumstack-mcp-${id}`,
        validationActions: ["Deny"],
        matchResources: GUARD.bindings[i]!.spec.matchResources,
      });
      for (const r of [policy, binding]) expect(r?.provider).toMatch(/::cluster::cluster-id$/);
    }
    for (const urn of urns)
      expect(urn).toContain("gumstack:kubernetes:AdmissionGuard$kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
  });
});
