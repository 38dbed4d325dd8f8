// Every command line package.json's scripts run, found there (a new script is covered the day it lands): `--help`
// exits 0 with its usage and the exit-code table, an unknown flag exits 2 with one line naming it, and a stack
// that does not exist exits 2 with one line naming the stacks there are (the Pulumi.*.yaml files, never a list
// written here). README "Command lines", src/cli/common.ts. Each runs as its own process, as `npm run` runs it.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildClis } from "../../scripts/build.mjs";
import { listStacks } from "../../src/cli/common.js";
import { main as newEnterprise } from "../../src/cli/new-enterprise.js";

const ROOT = resolve(".");
const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;

/** Scripts that are not command lines under these conventions, and why. Every other script must be one. */
const NOT_COMMANDS: Record<string, string> = {
  build: "the bundling step every CLI script runs first; it takes no arguments",
  test: "its arguments are vitest's (`npm test -- <file>`), vitest's own --help and exit codes",
  pretest: "npm's hook before `npm test`",
  postinstall: "npm's hook after `npm ci`",
  typecheck: "tsc, with tsc's command line",
  lint: "eslint, with eslint's command line",
  format: "prettier, with prettier's command line",
  "format:check": "prettier, with prettier's command line",
};

/** What `npm run <name>` ends in running: a file of this repository, under node or bash. */
function commandOf(name: string): { runner: string; file: string } {
  const last = scripts[name]!.split("&&").at(-1)!.trim();
  const m = /^(node|bash) ((?:\.build\/cli|scripts)\/[\w.-]+\.(?:mjs|sh))$/.exec(last);
  if (!m) throw new Error(`npm run ${name}: '${scripts[name]}' does not end in \`node|bash <file of this repository>\``);
  return { runner: m[1] === "node" ? process.execPath : "bash", file: m[2]! };
}

const commands = Object.keys(scripts).filter((name) => !(name in NOT_COMMANDS));
let built: Promise<unknown> | undefined;

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}
async function run(name: string, args: readonly string[], cwd = ROOT): Promise<Run> {
  const { runner, file } = commandOf(name);
  if (file.startsWith(".build/")) await (built ??= buildClis());
  return new Promise((done) =>
    execFile(runner, [join(ROOT, file), ...args], { cwd, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) =>
      done({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** One line on stderr, `error: ...`, nothing on stdout, no stack trace. */
function oneLineError(r: Run): string {
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
  return r.stderr.trimEnd();
}

describe("npm scripts", () => {
  it("are each a command line under these conventions, or named here with why they are not", () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const name of commands) expect(() => commandOf(name), name).not.toThrow();
    for (const name of Object.keys(NOT_COMMANDS)) expect(Object.keys(scripts), `${name} is no script any more`).toContain(name);
  });
});

describe.concurrent.each(commands)("npm run %s", (name) => {
  // Two processes per command at once (each one's start-up is most of its cost), a third where it takes --stack.
  it("--help: exit 0 with the usage; an unknown flag: exit 2, one line naming it; a missing stack: exit 2, one line naming the stacks", async () => {
    const [help, bogus] = await Promise.all([run(name, ["--help"]), run(name, ["--no-such-flag"])]);
    expect([help.status, help.stderr]).toEqual([0, ""]);
    expect(help.stdout).toMatch(new RegExp(`^usage: npm run (-s )?${name.replace(/[:]/g, "\\$&")}( --|$)`, "m"));
    expect(help.stdout).toMatch(/^Exit: 0 [^\n]*; 2 /m);

    expect(bogus.status).toBe(2);
    expect(oneLineError(bogus)).toContain("--no-such-flag");

    // Where the command takes --stack (its usage says so): the stacks named are the Pulumi.*.yaml files.
    if (!/--stack <name>/.test(help.stdout)) return;
    const stack = await run(name, ["--stack", "no-such-stack"]);
    expect(stack.status).toBe(2);
    expect(oneLineError(stack)).toMatch(
      new RegExp(
        `^error: no stack 'no-such-stack': \\S*Pulumi\\.no-such-stack\\.yaml does not exist; stacks here: ${listStacks(ROOT).join(", ")}$`,
      ),
    );
    // Processes: a fraction of a second each on a quiet machine, far more on a loaded one.
  }, 180_000);
});

describe("a stack added or removed changes what the commands name, from the files", () => {
  it("a customer added with new-enterprise is among the stacks a missing stack's error names; removed, it is not", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-added-"));
    for (const f of ["Pulumi.prod.yaml", "Pulumi.enterprise.yaml"]) copyFileSync(f, join(dir, f));
    const quiet = { cwd: dir, out: () => {}, err: () => {} };
    expect(newEnterprise(["--customer", "globex", "--billing-account", "01A2B3-C4D5E6-F7A8B9", "--folder", "123456789012"], quiet)).toBe(0);
    expect(listStacks(dir)).toEqual(["enterprise", "enterprise-globex", "prod"]);
    const missing = await run("plan", ["--stack", "initech"], dir);
    expect(missing.status).toBe(2);
    expect(oneLineError(missing)).toMatch(/; stacks here: enterprise, enterprise-globex, prod$/);
    // The new customer is a stack like the others: planned from its file by name.
    const planned = await run("pack-config", ["--stack", "enterprise-globex"], dir);
    expect([planned.status, planned.stderr]).toEqual([0, ""]);
    expect(JSON.parse(planned.stdout)).toBeTypeOf("object");
    // Offboarded (its file deleted): no longer a stack, and named nowhere.
    rmSync(join(dir, "Pulumi.enterprise-globex.yaml"));
    const gone = await run("pack-config", ["--stack", "enterprise-globex"], dir);
    expect(gone.status).toBe(2);
    expect(oneLineError(gone)).toMatch(/^error: no stack 'enterprise-globex': .*; stacks here: enterprise, prod$/);
  }, 180_000);
});
