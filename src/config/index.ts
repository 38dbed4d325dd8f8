// Reads and validates the stack's config once, at the entry point.
import * as pulumi from "@pulumi/pulumi";
import { parseAllConfig, type Settings } from "./load.js";
import { CONFIG_NAMESPACE } from "./schema.js";

export {
  ConfigError,
  parseAllConfig,
  parseStackConfig,
  namespaceValues,
  plainSecretProblems,
  providerKeyProblems,
  type Settings,
} from "./load.js";
export { stackConfigSchema, CONFIG_NAMESPACE, type StackConfig, type StackConfigInput } from "./schema.js";

/** Validates the running stack's `gumstack:` config; throws ConfigError (listing every problem) before any resource. */
export function loadSettings(): Settings {
  const all = pulumi.runtime.allConfig();
  // The engine's secret keys (PULUMI_CONFIG_SECRET_KEYS); the SDK reads them with this function, not in its types.
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret: (key: string) => boolean }).isConfigSecret;
  const { clickhousePassword: _plain, ...config } = parseAllConfig(all, {
    secretKeys: Object.keys(all).filter((key) => isSecret(key)),
    stack: pulumi.getStack(),
  });
  return { ...config, clickhousePassword: new pulumi.Config(CONFIG_NAMESPACE).requireSecret("clickhousePassword") };
}
