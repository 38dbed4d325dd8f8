// Pure builders for the GKE Gateway API edge: the Gateway (Certificate Manager map, reserved IP), its SSL policy
// attachment, the HTTP->HTTPS redirect, host routes with their ReferenceGrants, and the GKE health-check and
// backend policies on the target Services. Field names from @kubernetes-models/gateway-api and
// @kubernetes-models/gke (networking.gke.io/v1), which the tests validate against.
import { checkInt, type In } from "./commonManifests.js";
import { KOURIER } from "./knativeServingManifests.js";

/** Defaults of the edge's load balancer (the config schema takes gumstack:edge's from here). */
/**
 * Defaults of the edge. backendTimeoutSeconds outlasts Knative's longest revision timeout (3600 s) by a minute, so a
 * request is ended by Knative at its timeout, never first by the load balancer (docs/serving-timeouts.md).
 */
export const EDGE_DEFAULTS = { apiSubdomain: "api", backendTimeoutSeconds: 3660, logSampleRate: 0.5, drainingTimeoutSeconds: 30 } as const;

/** GatewayClass of the global external Application Load Balancer (GKE Gateway controller). */
export const GATEWAY_CLASS = "gke-l7-global-external-managed";
/** Namespace holding the Gateway and its routes (no pods). */
export const EDGE_NAMESPACE = "gumstack-edge";
/** Sources of Google load-balancer health checks and of the global external ALB's proxies. */

const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** A Service the load balancer sends traffic to. */
export interface LbBackend {
  /** Namespace of the Service. */
  readonly namespace: string;
  /** Name of the Service. */
  readonly serviceName: string;
  /** Service port the route targets. */
  readonly port: number;
}

/** The HTTP health check the load balancer runs against each pod (NEG endpoint). */
export interface LbHealthCheck {
  /** Request path; must answer 200 when the pod can serve. */
  readonly requestPath: string;
  /** Fixed port to probe; default: the serving port of each endpoint. */
  readonly port?: number;
  /** Host header; default: the endpoint's IP. */
  readonly host?: string;
}

/** Pod ports Google's ranges must reach (firewall): Kourier's serving and readiness ports and the backend's. */
export function lbPodPorts(backendPodPort: number): number[] {
  return [...new Set([KOURIER.podPort, KOURIER.readinessPort, backendPodPort])].sort((a, b) => a - b);
}

/**
 * The Gateway: HTTPS on 443 with the Certificate Manager map named by annotation (no certificateRefs: GKE
 * treats both together as an error) and HTTP on 80 for the redirect, on the reserved global address.
 * Routes are accepted only from the Gateway's own namespace.
 */
export function gatewayManifest(p: {
  name: string;
  namespace: string;
  addressName: In<string>;
  certificateMapName: In<string>;
}): Record<string, unknown> {
  const sameNamespace = { namespaces: { from: "Same" }, kinds: [{ group: GATEWAY_GROUP, kind: "HTTPRoute" }] };
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: "Gateway",
    metadata: {
      name: p.name,
      namespace: p.namespace,
      annotations: { "networking.gke.io/certmap": p.certificateMapName },
    },
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      addresses: [{ type: "NamedAddress", value: p.addressName }],
      listeners: [
        { name: "https", protocol: "HTTPS", port: 443, allowedRoutes: sameNamespace },
        { name: "http", protocol: "HTTP", port: 80, allowedRoutes: sameNamespace },
      ],
    },
  };
}

/** Attaches the GCP SSL policy (by name) to the Gateway's HTTPS frontend. */
export function gatewayPolicyManifest(p: {
  name: string;
  namespace: string;
  gatewayName: string;
  sslPolicyName: In<string>;
}): Record<string, unknown> {
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "GCPGatewayPolicy",
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      default: { sslPolicy: p.sslPolicyName },
      targetRef: { group: GATEWAY_GROUP, kind: "Gateway", name: p.gatewayName },
    },
  };
}

/** Every request on the HTTP listener answered with 301 to the same URL over HTTPS. */
export function redirectRouteManifest(p: { name: string; namespace: string; gatewayName: string }): Record<string, unknown> {
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: "HTTPRoute",
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      parentRefs: [{ group: GATEWAY_GROUP, kind: "Gateway", name: p.gatewayName, sectionName: "http" }],
      rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
    },
  };
}

/** Hosts on the HTTPS listener forwarded to one Service, possibly in another namespace (needs a ReferenceGrant). */
export function hostRouteManifest(p: {
  name: string;
  namespace: string;
  gatewayName: string;
  hostnames: string[];
  backend: LbBackend;
}): Record<string, unknown> {
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: "HTTPRoute",
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      parentRefs: [{ group: GATEWAY_GROUP, kind: "Gateway", name: p.gatewayName, sectionName: "https" }],
      hostnames: p.hostnames,
      rules: [
        {
          backendRefs: [{ group: "", kind: "Service", name: p.backend.serviceName, namespace: p.backend.namespace, port: p.backend.port }],
        },
      ],
    },
  };
}

