import { KnativeServing as KnativeServingModel } from "@kubernetes-models/knative/operator.knative.dev/v1beta1/KnativeServing";
import { DomainMapping } from "@kubernetes-models/knative/serving.knative.dev/v1beta1/DomainMapping";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KnativeServing } from "../../components/serving/knativeServing.js";
import {
  KNATIVE_OPERATOR_CHART,
  KNATIVE_SERVING_VERSION,
  assertOperatorSupports,
  domainMappingManifest,
  knativeServingManifest,
  operatorHelmValues,
  servingConfig,
  type ServingSettings,
} from "../../components/serving/knativeServingManifests.js";
import { one, record } from "../support/harness.js";
import { SEED, dummyPool, inputs, mockProvider, validateWith } from "./fixtures.js";

const seedSettings: ServingSettings = {
  ...SEED.knative,
  targetUtilizationPercentage: 100,
  revisionTimeoutSeconds: 3600,
  maxRevisionTimeoutSeconds: 3600,
  runtimeClassName: "gvisor",
  securePodDefaults: "Enabled",
  highAvailabilityReplicas: 3,
  systemPool: "system",
};

describe("KnativeServing manifests (pure)", () => {
  const config = servingConfig(seedSettings);

  it("autoscales on the seed's values: min 1, max 10, target 100 meaning 100", () => {
    expect(config.autoscaler).toMatchObject({
      "min-scale": "1",
      "max-scale": "10",
      "max-scale-limit": "20",
      "container-concurrency-target-default": "100",
      "container-concurrency-target-percentage": "100",
      "allow-zero-initial-scale": "false",
    });
  });

  it("makes gvisor the default runtime class and lets revisions name one", () => {
    expect(config.features!["kubernetes.podspec-runtimeclassname"]).toBe("enabled");
    expect(config.features!["kubernetes.podspec-fieldref"]).toBe("enabled");
    // Knative parses runtime-class-name as YAML: class name -> optional label selector (empty: every revision).
    expect(parse(config.deployment!["runtime-class-name"]!)).toEqual({ gvisor: {} });
    expect(config.features!["secure-pod-defaults"]).toBe("Enabled");
  });

  it("routes with Kourier, keeps Knative Services cluster-local and claims DomainMapping domains", () => {
    expect(config.network).toEqual({
      "ingress-class": "kourier.ingress.networking.knative.dev",
      "autocreate-cluster-domain-claims": "true",
      "default-external-scheme": "https",
    });
    expect(config.domain).toEqual({ "svc.cluster.local": "" });
  });

  it("lets streaming MCP sessions last an hour", () => {
    expect(config.defaults).toEqual({
      "revision-timeout-seconds": "3600",
      "max-revision-timeout-seconds": "3600",
      "revision-response-start-timeout-seconds": "3600",
      "revision-idle-timeout-seconds": "0",
      "enable-service-links": "false",
    });
  });

  it("bounds Revision retention: only the newest 2 non-active Revisions per server stay, none kept for its age", () => {
    // Keys and "disabled" from knative/serving knative-v1.22.1 pkg/gc/config.go; Knative's defaults keep 20 for 48 h.
    expect(config.gc).toEqual({
      "retain-since-create-time": "disabled",
      "retain-since-last-active-time": "disabled",
      "min-non-active-revisions": "0",
      "max-non-active-revisions": "2",
    });
    expect(servingConfig({ ...seedSettings, maxNonActiveRevisions: 0 }).gc!["max-non-active-revisions"]).toBe("0");
    expect(() => servingConfig({ ...seedSettings, maxNonActiveRevisions: 21 })).toThrow(
      /maxNonActiveRevisions must be an integer in \[0, 20\]/,
    );
    expect(() => servingConfig({ ...seedSettings, maxNonActiveRevisions: -1 })).toThrow(/maxNonActiveRevisions/);
  });

  it("refuses settings Knative would reject after the install started", () => {
    expect(() => servingConfig({ ...seedSettings, maxScale: 30 })).toThrow(/maxScale must be an integer in \[1, 20\]/);
    expect(() => servingConfig({ ...seedSettings, minScale: 11 })).toThrow(/minScale \(11\) must be <= maxScale/);
    expect(() => servingConfig({ ...seedSettings, targetUtilizationPercentage: 0 })).toThrow(/targetUtilizationPercentage/);
    expect(() => servingConfig({ ...seedSettings, revisionTimeoutSeconds: 7200 })).toThrow(/revisionTimeoutSeconds/);
  });

  it("builds a KnativeServing valid against the operator's schema, Kourier behind a ClusterIP Service", () => {
    const manifest = knativeServingManifest(KNATIVE_SERVING_VERSION, seedSettings);
    validateWith(KnativeServingModel, manifest);
    expect(manifest.spec).toMatchObject({
      version: "1.22.1",
      ingress: { kourier: { enabled: true, "service-type": "ClusterIP" } },
      "high-availability": { replicas: 3 },
    });
    const workloads = manifest.spec.workloads as { name: string; nodeSelector: Record<string, string> }[];
    expect(workloads.map((w) => w.name)).toEqual(
      expect.arrayContaining(["activator", "autoscaler", "controller", "webhook", "net-kourier-controller", "3scale-kourier-gateway"]),
    );
    for (const w of workloads) expect(w.nodeSelector).toEqual({ "gumstack.com/pool": "system" });
  });

  it("pins an operator chart that bundles the Serving version", () => {
    expect(KNATIVE_OPERATOR_CHART).toEqual({ repo: "https://knative.github.io/operator", chart: "knative-operator", version: "v1.22.3" });
    expect(() => assertOperatorSupports("v1.22.3", "1.22.1")).not.toThrow();
    expect(() => assertOperatorSupports("v1.22.3", "1.19")).not.toThrow();
    expect(() => assertOperatorSupports("v1.22.3", "1.18")).toThrow(/installs Serving 1.19-1.22, not 1.18/);
    expect(() => assertOperatorSupports("v1.22.3", "1.23.0")).toThrow(/not 1.23.0/);
  });

  it("places the operator on the system pool through affinity (the chart has no nodeSelector)", () => {
    const values = operatorHelmValues("system") as any;
    const term =
      values.knative_operator.operator_webhook.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
    expect(term.matchExpressions).toEqual([{ key: "gumstack.com/pool", operator: "In", values: ["system"] }]);
    expect(values.knative_operator.knative_operator.affinity).toEqual(values.knative_operator.operator_webhook.affinity);
  });

  it("describes the DomainMapping that makes <server>.<domain> public", () => {
    const dm = domainMappingManifest("weather", SEED.domain, "gumstack-mcp");
    validateWith(DomainMapping, dm);
    expect(dm).toMatchObject({
      metadata: { name: "weather.gumstack.com", namespace: "gumstack-mcp" },
      spec: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "weather" } },
    });
    expect(() => domainMappingManifest("Bad_Name", SEED.domain, "gumstack-mcp")).toThrow(/DNS-1123 label/);
  });
});

