// Pure builders for the pipeline that makes the backend's "active concurrent requests" a real HPA metric
// (docs/facts.md fact 20): a Managed Service for Prometheus PodMonitoring scraping the backend, and the Custom
// Metrics Stackdriver Adapter serving it to the HPA. The adapter objects follow the official manifest
// GoogleCloudPlatform/k8s-stackdriver custom-metrics-stackdriver-adapter/deploy/production/
// adapter_new_resource_model.yaml (commit af49d863, 2026-08-17), with Workload Identity and system-pool placement.
import { poolSelector, type In, type Pool } from "./commonManifests.js";

/** The adapter image of that manifest. */
export const ADAPTER_IMAGE = "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.16.9-gke.0";
export const ADAPTER_NAMESPACE = "custom-metrics";
export const ADAPTER_NAME = "custom-metrics-stackdriver-adapter";

type Manifest = { apiVersion: string; kind: string; metadata: Record<string, any>; spec?: any; [k: string]: any };

const adapterLabels = { run: ADAPTER_NAME, "k8s-app": ADAPTER_NAME };

/**
 * Every adapter object but the namespace, in apply order: identity and RBAC, the Deployment and Service, then
 * the APIService registrations (an APIService with no ready backend makes API discovery fail cluster-wide).
 */
export function adapterManifests(p: { image: string; gsaEmail: In<string>; pool: Pool; replicas: number }): Manifest[] {
  const ns = ADAPTER_NAMESPACE;
  const subject = { kind: "ServiceAccount", name: ADAPTER_NAME, namespace: ns };
  const rbac = "rbac.authorization.k8s.io";
  const apiService = (group: string, version: string, versionPriority: number): Manifest => ({
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: `${version}.${group}` },
    spec: {
      // As in the official manifest: the adapter serves a self-signed certificate.
      insecureSkipTLSVerify: true,
      group,
      version,
      groupPriorityMinimum: 100,
      versionPriority,
      service: { name: ADAPTER_NAME, namespace: ns },
    },
  });
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: ADAPTER_NAME, namespace: ns, annotations: { "iam.gke.io/gcp-service-account": p.gsaEmail } },
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: "custom-metrics:system:auth-delegator" },
      roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [subject],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "RoleBinding",
      metadata: { name: "custom-metrics-auth-reader", namespace: "kube-system" },
      roleRef: { apiGroup: rbac, kind: "Role", name: "extension-apiserver-authentication-reader" },
      subjects: [subject],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRole",
      metadata: { name: "custom-metrics-resource-reader" },
      rules: [{ apiGroups: [""], resources: ["pods", "nodes", "nodes/stats"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: "custom-metrics-resource-reader" },
      roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "custom-metrics-resource-reader" },
      subjects: [subject],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRole",
      metadata: { name: "external-metrics-reader" },
      rules: [{ apiGroups: ["external.metrics.k8s.io"], resources: ["*"], verbs: ["list", "get", "watch"] }],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: "external-metrics-reader" },
      roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "external-metrics-reader" },
      subjects: [{ kind: "ServiceAccount", name: "horizontal-pod-autoscaler", namespace: "kube-system" }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: ADAPTER_NAME, namespace: ns, labels: adapterLabels },
      spec: {
        replicas: p.replicas,
        selector: { matchLabels: adapterLabels },
        template: {
          metadata: { labels: { ...adapterLabels, "kubernetes.io/cluster-service": "true" } },
          spec: {
            serviceAccountName: ADAPTER_NAME,
            nodeSelector: poolSelector(p.pool),
            // The image (distroless, root) binds 443 and writes its self-signed certificate: only the
            // restrictions that cannot break that are added to the official manifest.
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "pod-custom-metrics-stackdriver-adapter",
                image: p.image,
                imagePullPolicy: "IfNotPresent",
                command: ["/adapter", "--use-new-resource-model=true", "--fallback-for-container-metrics=true"],
                resources: { limits: { cpu: "250m", memory: "200Mi" }, requests: { cpu: "250m", memory: "200Mi" } },
                readinessProbe: {
                  httpGet: { path: "/healthz", port: 443, scheme: "HTTPS" },
                  initialDelaySeconds: 40,
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                },
                securityContext: { allowPrivilegeEscalation: false },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: ADAPTER_NAME,
        namespace: ns,
        labels: { ...adapterLabels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Adapter" },
      },
      spec: { type: "ClusterIP", selector: adapterLabels, ports: [{ port: 443, protocol: "TCP", targetPort: 443 }] },
    },
    apiService("custom.metrics.k8s.io", "v1beta1", 100),
    apiService("custom.metrics.k8s.io", "v1beta2", 200),
    apiService("external.metrics.k8s.io", "v1beta1", 100),
  ];
}

/**
 * PodMonitoring (monitoring.googleapis.com/v1): managed collection scrapes the pods' metrics port. The `pod`
 * target label is what the adapter keys Pods metrics by, so it is listed explicitly.
 */
export function podMonitoringManifest(p: {
  name: string;
  namespace: string;
  matchLabels: Record<string, string>;
  port: string | number;
  path: string;
  interval: string;
}): Manifest {
  return {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "PodMonitoring",
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      selector: { matchLabels: p.matchLabels },
      endpoints: [{ port: p.port, path: p.path, interval: p.interval, scheme: "http" }],
      targetLabels: { metadata: ["pod", "container", "top_level_controller_name", "top_level_controller_type"] },
    },
  };
}
