// The stand-ins of test/rehearsal/bin refuse what the real tools refuse (test/rehearsal/standins.mjs cites each rule):
// tested here directly, so the rehearsal's verdicts rest on rules that are really there. The rehearsal itself
// (scripts/rehearse.sh in the README's order, and out of order) is test/rehearsal-run.test.ts: a minute and more of
// CPU, so .ci/run runs it as its own step (GUMSTACK_REHEARSAL=1) and `npm test` runs only what is here.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("scripts/rehearse.sh's command line", () => {
  it("refuses an unknown step (exit 2, before any work) and answers --help (exit 0)", () => {
    const r = spawnSync("bash", ["scripts/rehearse.sh", "--steps", "credentials,deploy-everything"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: unknown step 'deploy-everything'; steps: credentials bootstrap/);
    expect(spawnSync("bash", ["scripts/rehearse.sh", "--help"], { encoding: "utf8" }).status).toBe(0);
  });
});

describe("the stand-ins refuse what the real tools refuse", () => {
  const BIN = join(import.meta.dirname, "rehearsal/bin");
  /** A fresh state and project directory; `run` calls a stand-in there. */
  function world() {
    const dir = mkdtempSync(join(tmpdir(), "standins-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: gumstack\nruntime: nodejs\n");
    const env = { ...process.env, PATH: `${BIN}:${process.env.PATH}`, REHEARSAL_STATE: dir, PULUMI_CONFIG_PASSPHRASE: "x" };
    const run = (tool: string, ...args: string[]) => spawnSync(tool, args, { cwd: dir, env, encoding: "utf8", input: "" });
    return { dir, run };
  }

  it("pulumi: config set on a missing stack (no terminal), stack init of an existing stack, an undecryptable secret on up", () => {
    const { dir, run } = world();
    expect(run("pulumi", "whoami").stderr).toMatch(/PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions/);
    expect(run("pulumi", "login", `file://${dir}/state`).status).toBe(0);
    const set = run("pulumi", "config", "set", "--secret", "gumstack:clickhousePassword", "pw", "--stack", "prod");
    expect([set.status, set.stderr.trim()]).toEqual([255, "error: no stack named 'prod' found"]);
    expect(run("pulumi", "stack", "init", "prod", "--secrets-provider", "passphrase").status).toBe(0);
    expect(run("pulumi", "stack", "init", "prod", "--secrets-provider", "passphrase").stderr.trim()).toBe(
      "error: stack 'prod' already exists",
    );
    // A plain value under a key that looks like a secret is refused too (looksLikeSecret).
    expect(run("pulumi", "config", "set", "gumstack:clickhousePassword", "pw", "--stack", "prod").stderr).toMatch(/looks like a secret/);
    writeFileSync(
      join(dir, "Pulumi.prod.yaml"),
      "config:\n  gumstack:clickhousePassword:\n    secure: v1:REPLACE_WITH_pulumi_config_set_--secret\n",
    );
    const up = run("pulumi", "up", "--stack", "prod", "--yes");
    expect([up.status, up.stderr.trim()]).toEqual([
      255,
      "error: getting stack configuration: could not decrypt configuration value for gumstack:clickhousePassword: bad value",
    ]);
    expect(run("pulumi", "config", "set", "--secret", "gumstack:clickhousePassword", "pw", "--stack", "prod").status).toBe(0);
    expect(run("pulumi", "config", "get", "gumstack:clickhousePassword", "--stack", "prod").stdout.trim()).toBe("pw");
  });

  it("docker and Artifact Registry: no push to a missing repository or without write, and an immutable tag never moves", () => {
    const { dir, run } = world();
    // The bootstrap's up creates the platform-images repository (immutable tags) and the release identity, its writer.
    writeFileSync(join(dir, "Pulumi.yaml"), "name: gumstack-bootstrap\nruntime: nodejs\n");
    writeFileSync(
      join(dir, "Pulumi.admin.yaml"),
      "config:\n  gumstack-bootstrap:project: gumstack-admin\n  gumstack-bootstrap:region: us-west1\n  gumstack-bootstrap:stateBucket: b\n",
    );
    run("gcloud", "auth", "login");
    run("pulumi", "login", `file://${dir}/state`);
    run("pulumi", "stack", "init", "admin", "--secrets-provider", "passphrase");
    expect(run("pulumi", "up", "--stack", "admin", "--yes").status).toBe(0);
    const image = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/backend:v1";
    const ctx = join(dir, "ctx");
    spawnSync("mkdir", [ctx]);
    writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\n");
    const login = (as: string) =>
      spawnSync("docker", ["login", "-u", "oauth2accesstoken", "--password-stdin", "https://us-west1-docker.pkg.dev"], {
        cwd: dir,
        env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, REHEARSAL_STATE: dir },
        input: run("gcloud", "auth", "print-access-token", ...(as ? [`--impersonate-service-account=${as}`] : [])).stdout,
        encoding: "utf8",
      });
    expect(run("docker", "build", "-t", image, ctx).status).toBe(0);
    login("");
    expect(run("docker", "push", image).stderr).toMatch(/denied: Permission "artifactregistry\.repositories\.uploadArtifacts" denied/);
    login("gumstack-release@gumstack-admin.iam.gserviceaccount.com");
    expect(run("docker", "push", image).status).toBe(0);
    expect(run("docker", "push", image).status).toBe(0); // the same bytes again: the tag does not move
    writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nLABEL other=bytes\n");
    run("docker", "build", "-t", image, ctx);
    expect(run("docker", "push", image).stderr).toMatch(/denied: the tag v1 of .* is immutable and already points to sha256:/);
    expect(run("docker", "push", image.replace("/gumstack-platform/", "/nowhere/")).stderr).toMatch(
      /An image does not exist locally|name unknown/,
    );
  });
});
