// The isolation canary's manifests: valid objects of their kinds, admitted by the MCP admission guard exactly as a
// customer's server is (the Knative Service, and the Configuration, Revision, Deployment, ReplicaSet and Pod
// Knative derives from it), then the component under mocks and in the prod plan. The guard
// (components/kubernetes/admissionPolicies.ts) requires the tenant label and binds images to the tenant's path,
// so the canary passes as tenant gumstack-canary.
import { Configuration, Revision, Service } from "@kubernetes-models/knative/serving.knative.dev/v1";
import { DomainMapping } from "@kubernetes-models/knative/serving.knative.dev/v1beta1";
import { Deployment, ReplicaSet } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Pod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import {
  admissionGuardManifests,
  artifactRegistryImagePrefix,
  DEFAULT_RESERVED_HOSTNAMES,
  KNATIVE_QUEUE_PROXY_IMAGE_PREFIX,
} from "../../components/kubernetes/admissionPolicies.js";
import { IsolationCanary, type IsolationCanaryArgs } from "../../components/serving/isolationCanary.js";
import {
  CANARY_METRICS_PORT,
  CANARY_TENANT,
  canaryAlertQueries,
  canaryConfigJson,
  canaryDomainMappingManifest,
  canaryPodMonitoringManifest,
  canaryProbes,
  canaryScrapePolicyManifest,
  canaryServiceManifest,
  TENANT_LABEL,
} from "../../components/serving/isolationCanaryManifests.js";
import { sharedCanaryPlan, sharedPlan } from "../support/plans.js";
import { guardRefusals, type Obj } from "../support/admission.js";
import { nameOf, ofType, one, record, waitsFor } from "../support/harness.js";
import { inputs, mockProvider, validateWith } from "./fixtures.js";

const NS = "gumstack-mcp";
const PREFIX = artifactRegistryImagePrefix("us-west1", "gumstack-prod", "gumstack");
const IMAGE = `${PREFIX}${CANARY_TENANT}/canary@sha256:${"5e1b0c7a".repeat(8)}`;
const RANGES = { nodeCidr: "10.10.0.0/20", podCidr: "10.16.0.0/14", serviceCidr: "10.20.0.0/20", masterCidr: "172.16.0.0/28" };
// The guard as the tenancy layer (src/stacks/layers/tenancy.ts) configures it.
const GUARD = admissionGuardManifests({
  tenantImageRepository: PREFIX,
  platformImageRepository: "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform",
  domain: "gumstack.com",
  reservedHostnames: ["api", ...DEFAULT_RESERVED_HOSTNAMES],
  minScale: 1,
  maxScaleLimit: 20,
});
const probes = canaryProbes({
  ranges: RANGES,
  namespace: NS,
  serviceName: CANARY_TENANT,
  reachUrl: "https://www.gstatic.com/generate_204",
});
const service = canaryServiceManifest({
  name: CANARY_TENANT,
  namespace: NS,
  image: IMAGE,
  config: canaryConfigJson(probes, { intervalSeconds: 60 }),
  serviceAccountName: "mcp-server",
  runtimeClassName: "gvisor",
  replicas: 2,
});
const clone = <T>(o: T): T => structuredClone(o);

