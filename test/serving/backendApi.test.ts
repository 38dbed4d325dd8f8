import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { BackendApi } from "../../components/serving/backendApi.js";
import {
  checkBackendSettings,
  deploymentManifest,
  hpaManifest,
  pdbManifest,
  prometheusPodsMetric,
  serviceManifest,
} from "../../components/serving/backendApiManifests.js";
import { one, record, type PlannedResource } from "../support/harness.js";
import { SEED, dummyPool, inputs, mockProvider, validateWith } from "./fixtures.js";

const PASSWORD = "ch-pw-plaintext-7f3a9c";
const objects = { name: "backend", namespace: "gumstack-backend", labels: { "app.kubernetes.io/name": "backend" } };
const deploymentParams = {
  serviceAccountName: "backend",
  configMapName: "backend-settings",
  secretName: "backend-clickhouse",
  metrics: { port: 9090, path: "/metrics" },
  runAsUser: 65532,
  readOnlyRootFilesystem: true,
  terminationGracePeriodSeconds: 60,
};

function build(password: pulumi.Input<string> = pulumi.secret(PASSWORD)) {
  return record(() => {
    const provider = mockProvider();
    const pool = dummyPool("backend");
    new BackendApi("backend", {
      provider,
      namespace: "gumstack-backend",
      serviceAccountName: "backend",
      domain: SEED.domain,
      ...SEED.backend,
      spanner: { project: "gumstack-test", instance: "gumstack-prod", database: "gumstack" },
      clickhouse: SEED.clickhouse,
      clickhousePassword: password,
      dependsOn: [pool],
    });
  });
}

const objectOf = (r: PlannedResource, apiVersion: string, kind: string) => ({ apiVersion, kind, ...inputs(r) });

describe("BackendApi manifests (pure)", () => {
  it("HPA: 6-48 replicas on CPU 50%, memory 50% and 40 active requests per pod, 30-minute scale-down window", () => {
    const hpa = hpaManifest(objects, SEED.backend, prometheusPodsMetric("gumstack_active_requests"));
    validateWith(HorizontalPodAutoscaler, hpa);
    expect(hpa.spec).toMatchObject({ minReplicas: 6, maxReplicas: 48, behavior: { scaleDown: { stabilizationWindowSeconds: 1800 } } });
    expect(hpa.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 50 } } },
      {
        type: "Pods",
        pods: {
          metric: { name: "prometheus.googleapis.com|gumstack_active_requests|gauge" },
          target: { type: "AverageValue", averageValue: "40" },
        },
      },
    ]);
  });

  it("Deployment: rolling 3/1, backend pool, spread by zone, probes on the health path, restricted, no replicas", () => {
    const d = deploymentManifest(objects, SEED.backend, deploymentParams);
    validateWith(Deployment, d);
    expect(d.spec.replicas).toBeUndefined();
    expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 1 } });
    const pod = d.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ "gumstack.com/pool": "backend" });
    expect(pod.tolerations).toEqual([{ key: "gumstack.com/pool", operator: "Equal", value: "backend", effect: "NoSchedule" }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1 });
    const c = pod.containers[0];
    expect(c.image).toBe(SEED.backend.image);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe])
      expect(probe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(c.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "metrics", containerPort: 9090, protocol: "TCP" },
    ]);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  });

  it("Service is ClusterIP on 80 -> http; the PDB never blocks drains on crash-looping pods", () => {
    const svc = serviceManifest(objects);
    validateWith(Service, svc);
    expect(svc.spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 80, targetPort: "http" }] });
    const pdb = pdbManifest(objects, 1);
    validateWith(PodDisruptionBudget, pdb);
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
  });

  it("refuses unpinned images and windows the HPA would reject", () => {
    expect(() => checkBackendSettings({ ...SEED.backend, image: "gcr.io/x/backend:latest" })).toThrow(/pinned/);
    expect(() => checkBackendSettings({ ...SEED.backend, image: "registry:5000/backend" })).toThrow(/pinned/);
    expect(() => checkBackendSettings({ ...SEED.backend, scaleDownStabilizationSeconds: 7200 })).toThrow(/scaleDownStabilizationSeconds/);
    expect(() => checkBackendSettings({ ...SEED.backend, maxReplicas: 5 })).toThrow(/maxReplicas/);
    expect(() => deploymentManifest(objects, SEED.backend, { ...deploymentParams, metrics: { port: 8080, path: "/metrics" } })).toThrow(
      /differ/,
    );
    expect(() => prometheusPodsMetric("bad-name")).toThrow(/Prometheus metric name/);
  });
});

describe("BackendApi component", () => {
  it("never records the ClickHouse password in plain text", async () => {
    const resources = await build();
    expect(JSON.stringify(resources)).not.toContain(PASSWORD);
    const secret = one(resources, "kubernetes:core/v1:Secret");
    expect(inputs(secret).stringData).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
    validateWith(Secret, { ...objectOf(secret, "v1", "Secret"), stringData: { CLICKHOUSE_PASSWORD: "placeholder" } });
  });

  it("marks the password secret even when handed a plain string", async () => {
    const resources = await build(PASSWORD);
    expect(JSON.stringify(resources)).not.toContain(PASSWORD);
  });

  it("gives the backend its Spanner and ClickHouse settings from config", async () => {
    const resources = await build();
    const cm = one(resources, "kubernetes:core/v1:ConfigMap", "backend-settings");
    validateWith(ConfigMap, objectOf(cm, "v1", "ConfigMap"));
    expect(inputs(cm).data).toMatchObject({
      SPANNER_PROJECT: "gumstack-test",
      SPANNER_INSTANCE: "gumstack-prod",
      SPANNER_DATABASE: "gumstack",
      CLICKHOUSE_HOST: "gumstack.us-west1.gcp.clickhouse.cloud",
      CLICKHOUSE_PORT: "8443",
      CLICKHOUSE_DATABASE: "gumstack",
      CLICKHOUSE_USER: "gumstack",
      PORT: "8080",
    });
    const deployment = one(resources, "kubernetes:apps/v1:Deployment");
    expect(deployment.dependencies).toEqual(expect.arrayContaining([cm.urn, one(resources, "kubernetes:core/v1:Secret").urn]));
  });

  it("creates every workload after the backend pool, and validates each against its schema", async () => {
    const resources = await build();
    const pool = one(resources, "kubernetes:core/v1:ConfigMap", "backend-pool-standin");
    const kinds: [string, string, string, new (d: any) => { validate(): void }][] = [
      ["kubernetes:apps/v1:Deployment", "apps/v1", "Deployment", Deployment],
      ["kubernetes:core/v1:Service", "v1", "Service", Service],
      ["kubernetes:policy/v1:PodDisruptionBudget", "policy/v1", "PodDisruptionBudget", PodDisruptionBudget],
      ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "autoscaling/v2", "HorizontalPodAutoscaler", HorizontalPodAutoscaler],
    ];
    for (const [type, apiVersion, kind, Model] of kinds) {
      const r = one(resources, type);
      expect(r.dependencies, type).toContain(pool.urn);
      validateWith(Model, objectOf(r, apiVersion, kind));
    }
    const hpa = inputs(one(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"));
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "backend" });
    expect(inputs(one(resources, "kubernetes:core/v1:Service")).metadata).toMatchObject({ name: "backend", namespace: "gumstack-backend" });
  });
});
