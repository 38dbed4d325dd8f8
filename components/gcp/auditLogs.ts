// Data Access audit logs for the services that hold the platform's secrets and data. Admin Activity logs are
// always on; Data Access logs (who read or wrote which key or row set) are off by default except for BigQuery
// and must be enabled per service (https://cloud.google.com/logging/docs/audit/configure-data-access).
import * as projects from "../sdk/gcp/projects.js";
import * as pulumi from "@pulumi/pulumi";

/** Services whose data reads and writes are audited: Cloud KMS (every encrypt/decrypt) and Spanner. */
export const DATA_ACCESS_AUDITED_SERVICES = ["cloudkms.googleapis.com", "spanner.googleapis.com"] as const;
/** Log types enabled for each (ADMIN_READ is not asked for: it logs metadata reads such as key listings). */
export const DATA_ACCESS_LOG_TYPES = ["DATA_READ", "DATA_WRITE"] as const;

export interface DataAccessAuditLogsArgs {
  /** Project whose audit config is set. Required. */
  readonly project: pulumi.Input<string>;
  /** Services to audit. Default DATA_ACCESS_AUDITED_SERVICES. */
  readonly services?: readonly string[];
  /** Resources the audit configs wait for (the project's creation). Default []. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * One IAMAuditConfig per service with DATA_READ and DATA_WRITE and no exempted member: the backend's and the
 * Spanner and Kubernetes service agents' calls are logged too. IAMAuditConfig is authoritative for its service's
 * audit config in the project (nothing else may set it). Spanner DATA_READ logs every read request: it is the
 * largest log volume this adds (docs/edge-egress-ops.md).
 */
export class DataAccessAuditLogs extends pulumi.ComponentResource {
  /** Audit configs by service. */
  readonly configs: Readonly<Record<string, projects.IAMAuditConfig>>;

  constructor(name: string, args: DataAccessAuditLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:DataAccessAuditLogs", name, {}, opts);
    const services = args.services ?? DATA_ACCESS_AUDITED_SERVICES;
    if (services.length === 0) throw new Error(`audit logs ${name}: name at least one service`);
    if (new Set(services).size !== services.length)
      throw new Error(`audit logs ${name}: a service is listed twice (${services.join(", ")})`);
    const configs: Record<string, projects.IAMAuditConfig> = {};
    for (const service of services) {
      if (!/^[a-z0-9-]+\.googleapis\.com$/.test(service))
        throw new Error(`audit logs ${name}: "${service}" is not a service name such as spanner.googleapis.com`);
      configs[service] = new projects.IAMAuditConfig(
        `${name}-${service.split(".")[0]}`,
        {
          project: args.project,
          service,
          auditLogConfigs: DATA_ACCESS_LOG_TYPES.map((logType) => ({ logType })),
        },
        { parent: this, dependsOn: args.dependsOn ?? [] },
      );
    }
    this.configs = configs;
    this.registerOutputs({ services: [...services] });
  }
}
