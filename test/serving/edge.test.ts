import { Gateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { ReferenceGrant } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant";
import { GCPBackendPolicy } from "@kubernetes-models/gke/networking.gke.io/v1/GCPBackendPolicy";
import { GCPGatewayPolicy } from "@kubernetes-models/gke/networking.gke.io/v1/GCPGatewayPolicy";
import { HealthCheckPolicy } from "@kubernetes-models/gke/networking.gke.io/v1/HealthCheckPolicy";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { describe, expect, it } from "vitest";
import { Edge, type EdgeArgs } from "../../components/serving/edge.js";
import {
  backendPolicyManifest,
  dnsRecords,
  gatewayManifest,
  healthCheckPolicyManifest,
  lbPodPorts,
  redirectRouteManifest,
} from "../../components/serving/edgeManifests.js";
import { ofType, one, record, type PlannedResource } from "../support/harness.js";
import { SEED, dummyPool, inputs, mockProvider, validateWith } from "./fixtures.js";

const backend = { namespace: "gumstack-backend", serviceName: "backend", port: 80 };
const MODELS: Record<string, new (d: any) => { validate(): void }> = {
  "gateway.networking.k8s.io/v1/Gateway": Gateway,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute,
  "gateway.networking.k8s.io/v1beta1/ReferenceGrant": ReferenceGrant,
  "networking.gke.io/v1/GCPGatewayPolicy": GCPGatewayPolicy,
  "networking.gke.io/v1/GCPBackendPolicy": GCPBackendPolicy,
  "networking.gke.io/v1/HealthCheckPolicy": HealthCheckPolicy,
};

/** The object a CustomResource applies: apiVersion, kind, metadata, spec. */
function manifestOf(r: PlannedResource): Record<string, any> {
  const i = inputs(r);
  return { apiVersion: i.apiVersion, kind: i.kind, metadata: i.metadata, spec: i.spec };
}

function build(extra: Partial<EdgeArgs> = {}) {
  return record(() => {
    const provider = mockProvider();
    const pool = dummyPool("system");
    new Edge("edge", {
      provider,
      project: SEED.project,
      domain: SEED.domain,
      backend,
      backendTimeoutSeconds: 3600,
      dependsOn: [pool],
      securityPolicyName: "gumstack-test-edge",
      ...extra,
    });
  });
}

describe("Edge manifests (pure)", () => {
  it("Gateway: HTTPS 443 via the certmap annotation (no certificateRefs), HTTP 80, the named static IP", () => {
    const gw = gatewayManifest({
      name: "gumstack",
      namespace: "gumstack-edge",
      addressName: "edge-ip-1",
      certificateMapName: "edge-certmap-1",
    }) as any;
    validateWith(Gateway, gw);
    expect(gw.metadata.annotations).toEqual({ "networking.gke.io/certmap": "edge-certmap-1" });
    expect(gw.spec.gatewayClassName).toBe("gke-l7-global-external-managed");
    expect(gw.spec.addresses).toEqual([{ type: "NamedAddress", value: "edge-ip-1" }]);
    expect(gw.spec.listeners.map((l: any) => [l.name, l.protocol, l.port, l.tls])).toEqual([
      ["https", "HTTPS", 443, undefined],
      ["http", "HTTP", 80, undefined],
    ]);
  });

  it("answers HTTP with 301 to HTTPS", () => {
    const route = redirectRouteManifest({ name: "r", namespace: "gumstack-edge", gatewayName: "gumstack" }) as any;
    validateWith(HTTPRoute, route);
    expect(route.spec.parentRefs[0].sectionName).toBe("http");
    expect(route.spec.rules).toEqual([{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }]);
  });

  it("health-checks Kourier where its gateway answers readiness, not GET / (a 404)", () => {
    const hc = healthCheckPolicyManifest({
      name: "kourier-lb-health",
      backend: { namespace: "knative-serving", serviceName: "kourier", port: 80 },
      check: { requestPath: "/ready", port: 8081, host: "internalkourier" },
    }) as any;
    validateWith(HealthCheckPolicy, hc);
    expect(hc.spec.default.config).toEqual({
      type: "HTTP",
      httpHealthCheck: { requestPath: "/ready", port: 8081, portSpecification: "USE_FIXED_PORT", host: "internalkourier" },
    });
    expect(hc.spec.targetRef).toEqual({ group: "", kind: "Service", name: "kourier" });
  });

  it("sets the backend-service timeout for streams and refuses one GCP would", () => {
    const policy = { securityPolicy: "gumstack-test-edge", logSampleRate: 0.5 };
    const bp = backendPolicyManifest({ name: "b", backend, timeoutSec: 3600, drainingTimeoutSec: 30, ...policy }) as any;
    validateWith(GCPBackendPolicy, bp);
    expect(bp.spec.default.timeoutSec).toBe(3600);
    expect(() => backendPolicyManifest({ name: "b", backend, timeoutSec: 0, drainingTimeoutSec: 30, ...policy })).toThrow(/timeoutSec/);
  });

  it("attaches the Cloud Armor policy by name and logs the configured fraction (the CRD's integer per million)", () => {
    const base = { name: "b", backend, timeoutSec: 3600, drainingTimeoutSec: 30, securityPolicy: "gumstack-test-edge" };
    const bp = backendPolicyManifest({ ...base, logSampleRate: 0.25 }) as any;
    validateWith(GCPBackendPolicy, bp);
    expect(bp.spec.default.securityPolicy).toBe("gumstack-test-edge");
    expect(bp.spec.default.logging).toEqual({ enabled: true, sampleRate: 250000 });
    expect((backendPolicyManifest({ ...base, logSampleRate: 1 }) as any).spec.default.logging.sampleRate).toBe(1_000_000);
    expect((backendPolicyManifest({ ...base, logSampleRate: 0 }) as any).spec.default.logging).toEqual({ enabled: false });
    expect(() => backendPolicyManifest({ ...base, logSampleRate: 1.5 })).toThrow(/between 0 and 1/);
  });

  it("lists the DNS records: authorization CNAME, apex, wildcard and API host", () => {
    const records = dnsRecords({
      domain: "gumstack.com",
      apiHost: "api.gumstack.com",
      ip: "198.51.100.20",
      authorization: [{ name: "_acme-challenge.gumstack.com.", type: "CNAME", data: "x.authorize.certificatemanager.goog." }],
      includeApex: true,
    });
    expect(records.map((r) => [r.name, r.type, r.rrdatas[0]])).toEqual([
      ["_acme-challenge.gumstack.com.", "CNAME", "x.authorize.certificatemanager.goog."],
      ["gumstack.com.", "A", "198.51.100.20"],
      ["*.gumstack.com.", "A", "198.51.100.20"],
      ["api.gumstack.com.", "A", "198.51.100.20"],
    ]);
  });

  it("names the pod ports Google's ranges must reach", () => {
    expect(lbPodPorts(8080)).toEqual([8080, 8081]);
    expect(lbPodPorts(9000)).toEqual([8080, 8081, 9000]);
  });
});

describe("Edge component", () => {
  it("creates the certificate (domain + wildcard, DNS-authorized), MODERN/TLS 1.2 policy and a global IP", async () => {
    const resources = await build();
    const cert = one(resources, "gcp:certificatemanager/certificate:Certificate");
    const auth = one(resources, "gcp:certificatemanager/dnsAuthorization:DnsAuthorization");
    expect(inputs(cert).managed).toEqual({ domains: ["gumstack.com", "*.gumstack.com"], dnsAuthorizations: [auth.id] });
    expect(inputs(auth).domain).toBe("gumstack.com");
    const ssl = one(resources, "gcp:compute/sSLPolicy:SSLPolicy");
    expect(inputs(ssl)).toMatchObject({ profile: "MODERN", minTlsVersion: "TLS_1_2", project: "gumstack-test" });
    const ip = one(resources, "gcp:compute/globalAddress:GlobalAddress");
    expect(inputs(ip)).toMatchObject({ addressType: "EXTERNAL", ipVersion: "IPV4" });
    for (const r of resources.filter((x) => x.type.startsWith("gcp:"))) expect(inputs(r).project, r.urn).toBe("gumstack-test");
  });

  it("builds the Gateway after the certificate map entry, on the reserved address, SSL policy attached", async () => {
    const resources = await build();
    const entry = one(resources, "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry");
    const map = one(resources, "gcp:certificatemanager/certificateMap:CertificateMap");
    const ip = one(resources, "gcp:compute/globalAddress:GlobalAddress");
    const gw = one(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    expect(gw.dependencies).toContain(entry.urn);
    expect(gw.dependencies).toContain(ip.urn);
    expect(inputs(entry)).toMatchObject({ matcher: "PRIMARY", map: map.outputs.name });
    const m = manifestOf(gw);
    expect(m.metadata.annotations["networking.gke.io/certmap"]).toBe(map.outputs.name);
    expect(m.spec.addresses[0].value).toBe(ip.outputs.name);
    const policy = manifestOf(one(resources, "kubernetes:networking.gke.io/v1:GCPGatewayPolicy"));
    const ssl = one(resources, "gcp:compute/sSLPolicy:SSLPolicy");
    expect(policy.spec).toEqual({
      default: { sslPolicy: ssl.outputs.name },
      targetRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "gumstack" },
    });
  });

  it("routes *.<domain> to Kourier and api.<domain> to the backend, each Service granted to the edge namespace", async () => {
    const resources = await build();
    const routes = ofType(resources, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").map(manifestOf);
    const byName = Object.fromEntries(routes.map((r) => [r.metadata.name, r.spec]));
    expect(byName["gumstack-kourier"].hostnames).toEqual(["*.gumstack.com"]);
    expect(byName["gumstack-kourier"].rules[0].backendRefs[0]).toMatchObject({ name: "kourier", namespace: "knative-serving", port: 80 });
    expect(byName["gumstack-backend"].hostnames).toEqual(["api.gumstack.com"]);
    expect(byName["gumstack-backend"].rules[0].backendRefs[0]).toMatchObject({ name: "backend", namespace: "gumstack-backend", port: 80 });
    expect(byName["gumstack-http-redirect"].rules[0].filters[0].requestRedirect).toEqual({ scheme: "https", statusCode: 301 });

    const grants = ofType(resources, "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant").map(manifestOf);
    expect(grants.map((g) => [g.metadata.namespace, g.spec.to[0].name, g.spec.from[0].namespace]).sort()).toEqual([
      ["gumstack-backend", "backend", "gumstack-edge"],
      ["knative-serving", "kourier", "gumstack-edge"],
    ]);
    const backendPolicies = ofType(resources, "kubernetes:networking.gke.io/v1:GCPBackendPolicy").map((r) => manifestOf(r));
    expect(backendPolicies.map((b) => b.spec.default.timeoutSec)).toEqual([3600, 3600]);
    // Both backends, Kourier (every MCP server) and the API, carry the Cloud Armor policy and request logging.
    expect(
      backendPolicies
        .map((b) => [b.metadata.namespace, b.spec.targetRef.name, b.spec.default.securityPolicy, b.spec.default.logging])
        .sort(),
    ).toEqual([
      ["gumstack-backend", "backend", "gumstack-test-edge", { enabled: true, sampleRate: 500000 }],
      ["knative-serving", "kourier", "gumstack-test-edge", { enabled: true, sampleRate: 500000 }],
    ]);
    const checks = ofType(resources, "kubernetes:networking.gke.io/v1:HealthCheckPolicy").map((r) => manifestOf(r));
    expect(checks.map((c) => [c.metadata.namespace, c.spec.default.config.httpHealthCheck.requestPath]).sort()).toEqual([
      ["gumstack-backend", "/healthz"],
      ["knative-serving", "/ready"],
    ]);
  });

  it("validates every Kubernetes manifest against its schema package", async () => {
    const resources = await build();
    let n = 0;
    for (const r of resources.filter((x) => x.type.startsWith("kubernetes:") && !x.type.startsWith("kubernetes:core/v1"))) {
      const m = manifestOf(r);
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      expect(Model, `${m.apiVersion}/${m.kind} has a schema`).toBeDefined();
      validateWith(Model!, m);
      n++;
    }
    expect(n).toBe(11);
    const ns = one(resources, "kubernetes:core/v1:Namespace");
    validateWith(Namespace, { apiVersion: "v1", kind: "Namespace", metadata: inputs(ns).metadata });
  });

  it("exposes the DNS records as outputs without a zone, and creates them in Cloud DNS with one", async () => {
    const without = await build();
    expect(ofType(without, "gcp:dns/recordSet:RecordSet")).toHaveLength(0);
    const component = one(without, "gumstack:serving:Edge");
    expect(component.type).toBe("gumstack:serving:Edge");

    const withZone = await build({ dnsZone: "gumstack-com" });
    const sets = ofType(withZone, "gcp:dns/recordSet:RecordSet").map(inputs);
    const byName = Object.fromEntries(sets.map((s) => [s.name, [s.type, s.rrdatas, s.managedZone, s.project]]));
    expect(byName).toEqual({
      "_acme-challenge.gumstack.com.": [
        "CNAME",
        [expect.stringMatching(/\.authorize\.certificatemanager\.goog\.$/)],
        "gumstack-com",
        "gumstack-test",
      ],
      "gumstack.com.": ["A", ["198.51.100.20"], "gumstack-com", "gumstack-test"],
      "*.gumstack.com.": ["A", ["198.51.100.20"], "gumstack-com", "gumstack-test"],
      "api.gumstack.com.": ["A", ["198.51.100.20"], "gumstack-com", "gumstack-test"],
    });
  });

  it("outputs the certificate's and the DNS authorization's names, to check issuance", async () => {
    const rs = await build();
    const outputs = one(rs, "gumstack:serving:Edge").outputs as Record<string, unknown>;
    expect(outputs.certificateName).toEqual(expect.any(String));
    expect(outputs.dnsAuthorizationName).toEqual(expect.any(String));
    expect(outputs.certificateName).toBe(one(rs, "gcp:certificatemanager/certificate:Certificate").outputs.name);
    expect(outputs.dnsAuthorizationName).toBe(one(rs, "gcp:certificatemanager/dnsAuthorization:DnsAuthorization").outputs.name);
  });

  it("puts the Kubernetes objects after what it is given to wait for, and leaves the firewall to the Network", async () => {
    const resources = await build();
    const pool = one(resources, "kubernetes:core/v1:ConfigMap", "system-pool-standin");
    for (const r of resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:core/v1:ConfigMap")) {
      expect(r.dependencies, r.urn).toContain(pool.urn);
    }
    expect(ofType(resources, "gcp:compute/firewall:Firewall")).toHaveLength(0);
  });
});
