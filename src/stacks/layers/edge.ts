// The edge layer: the Cloud Armor policy, the global HTTPS load balancer (GKE Gateway, Certificate Manager, SSL
// policy, routes and their backend policies) and the uptime checks and alerts.
import type * as pulumi from "@pulumi/pulumi";
import { Alerting } from "../../../components/gcp/alerting.js";
import { CloudArmorPolicy } from "../../../components/gcp/cloudArmor.js";
import { Edge } from "../../../components/serving/edge.js";
import type { Settings } from "../../config/index.js";
import type { BaseLayer } from "./base.js";
import type { GkeLayer } from "./gke.js";
import type { ServingLayer } from "./serving.js";

/** What the stack outputs use from the edge layer. */
export interface EdgeLayer {
  readonly edge: Pick<Edge, "ipAddress" | "dnsRecords" | "dnsRecordsManaged" | "certificateName" | "dnsAuthorizationName">;
  /** The Cloud Armor policy's name. */
  readonly securityPolicy: pulumi.Output<string>;
  readonly uptimeCheckIds: Alerting["uptimeCheckIds"];
}

export interface EdgeLayerInputs {
  readonly base: BaseLayer;
  readonly gke: GkeLayer;
  readonly serving: ServingLayer;
}

export function edgeLayer(settings: Settings, { base, gke, serving }: EdgeLayerInputs): EdgeLayer {
  const { project, environment } = settings;
  const { apis } = base;
  const apiHost = `${settings.edge.apiSubdomain}.${settings.domain}`;
  const armor = new CloudArmorPolicy("armor", {
    project,
    environment,
    domain: settings.domain,
    apiHost,
    adaptiveProtection: settings.edge.armor.adaptiveProtection,
    serverRequestsPerMinute: settings.edge.armor.serverRequestsPerMinute,
    serverOverrides: settings.edge.armor.serverOverrides,
    apiRequestsPerMinutePerClient: settings.edge.armor.apiRequestsPerMinutePerClient,
    mcpRequestsPerMinutePerClient: settings.edge.armor.mcpRequestsPerMinutePerClient,
    sharedClientRanges: settings.edge.armor.sharedClientRanges,
    // No MCP server can have these hosts (the guard refuses them): the edge answers them itself.
    reservedLabels: settings.mcp.reservedHostnames,
    wafPreview: settings.edge.armor.wafPreview,
    dependsOn: [apis.compute],
  });
  const edge = new Edge("edge", {
    // The load balancer needs the control plane only (GKE's Gateway controller), not nodes: the Gateway starts as
    // soon as the cluster exists. What names a backend waits for it below, and so for the pools.
    provider: gke.controlPlaneProvider,
    project,
    domain: settings.domain,
    apiSubdomain: settings.edge.apiSubdomain,
    ...(settings.edge.dnsZone ? { dnsZone: settings.edge.dnsZone } : {}),
    backend: { namespace: serving.backend.namespace, serviceName: serving.backend.serviceName, port: serving.backend.servicePort },
    backendHealthPath: settings.backend.healthPath,
    backendTimeoutSeconds: settings.edge.backendTimeoutSeconds,
    securityPolicyName: armor.name,
    logSampleRate: settings.edge.logSampleRate,
    // Only what sits next to each backend waits for it; the Gateway (the load balancer) starts while Knative installs.
    backendDependsOn: { kourier: [...serving.kourierReady], backend: [...serving.backend.ready] },
    apiDependsOn: [apis.certificatemanager, apis.compute, apis.dns],
  });

  const { canary } = serving;
  const alerting = new Alerting("alerting", {
    project,
    environment,
    notificationChannels: base.notificationChannels,
    api: { host: apiHost, path: settings.backend.healthPath },
    // The canary's health path, checked from outside: the MCP path (LB, Kourier, activator) and the canary itself are up.
    ...(canary ? { canary: { host: canary.host, path: canary.healthPath } } : {}),
    clusterName: gke.cluster.name,
    backendHpa: { namespace: serving.backend.namespace, name: serving.backend.hpaName },
    nodePools: (["system", "backend", "mcp"] as const).map((role) => ({ role, maxNodes: settings.nodePools[role].maxNodes })),
    natGateways: [base.network.nat.name, base.network.tenantNat.name],
    lb5xxPercent: settings.alerting.lb5xxPercent,
    certificateExpiryDays: settings.alerting.certificateExpiryDays,
    dependsOn: [apis.monitoring],
  });
  return { edge, securityPolicy: armor.name, uptimeCheckIds: alerting.uptimeCheckIds };
}
