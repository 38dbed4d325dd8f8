import { describe, expect, it } from "vitest";
import {
  Alerting,
  hpaAtMaxCondition,
  lb5xxCondition,
  natConditions,
  poolAtMaxCondition,
  type AlertingArgs,
} from "../../components/gcp/alerting.js";
import { DataAccessAuditLogs } from "../../components/gcp/auditLogs.js";
import { NotificationChannels, checkEmails } from "../../components/gcp/notificationChannels.js";
import { nameOf, ofType, one, record } from "../support/harness.js";

describe("DataAccessAuditLogs", () => {
  it("logs data reads and writes of Cloud KMS and Spanner, exempting no one", async () => {
    const resources = await record(() => new DataAccessAuditLogs("audit", { project: "gumstack-prod" }));
    const configs = ofType(resources, "gcp:projects/iAMAuditConfig:IAMAuditConfig");
    expect(configs.map((c) => c.inputs.service).sort()).toEqual(["cloudkms.googleapis.com", "spanner.googleapis.com"]);
    for (const c of configs) {
      expect(c.inputs).toEqual({
        project: "gumstack-prod",
        service: c.inputs.service,
        auditLogConfigs: [{ logType: "DATA_READ" }, { logType: "DATA_WRITE" }],
      });
    }
  });
});

const base: AlertingArgs = {
  project: "gumstack-prod",
  environment: "prod",
  api: { host: "api.gumstack.com", path: "/healthz" },
  clusterName: "gumstack-prod",
  backendHpa: { namespace: "gumstack-backend", name: "backend" },
  nodePools: [
    { role: "system", maxNodes: 9 },
    { role: "backend", maxNodes: 72 },
    { role: "mcp", maxNodes: 20 },
  ],
  natGateways: ["gumstack-prod-nat", "gumstack-prod-nat-tenant"],
};