describe("KnativeServing component", () => {
  it("installs the operator release before the KnativeServing, both after the system pool", async () => {
    const resources = await record(() => {
      const provider = mockProvider();
      const pool = dummyPool("system");
      new KnativeServing("knative", { provider, ...SEED.knative, dependsOn: [pool] });
    });
    const release = one(resources, "kubernetes:helm.sh/v3:Release", "knative-operator");
    const cr = one(resources, "kubernetes:operator.knative.dev/v1beta1:KnativeServing", "knative-serving");
    const pool = one(resources, "kubernetes:core/v1:ConfigMap", "system-pool-standin");
    const component = one(resources, "gumstack:serving:KnativeServing", "knative");

    expect(inputs(release)).toMatchObject({
      chart: "knative-operator",
      version: "v1.22.3",
      repositoryOpts: { repo: "https://knative.github.io/operator" },
      namespace: "knative-operator",
      atomic: true,
    });
    expect(cr.dependencies).toContain(release.urn);
    expect(release.dependencies).toContain(pool.urn);
    expect(cr.dependencies).toContain(pool.urn);
    expect(release.parent).toBe(component.urn);
    expect(cr.provider).toMatch(/pulumi:providers:kubernetes::cluster$/);

    const manifest = { apiVersion: inputs(cr).apiVersion, kind: inputs(cr).kind, metadata: inputs(cr).metadata, spec: inputs(cr).spec };
    validateWith(KnativeServingModel, manifest);
    expect(manifest.metadata).toMatchObject({ name: "knative-serving", namespace: "knative-serving" });
    expect(manifest.spec).toEqual(knativeServingManifest(KNATIVE_SERVING_VERSION, seedSettings).spec);

    // By default every revision gets runAsNonRoot (secure-pod-defaults Enabled): the MCP namespace enforces Pod
    // Security "restricted", which refuses pods without it; AllowRootBounded would leave it unset.
    expect(manifest.spec.config.features["secure-pod-defaults"]).toBe("Enabled");

    for (const ns of ["knative-operator-ns", "knative-serving-ns"]) {
      const r = one(resources, "kubernetes:core/v1:Namespace", ns);
      validateWith(Namespace, { apiVersion: "v1", kind: "Namespace", metadata: inputs(r).metadata });
      expect(r.dependencies).toContain(pool.urn);
    }
  });
});
