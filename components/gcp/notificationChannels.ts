// Cloud Monitoring email notification channels, one per address: the platform's alert policies (Alerting) and
// the isolation canary's notify them. Created once, before both, so neither depends on the other.
import * as monitoring from "../sdk/gcp/monitoring.js";
import * as pulumi from "@pulumi/pulumi";

export interface NotificationChannelsArgs {
  /** Project of the channels. Required. */
  readonly project: pulumi.Input<string>;
  /** Environment name, in the channels' display names. Required. */
  readonly environment: string;
  /** Email addresses, each its own channel. Default []: no channel (incidents open in Cloud Monitoring only). */
  readonly emails?: readonly string[];
  /** Resources the channels wait for (the Monitoring API). Default []. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Throws on an address list Cloud Monitoring would refuse or that would notify someone twice. */
export function checkEmails(what: string, emails: readonly string[]): void {
  if (new Set(emails).size !== emails.length) throw new Error(`${what}: an email address is listed twice`);
  for (const e of emails) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) throw new Error(`${what}: "${e}" is not an email address`);
  }
}

/** Email notification channels; `names` is what AlertPolicy.notificationChannels takes. */
export class NotificationChannels extends pulumi.ComponentResource {
  readonly channels: monitoring.NotificationChannel[];
  /** Channel resource names (projects/<project>/notificationChannels/<id>). */
  readonly names: pulumi.Output<string>[];

  constructor(name: string, args: NotificationChannelsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:gcp:NotificationChannels", name, {}, opts);
    const emails = args.emails ?? [];
    checkEmails(`notification channels ${name}`, emails);
    this.channels = emails.map(
      (email, i) =>
        new monitoring.NotificationChannel(
          `${name}-email-${i}`,
          { project: args.project, type: "email", displayName: `Gumstack ${args.environment}: ${email}`, labels: { email_address: email } },
          { parent: this, dependsOn: args.dependsOn ?? [] },
        ),
    );
    this.names = this.channels.map((c) => c.name);
    this.registerOutputs({ names: this.names });
  }
}
