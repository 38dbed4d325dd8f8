// The isolation canary's manifests and probe list, as plain data (docs/canary.md). The probe list is generated
// here at plan time from the stack's ranges and the probe data the policy pack judges (@gumstack/network/mcpProbes,
// packages/network/src/mcpProbes.ts), so what the canary probes live is what the pack judges offline.
import { parseCidr } from "@gumstack/network/cidr";
import {
  forbiddenEgress,
  netRange,
  NODE_PORTS,
  nodeRange,
  NON_PUBLIC_PORTS,
  POD_LOCAL_RANGES,
  requiredEgress,
  type EgressTarget,
} from "@gumstack/network/mcpProbes";
import type * as pulumi from "@pulumi/pulumi";
import type { CanaryConfig, Probe } from "../../canary/canary.js";
import { GMP_COLLECTOR } from "../kubernetes/backendNamespace.js";
import { NAMESPACE_NAME_LABEL, POLICY_LABELS, type NetworkPolicyManifest } from "../kubernetes/mcpNetworkPolicies.js";
import { restrictedContainerSecurityContext } from "./commonManifests.js";
import { CANARY_TENANT, TENANT_LABEL } from "./isolationCanaryTenant.js";

export { CANARY_TENANT, TENANT_LABEL };

/** Knative's label that keeps a Service off the external gateway (served only through its DomainMapping). */
export const VISIBILITY_LABEL = "networking.knative.dev/visibility";
/** Port of the canary's /metrics: not the serving port, so the load balancer never reaches the results. */
export const CANARY_METRICS_PORT = 9464;
/** The serving port (Knative's default `PORT`): /healthz for Kourier, the activator and the uptime check. */
export const CANARY_PORT = 8080;
/** UID of the image's numeric USER (canary/Dockerfile). */
export const CANARY_UID = 65532;
/** The largest CANARY_CONFIG the generator emits: Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN). */
export const MAX_CONFIG_BYTES = 96 * 1024;

export interface CanaryRanges {
  readonly nodeCidr: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly masterCidr: string;
  /** The MCP pool's own pod range (the subnet's "pods-mcp" secondary range), when the stack has one. */
  readonly mcpPodCidr?: string;
}

export interface CanaryProbeArgs {
  /** The cluster's ranges, as the pack reads them from the planned subnetwork and cluster. Required. */
  readonly ranges: CanaryRanges;
  /** Namespace of the MCP servers. Required. */
  readonly namespace: string;
  /** The canary's Knative Service name (its cluster-local address is a neighbour's). Required. */
  readonly serviceName: string;
  /** A public HTTPS URL the canary must reach (DNS, NAT and TLS in one). Required. */
  readonly reachUrl: string;
  /** Cluster DNS domain. Default "cluster.local". */
  readonly clusterDomain?: string;
  /**
   * A public HTTPS URL answering the caller's address (Cloudflare's trace `ip=` line, or a bare address): probed to
   * check the canary's public source address is one of the stack's tenantEgressIps. Default none (no such probe).
   */
  readonly egressEchoUrl?: string;
}

/** Cloudflare's trace endpoint on 1.1.1.1 (an address the canary already reaches on 443): its `ip=` line is the caller's address. */
export const DEFAULT_EGRESS_ECHO_URL = "https://1.1.1.1/cdn-cgi/trace";

const proto = (t: { protocol: "TCP" | "UDP" }) => (t.protocol === "TCP" ? "tcp" : "udp");
const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** The probe of one of the pack's destinations; ids are "<address>:<port>/<protocol>". */
export function probeOf(t: EgressTarget, expect: Probe["expect"]): Probe {
  const group = expect === "reached" ? "reach:internet" : `egress:${t.cidr}`;
  return { id: `${hostPort(t.ip, t.port)}/${proto(t)}`, group, kind: proto(t), host: t.ip, port: t.port, expect };
}

/** Every host address of a small range (the control plane's /28): its private endpoint is one of them. */
function hostsOf(cidr: string): string[] {
  const c = parseCidr(cidr);
  if (!c || c.prefix < 28) return [];
  const size = 2 ** (32 - c.prefix);
  const ip = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
  return Array.from({ length: Math.max(0, size - 2) }, (_, i) => ip(c.base + 1 + i));
}

/** The cluster's ranges as the pack names them (policies/lib/netpol.ts clusterRanges). */
export function clusterNetRanges(r: CanaryRanges) {
  const seen = new Set<string>();
  return [
    nodeRange(r.nodeCidr),
    netRange(r.podCidr, "cluster pod range"),
    netRange(r.serviceCidr, "cluster service range"),
    netRange(r.masterCidr, "control-plane range"),
    ...(r.mcpPodCidr !== undefined ? [netRange(r.mcpPodCidr, "MCP pod range")] : []),
  ].filter((x) => !seen.has(x.cidr) && seen.add(x.cidr));
}

/**
 * The canary's probes: the pack's forbidden destinations (minus the pod's own loopback, which no NetworkPolicy
 * governs) and its required ones, then what only a live pod can try: names the cluster resolves (the metadata
 * server, the Kubernetes API), every address of the control plane's range on 443, a neighbouring MCP pod through
 * the revision's private Service, an MCP server's cluster-local address, and a real HTTPS request.
 */
