// Edge, egress and operations on the real prod and enterprise plans (docs/edge-egress-ops.md): the Cloud Armor
// policy on both load-balancer backends, tenant egress apart from the platform's, NAT ports for the pools'
// maxima, Data Access audit logs, alert policies and cost allocation.
import { describe, expect, it } from "vitest";
import { natPortCheck, natPortPlan } from "../../components/gcp/network.js";
import { sharedCanaryPlan } from "../support/plans.js";
import { parseStackConfig, namespaceValues } from "../../src/config/load.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { nameOf, ofType, one, waitsFor, type PlannedResource } from "../support/harness.js";
import { readFileSync } from "node:fs";

const T = {
  armor: "gcp:compute/securityPolicy:SecurityPolicy",
  backendPolicy: "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  nat: "gcp:compute/routerNat:RouterNat",
  address: "gcp:compute/address:Address",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  pool: "gcp:container/nodePool:NodePool",
  cluster: "gcp:container/cluster:Cluster",
  audit: "gcp:projects/iAMAuditConfig:IAMAuditConfig",
  alert: "gcp:monitoring/alertPolicy:AlertPolicy",
  uptime: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

const stacks = [
  { stack: "prod", project: "gumstack-prod", domain: "gumstack.com" },
  { stack: "enterprise", project: "gumstack-acme", domain: "acme.gumstack.com" },
] as const;

describe.each(stacks)("$stack plan: edge, egress, operations", async ({ stack, project, domain }) => {
  // As deployed from the second `up` on, with the canary on (prod starts without it: README "Deploying for real").
  const plan = await sharedCanaryPlan(stack);
  const resources = plan.deployment.resources;
  const config = parseStackConfig(namespaceValues(parseStackFile(readFileSync(`Pulumi.${stack}.yaml`, "utf8"), stack).config));
  const spec = (r: PlannedResource) => (r.inputs as { spec: Record<string, any> }).spec;

  it("attaches the one Cloud Armor policy to both load-balancer backends: Kourier (MCP servers) and the API", () => {
    const armor = one(resources, T.armor);
    expect(armor.inputs).toMatchObject({
      project,
      type: "CLOUD_ARMOR",
      adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true } },
    });
    // Every Service a route sends traffic to has a GCPBackendPolicy naming the policy.
    const backends = ofType(resources, T.route)
      .flatMap((r) =>
        (spec(r).rules as { backendRefs?: { name: string; namespace: string }[] }[]).flatMap((rule) => rule.backendRefs ?? []),
      )
      .map((b) => `${b.namespace}/${b.name}`)
      .sort();
    expect(backends).toEqual(["gumstack-backend/backend", "knative-serving/kourier"]);
    const attached = ofType(resources, T.backendPolicy)
      .filter((p) => spec(p).default.securityPolicy === armor.inputs.name)
      .map((p) => `${(p.inputs as any).metadata.namespace}/${spec(p).targetRef.name}`)
      .sort();
    expect(attached).toEqual(backends);
    for (const p of ofType(resources, T.backendPolicy)) {
      expect(spec(p).default.logging).toEqual({ enabled: true, sampleRate: Math.round(config.edge.logSampleRate * 1e6) });
      expect(waitsFor(resources, p, armor)).toBe(true);
    }
    // Hosts that name no server answered 404 first (shape, then the reserved labels), then the API host per client
    // IP, then every MCP request per client IP across all MCP hosts, with the stack's limits.
    const rules = armor.inputs.rules as any[];
    expect(rules.filter((r) => r.action === "deny(404)").map((r) => r.priority)).toEqual([1500, 1501]);
    expect(rules.find((r) => r.priority === 1501).match.expr.expression).not.toMatch(new RegExp(`[(|]${config.edge.apiSubdomain}[|)]`));
    const throttles = rules.filter((r) => r.action === "throttle");
    expect(throttles.map((r) => [r.priority, r.rateLimitOptions.enforceOnKey, r.rateLimitOptions.rateLimitThreshold.count])).toEqual([
      [3000, "IP", config.edge.armor.apiRequestsPerMinutePerClient],
      [3500, "IP", config.edge.armor.mcpRequestsPerMinutePerClient],
    ]);
    expect(throttles[0].match.expr.expression).toContain(`'api.${domain}'`);
    expect(throttles[1].match).toEqual({ versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } });
  });

  it("keeps tenant egress apart: the MCP pool's own pod range, NATed by a gateway whose addresses the platform's never uses", () => {
    const subnet = one(resources, T.subnet);
    const ranges = Object.fromEntries(
      (subnet.inputs.secondaryIpRanges as { rangeName: string; ipCidrRange: string }[]).map((r) => [r.rangeName, r.ipCidrRange]),
    );
    expect(ranges["pods-mcp"]).toBe(config.network.mcpPodCidr);
    const pools = ofType(resources, T.pool);
    const mcpPool = pools.find((p) => (p.inputs.nodeConfig as any).sandboxConfig?.type === "GVISOR")!;
    expect(mcpPool.inputs.networkConfig).toEqual({ createPodRange: false, podRange: "pods-mcp", enablePrivateNodes: true });
    for (const p of pools.filter((x) => x !== mcpPool)) expect(p.inputs).not.toHaveProperty("networkConfig");
    // Pods keep their own source address up to Cloud NAT.
    expect(one(resources, T.cluster).inputs.defaultSnatStatus).toEqual({ disabled: true });

    const nats = ofType(resources, T.nat);
    expect(nats).toHaveLength(2);
    const covers = (n: PlannedResource) => (n.inputs.subnetworks as any[]).flatMap((s) => s.secondaryIpRangeNames ?? []);
    const tenant = nats.find((n) => covers(n).includes("pods-mcp"))!;
    const platform = nats.find((n) => n !== tenant)!;
    expect(covers(tenant)).toEqual(["pods-mcp"]);
    expect(covers(platform)).toEqual(["pods"]);
    for (const n of nats) {
      expect(n.inputs.natIpAllocateOption).toBe("MANUAL_ONLY");
      expect((n.inputs.subnetworks as any[])[0].sourceIpRangesToNats).not.toContain("ALL_IP_RANGES");
    }
    const ips = (n: PlannedResource) => n.inputs.natIps as string[];
    expect(ips(tenant).filter((ip) => ips(platform).includes(ip))).toEqual([]);
    const addressOf = new Map(ofType(resources, T.address).map((a) => [a.outputs.selfLink as string, a.outputs.address as string]));
    const tenantAddresses = ips(tenant).map((l) => addressOf.get(l));
    const platformAddresses = ips(platform).map((l) => addressOf.get(l));
    expect(tenantAddresses.every((a) => typeof a === "string")).toBe(true);
    expect(tenantAddresses.filter((a) => platformAddresses.includes(a))).toEqual([]);
    expect(tenantAddresses).toHaveLength(config.egress.tenant.addresses);
    expect(platformAddresses).toHaveLength(config.egress.platform.addresses);
    expect(waitsFor(resources, mcpPool, tenant)).toBe(true);
  });

  it("sizes both NATs for every pool at its maximum", () => {
    const { system, backend, mcp } = config.nodePools;
    const platform = { ...config.egress.platform, maxVms: system.maxNodes + backend.maxNodes + mcp.maxNodes };
    const tenant = { ...config.egress.tenant, maxVms: mcp.maxNodes };
    expect(natPortCheck(platform)).toBeUndefined();
    expect(natPortCheck(tenant)).toBeUndefined();
    expect(natPortPlan(platform).ports).toBeGreaterThanOrEqual(natPortPlan(platform).reservedAtMax);
    const nat = (name: string) => one(resources, T.nat, name).inputs;
    expect(nat("network-nat")).toMatchObject({
      enableDynamicPortAllocation: true,
      minPortsPerVm: platform.minPortsPerVm,
      maxPortsPerVm: platform.maxPortsPerVm,
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    expect(nat("network-nat-tenant")).toMatchObject({
      enableDynamicPortAllocation: true,
      minPortsPerVm: tenant.minPortsPerVm,
      maxPortsPerVm: tenant.maxPortsPerVm,
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
  });

  it("excepts the MCP pod range from MCP and backend internet egress", () => {
    for (const p of ofType(resources, T.netpol).filter((x) => /allow-egress-public/.test(String((x.inputs as any).metadata.name)))) {
      const except = (spec(p).egress as any[])[0].to[0].ipBlock.except as string[];
      expect(except, nameOf(p)).toContain(config.network.mcpPodCidr);
    }
  });

  it("audits data reads and writes of Cloud KMS and Spanner in the stack's project", () => {
    const audits = ofType(resources, T.audit);
    expect(audits.map((a) => [a.inputs.project, a.inputs.service, a.inputs.auditLogConfigs]).sort()).toEqual([
      [project, "cloudkms.googleapis.com", [{ logType: "DATA_READ" }, { logType: "DATA_WRITE" }]],
      [project, "spanner.googleapis.com", [{ logType: "DATA_READ" }, { logType: "DATA_WRITE" }]],
    ]);
  });

  it("checks the API host and alerts on it, its certificate, 5xx, NAT, the backend HPA and the pools", () => {
    const check = one(resources, T.uptime, "alerting-uptime-api");
    expect(check.inputs).toMatchObject({ project, httpCheck: { path: config.backend.healthPath, useSsl: true, validateSsl: true } });
    expect((check.inputs.monitoredResource as any).labels).toEqual({ project_id: project, host: `api.${domain}` });
    const alerts = ofType(resources, T.alert).filter((a) => nameOf(a).startsWith("alerting-"));
    expect(alerts.map(nameOf).sort()).toEqual([
      "alerting-api-uptime",
      "alerting-backend-hpa-max",
      "alerting-canary-uptime",
      "alerting-certificate-expiry",
      "alerting-lb-5xx",
      "alerting-nat",
      "alerting-node-pools-max",
    ]);
    // The isolation canary is checked from outside, through the load balancer, on its own host.
    const canaryCheck = one(resources, T.uptime, "alerting-uptime-canary");
    expect((canaryCheck.inputs.monitoredResource as any).labels).toEqual({ project_id: project, host: `gumstack-canary.${domain}` });
    expect(canaryCheck.inputs.httpCheck).toMatchObject({ path: "/healthz", useSsl: true, validateSsl: true });
    // Every alert policy of the stack, the canary's own included, notifies the same channels (none configured here).
    for (const a of ofType(resources, T.alert)) expect(a.inputs.notificationChannels, nameOf(a)).toEqual([]);
    for (const a of alerts) expect(a.inputs.project).toBe(project);
    const nat = alerts.find((a) => nameOf(a) === "alerting-nat")!;
    const names = ofType(resources, T.nat).map((n) => n.inputs.name as string);
    for (const c of nat.inputs.conditions as any[]) for (const n of names) expect(c.conditionThreshold.filter).toContain(`"${n}"`);
    const pools = alerts.find((a) => nameOf(a) === "alerting-node-pools-max")!;
    expect((pools.inputs.conditions as any[]).map((c) => c.conditionThreshold.thresholdValue)).toEqual([
      config.nodePools.system.maxNodes,
      config.nodePools.backend.maxNodes,
      config.nodePools.mcp.maxNodes,
    ]);
    // The pools' VMs carry exactly the labels the pool alert counts them by.
    for (const p of ofType(resources, T.pool)) {
      expect((p.inputs.nodeConfig as any).resourceLabels).toMatchObject({
        "gumstack-environment": config.environment,
        "gumstack-pool": (p.inputs.nodeConfig as any).labels["gumstack.com/pool"],
      });
    }
    for (const c of pools.inputs.conditions as any[])
      expect(c.conditionThreshold.filter).toContain(`metadata.user_labels."gumstack-environment"="${config.environment}"`);
    const hpa = alerts.find((a) => nameOf(a) === "alerting-backend-hpa-max")!;
    expect((hpa.inputs.conditions as any[])[0].conditionPrometheusQueryLanguage.query).toContain(
      `cluster="gumstack-${config.environment}"`,
    );
  });

  it("turns GKE cost allocation on and exports the egress addresses", () => {
    expect(one(resources, T.cluster).inputs.costManagementConfig).toEqual({ enabled: true });
    const outputs = one(resources, "pulumi:pulumi:Stack").outputs as Record<string, unknown>;
    expect((outputs.platformEgressIps as string[]).length).toBe(config.egress.platform.addresses);
    expect((outputs.tenantEgressIps as string[]).length).toBe(config.egress.tenant.addresses);
    expect((outputs.tenantEgressIps as string[]).filter((ip) => (outputs.platformEgressIps as string[]).includes(ip))).toEqual([]);
  });
});
