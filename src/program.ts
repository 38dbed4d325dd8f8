// The Pulumi program: validate the stack's config, then build the platform or one enterprise customer.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadSettings } from "./config/index.js";
import { buildEnterprise } from "./stacks/enterprise.js";
import { buildPlatform } from "./stacks/platform.js";

export async function program(): Promise<Record<string, unknown>> {
  let settings;
  try {
    settings = loadSettings();
  } catch (err) {
    // A RunError is shown without a stack trace: the message names every bad key and its fix.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  return settings.kind === "enterprise" ? buildEnterprise(settings) : buildPlatform(settings);
}
