// test/support/runsc.ts where runsc is missing or broken: the sandbox tests name runsc's version in their skip
// reasons while they are collected, so the helper must answer with a message instead of throwing (it read
// `.stdout.split` of a spawn that had failed: "Cannot read properties of undefined (reading 'split')").
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { have, runscVersion } from "../support/runsc.js";

/** PATH with a directory of `tools` (name -> shell script body) ahead of the system's. */
function pathWith(tools: Record<string, string>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), "runsc-path-"));
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return { ...process.env, PATH: `${dir}:/usr/bin:/bin` };
}

describe("the runsc helper without a working runsc", () => {
  it("runsc not on PATH: have() is false and the version is a skip message, no TypeError", () => {
    const env = { ...process.env, PATH: mkdtempSync(join(tmpdir(), "empty-path-")) };
    expect(have("runsc", env)).toBe(false);
    expect(runscVersion(env)).toBe("runsc (not installed)");
  });

  it("a runsc whose --version fails names the failure", () => {
    const env = pathWith({ runsc: 'echo "runsc: cannot open /proc/self/exe" >&2; exit 3' });
    expect(runscVersion(env)).toBe("runsc (--version failed: runsc: cannot open /proc/self/exe)");
  });

  it("a working runsc: its first version line", () => {
    const env = pathWith({ runsc: 'echo "runsc version release-20250101.0"; echo "spec: 1.1.0"' });
    expect(have("runsc", env)).toBe(true);
    expect(runscVersion(env)).toBe("runsc version release-20250101.0");
  });
});
