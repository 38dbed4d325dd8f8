// The SDK imports stay narrow (README, "The GCP resources the code uses"): `@pulumi/gcp` whole makes tsc read every
// service's declarations; a service's index (`@pulumi/gcp/compute/index.js`) imported from ESM loads every resource
// of that service at run time; `@pulumi/kubernetes` whole, or helm/v3's index (its Chart pulls the yaml module),
// brings in every API group. Type-only imports load nothing at run time, so they may name an index.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIRS = ["src", "components", "bootstrap", "policies", "canary", "test"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(path);
    return /\.(ts|mts)$/.test(e.name) ? [path] : [];
  });
}

const WIDE = [
  /^@pulumi\/gcp$/,
  /^@pulumi\/gcp\/[a-z0-9]+(\/index(\.js)?)?$/,
  /^@pulumi\/kubernetes$/,
  /^@pulumi\/kubernetes\/helm\/v3(\/index(\.js)?)?$/,
];

/** The value imports of a source file (import ... from, export ... from, import()) whose specifier is too wide. */
function wideImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(import|export)(\s+type)?\b[^;]*?\sfrom\s+"([^"]+)"/gm)) {
    if (!m[2] && WIDE.some((re) => re.test(m[3]!))) found.push(m[3]!);
  }
  for (const m of source.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) if (WIDE.some((re) => re.test(m[1]!))) found.push(m[1]!);
  return found;
}

describe("SDK imports", () => {
  it("finds a wide import in each form, and lets narrow and type-only ones pass", () => {
    expect(wideImports('import * as gcp from "@pulumi/gcp";')).toEqual(["@pulumi/gcp"]);
    expect(wideImports('import * as compute from "@pulumi/gcp/compute/index.js";')).toEqual(["@pulumi/gcp/compute/index.js"]);
    expect(wideImports('import { Network } from "@pulumi/gcp/compute";')).toEqual(["@pulumi/gcp/compute"]);
    expect(wideImports('import {\n  Namespace,\n} from "@pulumi/kubernetes";')).toEqual(["@pulumi/kubernetes"]);
    expect(wideImports('import * as helm from "@pulumi/kubernetes/helm/v3/index.js";')).toEqual(["@pulumi/kubernetes/helm/v3/index.js"]);
    expect(wideImports('export * from "@pulumi/gcp/kms/index.js";')).toEqual(["@pulumi/gcp/kms/index.js"]);
    const sdk = "@pulumi/gcp"; // not a literal here, so this file's own scan does not find it
    expect(wideImports(`const gcp = await import("${sdk}");`)).toEqual([sdk]);
    expect(wideImports('export { Network } from "@pulumi/gcp/compute/network.js";')).toEqual([]);
    expect(wideImports('import type * as types from "@pulumi/gcp/types/index.js";')).toEqual([]);
    expect(wideImports('import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";')).toEqual([]);
    expect(wideImports('import * as helmv3 from "@pulumi/kubernetes/helm/v3/release.js";')).toEqual([]);
  });

  it("no source file imports a whole SDK or a whole @pulumi/gcp service", () => {
    const wide = DIRS.flatMap(sources).flatMap((file) => wideImports(readFileSync(file, "utf8")).map((s) => `${file}: ${s}`));
    expect(wide).toEqual([]);
  });
});
