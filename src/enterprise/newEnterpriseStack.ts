// Writes an enterprise customer's stack file from validated input, using Pulumi.enterprise.yaml as the
// template so the generated stack and the documented example never drift apart. With an existing file (--force)
// it edits that file in place instead: only the keys of the flags given change; secretsprovider, encryptedkey,
// every `secure:` value, comments and hand edits stay as they are.
import { parseDocument, type Document } from "yaml";
import { defaultTenantRepositoryId } from "../../components/gcp/naming.js";
import { BUILD_IMAGE_PATH } from "../../components/kubernetes/platformTenants.js";
import { ConfigError, parseAllConfig } from "../config/load.js";
import { stackConfigSchema, type StackConfig } from "../config/schema.js";
import { stackSetProblems, type NamedStack } from "../config/stackSet.js";
import { parseStackFile } from "../plan/stackFile.js";

export interface NewEnterpriseInput {
  /** Customer id (3-20 lowercase letters, digits, hyphens). */
  readonly customer: string;
  /** Billing account id, XXXXXX-XXXXXX-XXXXXX. Required for a new file; kept from the file when updating. */
  readonly billingAccount?: string;
  /** Numeric id of the folder the project is created in. Required for a new file; kept when updating. */
  readonly folderId?: string;
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
    const flag = FLAG_FOR_KEY[key] ?? (key === "gcp:project" ? "--project" : undefined);
    return flag ? `${flag}: ${p.slice(key.length + 2)} [config ${key}]` : p;
  });
}

export interface RenderOptions {
  /** The customer's existing stack file (--force): edited in place, only the flags given change. Default none. */
  readonly existingText?: string;
  /** The other stacks of the directory: the new stack may share no project and no name with them. Default none. */
  readonly otherStacks?: readonly NamedStack[];
}

/** Sets the keys of the flags given; on a new file also the keys derived from the customer id. */
function applyFlags(doc: Document, input: NewEnterpriseInput, fresh: boolean): void {
  const get = (path: unknown[]) => doc.getIn(["config", ...path]) as unknown;
  const set = (path: unknown[], value: unknown) => doc.setIn(["config", ...path], value);
  const templateDomain = String(get(["gumstack:domain"]));
  const templateHost = String(get(["gumstack:clickhouse", "host"]));
  const project = input.project ?? (fresh ? `gumstack-${input.customer}` : undefined);
  if (project !== undefined) {
    set(["gcp:project"], project);
    set(["gumstack:project"], project);
  }
  if (fresh) {
    set(["gumstack:environment"], `ent-${input.customer}`);
    set(["gumstack:enterprise", "customer"], input.customer);
    // A new customer's key ring and bucket names get a random part kept in state: never a name GCP still holds.
    set(["gumstack:naming"], doc.createNode({ randomSuffix: true }));
    // The canary image is pushed to the customer's own tenant repository, which only this stack's first deployment
    // creates: the new stack starts without it, and the README's "Isolation canary" says how to turn it on.
    if (doc.hasIn(["config", "gumstack:canary"])) {
      set(["gumstack:canary"], doc.createNode({ enabled: false }));
      const node = doc.getIn(["config", "gumstack:canary"], true) as { commentBefore?: string } | undefined;
      if (node)
        node.commentBefore = " Off until the release identity has pushed the canary to this stack's repository (README: Isolation canary).";
    }
  }
  const domain = input.domain ?? (fresh ? `${input.customer}.${templateDomain.slice(templateDomain.indexOf(".") + 1)}` : undefined);
  if (domain !== undefined) set(["gumstack:domain"], domain);
  if (input.folderId !== undefined) set(["gumstack:enterprise", "folderId"], input.folderId);
  if (input.billingAccount !== undefined) set(["gumstack:enterprise", "billingAccount"], input.billingAccount);
  if (input.platformProject) set(["gumstack:enterprise", "platformProject"], input.platformProject);
  if (input.budgetAmount !== undefined) set(["gumstack:enterprise", "budgetAmount"], input.budgetAmount);
  const host = input.clickhouseHost ?? (fresh ? `${input.customer}.${templateHost.slice(templateHost.indexOf(".") + 1)}` : undefined);
  if (host !== undefined) set(["gumstack:clickhouse", "host"], host);
  // The builder is the release identity's copy, same digest, in this stack's tenant repository: the reference is
  // known before the repository exists (a digest names content, not a location), so the build plane is planned as
  // usual; build pods cannot pull it until the copy is made after the first deployment (README: Publishing
  // platform images). Unlike the canary nothing runs until the backend starts a build, so nothing is turned off.
  // It follows the project when the project changes (a new file, or --project with --force).
  const builder = get(["gumstack:build", "builderImage"]);
  const digest = typeof builder === "string" ? /@(sha256:[a-f0-9]{64})$/.exec(builder)?.[1] : undefined;
  if (digest && project !== undefined) {
    const repoId = get(["gumstack:artifactRegistry", "repositoryId"]) ?? defaultTenantRepositoryId(String(get(["gumstack:environment"])));
    set(
      ["gumstack:build", "builderImage"],
      `${String(get(["gumstack:region"]))}-docker.pkg.dev/${project}/${String(repoId)}/${BUILD_IMAGE_PATH}/builder@${digest}`,
    );
    if (fresh) {
      const node = doc.getIn(["config", "gumstack:build"], true) as { commentBefore?: string } | undefined;
      if (node)
        node.commentBefore =
          " The builder's digest as in Pulumi.enterprise.yaml; after the first deployment copy it here: scripts/publish-platform-image.sh builder (README).";
    }
  }
}

