// The README's commands, checked where they can be offline: every `npm run <cli> -- ...` line in its shell
// blocks parses with that CLI's own flags and names a stack that exists (or one the text creates), and every
// script it names exists and takes the flags it is shown with. Outputs it tells you to read are checked against
// the plans in test/plan-cli.test.ts and test/bootstrap.test.ts.
import { accessSync, constants, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listStacks, parseCli } from "../src/cli/common.js";
import { OPTIONS as fleet } from "../src/cli/fleet.js";
import { OPTIONS as packConfig } from "../src/cli/pack-config.js";
import { OPTIONS as plan } from "../src/cli/plan.js";
import { OPTIONS as policy } from "../src/cli/policy.js";

const readme = readFileSync("README.md", "utf8");
const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
/** Shell-ish words of a command line: quotes kept together, `$(...)` kept whole, a trailing comment dropped. */
const words = (line: string) =>
  (line.replace(/\s+#.*$/, "").match(/"[^"]*"|'[^']*'|\$\([^)]*\)|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ""));
const commands = blocks
  .flatMap((b) => b.split("\n"))
  .flatMap((l) => l.split(/&&/))
  .map((l) => l.trim())
  .filter(Boolean);

const CLIS = { plan: [plan, false], policy: [policy, true], "pack-config": [packConfig, false], fleet: [fleet, false] } as const;
/** Stacks the README's own steps create before using them. */
const CREATED = ["enterprise-globex", "staging"];

describe("README commands", () => {
  const npm = commands.filter((c) => /^npm run (-s )?(plan|policy|pack-config|fleet|bench)\b/.test(c));

  it("has offline commands to check", () => {
    expect(npm.length).toBeGreaterThan(5);
  });

  it.each(npm.filter((c) => !c.includes("bench")))("%s parses with the CLI's flags and names a real stack", (c) => {
    const w = words(c);
    const name = w[w[2] === "-s" ? 3 : 2] as keyof typeof CLIS;
    const [options, positionals] = CLIS[name];
    const args = w.slice(w.indexOf("--") + 1);
    const parsed = parseCli(w.includes("--") ? args : [], options, positionals);
    expect(parsed).not.toBe("help");
    if (parsed === "help") return;
    const stack = (parsed.values as { stack?: string }).stack;
    if (stack) {
      const dir = (parsed.values as { program?: string }).program === "bootstrap" ? "bootstrap" : ".";
      expect([...listStacks(dir), ...CREATED]).toContain(stack);
    }
  });

  it("npm run bench is shown with the flags it takes", () => {
    for (const c of commands.filter((x) => x.startsWith("npm run bench"))) {
      for (const w of words(c)
        .slice(4)
        .filter((x) => x.startsWith("--")))
        expect(["--stack", "--runs"]).toContain(w);
    }
    expect(readme).toContain("npm run bench -- --stack prod --runs 5");
  });

  it("every script it runs exists and is executable", () => {
    const scripts = new Set(commands.flatMap((c) => words(c).filter((w) => /^scripts\/[\w.-]+\.sh$/.test(w))));
    expect([...scripts].sort()).toEqual([
      "scripts/deploy.sh",
      "scripts/publish-backend.sh",
      "scripts/publish-platform-image.sh",
      "scripts/publish-platform-images.sh",
    ]);
    for (const s of scripts) accessSync(s, constants.X_OK);
  });

  it("never shows a measured figure without the command that measures it", () => {
    expect(readme).not.toMatch(/about 40 s|1\.6 s/);
  });
});
