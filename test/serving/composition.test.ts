// The serving components as the platform stack composes them (the serving and edge layers of src/stacks/layers/,
// in the prod plan): the edge routes to what the others expose, and the recorded plan carries the order a first
// `pulumi up` needs.
import { describe, expect, it } from "vitest";
import { one, type PlannedResource } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";
import { inputs } from "./fixtures.js";

describe("serving components composed", async () => {
  const resources: PlannedResource[] = (await sharedPlan("prod")).deployment.resources;

  it("puts Kourier's load-balancer policies after the KnativeServing that creates Kourier, the backend's after its Service", () => {
    const serving = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing");
    const release = one(resources, "kubernetes:helm.sh/v3:Release");
    expect(serving.dependencies).toContain(release.urn);
    const backendService = one(resources, "kubernetes:core/v1:Service", "backend-service");
    for (const [side, dep] of [
      ["kourier", serving],
      ["backend", backendService],
    ] as const) {
      for (const [type, name] of [
        ["kubernetes:networking.gke.io/v1:HealthCheckPolicy", `edge-${side}-health`],
        ["kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", `edge-${side}-route`],
      ] as const) {
        const r = one(resources, type, name);
        expect(r.dependencies, r.urn).toContain(dep.urn);
      }
    }
  });

  it("routes the API host to the backend Service the BackendApi created, and scrapes its metrics port", () => {
    const svc = inputs(one(resources, "kubernetes:core/v1:Service", "backend-service"));
    const route = inputs(one(resources, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "edge-backend-route"));
    expect(route.spec.rules[0].backendRefs[0]).toMatchObject({
      name: svc.metadata.name,
      namespace: svc.metadata.namespace,
      port: svc.spec.ports[0].port,
    });
    const podMonitoring = inputs(one(resources, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "metrics-backend-podmonitoring"));
    const deployment = inputs(one(resources, "kubernetes:apps/v1:Deployment", "backend-deployment"));
    expect(podMonitoring.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(deployment.spec.template.spec.containers[0].ports).toContainEqual({ name: "metrics", containerPort: 9090, protocol: "TCP" });
  });
});