/**
 * Returns the text of Pulumi.enterprise-<customer>.yaml: from the template, or (options.existingText) the existing
 * file with only the given flags changed. Throws EnterpriseInputError naming the flags when the input, the stack
 * it would make (every derived name, checked with the schema's own rules), or its sharing a project or a name with
 * another stack of the directory is refused; nothing is written by this function.
 */
export function renderEnterpriseStack(templateText: string, input: NewEnterpriseInput, options: RenderOptions = {}): string {
  const customerCheck = stackConfigSchema.shape.enterprise.unwrap().shape.customer.safeParse(input.customer);
  if (!customerCheck.success) {
    throw new EnterpriseInputError([`--customer: ${customerCheck.error.issues[0]?.message} (got ${JSON.stringify(input.customer)})`]);
  }
  const fresh = options.existingText === undefined;
  if (fresh) {
    const missing = [input.billingAccount === undefined ? "--billing-account" : "", input.folderId === undefined ? "--folder" : ""].filter(
      Boolean,
    );
    if (missing.length > 0) throw new EnterpriseInputError(missing.map((f) => `${f}: is required for a new customer`));
  }
  const fileName = `Pulumi.${stackNameFor(input.customer)}.yaml`;
  // The template's own header describes the example customer; the generated file gets its own. An existing
  // file is parsed as it is, comments and all.
  const doc = parseDocument(fresh ? templateText.replace(/^(#[^\n]*\n)+\s*/, "") : options.existingText!);
  if (doc.errors.length > 0) throw new EnterpriseInputError([`${fileName}: not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`]);
  if (!fresh) {
    const existing = doc.getIn(["config", "gumstack:enterprise", "customer"]);
    if (existing !== input.customer) {
      throw new EnterpriseInputError([
        `--customer: ${fileName} is the stack of customer ${JSON.stringify(existing)}, not ${JSON.stringify(input.customer)}`,
      ]);
    }
  }
  applyFlags(doc, input, fresh);
  if (fresh) {
    doc.commentBefore = ` Enterprise customer "${input.customer}": written by \`npm run new-enterprise\` from Pulumi.enterprise.yaml.\n Every key is documented in README.md.`;
  }

  const text = doc.toString();
  let config: StackConfig;
  try {
    const parsed = parseStackFile(text, fileName);
    config = parseAllConfig(parsed.config, { secretKeys: parsed.secretKeys, stack: stackNameFor(input.customer) });
  } catch (err) {
    if (err instanceof ConfigError) throw new EnterpriseInputError(asFlagProblems(err.problems));
    throw err;
  }
  const stack = stackNameFor(input.customer);
  const others = (options.otherStacks ?? []).filter((o) => o.stack !== stack);
  const shared = stackSetProblems([...others, { stack, config }]).filter((p) => p.startsWith(`${stack}: `));
  if (shared.length > 0) throw new EnterpriseInputError(asFlagProblems(shared.map((p) => p.slice(stack.length + 2))));
  return text;
}
