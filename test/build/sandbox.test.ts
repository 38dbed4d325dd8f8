// The build pod for real, under gVisor (runsc --rootless --network=none --platform=ptrace), each container with the
// mounts, uid and capabilities its manifest gives it (test/support/runsc.ts): what the untrusted build step sees,
// that buildah builds there with exactly BUILDER_CAPABILITIES (and not without SYS_ADMIN), and that the fetch
// step leaves neither the token nor .git in the build context. Skipped only where a tool is missing
// (.ci/run installs runsc, buildah, skopeo, git and busybox-static).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BUILDER_CAPABILITIES,
  BUILD_SCRIPT,
  buildJobManifest,
  buildSecretManifests,
  FETCH_SCRIPT,
  GIT_TOKEN_DIR,
  PUSH_AUTH_DIR,
  PUSH_SCRIPT,
  type BuildRequest,
} from "../../components/kubernetes/buildJob.js";
import { have, preparePod, runContainer, runscVersion, type SandboxPod } from "../support/runsc.js";

type Obj = Record<string, any>;
const BUILDER = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"8".repeat(64)}`;
const GIT_TOKEN = "ghs_6Xb2Ktest0nlyInstallationToken9Qz";
const PUSH_TOKEN = "ya29.c.test-only-pusher-access-token-4Hk";
const REQUEST: BuildRequest = {
  buildId: "sbx1",
  tenantId: "acme",
  server: "weather",
  gitUrl: "https://github.com/acme/weather-mcp.git",
  gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
  imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/gumstack",
};
const job = buildJobManifest({ builderImage: BUILDER }, REQUEST);
const spec: Obj = job.spec.template.spec;
const container = (name: string): Obj => [...spec.initContainers, ...spec.containers].find((c: Obj) => c.name === name);
const secrets = buildSecretManifests({}, REQUEST, {
  job: { name: job.metadata.name, uid: "5d1c" },
  gitToken: GIT_TOKEN,
  pushToken: PUSH_TOKEN,
});
const pushAuthB64 = Buffer.from(`oauth2accesstoken:${PUSH_TOKEN}`).toString("base64");

const sandboxed = have("runsc");
const withBuildah = sandboxed && have("buildah") && have("busybox");
// The local origin must belong to the fetch step's uid (git refuses a repository of another owner): needs root.
const withGit = sandboxed && have("git") && process.getuid?.() === 0;

// A probe in the shape of a hostile RUN step: the build step is root with SYS_ADMIN inside the sandbox and can
// leave buildah's chroot, so what its container sees is what a RUN step can reach. It looks for the credential
// paths, a Kubernetes token, and both tokens' bytes anywhere it can read (its mounts and /proc of every process).
const PROBE = [
  "for f in /var/run/gumstack/push/config.json /var/run/gumstack/git/token /var/run/secrets/kubernetes.io/serviceaccount/token; do",
  '  if [ -e "$f" ]; then echo "present $f"; fi',
  "done",
  "for d in /workspace /layout /var/lib/containers /tmp /run /var/run /root; do",
  '  if [ -d "$d" ]; then grep -rlsF -e "$T1" -e "$T2" -e "$T3" "$d" | sed \'s/^/leak /\'; fi',
  "done",
  "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -F -e \"$T1\" -e \"$T2\" -e \"$T3\" | sed 's/^/leak env /'",
  "echo probe-done",
].join("\n");
// The needles are the script's arguments, not its environment, so the environ scan finds only real leaks.
const probe = (pod: SandboxPod, name: string) =>
  runContainer(pod, {
    container: container(name),
    args: [
      "/bin/sh",
      "-c",
      PROBE.replaceAll("$T1", "$1").replaceAll("$T2", "$2").replaceAll("$T3", "$3"),
      "probe",
      GIT_TOKEN,
      PUSH_TOKEN,
      pushAuthB64,
    ],
  });

describe.skipIf(!sandboxed)(`what a build step sees under ${sandboxed ? runscVersion() : "runsc (not installed)"}`, () => {
  it("the build step reaches neither credential nor an API token; the push step does read its own (the probe can see)", () => {
    const pod = preparePod(spec, secrets);
    const build = probe(pod, "build");
    expect(build.stdout.trim().split("\n"), build.stderr).toEqual(["probe-done"]);

    const push = probe(pod, "push");
    expect(push.stdout, push.stderr).toContain(`present ${PUSH_AUTH_DIR}/config.json`);
    expect(push.stdout).not.toContain(`present ${GIT_TOKEN_DIR}/token`);
    const fetch = probe(pod, "fetch");
    expect(fetch.stdout, fetch.stderr).toContain(`present ${GIT_TOKEN_DIR}/token`);
    expect(fetch.stdout).not.toContain(`present ${PUSH_AUTH_DIR}/config.json`);
  });

  it("a build step that plants a link to the credential in its output gets the push refused before skopeo runs", () => {
    const pod = preparePod(spec, secrets);
    mkdirSync(join(pod.volumes.layout!, "blobs", "sha256"), { recursive: true });
    symlinkSync(`${PUSH_AUTH_DIR}/config.json`, join(pod.volumes.layout!, "blobs", "sha256", "e3b0"));
    const push = runContainer(pod, { container: container("push"), args: ["/bin/sh", "-c", PUSH_SCRIPT] });
    expect(push.status).toBe(1);
    expect(push.stderr).toContain("refused: the OCI layout holds a link or special file");
  });
});

describe.skipIf(!withGit)("the fetch step", () => {
  // A local origin (file://, no server to hand the token to): what is asserted is what the step leaves behind.
  const origin = mkdtempSync(join(tmpdir(), "gumstack-origin-"));
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", origin, ...args], {
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: origin },
    }).trim();
  let head = "";
  if (withGit) {
    chmodSync(origin, 0o755);
    git("init", "-q", "-b", "main");
    writeFileSync(join(origin, "Dockerfile"), "FROM scratch\nCOPY server.txt /\n");
    writeFileSync(join(origin, "server.txt"), "weather\n");
    git("add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one");
    head = git("rev-parse", "HEAD");
    execFileSync("chown", ["-R", `${container("fetch").securityContext.runAsUser}`, origin]);
  }
  const fetch = (sha: string) => {
    const pod = preparePod(spec, secrets);
    const r = runContainer(pod, {
      container: container("fetch"),
      args: ["/bin/sh", "-c", FETCH_SCRIPT],
      env: { GIT_URL: "file:///origin", GIT_SHA: sha, GIT_ALLOW_PROTOCOL: "file" },
      extraMounts: [{ source: origin, destination: "/origin" }],
    });
    return { ...r, src: join(pod.volumes.workspace!, "src") };
  };

  it("checks out exactly the commit, deletes .git, and writes the token nowhere", () => {
    const r = fetch(head);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(r.src).sort()).toEqual(["Dockerfile", "server.txt"]);
    const grep = spawnSync("grep", ["-rlsF", GIT_TOKEN, join(r.src, "..")], { encoding: "utf8" });
    expect(grep.stdout).toBe("");
  });

  it("refuses a SHA that is not the fetched commit", () => {
    const r = fetch("0".repeat(40));
    expect(r.status).not.toBe(0);
    expect(existsSync(join(r.src, "server.txt"))).toBe(false);
  });
});

describe.skipIf(!withBuildah)("the build step: buildah under gVisor with the build container's capabilities", () => {
  // A base image made here (busybox, static) so nothing is pulled: FROM scratch + ADD of its root filesystem.
  const context = () => {
    const pod = preparePod(spec, secrets);
    const src = join(pod.volumes.workspace!, "src");
    const rootfs = mkdtempSync(join(tmpdir(), "gumstack-rootfs-"));
    mkdirSync(join(rootfs, "bin"));
    cpSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim(), join(rootfs, "bin", "busybox"));
    for (const app of ["sh", "cat", "ls", "id"]) symlinkSync("busybox", join(rootfs, "bin", app));
    mkdirSync(src, { recursive: true });
    execFileSync("tar", ["-C", rootfs, "-cf", join(src, "rootfs.tar"), "."]);
    writeFileSync(join(src, "server.txt"), "weather\n");
    return { pod, src };
  };
  const build = (pod: SandboxPod, capabilities?: readonly string[]) =>
    runContainer(pod, {
      container: container("build"),
      args: ["/bin/sh", "-c", BUILD_SCRIPT],
      ...(capabilities ? { capabilities } : {}),
      timeoutMs: 30_000,
    });

  // Probed, not assumed: gVisor releases older than GKE's refuse two things buildah does (EPERM on fchown of a
  // pipe, which it uses to hand a RUN step its stdio; EINVAL on making / private, which its layer commit does).
  const inSandbox = (script: string) =>
    withBuildah && runContainer(preparePod(spec), { container: container("build"), args: ["/bin/sh", "-c", script] }).status === 0;
  const canCommit = inSandbox("unshare -m true");
  const canRun = inSandbox("python3 -c 'import os; r, w = os.pipe(); os.fchown(r, 0, 0)'");
  const dockerfile = 'FROM scratch\nADD rootfs.tar /\nCOPY server.txt /srv/server.txt\nCMD ["/bin/cat", "/srv/server.txt"]\n';

  it("runs the Dockerfile's steps up to the commit with exactly the build container's capabilities", () => {
    const { pod, src } = context();
    writeFileSync(join(src, "Dockerfile"), dockerfile);
    const r = build(pod);
    expect(r.stdout, r.stderr).toContain("STEP 4/4: CMD");
    expect(r.stdout).toContain(`COMMIT localhost/build:${REQUEST.gitSha}`);
    if (!canCommit) expect(r.stderr).toMatch(/remount \/, flags: 0x44000: invalid argument/);
  });

  it.skipIf(!canCommit)(
    `writes the image as the OCI layout the push step reads${canCommit ? "" : ` (skipped: ${runscVersion()} cannot make / private)`}`,
    () => {
      const { pod, src } = context();
      writeFileSync(join(src, "Dockerfile"), dockerfile);
      const r = build(pod);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const index = JSON.parse(readFileSync(join(pod.volumes.layout!, "image", "index.json"), "utf8"));
      expect(index.manifests[0].annotations["org.opencontainers.image.ref.name"]).toBe(REQUEST.gitSha);
      const config = JSON.parse(
        execFileSync("skopeo", ["inspect", "--config", `oci:${join(pod.volumes.layout!, "image")}:${REQUEST.gitSha}`], {
          encoding: "utf8",
        }),
      );
      expect(config.config.Cmd).toEqual(["/bin/cat", "/srv/server.txt"]);
    },
  );

  it("needs SYS_ADMIN: without it buildah cannot set up its namespace", () => {
    const { pod, src } = context();
    writeFileSync(join(src, "Dockerfile"), "FROM scratch\nCOPY server.txt /srv/server.txt\n");
    const r = build(
      pod,
      BUILDER_CAPABILITIES.filter((c) => c !== "SYS_ADMIN"),
    );
    expect(r.status).not.toBe(0);
    // It stops before the first Dockerfile step (with SYS_ADMIN the steps run: the test above).
    expect(r.stdout).not.toContain("STEP 1/");
    expect(existsSync(join(pod.volumes.layout!, "image", "index.json"))).toBe(false);
  });

  it.skipIf(!canRun)(`runs a RUN step${canRun ? "" : ` (skipped: ${runscVersion()} cannot fchown a pipe)`}`, () => {
    const { pod, src } = context();
    writeFileSync(
      join(src, "Dockerfile"),
      `FROM scratch\nADD rootfs.tar /\nRUN ls /run/secrets /var/run/gumstack 2>&1 > /probe; id >> /probe\n`,
    );
    const r = build(pod);
    expect(r.status, r.stderr).toBe(0);
  });
});
