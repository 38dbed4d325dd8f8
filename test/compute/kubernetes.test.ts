// The Kubernetes side: the provider, the GKE Sandbox RuntimeClass (read, never created), the MCP and backend
// namespaces, and a schema validation of every Kubernetes object the compute layer creates.
import { LimitRange, Namespace, ResourceQuota, ServiceAccount } from "kubernetes-models/v1";
import { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { gkeKubeconfig } from "../../components/kubernetes/clusterProvider.js";
import { mcpNamespaceManifests, podSecurityLabels } from "../../components/kubernetes/mcpNamespace.js";
import { workloadIdentityMember } from "../../components/platform.js";
import { podSecurityRestrictedLabels } from "../../components/kubernetes/admissionPolicies.js";
import { one, ofType, record, type PlannedResource } from "../support/harness.js";
import { buildCompute, plannedCompute, prodConfig, valueOf } from "./fixtures.js";
import { namespaceQuotas } from "../../src/config/quota.js";

type Json = Record<string, any>;
const inputs = (r: PlannedResource) => r.inputs as Json;

describe("ClusterProvider", async () => {
  const resources = await plannedCompute();
  const provider = one(resources, "pulumi:providers:kubernetes", "k8s-k8s");
  const kubeconfig = JSON.parse(String(provider.inputs.kubeconfig));

  it("authenticates with gke-gcloud-auth-plugin (exec), no token or client certificate", () => {
    const user = kubeconfig.users[0].user;
    expect(Object.keys(user)).toEqual(["exec"]);
    expect(user.exec).toMatchObject({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "gke-gcloud-auth-plugin",
      provideClusterInfo: true,
    });
  });

  it("has the plugin use Application Default Credentials (the GCP provider's identity), not the gcloud CLI's account", () => {
    // Without the flag the plugin runs `gcloud config config-helper`, which fails where only ADC is set up (CI).
    expect(kubeconfig.users[0].user.exec.args).toEqual(["--use_application_default_credentials"]);
  });

  it("talks to the DNS endpoint (publicly trusted certificate, so no CA data)", () => {
    const cluster = kubeconfig.clusters[0].cluster;
    expect(cluster.server).toMatch(/^https:\/\/gke-\d+\.us-west1\.gke\.goog$/);
    expect(cluster).not.toHaveProperty("certificate-authority-data");
    expect(kubeconfig["current-context"]).toBe("gke_gumstack-prod_us-west1_gumstack-prod");
  });

  it("uses server-side apply, is tied to the cluster's identity, and waits for every node pool", () => {
    expect(String(provider.inputs.enableServerSideApply)).toBe("true");
    expect(provider.inputs.clusterIdentifier).toBe(one(resources, "gcp:container/cluster:Cluster").id);
    for (const role of ["system", "backend", "mcp"]) {
      expect(provider.dependencies).toContain(one(resources, "gcp:container/nodePool:NodePool", `pool-${role}-pool`).urn);
    }
  });

  it("is the provider of every Kubernetes object", () => {
    const k8sObjects = resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sObjects.length).toBeGreaterThan(10);
    for (const r of k8sObjects) expect(r.provider).toBe(provider.urn);
  });

  it("writes a bare-host kubeconfig and refuses a URL as host", () => {
    const k = JSON.parse(gkeKubeconfig({ contextName: "c", server: "1.2.3.4", caCertificate: "Q0E=" }));
    expect(k.clusters[0].cluster).toEqual({ server: "https://1.2.3.4", "certificate-authority-data": "Q0E=" });
    expect(() => gkeKubeconfig({ contextName: "c", server: "https://x" })).toThrow("bare host");
  });
});

