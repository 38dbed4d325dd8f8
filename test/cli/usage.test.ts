// Every CLI: --help exits 0 with its usage, the same kind of mistake exits with the same code (2: usage or
// unreadable input), and each error is one line, never a stack trace. No stack is planned here.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, listStacks, makeDirectory, parseCli, UsageError, type Io } from "../../src/cli/common.js";
import { main as newEnterprise } from "../../src/cli/new-enterprise.js";
import { main as fleet } from "../../src/cli/fleet.js";
import { main as packConfig } from "../../src/cli/pack-config.js";
import { main as plan, renderOutputs } from "../../src/cli/plan.js";
import { SECRET_SIG } from "../../src/plan/plan.js";
import { main as policyMain } from "../../src/cli/policy.js";
import { run, type CliResult } from "./support.js";

const policy = (argv: string[], io: Io) => policyMain(argv, io.out, io.err, io);
const dir = mkdtempSync(join(tmpdir(), "cli-usage-"));
const clis = { plan, policy, "pack-config": packConfig, fleet } as const;

/** One line, no stack trace ("    at ..." frames). */
function oneLineError(r: CliResult): void {
  expect(r.err.split("\n")).toHaveLength(1);
  expect(r.err).toMatch(/^error: /);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe("CLI conventions", () => {
  it.each(Object.entries(clis))("npm run %s -- --help prints its usage and exits 0", async (name, main) => {
    const r = await run(main, "--help");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(new RegExp(`^usage: npm run (-s )?${name} --`));
    expect(r.out).toMatch(/^Exit: 0 /m);
    expect((await run(main, "-h")).out).toBe(r.out);
  });

  it.each(Object.entries(clis))("npm run %s with an unknown flag exits 2 with one line naming it", async (_name, main) => {
    const r = await run(main, "--bogus");
    expect(r.code).toBe(EXIT.usage);
    oneLineError(r);
    expect(r.err).toBe("error: Unknown option '--bogus'");
  });

  it.each(["plan", "policy", "pack-config"] as const)(
    "npm run %s -- --stack <missing> lists the stacks there are (exit 2)",
    async (name) => {
      const r = await run(clis[name], "--stack", "staging");
      expect(r.code).toBe(EXIT.usage);
      oneLineError(r);
      // The stacks there are, from the files: a customer added with new-enterprise is among them.
      expect(r.err).toMatch(/^error: no stack 'staging': .*Pulumi\.staging\.yaml does not exist; stacks here: /);
      expect(r.err.slice(r.err.indexOf("stacks here: ") + "stacks here: ".length)).toBe(listStacks().join(", "));
    },
  );

  it("an unreadable --config-file is one line naming the file (exit 2)", async () => {
    for (const main of [plan, policy, packConfig]) {
      const r = await run(main, "--stack", "prod", "--config-file", join(dir, "nope.yaml"));
      expect(r.code).toBe(EXIT.usage);
      oneLineError(r);
      expect(r.err).toMatch(/cannot read stack file .*nope\.yaml: ENOENT$/);
    }
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "config: [\n");
    const r = await run(plan, "--stack", "prod", "--config-file", bad);
    expect(r.code).toBe(EXIT.usage);
    oneLineError(r);
    expect(r.err).toMatch(/bad\.yaml: not valid YAML/);
  });

  it("a stack config the schema refuses exits 1, listing the problem, before anything is planned", async () => {
    const bad = join(dir, "refused.yaml");
    writeFileSync(bad, "config:\n  gumstack:environment: Prod\n");
    const r = await run(packConfig, "--stack", "prod", "--config-file", bad);
    expect(r.code).toBe(EXIT.refused);
    expect(r.err).toContain("gumstack:environment: must be 2-25 lowercase letters");
  });

  it("npm run policy: an export with no resources fails instead of passing (exit 2)", async () => {
    const empty = join(dir, "empty.json");
    writeFileSync(empty, JSON.stringify({ version: 3, deployment: { manifest: {}, resources: [] } }));
    const r = await run(policy, empty);
    expect(r.code).toBe(EXIT.usage);
    expect(r.out).toBe("");
    expect(r.err).toBe(`error: ${empty}: the export has no resources, so there is nothing to check (a stack never deployed, or destroyed)`);
  });

  it("npm run fleet: a directory without stack files exits 2", async () => {
    const r = await run(fleet, "--dir", dir);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toBe(`error: no Pulumi.<stack>.yaml files in ${dir}`);
    expect(listStacks(dir)).toEqual([]);
  });

  it("the plan's Outputs section masks secrets, including nested ones", () => {
    const secret = { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret: masked in the offline plan]" };
    const stack = {
      urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s",
      custom: false,
      type: "pulumi:pulumi:Stack",
      inputs: {},
      dependencies: [],
      propertyDependencies: {},
    };
    expect(renderOutputs([{ ...stack, outputs: { password: secret, db: { host: "h", password: secret }, url: "https://x" } }])).toBe(
      ["Outputs:", '  db: {"host":"h","password":"[secret]"}', "  password: [secret]", "  url: https://x"].join("\n"),
    );
    expect(renderOutputs([{ ...stack, outputs: {} }])).toBe("Outputs: none");
  });

  it("parseCli: --help wins over other flags; a flag without its value is a usage error", () => {
    expect(parseCli(["--stack", "x", "--help"], { stack: { type: "string" } })).toBe("help");
    expect(() => parseCli(["--stack"], { stack: { type: "string" } })).toThrow(UsageError);
    expect(() => parseCli(["pos"], { stack: { type: "string" } })).toThrow(/Unexpected argument 'pos'/);
  });
});

