// Shared test fixtures for the serving components: a mock cluster provider, a stand-in node pool and the
// seed's values (as in Pulumi.prod.yaml).
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedResource } from "../support/harness.js";

/** The Kubernetes provider every component receives (mocked). */
export function mockProvider(): K8sProvider {
  return new K8sProvider("cluster", { kubeconfig: "{}", enableServerSideApply: true });
}

/** A stand-in for a node pool: workloads must depend on it. */
export function dummyPool(name: string): pulumi.CustomResource {
  return new corev1.ConfigMap(`${name}-pool-standin`, { metadata: { name: `${name}-pool` } });
}

/** The resource's recorded inputs, with pulumi's serialization of secrets left as is. */
export function inputs(r: PlannedResource): Record<string, any> {
  return r.inputs as Record<string, any>;
}

/** Validates a manifest with a kubernetes-models class; throws with the schema errors. */
export function validateWith(Model: new (data: any) => { validate(): void }, manifest: unknown): void {
  new Model(JSON.parse(JSON.stringify(manifest))).validate();
}

export const SEED = {
  domain: "gumstack.com",
  project: "gumstack-test",
  knative: { minScale: 1, maxScale: 10, maxScaleLimit: 20, targetConcurrency: 100 },
  backend: {
    image:
      "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/backend@sha256:b483a7e23b7694a67211509895e7782b45e2981a8e3e6643ac9a53c2d4183f55",
    minReplicas: 6,
    maxReplicas: 48,
    targetConcurrentRequests: 40,
    cpuUtilization: 50,
    memoryUtilization: 50,
    scaleDownStabilizationSeconds: 1800,
    maxSurge: 3,
    maxUnavailable: 1,
    port: 8080,
    healthPath: "/healthz",
    cpuRequest: "1",
    memoryRequest: "2Gi",
  },
  clickhouse: { host: "gumstack.us-west1.gcp.clickhouse.cloud", port: 8443, database: "gumstack", username: "gumstack" },
} as const;