describe("GvisorRuntimeClass", async () => {
  let runtimeClassName: string | undefined;
  let handler: string | undefined;
  const resources = await record(async () => {
    const { gvisor } = buildCompute();
    runtimeClassName = await valueOf(gvisor.runtimeClassName);
    handler = await valueOf(gvisor.handler);
  });

  it("never creates (or adopts) a RuntimeClass: GKE Sandbox owns `gvisor` (fact 11)", () => {
    // Only a read (an external resource in the plan): Pulumi never creates, updates or deletes it.
    const classes = resources.filter((r) => /RuntimeClass/.test(r.type) && r.custom);
    expect(classes.map((r) => [r.external, r.id])).toEqual([[true, "gvisor"]]);
  });

  it("hands workloads the class name it read from the cluster", () => {
    expect(runtimeClassName).toBe("gvisor");
    expect(handler).toBe("gvisor");
  });
});

describe("McpNamespace", async () => {
  const cfg = prodConfig();
  const resources = await plannedCompute(cfg);
  const ns = one(resources, "kubernetes:core/v1:Namespace", "mcp-namespace");
  const sa = one(resources, "kubernetes:core/v1:ServiceAccount", "mcp-service-account");

  it("is gumstack-mcp, enforcing Pod Security restricted (audit and warn too), as the admission guard demands", () => {
    const labels = inputs(ns).metadata.labels;
    expect(inputs(ns).metadata.name).toBe("gumstack-mcp");
    expect(labels).toMatchObject(podSecurityRestrictedLabels());
    expect(labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  it("gives MCP pods a ServiceAccount with no Workload Identity annotation and no automounted token", () => {
    expect(inputs(sa).metadata.name).toBe("mcp-server");
    expect(inputs(sa).metadata.namespace).toBe("gumstack-mcp");
    expect(inputs(sa).metadata).not.toHaveProperty("annotations");
    expect(inputs(sa).automountServiceAccountToken).toBe(false);
    expect(sa.dependencies).toContain(ns.urn);
  });

  it("sizes the ResourceQuota and LimitRange from config", () => {
    const quota = inputs(one(resources, "kubernetes:core/v1:ResourceQuota", "mcp-quota"));
    expect(quota.metadata.namespace).toBe("gumstack-mcp");
    expect(quota.spec.hard).toEqual({
      "requests.cpu": namespaceQuotas(cfg).mcp.cpu,
      "requests.memory": namespaceQuotas(cfg).mcp.memory,
      pods: String(cfg.mcp.quotaPods),
      "services.loadbalancers": "0",
      "services.nodeports": "0",
    });
    const limits = inputs(one(resources, "kubernetes:core/v1:LimitRange", "mcp-limits"));
    expect(limits.spec.limits).toEqual([
      {
        type: "Container",
        defaultRequest: {
          cpu: cfg.mcp.defaultCpuRequest,
          memory: cfg.mcp.defaultMemory,
          "ephemeral-storage": cfg.mcp.defaultEphemeralStorageRequest,
        },
        // Both limits defaulted: GKE Sandbox enforces limits only when every container has CPU and memory limits.
        // Ephemeral storage too: one server's writes must not fill the node's disk and get neighbours evicted.
        default: { cpu: cfg.mcp.maxCpu, memory: cfg.mcp.defaultMemory, "ephemeral-storage": cfg.mcp.defaultEphemeralStorage },
        max: { cpu: cfg.mcp.maxCpu, memory: cfg.mcp.maxMemory, "ephemeral-storage": cfg.mcp.maxEphemeralStorage },
      },
    ]);
  });

  it("keeps the MCP namespace apart from the backend's and the platform's", () => {
    const names = ofType(resources, "kubernetes:core/v1:Namespace").map((r) => inputs(r).metadata.name);
    expect(names.sort()).toEqual(["gumstack-backend", "gumstack-mcp"]);
    expect(mcpNamespaceManifests({ namespace: "tenants" }).serviceAccount.metadata.namespace).toBe("tenants");
    expect(() => mcpNamespaceManifests({ quotaPods: 0 })).toThrow("quotaPods must be a positive integer");
    expect(() => mcpNamespaceManifests({ defaultEphemeralStorage: "8Gi" })).toThrow(
      "ephemeral-storage must be request <= default <= max, got 64Mi, 8Gi, 4Gi",
    );
    expect(() => mcpNamespaceManifests({ maxEphemeralStorage: "lots" })).toThrow(
      'ephemeral-storage max must be a quantity such as 1Gi, got "lots"',
    );
  });
});

describe("BackendNamespace", async () => {
  const resources = await plannedCompute();
  const ns = one(resources, "kubernetes:core/v1:Namespace", "backend-ns-namespace");
  const sa = one(resources, "kubernetes:core/v1:ServiceAccount", "backend-ns-service-account");
  const binding = one(resources, "gcp:serviceaccount/iAMMember:IAMMember", "backend-ns-workload-identity");

  it("is gumstack-backend under Pod Security restricted", () => {
    expect(inputs(ns).metadata.name).toBe("gumstack-backend");
    expect(inputs(ns).metadata.labels).toMatchObject(podSecurityLabels());
  });

  it("annotates the backend KSA with the backend's Google service account", () => {
    expect(inputs(sa).metadata).toMatchObject({
      name: "backend",
      namespace: "gumstack-backend",
      annotations: { "iam.gke.io/gcp-service-account": "backend-prod@gumstack-prod.iam.gserviceaccount.com" },
    });
  });

  it("binds the KSA to the Google service account with Workload Identity, after the cluster exists", () => {
    expect(inputs(binding)).toEqual({
      serviceAccountId: "projects/gumstack-prod/serviceAccounts/backend-prod@gumstack-prod.iam.gserviceaccount.com",
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:gumstack-prod.svc.id.goog[gumstack-backend/backend]",
    });
    const cluster = one(resources, "gcp:container/cluster:Cluster");
    expect(binding.dependencies).toContain(cluster.urn);
    expect(binding.propertyDependencies.member).toContain(cluster.urn);
    expect(workloadIdentityMember("p.svc.id.goog", "ns", "ksa")).toBe("serviceAccount:p.svc.id.goog[ns/ksa]");
  });
});

// Every Kubernetes object the compute layer creates, validated against the Kubernetes OpenAPI schema.
describe("schema validation of every Kubernetes object", async () => {
  const resources = await plannedCompute();
  const models: Record<string, new (o: any) => { validate(): void }> = {
    "v1/Namespace": Namespace,
    "v1/ServiceAccount": ServiceAccount,
    "v1/ResourceQuota": ResourceQuota,
    "v1/LimitRange": LimitRange,
    "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
    "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": ValidatingAdmissionPolicy,
    "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": ValidatingAdmissionPolicyBinding,
  };
  const objects = resources.filter((r) => r.custom && !r.external && r.type.startsWith("kubernetes:"));

  it("creates only kinds that have a model here", () => {
    // 2 namespaces, 2 ServiceAccounts, quota, limits, 4 MCP and 7 backend NetworkPolicies, the admission guard's
    // 13 policies and their 13 bindings.
    expect(objects.length).toBe(43);
    for (const r of objects) expect(Object.keys(models)).toContain(`${inputs(r).apiVersion}/${inputs(r).kind}`);
  });

  it.each(objects.map((r) => [r.urn.split("::").pop()!, r] as const))("%s is a valid object", (_name, r) => {
    const Model = models[`${inputs(r).apiVersion}/${inputs(r).kind}`]!;
    expect(() => new Model(inputs(r)).validate()).not.toThrow();
  });

  it("the validation catches a broken object (so the checks above mean something)", () => {
    const policy = structuredClone(inputs(objects.find((r) => inputs(r).kind === "NetworkPolicy")!));
    policy.spec.policyTypes = ["Sideways"];
    expect(() => new NetworkPolicy(policy).validate()).toThrow();
  });
});
