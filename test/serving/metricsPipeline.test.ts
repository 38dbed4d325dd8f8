import { APIService } from "kubernetes-models/apiregistration.k8s.io/v1/APIService";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MetricsPipeline } from "../../components/serving/metricsPipeline.js";
import { ADAPTER_IMAGE, adapterManifests, podMonitoringManifest } from "../../components/serving/metricsPipelineManifests.js";
import { workloadIdentityMember } from "../../components/platform.js";
import { ofType, one, record } from "../support/harness.js";
import { SEED, dummyPool, inputs, mockProvider, validateWith } from "./fixtures.js";

const MODELS: Record<string, new (d: any) => { validate(): void }> = {
  "v1/ServiceAccount": ServiceAccount,
  "v1/Service": Service,
  "v1/Namespace": Namespace,
  "apps/v1/Deployment": Deployment,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "apiregistration.k8s.io/v1/APIService": APIService,
};

/**
 * No kubernetes-models package ships PodMonitoring: this is the v1 schema of the official CRD
 * (GoogleCloudPlatform/prometheus-engine charts/operator/crds/monitoring.googleapis.com_podmonitorings.yaml)
 * for the fields used, strict so a misspelt key fails. Required: spec.selector, spec.endpoints[].port/interval.
 */
const promDuration = z.string().regex(/^((\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?|0)$/);
const podMonitoringSchema = z.strictObject({
  apiVersion: z.literal("monitoring.googleapis.com/v1"),
  kind: z.literal("PodMonitoring"),
  metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1) }),
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() }),
    endpoints: z
      .array(
        z.strictObject({
          port: z.union([z.number().int().min(1).max(65535), z.string().min(1).max(253)]),
          interval: promDuration,
          path: z.string().optional(),
          scheme: z.enum(["http", "https"]).optional(),
          timeout: promDuration.optional(),
        }),
      )
      .min(1),
    targetLabels: z
      .strictObject({
        metadata: z.array(z.enum(["container", "node", "pod", "top_level_controller_name", "top_level_controller_type"])).optional(),
      })
      .optional(),
  }),
});

function build() {
  return record(() => {
    const provider = mockProvider();
    const pool = dummyPool("system");
    new MetricsPipeline("metrics", {
      provider,
      project: SEED.project,
      backend: { namespace: "gumstack-backend", podLabels: { "app.kubernetes.io/name": "backend" }, metricsPort: "metrics" },
      dependsOn: [pool],
    });
  });
}

describe("MetricsPipeline manifests (pure)", () => {
  it("builds the official adapter objects, each valid against its schema, with the pinned image", () => {
    const manifests = adapterManifests({ image: ADAPTER_IMAGE, gsaEmail: "a@p.iam.gserviceaccount.com", pool: "system", replicas: 2 });
    for (const m of manifests) validateWith(MODELS[`${m.apiVersion}/${m.kind}`]!, m);
    expect(manifests.filter((m) => m.kind === "APIService").map((m) => m.metadata.name)).toEqual([
      "v1beta1.custom.metrics.k8s.io",
      "v1beta2.custom.metrics.k8s.io",
      "v1beta1.external.metrics.k8s.io",
    ]);
    const deployment = manifests.find((m) => m.kind === "Deployment")!;
    expect(deployment.spec.template.spec.containers[0].image).toBe("gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.16.9-gke.0");
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ "gumstack.com/pool": "system" });
    const ksa = manifests.find((m) => m.kind === "ServiceAccount")!;
    expect(ksa.metadata).toMatchObject({
      name: "custom-metrics-stackdriver-adapter",
      namespace: "custom-metrics",
      annotations: { "iam.gke.io/gcp-service-account": "a@p.iam.gserviceaccount.com" },
    });
  });

  it("scrapes the backend's metrics port and keeps the pod label the adapter keys Pods metrics by", () => {
    const pm = podMonitoringManifest({
      name: "backend-metrics",
      namespace: "gumstack-backend",
      matchLabels: { "app.kubernetes.io/name": "backend" },
      port: "metrics",
      path: "/metrics",
      interval: "15s",
    });
    podMonitoringSchema.parse(pm);
    expect(pm.spec.targetLabels.metadata).toContain("pod");
    expect(() => podMonitoringSchema.parse({ ...pm, spec: { ...pm.spec, endpoint: [] } })).toThrow();
  });

  it("names the Workload Identity principal of the adapter's KSA", () => {
    expect(workloadIdentityMember("gumstack-test.svc.id.goog", "custom-metrics", "custom-metrics-stackdriver-adapter")).toBe(
      "serviceAccount:gumstack-test.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]",
    );
  });
});

describe("MetricsPipeline component", () => {
  it("gives the adapter a GSA with roles/monitoring.viewer, impersonated only by its KSA", async () => {
    const resources = await build();
    const gsa = one(resources, "gcp:serviceaccount/account:Account");
    expect(inputs(gsa)).toMatchObject({ project: "gumstack-test", accountId: "custom-metrics-adapter" });
    const viewer = inputs(one(resources, "gcp:projects/iAMMember:IAMMember"));
    expect(viewer).toEqual({
      project: "gumstack-test",
      role: "roles/monitoring.viewer",
      member: "serviceAccount:custom-metrics-adapter@gumstack-test.iam.gserviceaccount.com",
    });
    const wi = inputs(one(resources, "gcp:serviceaccount/iAMMember:IAMMember"));
    expect(wi).toEqual({
      serviceAccountId: "projects/gumstack-test/serviceAccounts/custom-metrics-adapter@gumstack-test.iam.gserviceaccount.com",
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:gumstack-test.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]",
    });
    const ksa = inputs(one(resources, "kubernetes:core/v1:ServiceAccount"));
    expect(ksa.metadata.annotations["iam.gke.io/gcp-service-account"]).toBe("custom-metrics-adapter@gumstack-test.iam.gserviceaccount.com");
  });

  it("orders identity before the adapter, the adapter before its APIServices, all after the system pool", async () => {
    const resources = await build();
    const pool = one(resources, "kubernetes:core/v1:ConfigMap", "system-pool-standin");
    const deployment = one(resources, "kubernetes:apps/v1:Deployment");
    const wi = one(resources, "gcp:serviceaccount/iAMMember:IAMMember");
    const viewer = one(resources, "gcp:projects/iAMMember:IAMMember");
    expect(deployment.dependencies).toEqual(expect.arrayContaining([pool.urn, wi.urn, viewer.urn]));
    const service = one(resources, "kubernetes:core/v1:Service");
    for (const api of ofType(resources, "kubernetes:apiregistration.k8s.io/v1:APIService")) {
      expect(api.dependencies).toEqual(expect.arrayContaining([deployment.urn, service.urn, pool.urn]));
    }
  });

  it("validates every recorded manifest against its schema", async () => {
    const resources = await build();
    let n = 0;
    for (const r of resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:core/v1:ConfigMap")) {
      const m = inputs(r);
      if (m.kind === "PodMonitoring") {
        podMonitoringSchema.parse(m);
        expect(m.spec.endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
      } else {
        validateWith(MODELS[`${m.apiVersion}/${m.kind}`]!, m);
      }
      n++;
    }
    expect(n).toBe(14);
  });
});
