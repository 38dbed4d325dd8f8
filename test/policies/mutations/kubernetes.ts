// Holes in the MCP and build namespaces: Pod Security, NetworkPolicies, ServiceAccounts, workloads, RBAC, guards.
import { addResource, edit, named, type Mutation } from "./mutation.js";

const NS = "kubernetes:core/v1:Namespace";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SA = "kubernetes:core/v1:ServiceAccount";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const K8S = "pulumi:providers:kubernetes";
const inNs = (ns: string) => (p: Record<string, any>) => p.metadata?.namespace === ns;

/** A Deployment in the MCP namespace, compliant but for what `change` does to its pod spec. */
function mcpWorkload(change: (spec: Record<string, any>) => void): Mutation["apply"] {
  const spec: Record<string, any> = {
    runtimeClassName: "gvisor",
    serviceAccountName: "mcp-server",
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "server",
        image: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/acme/weather@sha256:" + "a".repeat(64),
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
    ],
  };
  change(spec);
  return (r) =>
    addResource(
      r,
      "kubernetes:apps/v1:Deployment",
      "hostile-mcp-workload",
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "hostile", namespace: "gumstack-mcp" },
        spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec } },
      },
      K8S,
    );
}

export const kubernetesMutations: Mutation[] = [
  {
    hole: "the MCP namespace without Pod Security restricted",
    policy: "k8s-mcp-namespace-pod-security-restricted",
    apply: (r) => edit(r, NS, named("gumstack-mcp"), (p) => void (p.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline")),
  },
  {
    hole: "the MCP namespace's default deny dropped",
    policy: "k8s-mcp-networkpolicy-default-deny",
    apply: (r) =>
      edit(
        r,
        NP,
        (p) => inNs("gumstack-mcp")(p) && Object.keys(p.spec?.podSelector ?? {}).length === 0 && !p.spec?.ingress && !p.spec?.egress,
        (p) => void (p.spec.policyTypes = ["Ingress"]),
      ),
  },
  {
    hole: "MCP egress opened to every address on every port",
    policy: "k8s-mcp-networkpolicy-isolation",
    apply: (r) =>
      edit(
        r,
        NP,
        (p) => inNs("gumstack-mcp")(p) && (p.spec?.egress ?? []).length > 0,
        (p) => void p.spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }),
      ),
  },
  {
    hole: "MCP ingress from every pod of the namespace (tenant to tenant)",
    policy: "k8s-mcp-networkpolicy-isolation",
    apply: (r) =>
      edit(
        r,
        NP,
        (p) => inNs("gumstack-mcp")(p) && (p.spec?.ingress ?? []).length > 0,
        (p) => void p.spec.ingress.push({ from: [{ podSelector: {} }] }),
      ),
  },
  {
    hole: "the MCP ServiceAccount bound to a GCP identity",
    policy: "k8s-mcp-service-account-no-workload-identity",
    apply: (r) =>
      edit(
        r,
        SA,
        named("mcp-server"),
        (p) => void (p.metadata.annotations = { "iam.gke.io/gcp-service-account": "backend-prod@gumstack-prod.iam.gserviceaccount.com" }),
      ),
  },
  {
    hole: "the MCP ServiceAccount mounts its token",
    policy: "k8s-mcp-service-account-no-token-automount",
    apply: (r) => edit(r, SA, named("mcp-server"), (p) => void (p.automountServiceAccountToken = true)),
  },
  {
    hole: "an MCP workload without gVisor",
    policy: "k8s-mcp-workload-gvisor-runtime",
    apply: mcpWorkload((s) => delete s.runtimeClassName),
  },
  {
    hole: "an MCP workload on the host network",
    policy: "k8s-mcp-workload-no-host-namespaces",
    apply: mcpWorkload((s) => void (s.hostNetwork = true)),
  },
  {
    hole: "a privileged MCP container",
    policy: "k8s-mcp-workload-not-privileged",
    apply: mcpWorkload((s) => void (s.containers[0].securityContext.privileged = true)),
  },
  {
    hole: "an MCP container with added capabilities",
    policy: "k8s-mcp-workload-pod-security-restricted",
    apply: mcpWorkload((s) => void (s.containers[0].securityContext.capabilities = { add: ["NET_RAW"] })),
  },
  {
    hole: "an MCP pod mounting an API token",
    policy: "k8s-mcp-workload-no-token-automount",
    apply: mcpWorkload((s) => void (s.automountServiceAccountToken = true)),
  },
  {
    hole: "an MCP image from Docker Hub",
    policy: "k8s-mcp-workload-allowed-registries",
    apply: mcpWorkload((s) => void (s.containers[0].image = "docker.io/attacker/miner:latest")),
  },
  {
    hole: "a LoadBalancer Service in the MCP namespace",
    policy: "k8s-mcp-service-no-external-exposure",
    apply: (r) =>
      addResource(
        r,
        "kubernetes:core/v1:Service",
        "hostile-lb",
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "lb", namespace: "gumstack-mcp" },
          spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
        },
        K8S,
      ),
  },
  {
    hole: "collectors scraping every tenant pod",
    policy: "k8s-mcp-service-monitoring-scope",
    apply: (r) =>
      addResource(
        r,
        "kubernetes:monitoring.googleapis.com/v1:PodMonitoring",
        "hostile-scrape",
        {
          apiVersion: "monitoring.googleapis.com/v1",
          kind: "PodMonitoring",
          metadata: { name: "all", namespace: "gumstack-mcp" },
          spec: { selector: {}, endpoints: [{ port: 8080 }] },
        },
        K8S,
      ),
  },
  {
    hole: "a ClusterPodMonitoring over every namespace",
    policy: "k8s-mcp-service-monitoring-scope",
    apply: (r) =>
      addResource(
        r,
        "kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring",
        "hostile-cluster-scrape",
        {
          apiVersion: "monitoring.googleapis.com/v1",
          kind: "ClusterPodMonitoring",
          metadata: { name: "all" },
          spec: { selector: {}, endpoints: [{ port: 8080 }] },
        },
        K8S,
      ),
  },
  {
    hole: "the MCP guard only warns",
    policy: "k8s-mcp-admission-guard-bound",
    apply: (r) =>
      edit(
        r,
        BINDING,
        (p) => p.spec?.matchResources?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "gumstack-mcp",
        (p) => void (p.spec.validationActions = ["Warn"]),
      ),
  },
  {
    hole: "the build guard only audits",
    policy: "k8s-build-admission-guard-bound",
    apply: (r) =>
      edit(
        r,
        BINDING,
        (p) => p.spec?.matchResources?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "gumstack-build",
        (p) => void (p.spec.validationActions = ["Audit"]),
      ),
  },
  {
    hole: "build pods reach every address",
    policy: "k8s-build-networkpolicy-fenced",
    apply: (r) =>
      edit(
        r,
        NP,
        (p) => inNs("gumstack-build")(p) && (p.spec?.egress ?? []).length > 0,
        (p) => void p.spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }),
      ),
  },
  {
    hole: "an MCP subject bound to the backend's role",
    policy: "k8s-rbac-binding-no-mcp-subjects",
    apply: (r) =>
      edit(
        r,
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        named("gumstack-backend-mcp-manager"),
        (p) => void p.subjects.push({ kind: "ServiceAccount", name: "mcp-server", namespace: "gumstack-mcp" }),
      ),
  },
];
