import * as spanner from "../sdk/gcp/spanner.js";
import * as pulumi from "@pulumi/pulumi";
import { boundedName, daysToDuration } from "./naming.js";
import type { ProjectApis } from "./projectServices.js";

/** The regional instance configuration of a region: `regional-us-west1` (three zones, one region). */
export function spannerConfigName(region: string): string {
  if (!/^[a-z]+-[a-z]+\d$/.test(region)) throw new Error(`"${region}" is not a GCP region such as us-west1`);
  return `regional-${region}`;
}

/** Point-in-time recovery window: "<days>d", 1-7 days (Spanner's limits). */
export function versionRetentionPeriod(days: number): string {
  if (!Number.isInteger(days) || days < 1 || days > 7) throw new Error(`version retention must be 1-7 days, got ${days}`);
  return `${days}d`;
}

/** Backup retention in seconds; Spanner keeps backups at most 366 days. */
export function backupRetention(days: number): string {
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new Error(`backup retention must be 1-366 days, got ${days}`);
  return daysToDuration(days);
}

/** The instance's capacity and databases, with their recovery windows. */
export interface SpannerSettings {
  /** Compute capacity in processing units: 100-900 in steps of 100, then multiples of 1000. Required. */
  readonly processingUnits: number;
  /** Database ids, distinct, at least one. Required. */
  readonly databases: readonly string[];
  /** Point-in-time recovery window of every database, days (1-7). Required. */
  readonly versionRetentionDays: number;
  /** Retention of each database's daily full backup, days (1-366). Required. */
  readonly backupRetentionDays: number;
}

export interface SpannerArgs {
  /** Project of the instance. Required. */
  readonly project: pulumi.Input<string>;
  /** Region; the instance config is `regional-<region>`. Required. */
  readonly region: string;
  /** Environment name; the instance is `gumstack-<environment>` (at most 30 characters). Required. */
  readonly environment: string;
  /** Processing units, databases, version and backup retention. Required. */
  readonly spanner: SpannerSettings;
  /** CMEK key of the databases and their backups (KMS `spanner` key id); same region. Required. */
  readonly kmsKeyName: pulumi.Input<string>;
  /** The key's grant to the Spanner agent; instance, databases and schedules wait for it. Required. */
  readonly keyGrants: readonly pulumi.Resource[];
  /** The Spanner API. Required. */
  readonly apis: Pick<ProjectApis, "spanner">;
  /** Cron (UTC) of the daily full backup. Default "0 10 * * *" (02:00-03:00 in us-west1). */
  readonly backupCron?: string;
  /**
   * Deliberate teardown: instance deletionPolicy DELETE, databases without drop or deletion protection. Default
   * false. forceDestroy stays false either way: an instance with backups is only deleted once they are.
   */
  readonly allowDestroy?: boolean;
}

/**
 * A regional Spanner instance (STANDARD edition: it has CMEK and scheduled full backups in regional configs)
 * with the configured databases, each CMEK-encrypted, drop-protected and backed up daily by a managed backup
 * schedule (full backups, CMEK, configured retention). The instance's own default backup schedule is NONE:
 * the explicit schedule replaces it, instead of adding a second daily backup with a fixed 7-day retention.
 * Instance and databases are `protect`ed; the instance also has `deletionPolicy: PREVENT` and
 * `forceDestroy: false` (it has no deletionProtection flag), the databases `deletionProtection` and
 * `enableDropProtection` (which also blocks deleting the instance from any client).
 */
export class Spanner extends pulumi.ComponentResource {
  readonly instance: spanner.Instance;
  /** Databases by id. */
  readonly databases: Readonly<Record<string, spanner.Database>>;
  /** Daily backup schedules by database id. */
  readonly backupSchedules: Readonly<Record<string, spanner.BackupSchedule>>;

  constructor(name: string, args: SpannerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:Spanner", name, {}, opts);

    const cfg = args.spanner;
    const instanceName = boundedName(["gumstack", args.environment], 30);
    const keyed = [...args.keyGrants];

    this.instance = new spanner.Instance(
      `${name}-instance`,
      {
        project: args.project,
        name: instanceName,
        displayName: instanceName,
        config: spannerConfigName(args.region),
        processingUnits: cfg.processingUnits,
        edition: "STANDARD",
        defaultBackupScheduleType: "NONE",
        forceDestroy: false,
        deletionPolicy: args.allowDestroy ? "DELETE" : "PREVENT",
        labels: { environment: args.environment, "managed-by": "pulumi" },
      },
      { parent: this, protect: true, dependsOn: [args.apis.spanner, ...keyed] },
    );

    const databases: Record<string, spanner.Database> = {};
    const schedules: Record<string, spanner.BackupSchedule> = {};
    for (const id of cfg.databases) {
      const db = new spanner.Database(
        `${name}-${id}`,
        {
          project: args.project,
          instance: this.instance.name,
          name: id,
          databaseDialect: "GOOGLE_STANDARD_SQL",
          encryptionConfig: { kmsKeyName: args.kmsKeyName },
          versionRetentionPeriod: versionRetentionPeriod(cfg.versionRetentionDays),
          enableDropProtection: !args.allowDestroy,
          deletionProtection: !args.allowDestroy,
        },
        { parent: this, protect: true, dependsOn: keyed },
      );
      databases[id] = db;
      schedules[id] = new spanner.BackupSchedule(
        `${name}-${id}-daily`,
        {
          project: args.project,
          instance: this.instance.name,
          database: db.name,
          name: "daily-full",
          retentionDuration: backupRetention(cfg.backupRetentionDays),
          spec: { cronSpec: { text: args.backupCron ?? "0 10 * * *" } },
          fullBackupSpec: {},
          encryptionConfig: { encryptionType: "CUSTOMER_MANAGED_ENCRYPTION", kmsKeyName: args.kmsKeyName },
        },
        { parent: this, dependsOn: keyed },
      );
    }
    this.databases = databases;
    this.backupSchedules = schedules;

    this.registerOutputs({
      instanceName: this.instance.name,
      databaseNames: Object.fromEntries(Object.entries(databases).map(([id, db]) => [id, db.name])),
    });
  }
}
