// Reads and validates the stack's config once, at the entry point.
import * as pulumi from "@pulumi/pulumi";
import { parseAllConfig, type Settings } from "./load.js";
import { CONFIG_NAMESPACE } from "./schema.js";

export { ConfigError, parseAllConfig, parseStackConfig, namespaceValues, providerKeyProblems, type Settings } from "./load.js";
export { stackConfigSchema, CONFIG_NAMESPACE, type StackConfig, type StackConfigInput } from "./schema.js";

/** Validates the running stack's `gumstack:` config; throws ConfigError (listing every problem) before any resource. */
export function loadSettings(): Settings {
  const { clickhousePassword: _plain, ...config } = parseAllConfig(pulumi.runtime.allConfig());
  return { ...config, clickhousePassword: new pulumi.Config(CONFIG_NAMESPACE).requireSecret("clickhousePassword") };
}