describe("alert conditions (pure)", () => {
  it("alerts on the 5xx share of load-balancer responses, as a ratio", () => {
    const c = lb5xxCondition(5).conditionThreshold as Record<string, any>;
    expect(c.filter).toContain('metric.type="loadbalancing.googleapis.com/https/request_count"');
    expect(c.filter).toContain("metric.label.response_code_class=500");
    expect(c.denominatorFilter).not.toContain("response_code_class");
    expect(c).toMatchObject({ comparison: "COMPARISON_GT", thresholdValue: 0.05, duration: "300s" });
    expect(() => lb5xxCondition(0)).toThrow(/lb5xxPercent/);
  });

  it("alerts on any NAT drop and any failed allocation of exactly the stack's gateways", () => {
    const [drops, failed] = natConditions(["gumstack-prod-nat", "gumstack-prod-nat-tenant"]).map(
      (c) => c.conditionThreshold as Record<string, any>,
    );
    const gateways = 'resource.label.gateway_name=one_of("gumstack-prod-nat", "gumstack-prod-nat-tenant")';
    expect(drops!.filter).toBe(
      `metric.type="router.googleapis.com/nat/dropped_sent_packets_count" AND resource.type="nat_gateway" AND ${gateways}`,
    );
    expect(failed!.filter).toBe(
      `metric.type="router.googleapis.com/nat/nat_allocation_failed" AND resource.type="nat_gateway" AND ${gateways}`,
    );
    expect(drops).toMatchObject({ comparison: "COMPARISON_GT", thresholdValue: 0 });
    expect(failed!.aggregations[0].perSeriesAligner).toBe("ALIGN_COUNT_TRUE");
  });

  it("alerts when the backend HPA's current replicas reach its spec maximum (kube-state-metrics, PromQL)", () => {
    const c = hpaAtMaxCondition({ cluster: "gumstack-prod", namespace: "gumstack-backend", hpa: "backend" })
      .conditionPrometheusQueryLanguage as { query: string; duration: string };
    const sel = '{cluster="gumstack-prod",namespace="gumstack-backend",horizontalpodautoscaler="backend"}';
    expect(c.query).toBe(
      `max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas${sel}) >= ` +
        `max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas${sel})`,
    );
    expect(c.duration).toBe("900s");
    expect(() => hpaAtMaxCondition({ cluster: "x", namespace: 'a"} or vector(1) #', hpa: "b" })).toThrow(/not a Kubernetes or GKE name/);
  });

  it("counts a pool's running node VMs by their labels against the pool's maximum", () => {
    const c = poolAtMaxCondition({ environment: "prod", role: "mcp", maxNodes: 20 }).conditionThreshold as Record<string, any>;
    expect(c.filter).toBe(
      'metric.type="compute.googleapis.com/instance/cpu/utilization" AND resource.type="gce_instance" AND ' +
        'metadata.user_labels."gumstack-pool"="mcp" AND metadata.user_labels."gumstack-environment"="prod"',
    );
    expect(c.aggregations).toEqual([{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_MEAN", crossSeriesReducer: "REDUCE_COUNT" }]);
    expect(c).toMatchObject({ comparison: "COMPARISON_GE", thresholdValue: 20, duration: "1800s" });
  });
});

describe("Alerting", () => {
  it("checks the API over HTTPS with certificate validation and alerts on failure and certificate expiry", async () => {
    const resources = await record(() => new Alerting("alerting", base));
    const check = one(resources, "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig");
    expect(check.inputs).toMatchObject({
      project: "gumstack-prod",
      period: "60s",
      httpCheck: {
        path: "/healthz",
        port: 443,
        useSsl: true,
        validateSsl: true,
        acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
      },
      monitoredResource: { type: "uptime_url", labels: { project_id: "gumstack-prod", host: "api.gumstack.com" } },
    });
    const id = check.outputs.uptimeCheckId as string;
    const policies = ofType(resources, "gcp:monitoring/alertPolicy:AlertPolicy");
    const byName = Object.fromEntries(policies.map((p) => [nameOf(p), p.inputs as Record<string, any>]));
    expect(Object.keys(byName).sort()).toEqual([
      "alerting-api-uptime",
      "alerting-backend-hpa-max",
      "alerting-certificate-expiry",
      "alerting-lb-5xx",
      "alerting-nat",
      "alerting-node-pools-max",
    ]);
    expect(byName["alerting-api-uptime"]!.conditions[0].conditionThreshold.filter).toContain(`metric.label.check_id="${id}"`);
    const cert = byName["alerting-certificate-expiry"]!.conditions[0].conditionThreshold;
    expect(cert.filter).toContain('metric.type="monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires"');
    expect(cert).toMatchObject({ comparison: "COMPARISON_LT", thresholdValue: 14 });
    expect(byName["alerting-node-pools-max"]!.conditions.map((c: any) => c.conditionThreshold.thresholdValue)).toEqual([9, 72, 20]);
    // Without emails the policies exist and open incidents; they notify no channel.
    for (const p of policies) expect(p.inputs.notificationChannels).toEqual([]);
  });

  it("refuses a malformed or repeated email before creating any channel", () => {
    expect(() => checkEmails("alerting", ["oncall@gumstack.com"])).not.toThrow();
    expect(() => checkEmails("alerting", ["oncall"])).toThrow(/"oncall" is not an email address/);
    expect(() => checkEmails("alerting", ["a@b.co", "a@b.co"])).toThrow(/listed twice/);
  });

  it("notifies every configured email and checks the canary when the canary's host is given", async () => {
    const resources = await record(() => {
      const notify = new NotificationChannels("notify", {
        project: "gumstack-prod",
        environment: "prod",
        emails: ["oncall@gumstack.com", "sre@gumstack.com"],
      });
      new Alerting("alerting", { ...base, notificationChannels: notify.names, canary: { host: "canary.gumstack.com", path: "/healthz" } });
    });
    const channels = ofType(resources, "gcp:monitoring/notificationChannel:NotificationChannel");
    expect(channels.map((c) => c.inputs.labels)).toEqual([{ email_address: "oncall@gumstack.com" }, { email_address: "sre@gumstack.com" }]);
    const names = channels.map((c) => c.outputs.name);
    for (const p of ofType(resources, "gcp:monitoring/alertPolicy:AlertPolicy")) expect(p.inputs.notificationChannels).toEqual(names);
    const checks = ofType(resources, "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig");
    expect(checks.map((c) => (c.inputs.monitoredResource as any).labels.host).sort()).toEqual(["api.gumstack.com", "canary.gumstack.com"]);
    const canaryId = checks.find((c) => (c.inputs.monitoredResource as any).labels.host === "canary.gumstack.com")!.outputs.uptimeCheckId;
    const canary = one(resources, "gcp:monitoring/alertPolicy:AlertPolicy", "alerting-canary-uptime");
    expect((canary.inputs as any).conditions[0].conditionThreshold.filter).toContain(`metric.label.check_id="${canaryId}"`);
  });
});
