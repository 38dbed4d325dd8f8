// Writes the policy pack's copy of the NetworkPolicy evaluator: `npx tsx src/policy/vendor-netpol.ts`.
// Why a copy: the Pulumi CLI runs a TypeScript pack through ts-node as CommonJS, from policies/ (and
// `pulumi policy publish` ships that directory alone). ts-node refuses to require src/*.ts, which sit in an
// ESM package scope ("type": "module"), and CommonJS cannot resolve their ".js"-suffixed imports. So the
// pack carries a generated, import-rewritten copy; test/policies/vendor-drift.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface VendoredFile {
  readonly from: string;
  readonly to: string;
  /** Exact import specifiers to replace: the pack resolves extensionless paths under CommonJS. */
  readonly imports: Readonly<Record<string, string>>;
}

export const VENDORED: readonly VendoredFile[] = [
  { from: "src/config/cidr.ts", to: "policies/lib/cidr.ts", imports: {} },
  { from: "src/netpol/evaluator.ts", to: "policies/lib/netpol-evaluator.ts", imports: { "../config/cidr.js": "./cidr" } },
];

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The text the pack's copy must have. Throws on a relative import the table does not rewrite. */
export function vendoredText(file: VendoredFile, root = REPO_ROOT): string {
  const source = readFileSync(join(root, file.from), "utf8");
  const body = source.replace(/(from\s+")(\.{1,2}\/[^"]*)(")/g, (_m, pre: string, spec: string, post: string) => {
    const to = file.imports[spec];
    if (to === undefined) throw new Error(`${file.from}: relative import "${spec}" has no rewrite in src/policy/vendor-netpol.ts`);
    return `${pre}${to}${post}`;
  });
  return `// GENERATED from ${file.from} by \`npx tsx src/policy/vendor-netpol.ts\`: do not edit, edit the source and re-run.\n${body}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const file of VENDORED) {
    writeFileSync(join(REPO_ROOT, file.to), vendoredText(file));
    console.log(`wrote ${file.to} from ${file.from}`);
  }
}
