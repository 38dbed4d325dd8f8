// Every Kubernetes object the prod and enterprise stacks create, validated against its schema package:
// kubernetes-models for core kinds, the Knative, Gateway API and GKE CRD packages for the rest.
import { describe, expect, it } from "vitest";
import { sharedPlan } from "../support/plans.js";
import { nameOf, type PlannedResource } from "../support/harness.js";

/** Kinds no schema package ships: each is validated elsewhere (Helm values by the chart, PodMonitoring by a CRD copy). */
const NO_PACKAGE = new Set(["helm.sh/v3/Release", "monitoring.googleapis.com/v1/PodMonitoring"]);

/** The schema package module of an apiVersion/kind, by the packages' path conventions. */
function modelPath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  if (group!.endsWith("knative.dev")) return `@kubernetes-models/knative/${group}/${version}/${kind}`;
  if (group === "gateway.networking.k8s.io") return `@kubernetes-models/gateway-api/${group}/${version}/${kind}`;
  if (group!.endsWith("gke.io")) return `@kubernetes-models/gke/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

type Model = new (o: unknown) => { validate(): void };

function objects(resources: readonly PlannedResource[]) {
  return resources
    .filter((r) => r.custom && !r.external && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"))
    .map((r) => ({ r, manifest: r.inputs as { apiVersion: string; kind: string } }));
}

/** Loads the model class of every kind in the plan; a kind without a package maps to undefined. */
async function loadModels(kinds: Iterable<string>): Promise<Map<string, Model | undefined>> {
  const models = new Map<string, Model | undefined>();
  for (const key of kinds) {
    const apiVersion = key.slice(0, key.lastIndexOf("/"));
    const kind = key.slice(key.lastIndexOf("/") + 1);
    try {
      models.set(key, ((await import(modelPath(apiVersion, kind))) as Record<string, Model>)[kind]);
    } catch {
      models.set(key, undefined);
    }
  }
  return models;
}

describe.each(["prod", "enterprise"])("every Kubernetes object of the %s plan", async (stack) => {
  const plan = await sharedPlan(stack);
  const all = objects(plan.deployment.resources).filter(({ manifest }) => !NO_PACKAGE.has(`${manifest.apiVersion}/${manifest.kind}`));
  const models = await loadModels(new Set(all.map(({ manifest }) => `${manifest.apiVersion}/${manifest.kind}`)));

  it("is of a kind with a schema package (or a documented exception)", () => {
    expect(all.length).toBeGreaterThan(40);
    expect([...models].filter(([, model]) => model === undefined).map(([k]) => k)).toEqual([]);
  });

  it.each(all.map(({ r, manifest }) => [nameOf(r), manifest] as const))("%s validates", (_name, manifest) => {
    const Model = models.get(`${manifest.apiVersion}/${manifest.kind}`)!;
    expect(() => new Model(manifest).validate()).not.toThrow();
  });
});