describe("mistakes that were blamed wrongly or hung", () => {
  it("npm run fleet -- --out under /proc: one line with the system's reason, exit 2, before any stack is planned", async () => {
    const never: Io["planStack"] = () => Promise.reject(new Error("planned before the --out directory was made"));
    const started = Date.now();
    const out: string[] = [];
    const err: string[] = [];
    const code = await fleet(["--out", "/proc/gumstack-no-such/reports"], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      planStack: never,
    });
    expect(code).toBe(EXIT.usage);
    expect(err).toEqual(["error: cannot write /proc/gumstack-no-such/reports: ENOENT"]);
    expect(out).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("makeDirectory: makes what is missing, and refuses where a file or procfs is in the way", () => {
    const base = mkdtempSync(join(tmpdir(), "mkdir-"));
    makeDirectory(join(base, "a", "b", "c"));
    expect(statSync(join(base, "a", "b", "c")).isDirectory()).toBe(true);
    makeDirectory(join(base, "a", "b")); // already there: nothing to do
    writeFileSync(join(base, "file"), "");
    expect(() => makeDirectory(join(base, "file", "x"))).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
    expect(() => makeDirectory("/proc/gumstack-no-such/x")).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  it("npm run new-enterprise -- --project <the template's platform project> blames --project, the flag given", () => {
    const cwd = mkdtempSync(join(tmpdir(), "new-enterprise-blame-"));
    copyFileSync("Pulumi.enterprise.yaml", join(cwd, "Pulumi.enterprise.yaml"));
    const platform = String(/platformProject: (\S+)/.exec(readFileSync("Pulumi.enterprise.yaml", "utf8"))![1]);
    const err: string[] = [];
    const args = ["--customer", "globex", "--billing-account", "01A2B3-C4D5E6-F7A8B9", "--folder", "123456789012", "--project", platform];
    expect(newEnterprise(args, { cwd, out: () => {}, err: (s) => err.push(s) })).toBe(EXIT.usage);
    expect(err.join("\n")).toContain(
      `  - --project: "${platform}" is the template's platform project (gumstack:enterprise.platformProject); a customer gets a dedicated project: choose another --project, or pass --platform-project`,
    );
    expect(err.join("\n")).not.toMatch(/- --platform-project:/);
    // Given both, the same clash is --platform-project's, as before.
    const both: string[] = [];
    newEnterprise([...args, "--platform-project", platform], { cwd, out: () => {}, err: (s) => both.push(s) });
    expect(both.join("\n")).toMatch(/- --platform-project: must differ from project/);
    expect(readdirSync(cwd)).toEqual(["Pulumi.enterprise.yaml"]);
  });
});

describe("npm run new-enterprise", () => {
  it("--help prints its usage and exits 0 (the shared wantsHelp)", () => {
    // In-process; the bundle's own process is run by test/new-enterprise-force.test.ts.
    const out: string[] = [];
    const err: string[] = [];
    expect(newEnterprise(["--help"], { cwd: dir, out: (s) => out.push(s), err: (s) => err.push(s) })).toBe(0);
    expect(out.join("\n")).toMatch(/^usage: npm run new-enterprise -- --customer <id>/);
    expect(err).toEqual([]);
  });
});

describe("the shell scripts follow the same conventions", () => {
  const sh = (script: string, ...args: string[]) => spawnSync("bash", [script, ...args], { encoding: "utf8" });

  it.each(["scripts/bench-plan.sh", "scripts/deploy.sh"])("%s --help exits 0 with usage; bad input exits 2 with one line", (script) => {
    const help = sh(script, "--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: /);
    expect(help.stdout).toMatch(/^Exit: 0 /m);
    const bad = script.includes("bench") ? sh(script, "--stack", "staging") : sh(script, "staging");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(
      `error: no stack 'staging': Pulumi.staging.yaml does not exist; stacks here: ${listStacks().join(", ")}`,
    );
  });

  it.each(["scripts/bench-plan.sh", "scripts/deploy.sh"])(
    "%s names the stacks in the CLIs' order, whatever stacks there are (a customer's stack sorts after its prefix)",
    (script) => {
      // The script in a directory of its own, whose stack files are a customer's beside the committed ones: ls
      // sorts Pulumi.enterprise-globex.yaml before Pulumi.enterprise.yaml, the CLIs sort the names.
      const root = mkdtempSync(join(tmpdir(), "shell-stacks-"));
      mkdirSync(join(root, "scripts"));
      copyFileSync(script, join(root, script));
      for (const s of ["prod", "enterprise-globex", "enterprise"]) writeFileSync(join(root, `Pulumi.${s}.yaml`), "config: {}\n");
      const bad = script.includes("bench") ? sh(join(root, script), "--stack", "staging") : sh(join(root, script), "staging");
      expect(bad.status).toBe(2);
      expect(listStacks(root)).toEqual(["enterprise", "enterprise-globex", "prod"]);
      expect(bad.stderr.trim()).toBe(
        `error: no stack 'staging': Pulumi.staging.yaml does not exist; stacks here: ${listStacks(root).join(", ")}`,
      );
    },
  );

  it("npm run bench takes flags like the other commands, not positional arguments", () => {
    const r = sh("scripts/bench-plan.sh", "prod", "5");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("error: unknown argument 'prod' (see --help)");
    expect(sh("scripts/bench-plan.sh", "--runs", "0").stderr.trim()).toBe("error: --runs must be a whole number of at least 1 (got '0')");
  });
});
