// The chain of timeouts an MCP request crosses (docs/serving-timeouts.md), read from the prod and enterprise plans:
// the load balancer outlasts Knative's longest request, the activator stays out of the path of running servers
// (its 600 s grace period is shorter than an hour-long stream), Kourier imposes no timeout of its own, and a
// streamed response is bounded by the revision timeout alone.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { namespaceValues, parseStackConfig } from "../../src/config/load.js";
import type { StackExport } from "../../src/plan/plan.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { sharedPlan } from "../support/plans.js";

const prodValues = () =>
  structuredClone(namespaceValues(parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml").config)) as Record<
    string,
    unknown
  >;

type Resource = StackExport["deployment"]["resources"][number];
const plans: Record<string, Resource[]> = {
  prod: (await sharedPlan("prod")).deployment.resources,
  enterprise: (await sharedPlan("enterprise")).deployment.resources,
};
/** Knative's activator Deployment, as the operator installs it (config/core/deployments/activator.yaml, knative-v1.22.1). */
const ACTIVATOR_TERMINATION_GRACE_SECONDS = 600;
/** Kourier's gateway drain and grace (operator kodata/ingress/1.22/kourier/kourier.yaml, v1.22.3). */
const KOURIER = { drainSeconds: 15, terminationGraceSeconds: 30 };

describe.each(Object.keys(plans))("%s plan: the timeout chain of an MCP request", (stack) => {
  const resources = plans[stack]!;
  const serving = resources.find((r) => r.type === "kubernetes:operator.knative.dev/v1beta1:KnativeServing")!;
  const config = (serving.inputs.spec as { config: Record<string, Record<string, string>> }).config;
  const kourierPolicy = resources.find(
    (r) =>
      r.type === "kubernetes:networking.gke.io/v1:GCPBackendPolicy" &&
      (r.inputs.spec as { targetRef: { name: string } }).targetRef.name === "kourier",
  )!;
  const lb = (kourierPolicy.inputs.spec as { default: { timeoutSec: number; connectionDraining: { drainingTimeoutSec: number } } }).default;
  const revisionTimeout = Number(config.defaults!["revision-timeout-seconds"]);
  const maxRevisionTimeout = Number(config.defaults!["max-revision-timeout-seconds"]);

  it("lets the load balancer outlast the longest request Knative allows, so Knative ends it", () => {
    expect(lb.timeoutSec).toBeGreaterThan(maxRevisionTimeout);
    expect(maxRevisionTimeout).toBeGreaterThanOrEqual(revisionTimeout);
    // A quiet stream is bounded by the revision timeout only; the first byte may take as long as the request may.
    expect(config.defaults!["revision-idle-timeout-seconds"]).toBe("0");
    expect(Number(config.defaults!["revision-response-start-timeout-seconds"])).toBeLessThanOrEqual(revisionTimeout);
  });

  it("keeps the activator, whose grace period is shorter than a stream may last, out of running servers' paths", () => {
    expect(maxRevisionTimeout).toBeGreaterThan(ACTIVATOR_TERMINATION_GRACE_SECONDS);
    // target-burst-capacity 0: the activator is in the path only while a revision has no ready pod, and
    // min-scale >= 1 keeps every revision at one pod at least.
    expect(config.autoscaler!["target-burst-capacity"]).toBe("0");
    expect(Number(config.autoscaler!["min-scale"])).toBeGreaterThanOrEqual(1);
    expect(config.autoscaler!["allow-zero-initial-scale"]).toBe("false");
  });

  it("imposes no Kourier timeout, and drains the load balancer no shorter than Kourier drains", () => {
    // config-kourier stream-idle-timeout is left at the operator's "0s" (no timeout): the platform sets no kourier config.
    expect(config.kourier).toBeUndefined();
    expect(lb.connectionDraining.drainingTimeoutSec).toBeGreaterThanOrEqual(KOURIER.drainSeconds);
    expect(lb.connectionDraining.drainingTimeoutSec).toBeLessThanOrEqual(KOURIER.terminationGraceSeconds);
  });
});

describe("config refuses a chain that would cut requests Knative allows", () => {
  it("refuses a load-balancer timeout at or below the longest revision timeout, naming both keys", () => {
    const values = prodValues();
    (values.edge as Record<string, unknown>) = { ...(values.edge as object), backendTimeoutSeconds: 3600 };
    expect(() => parseStackConfig(values)).toThrow(
      /gumstack:edge\.backendTimeoutSeconds: must be greater than knative\.maxRevisionTimeoutSeconds \(3600\)/,
    );
    const ok = prodValues();
    (ok.edge as Record<string, unknown>) = { ...(ok.edge as object), backendTimeoutSeconds: 1800 };
    (ok.knative as Record<string, unknown>) = { ...(ok.knative as object), maxRevisionTimeoutSeconds: 1200, revisionTimeoutSeconds: 1200 };
    expect(parseStackConfig(ok).edge.backendTimeoutSeconds).toBe(1800);
  });
});
