// The compliant MCP objects the admission guard must admit: the Knative Service the backend sends (its tenant label,
// digest image, plain settings), and the Configuration, Revision, Deployment, ReplicaSet and Pod Knative and
// Kubernetes derive from it (queue-proxy injected, LimitRange defaults applied), a CronJob, a DomainMapping and the
// namespace. One definition for the guard's tests (test/admission-guard.test.ts, the stack's literal values) and the
// pack's corpus generator (generate.ts, the pack's placeholders), so the baselines both judge cannot drift apart.
import {
  KNATIVE_QUEUE_PROXY_IMAGE_PREFIX,
  podSecurityRestrictedLabels,
  TENANT_LABEL,
} from "../../components/kubernetes/admissionPolicies.js";

type Obj = Record<string, any>;
const clone = <T>(o: T): T => structuredClone(o);

export interface McpBaselineValues {
  /** The MCP namespace. */
  readonly namespace: string;
  /** The stack's tenant repository (`<location>-docker.pkg.dev/<project>/<repository>`). */
  readonly tenantRepository: string;
  /** The platform domain MCP hosts live under. */
  readonly domain: string;
  /** The tenant the objects belong to. */
  readonly tenant: string;
}

/** The compliant objects, and the pieces the tests' one-change violations are built from. */
export function mcpBaselines(v: McpBaselineValues) {
  const NS = v.namespace;
  const REPO = v.tenantRepository;
  const DOMAIN = v.domain;
  const TENANT = v.tenant;
  const DIGEST = "sha256:3f8a1c0e2b7d4f6a9c5e8b1d0f3a6c9e2b5d8f1a4c7e0b3d6f9a2c5e8b1d4f7a";
  const IMAGE = `${REPO}/${TENANT}/acme-weather@${DIGEST}`;
  const QUEUE_IMAGE = `${KNATIVE_QUEUE_PROXY_IMAGE_PREFIX}65c427aaab3be9cea1afea32cdef26d5855c69403077d2dc3439f75c26a1e83f`;
  const restricted = {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
  const scale = {
    "autoscaling.knative.dev/min-scale": "1",
    "autoscaling.knative.dev/max-scale": "10",
    "autoscaling.knative.dev/target": "100",
  };
  const tenantLabels = { [TENANT_LABEL]: TENANT };
  const labels = {
    ...tenantLabels,
    "serving.knative.dev/service": "acme-weather",
    "serving.knative.dev/configuration": "acme-weather",
    "serving.knative.dev/revision": "acme-weather-00001",
  };
  const health = { httpGet: { path: "/health", port: 0 }, successThreshold: 1 };
  // Settings are plain values the backend writes (the contract): no Secret, no ConfigMap.
  const userContainer = {
    name: "user-container",
    image: IMAGE,
    ports: [{ containerPort: 8080, protocol: "TCP" }],
    env: [
      { name: "WEATHER_UNITS", value: "metric" },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    readinessProbe: health,
    livenessProbe: { httpGet: { path: "/health", port: 0 } },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "256Mi" } },
    securityContext: restricted,
    volumeMounts: [{ name: "scratch", mountPath: "/tmp" }],
  };
  const scratch = { name: "scratch", emptyDir: { sizeLimit: "1Gi" } };
  const templateSpec = {
    runtimeClassName: "gvisor",
    serviceAccountName: "mcp-server",
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    containerConcurrency: 0,
    timeoutSeconds: 300,
    containers: [userContainer],
    volumes: [scratch],
  };
  const service = {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: "acme-weather", namespace: NS, labels: { ...tenantLabels, "networking.knative.dev/visibility": "cluster-local" } },
    spec: {
      template: { metadata: { labels: { ...tenantLabels }, annotations: { ...scale } }, spec: clone(templateSpec) },
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  };
  // Knative's Configuration carries the Service's labels plus its own (pkg/reconciler/service/resources/configuration.go).
  const configuration = {
    ...clone(service),
    kind: "Configuration",
    metadata: { ...clone(service.metadata), labels: { ...service.metadata.labels, "serving.knative.dev/service": "acme-weather" } },
    spec: { template: clone(service.spec.template) },
  };
  const revision = {
    apiVersion: "serving.knative.dev/v1",
    kind: "Revision",
    metadata: {
      name: "acme-weather-00001",
      namespace: NS,
      labels: { ...labels },
      annotations: {
        ...scale,
        "serving.knative.dev/routes": "acme-weather",
        "serving.knative.dev/routingStateModified": "2026-11-24T01:00:00Z",
      },
    },
    spec: clone(templateSpec),
  };
  // Knative's makePodSpec: user containers first (image resolved to its digest, PORT and K_* added, HTTP readiness
  // moved to queue-proxy), then queue-proxy; no extra volumes with the platform's config-deployment.
  const { readinessProbe: _movedToQueueProxy, ...userWithoutReadiness } = userContainer;
  const derivedUser = {
    ...clone(userWithoutReadiness),
    ports: [{ name: "user-port", containerPort: 8080, protocol: "TCP" }],
    terminationMessagePolicy: "FallbackToLogsOnError",
    env: [
      ...userContainer.env,
      ...[
        ["PORT", "8080"],
        ["K_REVISION", "acme-weather-00001"],
        ["K_CONFIGURATION", "acme-weather"],
        ["K_SERVICE", "acme-weather"],
      ].map(([name, value]) => ({ name, value })),
    ],
    livenessProbe: { httpGet: { path: "/health", port: 8080 } },
    lifecycle: { preStop: { httpGet: { path: "/wait-for-drain", port: 8022 } } },
  };
  const queueProxy = {
    name: "queue-proxy",
    image: QUEUE_IMAGE,
    ports: [
      ["http-queueadm", 8022],
      ["http-autometric", 9090],
      ["http-usermetric", 9091],
      ["queue-port", 8012],
      ["https-port", 8112],
    ].map(([name, containerPort]) => ({ name, containerPort, protocol: "TCP" })),
    env: [
      ["SERVING_NAMESPACE", NS],
      ["SERVING_SERVICE", "acme-weather"],
      ["SERVING_REVISION", "acme-weather-00001"],
      ["QUEUE_SERVING_PORT", "8012"],
      ["CONTAINER_CONCURRENCY", "0"],
      ["USER_PORT", "8080"],
      ["SYSTEM_NAMESPACE", "knative-serving"],
      ["SERVING_READINESS_PROBE", '{"httpGet":{"path":"/health","port":8080,"host":"127.0.0.1","scheme":"HTTP"},"successThreshold":1}'],
    ].map(([name, value]) => ({ name, value })),
    readinessProbe: { httpGet: { port: 8012, httpHeaders: [{ name: "K-Network-Probe", value: "queue" }] } },
    resources: { requests: { cpu: "25m" } },
    securityContext: { ...restricted, readOnlyRootFilesystem: true },
  };
  const derivedSpec = {
    runtimeClassName: "gvisor",
    serviceAccountName: "mcp-server",
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 300,
    containers: [derivedUser, queueProxy],
    volumes: [scratch],
    dnsPolicy: "ClusterFirst",
    restartPolicy: "Always",
    schedulerName: "default-scheduler",
    securityContext: {},
  };
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "acme-weather-00001-deployment", namespace: NS, labels: { ...labels }, annotations: { ...scale } },
    spec: {
      replicas: 1,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { "serving.knative.dev/revision-uid": "0f5d" } },
      template: { metadata: { labels: { ...labels } }, spec: clone(derivedSpec) },
    },
  };
  const replicaSet = {
    ...clone(deployment),
    kind: "ReplicaSet",
    metadata: {
      ...clone(deployment.metadata),
      name: "acme-weather-00001-deployment-7d9f8c6b5",
      labels: { ...labels, "pod-template-hash": "7d9f8c6b5" },
    },
    spec: {
      replicas: 1,
      selector: clone(deployment.spec.selector),
      template: { metadata: { labels: { ...labels, "pod-template-hash": "7d9f8c6b5" } }, spec: clone(derivedSpec) },
    },
  };
  // After the API server's defaulting, the MCP LimitRange's defaults (every container gets limits) and GKE
  // Sandbox's RuntimeClass scheduling; automount false: no kube-api-access volume.
  const limited = (c: Obj, limits: Obj) => ({
    ...clone(c),
    resources: { requests: { ...c.resources.requests, "ephemeral-storage": "64Mi" }, limits: { ...limits, "ephemeral-storage": "1Gi" } },
  });
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "acme-weather-00001-deployment-7d9f8c6b5-x2x9k",
      namespace: NS,
      labels: { ...labels, "pod-template-hash": "7d9f8c6b5" },
    },
    spec: {
      ...clone(derivedSpec),
      serviceAccount: "mcp-server",
      nodeSelector: { "sandbox.gke.io/runtime": "gvisor" },
      overhead: { cpu: "250m", memory: "20Mi" },
      containers: [limited(derivedUser, { cpu: "2", memory: "256Mi" }), limited(queueProxy, { cpu: "2", memory: "256Mi" })],
      tolerations: [{ key: "sandbox.gke.io/runtime", operator: "Equal", value: "gvisor", effect: "NoSchedule" }],
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
    },
  };
  const cronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "nightly", namespace: NS, labels: { ...tenantLabels } },
    spec: {
      schedule: "0 3 * * *",
      jobTemplate: {
        spec: { template: { metadata: { labels: { ...tenantLabels } }, spec: { ...clone(templateSpec), restartPolicy: "Never" } } },
      },
    },
  };
  const domainMapping = {
    apiVersion: "serving.knative.dev/v1beta1",
    kind: "DomainMapping",
    metadata: { name: `acme-weather.${DOMAIN}`, namespace: NS },
    spec: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "acme-weather" } },
  };
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS, labels: { "kubernetes.io/metadata.name": NS, ...podSecurityRestrictedLabels() } },
  };
  return {
    DIGEST,
    IMAGE,
    QUEUE_IMAGE,
    restricted,
    scale,
    tenantLabels,
    labels,
    userContainer,
    scratch,
    templateSpec,
    service,
    configuration,
    revision,
    derivedUser,
    queueProxy,
    derivedSpec,
    deployment,
    replicaSet,
    pod,
    cronJob,
    domainMapping,
    namespace,
  };
}

/** The pod spec of a workload object (a Pod's and a Revision's own spec, a CronJob's job template's, else the template's). */
export const podSpecOf = (o: Obj): Obj =>
  o.kind === "Pod" || o.kind === "Revision" ? o.spec : o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
/** The pod template's metadata (a Pod's and a Revision's own metadata). */
export const podMetaOf = (o: Obj): Obj =>
  o.kind === "Pod" || o.kind === "Revision"
    ? o.metadata
    : o.kind === "CronJob"
      ? o.spec.jobTemplate.spec.template.metadata
      : o.spec.template.metadata;
