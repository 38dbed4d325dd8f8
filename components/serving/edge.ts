// The public edge (docs/facts.md facts 9, 10, 15): a GKE Gateway API global external Application Load Balancer on a
// reserved IP, TLS from a Google-managed Certificate Manager certificate for the domain and its wildcard (DNS
// authorization), SSL policy MODERN / TLS 1.2, HTTP answered with 301 to HTTPS, `*.<domain>` to Kourier and
// `api.<domain>` to the backend, with health checks both actually answer and stream-length backend timeouts;
// both backends carry the Cloud Armor policy and sampled request logging (docs/edge-egress-ops.md).
import * as certificatemanager from "../sdk/gcp/certificatemanager.js";
import * as compute from "../sdk/gcp/compute.js";
import * as dns from "../sdk/gcp/dns.js";
import * as apiextensions from "@pulumi/kubernetes/apiextensions/index.js";
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import type * as types from "@pulumi/kubernetes/types/index.js";
import * as pulumi from "@pulumi/pulumi";
import { BACKEND_DEFAULTS } from "./backendApiManifests.js";
import {
  EDGE_DEFAULTS,
  EDGE_NAMESPACE,
  backendPolicyManifest,
  dnsRecords,
  gatewayManifest,
  gatewayPolicyManifest,
  healthCheckPolicyManifest,
  hostRouteManifest,
  redirectRouteManifest,
  referenceGrantManifest,
  type DnsRecord,
  type LbBackend,
  type LbHealthCheck,
} from "./edgeManifests.js";
import { KOURIER } from "./knativeServingManifests.js";

