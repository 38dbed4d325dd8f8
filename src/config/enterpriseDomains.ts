// Enterprise domains under a platform domain (`acme.gumstack.com` under `gumstack.com`) must be reserved in that
// platform stack: its wildcard route and certificate (`*.gumstack.com`) serve every one-label host, and an MCP
// server named `acme` would otherwise be given `acme.gumstack.com`, the enterprise customer's apex. The admission
// guard refuses a DomainMapping on a reserved label (components/kubernetes/admissionPolicies.ts); this module
// finds the labels a platform stack must reserve, and the stacks that do not. `npm run new-enterprise` adds the
// label to the platform stack file; `npm run fleet` refuses a set of stacks in which one is missing.
import { isMap, isSeq, parseDocument, type Document } from "yaml";
import { DEFAULT_RESERVED_HOSTNAMES } from "../../components/kubernetes/admissionPolicies.js";

/** What these checks read of a stack's config. */
export interface DomainStack {
  readonly stack: string;
  readonly config: {
    readonly kind: "platform" | "enterprise";
    readonly domain: string;
    readonly mcp: { readonly reservedHostnames: readonly string[] };
  };
}

/**
 * The label of `platformDomain` that `domain` sits under (`acme` for `acme.gumstack.com` and for
 * `eu.acme.gumstack.com` under `gumstack.com`), or undefined when `domain` is not below it. The label directly
 * under the platform domain is the one an MCP server's host (`<server>.<platform domain>`) could take.
 */
export function labelUnder(platformDomain: string, domain: string): string | undefined {
  const suffix = `.${platformDomain.toLowerCase()}`;
  const d = domain.toLowerCase();
  if (!d.endsWith(suffix)) return undefined;
  const rest = d.slice(0, -suffix.length);
  return rest.slice(rest.lastIndexOf(".") + 1) || undefined;
}

/** One line per platform stack of the set that does not reserve the label of an enterprise domain below it. */
export function unreservedEnterpriseDomains(stacks: readonly DomainStack[]): string[] {
  const problems: string[] = [];
  for (const p of stacks.filter((s) => s.config.kind === "platform")) {
    for (const e of stacks.filter((s) => s.config.kind === "enterprise")) {
      const label = labelUnder(p.config.domain, e.config.domain);
      if (label === undefined || p.config.mcp.reservedHostnames.includes(label)) continue;
      problems.push(
        `${p.stack}: gumstack:mcp.reservedHostnames: does not reserve "${label}", the label of enterprise stack ${e.stack}'s domain ` +
          `${e.config.domain}, so an MCP server named ${label} would be given that customer's apex host; add "${label}" to the list ` +
          `(npm run new-enterprise adds it)`,
      );
    }
  }
  return problems;
}

/**
 * The platform stack file's text with `label` added to `gumstack:mcp.reservedHostnames` (comments and every other
 * key kept), or undefined when it is reserved already. A file that sets no list gets the default list plus the
 * label, since a list given in config replaces the default (src/config/schema.ts).
 */
export function withReservedLabel(text: string, label: string): string | undefined {
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const path = ["config", "gumstack:mcp", "reservedHostnames"];
  const node = doc.getIn(path, true);
  if (node !== undefined && !isSeq(node)) throw new Error("gumstack:mcp.reservedHostnames is not a list");
  const current = isSeq(node) ? node.items.map((i) => String((i as { value?: unknown }).value ?? i)) : [...DEFAULT_RESERVED_HOSTNAMES];
  if (current.includes(label)) return undefined;
  const mcp = doc.getIn(["config", "gumstack:mcp"], true);
  if (mcp !== undefined && !isMap(mcp)) throw new Error("gumstack:mcp is not a map");
  if (isSeq(node)) {
    // Appended in place, so the list's own comments and style stay.
    node.add(doc.createNode(label));
  } else {
    doc.setIn(path, doc.createNode([...current, label]));
    const list = doc.getIn(path, true) as { commentBefore?: string };
    list.commentBefore =
      " Labels no MCP server may take as its host: the default list (DEFAULT_RESERVED_HOSTNAMES) and the label of\n" +
      " every enterprise domain under this domain (added by npm run new-enterprise; npm run fleet checks it).";
  }
  // Flow lists elsewhere in the file stay as written (`[a, b]`, no padding).
  return doc.toString({ flowCollectionPadding: false });
}
