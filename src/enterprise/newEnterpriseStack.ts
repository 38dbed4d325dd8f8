// Writes an enterprise customer's stack file from validated input, using Pulumi.enterprise.yaml as the
// template so the generated stack and the documented example never drift apart.
import { BUILD_IMAGE_PATH } from "../../components/kubernetes/platformTenants.js";
import { parseDocument } from "yaml";
import { ConfigError, namespaceValues, parseStackConfig } from "../config/load.js";
import { stackConfigSchema } from "../config/schema.js";
import { parseStackFile } from "../plan/stackFile.js";

export interface NewEnterpriseInput {
  /** Customer id (3-20 lowercase letters, digits, hyphens). */
  readonly customer: string;
  /** Billing account id, XXXXXX-XXXXXX-XXXXXX. */
  readonly billingAccount: string;
  /** Numeric id of the folder the project is created in. */
  readonly folderId: string;
  /** GCP project id to create; default `gumstack-<customer>`. */
  readonly project?: string;
  /** The customer's platform domain; default `<customer>.<template's parent domain>`. */
  readonly domain?: string;
  /** Project holding the platform registry; default the template's. */
  readonly platformProject?: string;
  /** Monthly budget amount; default the template's. */
  readonly budgetAmount?: number;
  /** ClickHouse Cloud host of the customer's analytics service; default the template's with the customer id. */
  readonly clickhouseHost?: string;
}

/** Which command-line flag sets which config key, so a refusal names the flag to fix. */
export const FLAG_FOR_KEY: Readonly<Record<string, string>> = {
  "gumstack:enterprise.customer": "--customer",
  "gumstack:environment": "--customer",
  "gumstack:enterprise.billingAccount": "--billing-account",
  "gumstack:enterprise.folderId": "--folder",
  "gumstack:project": "--project",
  "gumstack:domain": "--domain",
  "gumstack:enterprise.platformProject": "--platform-project",
  "gumstack:enterprise.budgetAmount": "--budget",
  "gumstack:clickhouse.host": "--clickhouse-host",
};

export class EnterpriseInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "EnterpriseInputError";
  }
}

export function stackNameFor(customer: string): string {
  return `enterprise-${customer}`;
}

/** Renames config problems to the flags that caused them. */
function asFlagProblems(problems: readonly string[]): string[] {
  return problems.map((p) => {
    const key = p.slice(0, p.indexOf(": "));
    const flag = FLAG_FOR_KEY[key];
    return flag ? `${flag}: ${p.slice(key.length + 2)} [config ${key}]` : p;
  });
}

/**
 * Returns the text of Pulumi.enterprise-<customer>.yaml. Throws EnterpriseInputError naming the flags
 * when the input (or the stack it would make) is invalid; nothing is written by this function.
 */
export function renderEnterpriseStack(templateText: string, input: NewEnterpriseInput): string {
  const customerCheck = stackConfigSchema.shape.enterprise.unwrap().shape.customer.safeParse(input.customer);
  if (!customerCheck.success) {
    throw new EnterpriseInputError([`--customer: ${customerCheck.error.issues[0]?.message} (got ${JSON.stringify(input.customer)})`]);
  }
  // The template's own header describes the example customer; the generated file gets its own.
  const doc = parseDocument(templateText.replace(/^(#[^\n]*\n)+\s*/, ""));
  const get = (key: string) => doc.getIn(["config", key]) as unknown;
  const templateDomain = String(get("gumstack:domain"));
  const parentDomain = templateDomain.slice(templateDomain.indexOf(".") + 1);
  const project = input.project ?? `gumstack-${input.customer}`;
  const set = (path: unknown[], value: unknown) => doc.setIn(["config", ...path], value);

  set(["gcp:project"], project);
  set(["gumstack:project"], project);
  set(["gumstack:environment"], `ent-${input.customer}`);
  set(["gumstack:domain"], input.domain ?? `${input.customer}.${parentDomain}`);
  set(["gumstack:enterprise", "customer"], input.customer);
  set(["gumstack:enterprise", "folderId"], input.folderId);
  set(["gumstack:enterprise", "billingAccount"], input.billingAccount);
  if (input.platformProject) set(["gumstack:enterprise", "platformProject"], input.platformProject);
  if (input.budgetAmount !== undefined) set(["gumstack:enterprise", "budgetAmount"], input.budgetAmount);
  const templateHost = String(doc.getIn(["config", "gumstack:clickhouse", "host"]));
  set(["gumstack:clickhouse", "host"], input.clickhouseHost ?? `${input.customer}.${templateHost.slice(templateHost.indexOf(".") + 1)}`);
  // The canary image is pushed to the customer's own tenant repository, which only this stack's first deployment
  // creates: the new stack starts without it, and the README's "Isolation canary" says how to turn it on.
  if (doc.hasIn(["config", "gumstack:canary"])) {
    set(["gumstack:canary"], doc.createNode({ enabled: false }));
    const node = doc.getIn(["config", "gumstack:canary"], true) as { commentBefore?: string } | undefined;
    if (node) node.commentBefore = " Off until the release identity has pushed the canary to this stack's repository (README: Isolation canary).";
  }
  // The builder is the release identity's copy, same digest, in this stack's tenant repository: the reference is
  // known before the repository exists (a digest names content, not a location), so the build plane is planned as
  // usual; build pods cannot pull it until the copy is made after the first deployment (README: Publishing
  // platform images). Unlike the canary nothing runs until the backend starts a build, so nothing is turned off.
  const templateBuilder = doc.getIn(["config", "gumstack:build", "builderImage"]);
  const digest = typeof templateBuilder === "string" ? /@(sha256:[a-f0-9]{64})$/.exec(templateBuilder)?.[1] : undefined;
  if (digest) {
    const repoId = doc.getIn(["config", "gumstack:artifactRegistry", "repositoryId"]) ?? `mcp-ent-${input.customer}`;
    const region = String(get("gumstack:region"));
    set(["gumstack:build", "builderImage"], `${region}-docker.pkg.dev/${project}/${String(repoId)}/${BUILD_IMAGE_PATH}/builder@${digest}`);
    const node = doc.getIn(["config", "gumstack:build"], true) as { commentBefore?: string } | undefined;
    if (node) node.commentBefore = " The builder's digest as in Pulumi.enterprise.yaml; after the first deployment copy it here: scripts/publish-platform-image.sh builder (README).";
  }
  doc.commentBefore = ` Enterprise customer "${input.customer}": written by \`npm run new-enterprise\` from Pulumi.enterprise.yaml.\n Every key is documented in README.md.`;

  const text = doc.toString();
  try {
    parseStackConfig(namespaceValues(parseStackFile(text, `Pulumi.${stackNameFor(input.customer)}.yaml`).config));
  } catch (err) {
    if (err instanceof ConfigError) throw new EnterpriseInputError(asFlagProblems(err.problems));
    throw err;
  }
  return text;
}
