// The four serving components wired the way the platform stack composes them: the edge routes to what the
// others expose, and the recorded plan carries the order a first `pulumi up` needs.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { BackendApi } from "../../components/serving/backendApi.js";
import { Edge } from "../../components/serving/edge.js";
import { KnativeServing } from "../../components/serving/knativeServing.js";
import { MetricsPipeline } from "../../components/serving/metricsPipeline.js";
import { ofType, one, record } from "../support/harness.js";
import { SEED, dummyPool, inputs, mockProvider } from "./fixtures.js";

async function platform() {
  return record(() => {
    const provider = mockProvider();
    const systemPool = dummyPool("system");
    const backendPool = dummyPool("backend");
    const knative = new KnativeServing("knative", { provider, ...SEED.knative, dependsOn: [systemPool] });
    const backend = new BackendApi("backend", {
      provider,
      namespace: "gumstack-backend",
      serviceAccountName: "backend",
      domain: SEED.domain,
      ...SEED.backend,
      spanner: { project: SEED.project, instance: "gumstack", database: "gumstack" },
      clickhouse: SEED.clickhouse,
      clickhousePassword: pulumi.secret("pw"),
      dependsOn: [backendPool],
    });
    new MetricsPipeline("metrics", {
      provider,
      project: SEED.project,
      backend: { namespace: backend.namespace, podLabels: backend.podLabels, metricsPort: "metrics", metricsPath: backend.metricsPath },
      dependsOn: [systemPool],
    });
    new Edge("edge", {
      provider,
      project: SEED.project,
      domain: SEED.domain,
      backend: { namespace: backend.namespace, serviceName: backend.serviceName, port: backend.servicePort },
      backendHealthPath: backend.healthPath,
      securityPolicyName: "gumstack-test-edge",
      dependsOn: [knative.serving, backend.service],
    });
  });
}

describe("serving components composed", () => {
  it("puts Kourier's load-balancer policies after the KnativeServing that creates Kourier", async () => {
    const resources = await platform();
    const serving = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");
    const release = one(resources, "kubernetes:helm.sh/v3:Release");
    expect(serving.dependencies).toContain(release.urn);
    for (const type of ["kubernetes:networking.gke.io/v1:HealthCheckPolicy", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"]) {
      for (const r of ofType(resources, type)) expect(r.dependencies, r.urn).toContain(serving.urn);
    }
  });

  it("routes the API host to the backend Service the BackendApi created, and scrapes its metrics port", async () => {
    const resources = await platform();
    const svc = inputs(one(resources, "kubernetes:core/v1:Service", "backend-service"));
    const route = inputs(one(resources, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "edge-backend-route"));
    expect(route.spec.rules[0].backendRefs[0]).toMatchObject({
      name: svc.metadata.name,
      namespace: svc.metadata.namespace,
      port: svc.spec.ports[0].port,
    });
    const podMonitoring = inputs(one(resources, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"));
    const deployment = inputs(one(resources, "kubernetes:apps/v1:Deployment", "backend-deployment"));
    expect(podMonitoring.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(deployment.spec.template.spec.containers[0].ports).toContainEqual({ name: "metrics", containerPort: 9090, protocol: "TCP" });
  });
});
