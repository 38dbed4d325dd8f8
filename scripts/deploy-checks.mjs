// What scripts/deploy.sh checks in a stack file before pulumi runs, offline: no image still pinned to the
// placeholder digest, and no secret still the committed placeholder ciphertext. The placeholder digest is recorded
// here, once: the committed stack files use it for every image this repository cannot publish for an organization
// (docs/deploy-lifecycle.md "Placeholders"), the tests hold them to it, and deploy.sh refuses it before `up`.
// Usage: node scripts/deploy-checks.mjs placeholders <stack file> <stack>   one line per problem; exit 2 if any
//        node scripts/deploy-checks.mjs secure-keys <stack file>            the keys whose value is `secure:`
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/**
 * The digest of no image: the sha256 of nothing anyone can push (64 zeros), so a stack file can pin "not published
 * yet" by digest and still plan offline, and deploy.sh can tell it from a real pin without a registry.
 */
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;

/** The `secure:` value the committed stack files carry until `pulumi config set --secret` replaces it. */
export const SECRET_PLACEHOLDER = "v1:REPLACE_WITH_pulumi_config_set_--secret";

/**
 * The images a stack pins by digest, the script that publishes each, and when the stack runs it. The builder's
 * digest is the platform-images one: its copy in the tenant repository keeps it (scripts/publish-platform-image.sh).
 */
export const IMAGE_PINS = [
  { ns: "backend", key: "image", publisher: "scripts/publish-backend.sh --stack <stack> --context <backend source>" },
  {
    ns: "build",
    key: "builderImage",
    publisher:
      "scripts/publish-platform-images.sh, then pulumi config set --path gumstack:build.builderImage <tenant repository>/gumstack-build/builder@<digest> --stack <stack>",
  },
  {
    ns: "canary",
    key: "image",
    publisher:
      "scripts/publish-platform-image.sh --stack <stack> --image canary --source <platform image>@<digest> --set (after the first up)",
    onlyIf: "enabled",
  },
];

/** A stack file's `config:` map: `namespace:key` to value. */
function configOf(text) {
  const doc = parse(text);
  return (doc && typeof doc === "object" && doc.config) || {};
}

/** A value of a `gumstack:<ns>` map, or of the flat dotted key `pulumi config set` without --path writes. */
function valueOf(config, ns, key) {
  const map = config[`gumstack:${ns}`];
  return (map && typeof map === "object" ? map[key] : undefined) ?? config[`gumstack:${ns}.${key}`];
}

/** One line per image of the stack still pinned to PLACEHOLDER_DIGEST: the key, and the script that publishes it. */
export function placeholderProblems(text, stack) {
  const config = configOf(text);
  const out = [];
  for (const pin of IMAGE_PINS) {
    if (pin.onlyIf && String(valueOf(config, pin.ns, pin.onlyIf)) !== "true") continue;
    const value = valueOf(config, pin.ns, pin.key);
    if (typeof value === "string" && value.endsWith(`@${PLACEHOLDER_DIGEST}`)) {
      out.push(
        `gumstack:${pin.ns}.${pin.key} is the placeholder digest ${PLACEHOLDER_DIGEST}: publish the image and pin it: ${pin.publisher.replaceAll("<stack>", stack)}`,
      );
    }
  }
  return out;
}

/** The keys whose value is a secret (`secure:`), with the committed placeholder's flagged. */
export function secureKeys(text) {
  return Object.entries(configOf(text))
    .filter(([, v]) => v && typeof v === "object" && Object.keys(v).length === 1 && typeof v.secure === "string")
    .map(([key, v]) => ({ key, placeholder: v.secure === SECRET_PLACEHOLDER }));
}

// Run as a script (also through a link to it: Node loads the link target, so compare real paths).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [mode, file, stack = "<stack>"] = process.argv.slice(2);
  let text;
  try {
    text = readFileSync(file ?? "", "utf8");
  } catch {
    console.error(`error: cannot read stack file '${file ?? ""}'`);
    process.exit(2);
  }
  if (mode === "placeholders") {
    const problems = placeholderProblems(text, stack);
    for (const p of problems) console.error(`error: ${p}`);
    process.exit(problems.length > 0 ? 2 : 0);
  } else if (mode === "secure-keys") {
    for (const { key, placeholder } of secureKeys(text)) console.log(`${key} ${placeholder ? "placeholder" : "encrypted"}`);
  } else {
    console.error("usage: node scripts/deploy-checks.mjs placeholders <stack file> <stack> | secure-keys <stack file>");
    process.exit(2);
  }
}