export interface EdgeArgs {
  /** Kubernetes provider of the cluster. Required. */
  readonly provider: K8sProvider;
  /** Project of every GCP resource. Required. */
  readonly project: string;
  /** Platform domain: MCP servers are `<server>.<domain>`, the API `<apiSubdomain>.<domain>`. Required. */
  readonly domain: string;
  /** The backend API's Service (ClusterIP). Required. */
  readonly backend: LbBackend;
  /** Path the backend answers health checks on. Default "/healthz", BackendApi's. */
  readonly backendHealthPath?: string;
  /** Subdomain of the API. Default "api". */
  readonly apiSubdomain?: string;
  /** Cloud DNS managed zone (in `project`) of the domain: records are created there. Default none: outputs only. */
  readonly dnsZone?: string;
  /** Also point the bare domain at the load balancer (only with dnsZone). Default true. */
  readonly includeApexRecord?: boolean;
  /** Load-balancer backend timeout, seconds: the longest a streamed response may last. Default 3660 (Knative's longest, 3600, plus a minute). */
  readonly backendTimeoutSeconds?: number;
  /**
   * Name of the Cloud Armor backend security policy (components/gcp/cloudArmor.ts) attached to both backends,
   * Kourier and the API. Required.
   */
  readonly securityPolicyName: pulumi.Input<string>;
  /** Fraction of requests the load balancer logs on both backends (Cloud Armor's decisions included), 0-1. Default 0.5. */
  readonly logSampleRate?: number;
  /** Connection draining when an endpoint leaves, seconds. Default 30 (Kourier drains for 15 s, exits by 30 s). */
  readonly drainingTimeoutSeconds?: number;
  /** Kourier's Service. Default `kourier` port 80 in knative-serving (operator install). */
  readonly kourier?: LbBackend;
  /** Kourier's health check. Default GET /ready on pod port 8081 with Host `internalkourier`. */
  readonly kourierHealthCheck?: LbHealthCheck;
  /** Namespace created for the Gateway and its routes. Default "gumstack-edge". */
  readonly namespace?: string;
  /** Name of the Gateway. Default "gumstack". */
  readonly gatewayName?: string;
  /** Resources every Kubernetes object of the edge waits for, the Gateway included. Default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Per backend, what its ReferenceGrant, route and load-balancer policies also wait for: what creates the namespace
   * they live in and the Service the route names (`kourier`: the KnativeServing, which creates both; `backend`: the
   * backend's Service). Only these wait: the Gateway, its policy and the redirect need neither, so the load balancer
   * is provisioned while Knative installs. Default none.
   */
  readonly backendDependsOn?: { readonly kourier?: pulumi.Input<pulumi.Resource>[]; readonly backend?: pulumi.Input<pulumi.Resource>[] };
  /** Resources the GCP objects wait for: the Certificate Manager, Compute and DNS API enablements. Default none. */
  readonly apiDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class Edge extends pulumi.ComponentResource {
  /** The load balancer's public IPv4 address. */
  readonly ipAddress: pulumi.Output<string>;
  /** Name of the reserved global address (the Gateway's NamedAddress). */
  readonly addressName: pulumi.Output<string>;
  readonly certificateMapName: pulumi.Output<string>;
  /** Name of the Google-managed certificate: its state says whether issuance finished. */
  readonly certificateName: pulumi.Output<string>;
  /** Name of the DNS authorization whose `_acme-challenge` CNAME issuance waits for. */
  readonly dnsAuthorizationName: pulumi.Output<string>;
  readonly sslPolicyName: pulumi.Output<string>;
  readonly gatewayName: string;
  readonly namespace: string;
  /** Every DNS record the edge needs (created in Cloud DNS when dnsZone is set; to create by hand otherwise). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** Whether dnsRecords were created in Cloud DNS. */
  readonly dnsRecordsManaged: boolean;
  readonly gateway: apiextensions.CustomResource;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:serving:Edge", name, {}, opts);
    const { provider, project, domain } = args;
    const apiHost = `${args.apiSubdomain ?? EDGE_DEFAULTS.apiSubdomain}.${domain}`;
    const namespace = args.namespace ?? EDGE_NAMESPACE;
    const gatewayName = args.gatewayName ?? "gumstack";
    const kourier = args.kourier ?? { namespace: KOURIER.namespace, serviceName: KOURIER.serviceName, port: KOURIER.servicePort };
    const kourierCheck = args.kourierHealthCheck ?? {
      requestPath: KOURIER.readinessPath,
      port: KOURIER.readinessPort,
      host: KOURIER.readinessHost,
    };
    const timeoutSec = args.backendTimeoutSeconds ?? EDGE_DEFAULTS.backendTimeoutSeconds;
    const drainingTimeoutSec = args.drainingTimeoutSeconds ?? EDGE_DEFAULTS.drainingTimeoutSeconds;
    const gcpOpts = { parent: this, dependsOn: args.apiDependsOn ?? [] };
    const k8sOpts = { parent: this, provider, dependsOn: args.dependsOn ?? [] };

    // --- GCP: address, certificate, SSL policy -------------------------------------------------------------
    const address = new compute.GlobalAddress(
      `${name}-ip`,
      { project, addressType: "EXTERNAL", ipVersion: "IPV4", description: `Gumstack edge for ${domain}` },
      gcpOpts,
    );
    // One authorization for the domain covers it and its wildcard.
    const authorization = new certificatemanager.DnsAuthorization(
      `${name}-dns-auth`,
      { project, domain, description: `Wildcard certificate for ${domain}` },
      gcpOpts,
    );
    const certificate = new certificatemanager.Certificate(
      `${name}-cert`,
      {
        project,
        scope: "DEFAULT",
        managed: { domains: [domain, `*.${domain}`], dnsAuthorizations: [authorization.id] },
      },
      gcpOpts,
    );
    const certificateMap = new certificatemanager.CertificateMap(`${name}-certmap`, { project }, gcpOpts);
    // PRIMARY: served for every SNI (and none); the certificate covers the domain and every <server>.<domain>.
    const mapEntry = new certificatemanager.CertificateMapEntry(
      `${name}-certmap-entry`,
      { project, map: certificateMap.name, certificates: [certificate.id], matcher: "PRIMARY" },
      gcpOpts,
    );
    const sslPolicy = new compute.SSLPolicy(
      `${name}-ssl`,
      { project, profile: "MODERN", minTlsVersion: "TLS_1_2", description: "TLS 1.2+ with modern ciphers" },
      gcpOpts,
    );

    // --- DNS -----------------------------------------------------------------------------------------------
    const includeApex = args.includeApexRecord ?? true;
    this.dnsRecords = pulumi
      .all([address.address, authorization.dnsResourceRecords])
      .apply(([ip, auth]) => dnsRecords({ domain, apiHost, ip, authorization: auth, includeApex }));
    this.dnsRecordsManaged = args.dnsZone !== undefined;
    if (args.dnsZone !== undefined) {
      const zone = args.dnsZone;
      const auth = authorization.dnsResourceRecords.apply((r) => {
        if (r.length !== 1) throw new Error(`DNS authorization for ${domain} returned ${r.length} records, expected 1`);
        return r[0]!;
      });
      new dns.RecordSet(
        `${name}-dns-auth-record`,
        { project, managedZone: zone, name: auth.name, type: auth.type, ttl: 300, rrdatas: [auth.data] },
        gcpOpts,
      );
      const hosts: [string, string][] = [
        ...(includeApex ? ([["apex", domain]] as [string, string][]) : []),
        ["wildcard", `*.${domain}`],
        ["api", apiHost],
      ];
      for (const [key, host] of hosts) {
        new dns.RecordSet(
          `${name}-dns-${key}`,
          { project, managedZone: zone, name: `${host}.`, type: "A", ttl: 300, rrdatas: [address.address] },
          gcpOpts,
        );
      }
    }

    // --- Kubernetes: Gateway, policies, routes -------------------------------------------------------------
    const ns = new corev1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: namespace,
          labels: { "app.kubernetes.io/part-of": "gumstack", "pod-security.kubernetes.io/enforce": "restricted" },
        },
      },
      k8sOpts,
    );
    const inEdge = { ...k8sOpts, dependsOn: [...k8sOpts.dependsOn, ns] };
    const cr = (logical: string, manifest: Record<string, unknown>, o: pulumi.CustomResourceOptions) =>
      new apiextensions.CustomResource(
        logical,
        {
          apiVersion: manifest.apiVersion as string,
          kind: manifest.kind as string,
          metadata: manifest.metadata as types.input.meta.v1.ObjectMeta,
          spec: manifest.spec,
        },
        o,
      );

    this.gateway = cr(
      `${name}-gateway`,
      gatewayManifest({ name: gatewayName, namespace, addressName: address.name, certificateMapName: certificateMap.name }),
      // The map must hold its certificate before the load balancer is built on it.
      { ...inEdge, dependsOn: [...inEdge.dependsOn, mapEntry] },
    );
    const afterGateway = { ...inEdge, dependsOn: [...inEdge.dependsOn, this.gateway] };
    cr(
      `${name}-gateway-policy`,
      gatewayPolicyManifest({ name: `${gatewayName}-ssl`, namespace, gatewayName, sslPolicyName: sslPolicy.name }),
      afterGateway,
    );
    cr(`${name}-redirect`, redirectRouteManifest({ name: `${gatewayName}-http-redirect`, namespace, gatewayName }), afterGateway);

    const targets: ["kourier" | "backend", LbBackend, string[], LbHealthCheck][] = [
      ["kourier", kourier, [`*.${domain}`], kourierCheck],
      ["backend", args.backend, [apiHost], { requestPath: args.backendHealthPath ?? BACKEND_DEFAULTS.healthPath }],
    ];
    for (const [key, backend, hostnames, check] of targets) {
      const nextToBackend = { ...k8sOpts, dependsOn: [...k8sOpts.dependsOn, ...(args.backendDependsOn?.[key] ?? [])] };
      // Grant before route: a route to an ungranted Service is refused (ResolvedRefs false) until it appears.
      const grant = cr(
        `${name}-${key}-grant`,
        referenceGrantManifest({ name: `${namespace}-routes`, fromNamespace: namespace, backend }),
        nextToBackend,
      );
      cr(`${name}-${key}-route`, hostRouteManifest({ name: `${gatewayName}-${key}`, namespace, gatewayName, hostnames, backend }), {
        ...afterGateway,
        dependsOn: [...afterGateway.dependsOn, ...nextToBackend.dependsOn, grant],
      });
      cr(`${name}-${key}-health`, healthCheckPolicyManifest({ name: `${backend.serviceName}-lb-health`, backend, check }), nextToBackend);
      cr(
        `${name}-${key}-backend-policy`,
        backendPolicyManifest({
          name: `${backend.serviceName}-lb`,
          backend,
          timeoutSec,
          drainingTimeoutSec,
          securityPolicy: args.securityPolicyName,
          logSampleRate: args.logSampleRate ?? EDGE_DEFAULTS.logSampleRate,
        }),
        nextToBackend,
      );
    }

    this.ipAddress = address.address;
    this.addressName = address.name;
    this.certificateMapName = certificateMap.name;
    this.certificateName = certificate.name;
    this.dnsAuthorizationName = authorization.name;
    this.sslPolicyName = sslPolicy.name;
    this.gatewayName = gatewayName;
    this.namespace = namespace;
    this.registerOutputs({
      ipAddress: this.ipAddress,
      certificateMapName: this.certificateMapName,
      certificateName: this.certificateName,
      dnsAuthorizationName: this.dnsAuthorizationName,
      sslPolicyName: this.sslPolicyName,
      dnsRecords: this.dnsRecords,
    });
  }
}
