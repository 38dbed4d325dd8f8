// The deploy path as the README orders it (scripts/rehearse.sh), run against the stand-ins of test/rehearsal/bin:
// it passes in the README's order, and an order the README does not give fails at the step that is early, with the
// script's own one-line reason. The stand-ins themselves refuse what the real tools refuse (test/rehearsal/standins.mjs
// cites each rule): tested here directly, so the rehearsal's verdicts rest on rules that are really there.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Runs the rehearsal (asynchronously, so the cases run side by side); resolves to its exit status and output. */
function rehearse(...steps: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["scripts/rehearse.sh", ...(steps.length ? ["--steps", steps.join(",")] : [])], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

// Every rehearsal runs the repository's real scripts and CLIs (pack-config plans nothing but loads the program's
// config): seconds each on a quiet machine, more on a loaded one.
describe.concurrent("scripts/rehearse.sh", { timeout: 300_000 }, () => {
  it("passes in the README's order, from an empty organization to a customer added and offboarded", async () => {
    const r = await rehearse();
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout.trim()).toBe(
      "rehearsal passed: credentials bootstrap stack secret backend platform-images first-up dns copy-images canary-on second-up customer offboard",
    );
    // The README's own warnings are what the stand-ins answer: nothing the path runs asked a terminal.
    expect(r.stderr).not.toMatch(/does not exist\.\n.*press <ENTER>/);
  });

  it.each([
    [
      "the backend published before stack init (README had it so: an immutable tag pushed, then nowhere to pin it)",
      ["credentials", "bootstrap", "backend"],
      "backend",
      /error: no stack 'prod' in this backend: pulumi stack init prod --secrets-provider/,
    ],
    ["the secret set before stack init", ["credentials", "bootstrap", "secret"], "secret", /error: no stack named 'prod' found/],
    [
      "the first up before the secret is set",
      ["credentials", "bootstrap", "stack", "first-up"],
      "first-up",
      /error: gumstack:clickhousePassword is still the committed placeholder: pulumi config set --secret gumstack:clickhousePassword '<value>' --stack prod/,
    ],
    [
      "the first up before the images are published",
      ["credentials", "bootstrap", "stack", "secret", "first-up"],
      "first-up",
      /error: gumstack:backend\.image is the placeholder digest sha256:0{64}: publish the image and pin it: scripts\/publish-backend\.sh --stack prod/,
    ],
    [
      "the copy into the tenant repository before the first up",
      ["credentials", "bootstrap", "stack", "secret", "backend", "platform-images", "copy-images"],
      "copy-images",
      /error: the tenant repository us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod does not exist \(or this identity cannot read it\): the stack's first up creates it/,
    ],
    [
      "the canary on before its copy",
      ["credentials", "bootstrap", "stack", "secret", "backend", "platform-images", "first-up", "canary-on", "second-up"],
      "second-up",
      /gumstack:canary\.image: is required when canary\.enabled is true/,
    ],
    [
      "anything before the credentials",
      ["bootstrap"],
      "bootstrap",
      /You do not currently have an active account|could not find default credentials/,
    ],
  ])("fails with %s", async (_what, steps, failing, reason) => {
    const r = await rehearse(...steps);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`rehearsal failed at step '${failing}'`);
    expect(r.stderr).toMatch(reason);
  });

  it("refuses an unknown step (exit 2) and answers --help (exit 0)", async () => {
    const r = await rehearse("credentials", "deploy-everything");
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