export function canaryProbes(a: CanaryProbeArgs): Probe[] {
  const domain = a.clusterDomain ?? "cluster.local";
  let url: URL;
  try {
    url = new URL(a.reachUrl);
  } catch {
    throw new Error(`IsolationCanary reachUrl ${JSON.stringify(a.reachUrl)} is not a URL; use https://<public host>/<path>`);
  }
  if (url.protocol !== "https:") throw new Error(`IsolationCanary reachUrl ${JSON.stringify(a.reachUrl)} must be https://`);
  const probes: Probe[] = [
    ...forbiddenEgress(clusterNetRanges(a.ranges))
      .filter((t) => !POD_LOCAL_RANGES.includes(t.cidr))
      .map((t) => probeOf(t, "refused")),
    ...requiredEgress().map((t) => probeOf(t, "reached")),
  ];
  const named = (group: string, kind: Probe["kind"], host: string, port: number, expect: Probe["expect"] = "refused") =>
    probes.push({
      id: kind === "https" ? host : kind === "dns" ? `dns:${host}` : `${hostPort(host, port)}/${kind}`,
      group,
      kind,
      host,
      port,
      expect,
    });
  named("metadata", "tcp", "metadata.google.internal", 80);
  named("metadata", "udp", "metadata.google.internal", 53);
  named("kubernetes-api", "tcp", `kubernetes.default.svc.${domain}`, 443);
  for (const ip of hostsOf(a.ranges.masterCidr)) named("kubernetes-api", "tcp", ip, 443);
  // Knative's revision Service `<revision>-private` selects the revision's pods, port 80 to queue-proxy
  // (knative/serving pkg/reconciler/serverlessservice/resources/services.go); with two pods, most attempts land
  // on the other one, and an answer from this very pod is told apart by its x-canary-pod header.
  named("neighbour", "neighbour", `\${K_REVISION}-private.${a.namespace}.svc.${domain}`, 80);
  // What a tenant would call to reach another tenant: the cluster-local address, served by Kourier's internal gateway.
  named("neighbour", "tcp", `${a.serviceName}.${a.namespace}.svc.${domain}`, 80);
  // The canary's own node (the downward API's status.hostIP): the node range's samples are the subnet's first,
  // middle and last addresses, which need not be nodes; this one is, with its kubelet and kube-proxy ports.
  for (const p of [...NON_PUBLIC_PORTS, ...NODE_PORTS]) named("own-node", p.protocol === "TCP" ? "tcp" : "udp", "${HOST_IP}", p.port);
  named("reach:dns", "dns", url.hostname, 0, "reached");
  named("reach:https", "https", url.href, Number(url.port || 443), "reached");
  if (a.egressEchoUrl !== undefined) {
    let echo: URL;
    try {
      echo = new URL(a.egressEchoUrl);
    } catch {
      throw new Error(`IsolationCanary egressEchoUrl ${JSON.stringify(a.egressEchoUrl)} is not a URL; use https://<public host>/<path>`);
    }
    if (echo.protocol !== "https:") throw new Error(`IsolationCanary egressEchoUrl ${JSON.stringify(a.egressEchoUrl)} must be https://`);
    // Reached only when the internet sees the source address as one of the tenant gateway's (CANARY_EGRESS_IPS).
    probes.push({
      id: `egress-ip:${echo.href}`,
      group: "reach:egress-ip",
      kind: "egress-ip",
      host: echo.href,
      port: Number(echo.port || 443),
      expect: "reached",
    });
  }
  const seen = new Set<string>();
  return probes.filter((p) => !seen.has(p.id) && seen.add(p.id));
}

/** CANARY_CONFIG: the probes and the loop's timing, refused when larger than one environment string may be. */
export function canaryConfigJson(
  probes: readonly Probe[],
  o: { intervalSeconds: number; timeoutMs?: number; concurrency?: number },
): string {
  const cfg: CanaryConfig = {
    intervalSeconds: o.intervalSeconds,
    timeoutMs: o.timeoutMs ?? 3000,
    concurrency: o.concurrency ?? 32,
    neighbourAttempts: 4,
    probes,
  };
  const json = JSON.stringify(cfg);
  if (Buffer.byteLength(json) > MAX_CONFIG_BYTES)
    throw new Error(`IsolationCanary probe list is ${Buffer.byteLength(json)} bytes, over ${MAX_CONFIG_BYTES}: fewer ranges or samples`);
  return json;
}

export interface CanaryServiceArgs {
  readonly name: string;
  readonly namespace: string;
  /** `<tenant MCP repository>/gumstack-canary/<name>@sha256:<64 hex>`. */
  readonly image: string;
  readonly config: string;
  readonly serviceAccountName: string;
  readonly runtimeClassName: string;
  /** Replicas (min and max scale): 2, so a neighbour pod always exists. */
  readonly replicas: number;
  /** The public source addresses MCP pods may leave from (tenantEgressIps), comma-separated. Default none. */
  readonly egressIps?: pulumi.Input<string>;
}

