// `npm test` (scripts/test.mjs) type-checks in tsc's build mode, which skips a project none of whose own files
// changed since the last passing check. The declarations it reads from node_modules are not among those files, so
// the build info must go whenever npm installs anything, or a new SDK version would never be type-checked.
import { mkdtempSync, readFileSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILD_INFO, dropStaleBuildInfo } from "../scripts/test.mjs";

describe("npm test's type-check state", () => {
  const dir = mkdtempSync(join(tmpdir(), "buildinfo-"));
  const info = join(dir, "tsc.tsbuildinfo");
  const lock = join(dir, ".package-lock.json");
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it("is kept when no install happened since the last check", () => {
    writeFileSync(lock, "{}");
    writeFileSync(info, "{}");
    at(lock, 1_000);
    at(info, 2_000);
    expect(dropStaleBuildInfo(info, [lock, join(dir, "absent.json")])).toBe(false);
    expect(existsSync(info)).toBe(true);
  });

  it("is dropped after an install here or in policies/ (a newer .package-lock.json), so tsc checks everything", () => {
    writeFileSync(info, "{}");
    at(info, 2_000);
    at(lock, 3_000);
    expect(dropStaleBuildInfo(info, [join(dir, "absent.json"), lock])).toBe(true);
    expect(existsSync(info)).toBe(false);
    expect(dropStaleBuildInfo(info, [lock])).toBe(false);
  });

  it("lives under node_modules/.cache, where git never sees it, and is the file tsc -b writes", () => {
    const tsconfig = JSON.parse(readFileSync("tsconfig.json", "utf8"));
    expect(tsconfig.compilerOptions).toMatchObject({ incremental: true, tsBuildInfoFile: "node_modules/.cache/gumstack/tsc.tsbuildinfo" });
    expect(BUILD_INFO).toBe(join(process.cwd(), "node_modules/.cache/gumstack/tsc.tsbuildinfo"));
    expect(readFileSync(".gitignore", "utf8")).toMatch(/^\/?node_modules\/?$/m);
  });
});