/** What Knative and Kubernetes make of the Service (knative/serving pkg/reconciler/revision/resources/deploy.go). */
function derived(svc: Obj): Record<string, Obj> {
  const rev = `${svc.metadata.name}-00001`;
  const labels = {
    ...svc.spec.template.metadata.labels,
    "serving.knative.dev/service": svc.metadata.name,
    "serving.knative.dev/configuration": svc.metadata.name,
    "serving.knative.dev/revision": rev,
  };
  const annotations = svc.spec.template.metadata.annotations;
  const configuration = {
    apiVersion: "serving.knative.dev/v1",
    kind: "Configuration",
    metadata: { name: svc.metadata.name, namespace: NS, labels: svc.metadata.labels },
    spec: { template: clone(svc.spec.template) },
  };
  const revision = {
    apiVersion: "serving.knative.dev/v1",
    kind: "Revision",
    metadata: { name: rev, namespace: NS, labels, annotations },
    spec: clone(svc.spec.template.spec),
  };
  const { readinessProbe: _moved, ...user } = clone(svc.spec.template.spec.containers[0]);
  const podSpec = {
    ...clone(svc.spec.template.spec),
    containers: [
      {
        ...user,
        ports: [{ name: "user-port", containerPort: 8080, protocol: "TCP" }],
        terminationMessagePolicy: "FallbackToLogsOnError",
        env: [
          ...user.env,
          ...[
            ["PORT", "8080"],
            ["K_REVISION", rev],
            ["K_CONFIGURATION", svc.metadata.name],
            ["K_SERVICE", svc.metadata.name],
          ].map(([name, value]) => ({ name, value })),
        ],
        livenessProbe: { ...user.livenessProbe, httpGet: { ...user.livenessProbe.httpGet, port: 8080 } },
        lifecycle: { preStop: { httpGet: { path: "/wait-for-drain", port: 8022 } } },
      },
      {
        name: "queue-proxy",
        image: `${KNATIVE_QUEUE_PROXY_IMAGE_PREFIX}${"65c427aa".repeat(8)}`,
        ports: [
          ["http-queueadm", 8022],
          ["http-autometric", 9090],
          ["http-usermetric", 9091],
          ["queue-port", 8012],
          ["https-port", 8112],
        ].map(([name, containerPort]) => ({ name, containerPort, protocol: "TCP" })),
        env: [
          ["SERVING_NAMESPACE", NS],
          ["SERVING_REVISION", rev],
          ["USER_PORT", "8080"],
        ].map(([name, value]) => ({ name, value })),
        readinessProbe: { httpGet: { port: 8012, httpHeaders: [{ name: "K-Network-Probe", value: "queue" }] } },
        resources: { requests: { cpu: "25m" } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
    ],
  };
  delete (podSpec as Obj).containerConcurrency;
  delete (podSpec as Obj).timeoutSeconds;
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `${rev}-deployment`, namespace: NS, labels, annotations },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "serving.knative.dev/revision-uid": "0f5d" } },
      template: { metadata: { labels }, spec: podSpec },
    },
  };
  const replicaSet = {
    ...clone(deployment),
    kind: "ReplicaSet",
    metadata: { ...clone(deployment.metadata), name: `${rev}-deployment-7d9f8c6b5` },
  };
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${rev}-deployment-7d9f8c6b5-x2x9k`, namespace: NS, labels },
    spec: {
      ...clone(podSpec),
      serviceAccount: "mcp-server",
      nodeSelector: { "sandbox.gke.io/runtime": "gvisor" },
      tolerations: [{ key: "sandbox.gke.io/runtime", operator: "Equal", value: "gvisor", effect: "NoSchedule" }],
    },
  };
  return { Service: svc, Configuration: configuration, Revision: revision, Deployment: deployment, ReplicaSet: replicaSet, Pod: pod };
}

describe("the canary's manifests", () => {
  const objects = derived(service);
  const domainMapping = canaryDomainMappingManifest(CANARY_TENANT, NS, "gumstack.com");

  it("are valid objects of their kinds", () => {
    const models: Record<string, new (d: any) => { validate(): void }> = { Service, Configuration, Revision, Deployment, ReplicaSet, Pod };
    for (const [kind, o] of Object.entries(objects)) expect(() => validateWith(models[kind]!, o), kind).not.toThrow();
    validateWith(DomainMapping, domainMapping);
    validateWith(NetworkPolicy, canaryScrapePolicyManifest(NS));
  });

  it.each(["Service", "Configuration", "Revision", "Deployment", "ReplicaSet", "Pod"])(
    "the guard admits the canary's %s, as it would a customer's",
    (kind) => {
      expect(guardRefusals({ kind, object: objects[kind]! }, GUARD, NS)).toEqual([]);
    },
  );

  it("the guard admits its DomainMapping", () => {
    expect(guardRefusals({ kind: "DomainMapping", object: domainMapping }, GUARD, NS)).toEqual([]);
  });

  it("carry no privilege a customer's server lacks: the guard still bites on the canary", () => {
    const mutations: [string, (s: Obj) => void, RegExp][] = [
      [
        "token mounted",
        (s) => {
          s.spec.template.spec.automountServiceAccountToken = true;
        },
        /automountServiceAccountToken must be false/,
      ],
      [
        "runc",
        (s) => {
          delete s.spec.template.spec.runtimeClassName;
        },
        /runtimeClassName must be "gvisor"/,
      ],
      [
        "another service account",
        (s) => {
          s.spec.template.spec.serviceAccountName = "default";
        },
        /serviceAccountName must be "mcp-server"/,
      ],
      [
        "a platform image outside the tenant repository",
        (s) => {
          s.spec.template.spec.containers[0].image = `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/canary@sha256:${"0".repeat(64)}`;
        },
        /^gumstack-mcp-images: the platform's own images .* may not run as MCP servers/,
      ],
      [
        "another tenant's image",
        (s) => {
          s.spec.template.spec.containers[0].image = `${PREFIX}acme/canary@sha256:${"0".repeat(64)}`;
        },
        /^gumstack-mcp-images: images must be .*\(refused: .*\/acme\/canary@sha256:/,
      ],
      [
        "another tenant's Secret named",
        (s) => {
          s.spec.template.spec.containers[0].env.push({ name: "X", valueFrom: { secretKeyRef: { name: "acme.env", key: "x" } } });
        },
        /^gumstack-mcp-secrets: env valueFrom\.secretKeyRef: an MCP pod may name only its own tenant's Secrets/,
      ],
    ];
    for (const [what, mutate, refusal] of mutations) {
      const s = clone(service);
      mutate(s);
      expect(guardRefusals({ kind: "Service", object: s }, GUARD, NS), what).toEqual(
        expect.arrayContaining([expect.stringMatching(refusal)]),
      );
    }
  });

  it("label the Service and its template with the canary's reserved tenant, like every MCP server", () => {
    expect(service.metadata.labels).toMatchObject({ [TENANT_LABEL]: CANARY_TENANT, "networking.knative.dev/visibility": "cluster-local" });
    expect(service.spec.template.metadata.labels[TENANT_LABEL]).toBe(CANARY_TENANT);
    expect(service.spec.template.spec.containers[0].image.startsWith(`${PREFIX}${CANARY_TENANT}/`)).toBe(true);
    expect(service.spec.template.spec.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
    });
    // Two pods, so the neighbour probe has a neighbour; the env name is outside the guard's reserved prefixes.
    expect(service.spec.template.metadata.annotations).toEqual({
      "autoscaling.knative.dev/min-scale": "2",
      "autoscaling.knative.dev/max-scale": "2",
    });
    expect(service.spec.template.spec.containers[0].env.map((e: Obj) => e.name)).toEqual(["CANARY_CONFIG", "METRICS_PORT", "HOST_IP"]);
  });

  it("scrape the metrics port only, and alert on violations and on silence of this cluster's canary", () => {
    const pm = canaryPodMonitoringManifest(CANARY_TENANT, NS, 60);
    expect(pm.spec).toMatchObject({
      selector: { matchLabels: { [TENANT_LABEL]: CANARY_TENANT } },
      endpoints: [{ port: CANARY_METRICS_PORT, path: "/metrics", interval: "60s" }],
    });
    const q = canaryAlertQueries("gumstack-prod", NS, 60);
    expect(q.violation).toBe('max(gumstack_canary_violation{cluster="gumstack-prod",namespace="gumstack-mcp"}) > 0');
    expect(q.silent).toBe(
      'absent(gumstack_canary_last_round_timestamp_seconds{cluster="gumstack-prod",namespace="gumstack-mcp"}) or (time() - max(gumstack_canary_last_round_timestamp_seconds{cluster="gumstack-prod",namespace="gumstack-mcp"}) > 600)',
    );
  });

  it("refuse a reach URL that is not https and a probe list too large for one environment value", () => {
    expect(() => canaryProbes({ ranges: RANGES, namespace: NS, serviceName: "c", reachUrl: "http://example.com/" })).toThrow(
      /must be https:\/\//,
    );
    const many = Array.from({ length: 2000 }, (_, i) => ({ ...probes[0]!, id: `probe-${i}-${"x".repeat(40)}` }));
    expect(() => canaryConfigJson(many, { intervalSeconds: 60 })).toThrow(/over 98304/);
  });
});

describe("the IsolationCanary component", () => {
  const args = (over: Partial<IsolationCanaryArgs> = {}): IsolationCanaryArgs => ({
    provider: mockProvider(),
    project: "gumstack-test",
    clusterName: "gumstack-test",
    domain: "gumstack.com",
    ranges: RANGES,
    image: IMAGE,
    imagePrefix: PREFIX,
    ...over,
  });

  it("creates the Service after its scrape rule, the DomainMapping after the Service, and two alerts on this cluster", async () => {
    const resources = await record(
      () => new IsolationCanary("canary", args({ notificationChannels: ["projects/gumstack-test/notificationChannels/1"] })),
    );
    const svc = one(resources, "kubernetes:serving.knative.dev/v1:Service");
    const dm = one(resources, "kubernetes:serving.knative.dev/v1beta1:DomainMapping");
    const np = one(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    one(resources, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring");
    expect(waitsFor(resources, svc, np)).toBe(true);
    expect(waitsFor(resources, dm, svc)).toBe(true);
    expect(inputs(dm).metadata.name).toBe("gumstack-canary.gumstack.com");
    const alerts = ofType(resources, "gcp:monitoring/alertPolicy:AlertPolicy").map(inputs);
    expect(alerts.map((a) => a.severity).sort()).toEqual(["CRITICAL", "ERROR"]);
    for (const a of alerts) {
      expect(a.conditions[0].conditionPrometheusQueryLanguage.query).toContain('cluster="gumstack-test"');
      expect(a.notificationChannels).toEqual(["projects/gumstack-test/notificationChannels/1"]);
    }
  });

  it.each([
    ["a tag", { image: `${PREFIX}${CANARY_TENANT}/canary:4f2c1e9` }, /pinned by digest/],
    ["another tenant's path", { image: `${PREFIX}acme/canary@sha256:${"a".repeat(64)}` }, /must be .*gumstack-canary\/<name>@sha256/],
    ["a prefix without a trailing slash", { imagePrefix: PREFIX.slice(0, -1) }, /must end in "\/"/],
    ["a too short interval", { intervalSeconds: 5 }, /intervalSeconds must be an integer in \[10, 3600\]/],
  ])("refuses %s before registering anything", (_what, over, message) => {
    expect(() => new IsolationCanary("bad", args(over as Partial<IsolationCanaryArgs>))).toThrow(message);
  });
});

describe("the canary in the prod plan", async () => {
  // Prod as it runs from its second `up` on: the first starts without the canary, whose image can only be copied
  // into the tenant repository that `up` creates.
  const plan = await sharedCanaryPlan("prod");
  const resources = plan.deployment.resources;

  it("is not in the committed prod plan: off until the first deployment, with nothing of it planned", async () => {
    const first = (await sharedPlan("prod")).deployment.resources;
    expect(ofType(first, "kubernetes:serving.knative.dev/v1:Service")).toEqual([]);
    expect(first.filter((r) => r.urn.includes("canary"))).toEqual([]);
    expect((first.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs as Obj).canaryUrl ?? null).toBeNull();
  });

  it("runs after Knative Serving and the admission guard, on the MCP pool, in the MCP namespace", () => {
    const svc = one(resources, "kubernetes:serving.knative.dev/v1:Service");
    expect(inputs(svc).metadata.namespace).toBe(NS);
    expect(waitsFor(resources, svc, one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing"))).toBe(true);
    // The MCP namespace's guard (the build namespace's guards the builds, not the canary).
    const bindings = ofType(resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding").filter((b) =>
      inputs(b).metadata.name.startsWith(`${NS}-`),
    );
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) expect(waitsFor(resources, svc, b), nameOf(b)).toBe(true);
    for (const p of ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((r) => inputs(r).metadata.namespace === NS)) {
      if (inputs(p).metadata.name !== "allow-ingress-canary-metrics") expect(waitsFor(resources, svc, p), nameOf(p)).toBe(true);
    }
  });

  it("exports the canary's URL for the uptime check", () => {
    const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    expect((stack.outputs as Obj).canaryUrl).toBe("https://gumstack-canary.gumstack.com/healthz");
  });
});
