// The README's two commands do all the set-up on a fresh clone: `npm ci` also installs the policy pack's own
// dependencies (postinstall), and on a Node older than package.json's engines it stops before installing
// anything, naming the Node it needs (.npmrc engine-strict), as `npm test` does (pretest) for a tree installed
// with another Node.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { nodeVersionProblem, satisfies } from "../../scripts/check-node.mjs";
import { upToDate } from "../../scripts/install-policies.mjs";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string }; scripts: Record<string, string> };
const RANGE = "^22.13.0 || ^24.0.0 || >=26.0.0";
// semver as npm itself judges engines (a dependency of @pulumi/pulumi, resolved from there).
const semver = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"))("semver") as {
  satisfies(version: string, range: string): boolean;
};

/** npm's own entry point (npm_execpath under `npm test`/`npx`, else the `npm` on PATH, resolved). */
const npmCli =
  process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)
    ? process.env.npm_execpath
    : realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());

/** A directory with the repository's package.json, lockfile and .npmrc: what `npm ci` reads first. */
function cloneManifest(): string {
  const dir = mkdtempSync(join(tmpdir(), "setup-"));
  for (const f of ["package.json", "package-lock.json", ".npmrc"]) copyFileSync(f, join(dir, f));
  return dir;
}

/** A preload that makes this Node report `version`, as npm's engine check reads it (process.version). */
function pretendNode(version: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "node-version-")), "pretend.cjs");
  writeFileSync(
    file,
    `Object.defineProperty(process, "version", { value: "v${version}" });\nObject.defineProperty(process.versions, "node", { value: "${version}" });\n`,
  );
  return file;
}

/** The first `node` on PATH older than 22 (the host's Node 20 here), if any. */
function olderNode(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const node = join(dir, "node");
    if (!existsSync(node)) continue;
    const v = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout?.trim();
    if (v && Number(v.split(".")[0]) < 22) return node;
  }
  return undefined;
}

describe("npm ci on a Node older than package.json's engines", () => {
  it("package.json's engines is the range every locked package accepts, and .npmrc makes npm refuse the rest (engine-strict)", () => {
    expect(pkg.engines.node).toBe(RANGE);
    expect(readFileSync(".npmrc", "utf8")).toMatch(/^engine-strict=true$/m);
    // With engine-strict a dependency's engines refuses the install as the root's does: the root's range must be
    // no wider than theirs (eslint's packages need 22.13+, vitest skips 23 and 25), or a Node it admits fails.
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
      packages: Record<string, { engines?: { node?: string }; optional?: boolean }>;
    };
    const ranges = Object.entries(lock.packages)
      .filter(([path, p]) => path !== "" && !p.optional && typeof p.engines?.node === "string")
      .map(([, p]) => p.engines!.node!);
    expect(ranges.length).toBeGreaterThan(10);
    for (let major = 18; major <= 30; major++)
      for (const minor of [0, 9, 12, 13, 20]) {
        const v = `${major}.${minor}.0`;
        expect([v, satisfies(v, RANGE)]).toEqual([v, ranges.every((r) => semver.satisfies(v, r))]);
        expect([v, satisfies(v, RANGE)]).toEqual([v, semver.satisfies(v, RANGE)]);
      }
    expect(lock.packages[""]!.engines?.node).toBe(RANGE);
  });

  const refuses = (r: ReturnType<typeof spawnSync>, dir: string) => {
    expect(r.status).not.toBe(0);
    expect(String(r.stderr)).toMatch(/^npm error code EBADENGINE$/m);
    expect(String(r.stderr)).toContain(`Required: {"node":"${RANGE}"}`);
    // Stopped before installing anything: no tree with warnings that `npm test` would then crash in.
    expect(existsSync(join(dir, "node_modules"))).toBe(false);
  };

  // The host's own older Node when it has one (Node 20 here), else this Node reporting 20.20.2 to npm: one npm
  // run either way (a second costs seconds for nothing).
  const node20 = olderNode();
  it(`stops before installing anything, naming the Node it needs (${node20 ? `${node20}, the host's older Node` : "Node 20 as npm sees it"})`, () => {
    const dir = cloneManifest();
    const args = node20 ? [npmCli, "ci", "--dry-run"] : ["-r", pretendNode("20.20.2"), npmCli, "ci", "--dry-run"];
    refuses(spawnSync(node20 ?? process.execPath, args, { cwd: dir, encoding: "utf8" }), dir);
  });
});