/** Lets HTTPRoutes in `fromNamespace` reference one Service in the backend's namespace. v1beta1: served by GKE's CRDs. */
export function referenceGrantManifest(p: { name: string; fromNamespace: string; backend: LbBackend }): Record<string, unknown> {
  return {
    apiVersion: `${GATEWAY_GROUP}/v1beta1`,
    kind: "ReferenceGrant",
    metadata: { name: p.name, namespace: p.backend.namespace },
    spec: {
      from: [{ group: GATEWAY_GROUP, kind: "HTTPRoute", namespace: p.fromNamespace }],
      to: [{ group: "", kind: "Service", name: p.backend.serviceName }],
    },
  };
}

/** Replaces the default `GET /` health check (a 404 from Kourier) with the pods' real readiness endpoint. */
export function healthCheckPolicyManifest(p: { name: string; backend: LbBackend; check: LbHealthCheck }): Record<string, unknown> {
  const http: Record<string, unknown> = { requestPath: p.check.requestPath };
  if (p.check.port !== undefined) {
    http.port = checkInt("health-check port", p.check.port, 1, 65535);
    http.portSpecification = "USE_FIXED_PORT";
  } else {
    http.portSpecification = "USE_SERVING_PORT";
  }
  if (p.check.host !== undefined) http.host = p.check.host;
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "HealthCheckPolicy",
    metadata: { name: p.name, namespace: p.backend.namespace },
    spec: {
      default: {
        checkIntervalSec: 5,
        timeoutSec: 3,
        healthyThreshold: 1,
        unhealthyThreshold: 2,
        config: { type: "HTTP", httpHealthCheck: http },
      },
      targetRef: { group: "", kind: "Service", name: p.backend.serviceName },
    },
  };
}

/** GCPBackendPolicy logging.sampleRate is an integer fraction of 1e6 (the CRD: 0-1000000 maps to 0-1). */
export function logSampleRateOf(rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`log sample rate must be between 0 and 1, got ${rate}`);
  return Math.round(rate * 1_000_000);
}

/**
 * Backend-service timeout (the GKE default of 30 s cuts streams), connection draining, the Cloud Armor
 * security policy (by name) and sampled request logging for one Service. The Gateway controller applies
 * `securityPolicy` to the backend service it builds for the Service
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources#configure_cloud_armor).
 */
export function backendPolicyManifest(p: {
  name: string;
  backend: LbBackend;
  timeoutSec: number;
  drainingTimeoutSec: number;
  /** Name of the Cloud Armor backend security policy. */
  securityPolicy: In<string>;
  /** Fraction of requests logged, 0-1 (0: logging off). */
  logSampleRate: number;
}): Record<string, unknown> {
  const sampleRate = logSampleRateOf(p.logSampleRate);
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "GCPBackendPolicy",
    metadata: { name: p.name, namespace: p.backend.namespace },
    spec: {
      default: {
        timeoutSec: checkInt("backend timeoutSec", p.timeoutSec, 1, 86400),
        connectionDraining: { drainingTimeoutSec: checkInt("drainingTimeoutSec", p.drainingTimeoutSec, 0, 3600) },
        securityPolicy: p.securityPolicy,
        logging: sampleRate > 0 ? { enabled: true, sampleRate } : { enabled: false },
      },
      targetRef: { group: "", kind: "Service", name: p.backend.serviceName },
    },
  };
}

/** A DNS record to create, in Cloud DNS form (absolute name with the trailing dot). */
export interface DnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly rrdatas: string[];
}

const absolute = (name: string): string => (name.endsWith(".") ? name : `${name}.`);

/**
 * The records that make the edge work: the DNS authorization's CNAME (Certificate Manager issues the wildcard
 * certificate only once it resolves) and A records for the domain, its wildcard and the API host.
 */
export function dnsRecords(p: {
  domain: string;
  apiHost: string;
  ip: string;
  authorization: { name: string; type: string; data: string }[];
  includeApex: boolean;
  ttl?: number;
}): DnsRecord[] {
  const ttl = p.ttl ?? 300;
  const hosts = [...(p.includeApex ? [p.domain] : []), `*.${p.domain}`, p.apiHost];
  return [
    ...p.authorization.map((r) => ({ name: absolute(r.name), type: r.type, ttl, rrdatas: [r.data] })),
    ...hosts.map((h) => ({ name: absolute(h), type: "A", ttl, rrdatas: [p.ip] })),
  ];
}