/** Labels of the Knative Service and of its revision template: the tenant label like every MCP server. */
export const canaryLabels = (): Record<string, string> => ({
  [TENANT_LABEL]: CANARY_TENANT,
  "app.kubernetes.io/part-of": "gumstack",
  "app.kubernetes.io/component": "isolation-canary",
});

/**
 * The canary as a Knative Service, built exactly as the backend builds a customer's: cluster-local, the MCP
 * service account, gVisor, no token, restricted security context, explicit scale bounds, a digest-pinned image
 * from the tenant repository under the canary's tenant path.
 */
export function canaryServiceManifest(a: CanaryServiceArgs): Record<string, any> {
  const scale = String(a.replicas);
  return {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: a.name, namespace: a.namespace, labels: { ...canaryLabels(), [VISIBILITY_LABEL]: "cluster-local" } },
    spec: {
      template: {
        metadata: {
          labels: canaryLabels(),
          annotations: { "autoscaling.knative.dev/min-scale": scale, "autoscaling.knative.dev/max-scale": scale },
        },
        spec: {
          runtimeClassName: a.runtimeClassName,
          serviceAccountName: a.serviceAccountName,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containerConcurrency: 0,
          timeoutSeconds: 30,
          containers: [
            {
              name: "canary",
              image: a.image,
              ports: [{ containerPort: CANARY_PORT, protocol: "TCP" }],
              env: [
                { name: "CANARY_CONFIG", value: a.config },
                { name: "METRICS_PORT", value: String(CANARY_METRICS_PORT) },
                // The node the pod runs on, probed as ${HOST_IP}.
                { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
                ...(a.egressIps !== undefined ? [{ name: "CANARY_EGRESS_IPS", value: a.egressIps }] : []),
              ],
              // Port 0: Knative's "the container's port" (the probes go through queue-proxy to it).
              readinessProbe: { httpGet: { path: "/healthz", port: 0 } },
              livenessProbe: { httpGet: { path: "/healthz", port: 0 }, periodSeconds: 30 },
              // Measured: 83 MiB resident for the prod list (287 probes) on Node 22.23; the rest is headroom.
              resources: { requests: { cpu: "50m", memory: "192Mi" }, limits: { cpu: "500m", memory: "192Mi" } },
              securityContext: { ...restrictedContainerSecurityContext(true), runAsUser: CANARY_UID, runAsGroup: CANARY_UID },
            },
          ],
        },
      },
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  };
}

/** `<service>.<domain>`, like every MCP server's host. */
export function canaryDomainMappingManifest(name: string, namespace: string, domain: string): Record<string, any> {
  return {
    apiVersion: "serving.knative.dev/v1beta1",
    kind: "DomainMapping",
    metadata: { name: `${name}.${domain}`, namespace, labels: canaryLabels() },
    spec: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name } },
  };
}

/**
 * The one rule the canary has beyond a tenant's: Managed Prometheus' collectors may scrape its metrics port. It
 * selects only the canary's pods (`podLabels`; default the MCP canary's tenant label) and only opens ingress;
 * egress, what the canary tests, is exactly a tenant's (or a build's, for the build canary).
 */
export function canaryScrapePolicyManifest(
  namespace: string,
  name = "allow-ingress-canary-metrics",
  podLabels: Readonly<Record<string, string>> = { [TENANT_LABEL]: CANARY_TENANT },
): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...POLICY_LABELS } },
    spec: {
      podSelector: { matchLabels: { ...podLabels } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: GMP_COLLECTOR.namespace } },
              podSelector: { matchLabels: { ...GMP_COLLECTOR.podLabels } },
            },
          ],
          ports: [{ protocol: "TCP", port: CANARY_METRICS_PORT }],
        },
      ],
    },
  };
}

/** PodMonitoring of the canary's pods; a numeric port needs no declared containerPort (Knative allows one). */
export function canaryPodMonitoringManifest(name: string, namespace: string, intervalSeconds: number): Record<string, any> {
  return {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "PodMonitoring",
    metadata: { name, namespace, labels: canaryLabels() },
    spec: {
      selector: { matchLabels: { [TENANT_LABEL]: CANARY_TENANT } },
      endpoints: [{ port: CANARY_METRICS_PORT, path: "/metrics", interval: `${Math.min(intervalSeconds, 60)}s`, scheme: "http" }],
      targetLabels: { metadata: ["pod"] },
    },
  };
}

/** PromQL of the two alerts (Managed Prometheus labels every series with cluster and namespace). */
export function canaryAlertQueries(cluster: string, namespace: string, intervalSeconds: number): { violation: string; silent: string } {
  const sel = `{cluster=${JSON.stringify(cluster)},namespace=${JSON.stringify(namespace)}}`;
  const stale = Math.max(600, intervalSeconds * 5);
  return {
    violation: `max(gumstack_canary_violation${sel}) > 0`,
    silent: `absent(gumstack_canary_last_round_timestamp_seconds${sel}) or (time() - max(gumstack_canary_last_round_timestamp_seconds${sel}) > ${stale})`,
  };
}