describe("npm test on an older Node (pretest)", () => {
  it("runs scripts/check-node.mjs first", () => {
    expect(pkg.scripts.pretest).toBe("node scripts/check-node.mjs");
  });

  it("one line naming the Node needed, exit 1; nothing on a Node that satisfies engines", () => {
    const r = spawnSync(process.execPath, ["-r", pretendNode("20.20.2"), "scripts/check-node.mjs"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: this is Node 20.20.2; the repository needs Node ${RANGE} (package.json engines): put Node 22 on PATH (source .ci/node.sh fetches it)\n`,
    );
    const ok = spawnSync(process.execPath, ["scripts/check-node.mjs"], { encoding: "utf8" });
    expect([ok.status, ok.stderr]).toEqual([0, ""]);
  });

  it("compares versions as numbers, field by field, within each alternative", () => {
    expect(nodeVersionProblem("22.13.0", RANGE)).toBeUndefined();
    expect(nodeVersionProblem("v24.1.0", RANGE)).toBeUndefined();
    expect(nodeVersionProblem("22.9.0", RANGE)).toMatch(/^error: this is Node 22\.9\.0; /);
    expect(nodeVersionProblem("23.11.0", RANGE)).toMatch(/this is Node 23\.11\.0/);
    expect(satisfies("22.100.0", "^22.13.0")).toBe(true);
    expect(() => satisfies("22.13.0", "22.x")).toThrow(/unsupported range "22\.x"/);
  });
});

describe("npm ci installs the policy pack too (postinstall)", () => {
  it("package.json's postinstall is scripts/install-policies.mjs (skipped by --ignore-scripts, as .ci/run installs policies/ itself)", () => {
    expect(pkg.scripts.postinstall).toBe("node scripts/install-policies.mjs");
    expect(readFileSync(".ci/run", "utf8")).toMatch(/^npm ci --prefix policies .*--ignore-scripts$/m);
  });

  /** A pack directory and a stand-in npm that records its arguments. */
  function pack(): { dir: string; calls: () => string[][]; run: () => ReturnType<typeof spawnSync> } {
    const dir = mkdtempSync(join(tmpdir(), "pack-install-"));
    writeFileSync(join(dir, "package.json"), "{}");
    writeFileSync(join(dir, "package-lock.json"), "{}");
    const log = join(dir, "npm-calls.jsonl");
    const fakeNpm = join(dir, "fake-npm.cjs");
    writeFileSync(
      fakeNpm,
      `require("fs").appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + "\\n");\n` +
        `const d = require("path").join(${JSON.stringify(dir)}, "node_modules");\n` +
        `require("fs").mkdirSync(d, { recursive: true }); require("fs").writeFileSync(require("path").join(d, ".package-lock.json"), "{}");\n`,
    );
    return {
      dir,
      calls: () =>
        existsSync(log)
          ? readFileSync(log, "utf8")
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l) as string[])
          : [],
      run: () =>
        spawnSync(process.execPath, ["scripts/install-policies.mjs", dir], {
          encoding: "utf8",
          env: { ...process.env, npm_execpath: fakeNpm },
        }),
    };
  }

  it("installs the pack from its lockfile with the npm that runs it, then not again while the lockfile is unchanged", () => {
    const p = pack();
    expect(p.run().status).toBe(0);
    expect(p.calls()).toEqual([["ci", "--prefix", p.dir, "--no-audit", "--no-fund", "--ignore-scripts"]]);
    expect(p.run().status).toBe(0);
    expect(p.calls()).toHaveLength(1);
    // A pull that changes the pack's lockfile: installed again.
    const later = Date.now() / 1000 + 60;
    utimesSync(join(p.dir, "package-lock.json"), later, later);
    expect(p.run().status).toBe(0);
    expect(p.calls()).toHaveLength(2);
  });

  it("a failed install is one line with the command to run, exit 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "pack-install-"));
    writeFileSync(join(dir, "package-lock.json"), "{}");
    const failing = join(dir, "fail.cjs");
    writeFileSync(failing, "process.exit(7);\n");
    const r = spawnSync(process.execPath, ["scripts/install-policies.mjs", dir], {
      encoding: "utf8",
      env: { ...process.env, npm_execpath: failing },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: installing the policy pack's dependencies failed; run: npm ci --prefix ${dir}\n`);
  });

  it("upToDate: the hidden lockfile must exist and be newer than the pack's manifests", () => {
    const dir = mkdtempSync(join(tmpdir(), "pack-install-"));
    const lock = join(dir, "package-lock.json");
    const hidden = join(dir, "node_modules", ".package-lock.json");
    writeFileSync(lock, "{}");
    expect(upToDate(hidden, [lock])).toBe(false);
    mkdirSync(join(dir, "node_modules"));
    writeFileSync(hidden, "{}");
    utimesSync(lock, 1_000, 1_000);
    utimesSync(hidden, 2_000, 2_000);
    expect(upToDate(hidden, [lock, join(dir, "absent.json")])).toBe(true);
    utimesSync(lock, 3_000, 3_000);
    expect(upToDate(hidden, [lock])).toBe(false);
  });
});
