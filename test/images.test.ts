// The platform images' recipes and their publish script, without building anything (test/images-build.test.ts
// builds and runs them for real): bases pinned by digest, every apt package pinned, the uid buildJob.ts expects,
// and scripts/publish-platform-images.sh checking every precondition before any side effect, with stand-ins for
// gcloud, buildah and skopeo on PATH that record how they are called.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILD_STEP_UID } from "../components/kubernetes/buildJob.js";
import { CANARY_UID } from "../components/serving/isolationCanaryManifests.js";

const DIGEST_REF = /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+(:[A-Za-z0-9_.-]+)?@sha256:[0-9a-f]{64}$/;
const builder = readFileSync("images/builder/Containerfile", "utf8");
const canary = readFileSync("canary/Dockerfile", "utf8");
const lock = readFileSync("images/builder/apt-packages.lock", "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"));

/** Instructions of a Containerfile, continuation lines joined, comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((l) => l.trim() && !l.trimStart().startsWith("#"));

describe("the recipes", () => {
  for (const [file, text, arg] of [
    ["images/builder/Containerfile", builder, "BASE"],
    ["canary/Dockerfile", canary, "NODE_IMAGE"],
  ] as const) {
    it(`${file}: its one base is an ARG whose default is pinned by digest, and nothing else is pulled`, () => {
      const froms = instructions(text).filter((l) => /^FROM\s/i.test(l));
      expect(froms).toEqual([`FROM \${${arg}}`]);
      const def = new RegExp(`^ARG ${arg}=(\\S+)$`, "m").exec(text)?.[1];
      expect(def).toMatch(DIGEST_REF);
      // The digest is cited where it was read (docker-library/repo-info at a commit).
      expect(text).toMatch(/https:\/\/github\.com\/docker-library\/repo-info\/blob\/[0-9a-f]{40}\//);
    });
  }

  it("the builder pins every apt package, the scripts' tools among them, and installs exactly the lock", () => {
    for (const line of lock) expect(line).toMatch(/^[a-z0-9][a-z0-9+.-]+=[0-9][A-Za-z0-9.+~:-]*$/);
    const names = lock.map((l) => l.split("=")[0]!);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["git", "buildah", "skopeo", "jq", "ca-certificates"]));
    const run = instructions(builder).find((l) => l.includes("apt-get install"))!;
    // From the lock, never a name typed into the recipe; no recommends; refused when apt adds what is not listed.
    expect(run).toMatch(/xargs -a \/tmp\/pins apt-get install -y -qq --no-install-recommends/);
    expect(run).toContain("installed but not in apt-packages.lock");
    expect(run).toContain("in apt-packages.lock but not installed at that version");
    expect(instructions(builder).filter((l) => /apt-get install/.test(l))).toHaveLength(1);
  });

  it("the builder's user is BUILD_STEP_UID, numeric, with an entry in /etc/passwd (git asks for one)", () => {
    expect(new RegExp(`^USER ${BUILD_STEP_UID}:${BUILD_STEP_UID}$`, "m").test(builder)).toBe(true);
    expect(builder).toContain(`builder:x:${BUILD_STEP_UID}:${BUILD_STEP_UID}:`);
    expect(builder).toContain(`builder:x:${BUILD_STEP_UID}:'`);
    expect(builder).toMatch(/^ENV BUILDAH_ISOLATION=chroot STORAGE_DRIVER=vfs$/m);
    // buildJob.ts gives every container its command; the image adds no entrypoint that would wrap it.
    expect(instructions(builder).some((l) => /^ENTRYPOINT/.test(l))).toBe(false);
  });

  it("the canary runs as the uid its manifests declare", () => {
    expect(new RegExp(`^USER ${CANARY_UID}:${CANARY_UID}$`, "m").test(canary)).toBe(true);
  });
});

const RELEASE = "gumstack-release@gumstack-admin.iam.gserviceaccount.com";
const REPO = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform";

/** A clean one-commit checkout with the script and the recipes, and stand-ins of gcloud, buildah and skopeo. */
function setup(opts: { skopeoInspect?: "absent" | "present" | "denied"; gcloudFails?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gumstack-publish-fast-"));
  for (const p of ["scripts/publish-platform-images.sh", "images", "canary", "Pulumi.prod.yaml"])
    cpSync(p, join(dir, p), { recursive: true });
  const git = (...a: string[]) => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a]);
  // The stack file is read with the repository's yaml package; node_modules is ignored, as in the repository.
  symlinkSync(join(process.cwd(), "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, ".gitignore"), "/node_modules\n");
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "recipes");
  const bin = mkdtempSync(join(tmpdir(), "gumstack-fake-bin-"));
  const log = join(bin, "calls.log");
  const inspect = {
    absent: `echo 'manifest unknown: manifest unknown' >&2; exit 1`,
    present: `printf '{"schemaVersion":2}'; exit 0`,
    denied: `echo 'unauthorized: authentication failed' >&2; exit 1`,
  }[opts.skopeoInspect ?? "absent"];
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake("gcloud", opts.gcloudFails ? "echo 'ERROR: (gcloud.auth.print-access-token) no credentials' >&2; exit 1" : "echo ya29.test-token");
  fake("skopeo", `case "$1" in inspect) ${inspect} ;; esac`);
  fake("buildah", "exit 0");
  const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  const run = (...args: string[]) =>
    spawnSync("bash", ["scripts/publish-platform-images.sh", ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
  return { dir, calls, run, sha: git("rev-parse", "HEAD").toString().trim() };
}

describe("scripts/publish-platform-images.sh: preconditions before any side effect", () => {
  it("--help prints the usage and exits 0", () => {
    const r = spawnSync("bash", ["scripts/publish-platform-images.sh", "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: scripts\/publish-platform-images\.sh /);
    expect(r.stdout).toMatch(/^Exit: 0 published; 1 .*; 2 /m);
  });

  it("reads the repository from the stack file and checks the token and both tags before building either image", () => {
    const s = setup();
    // The stack file's repository (the bootstrap's output); tags checked, then builds: buildah is only called after.
    const r = s.run("--stack", "prod", "--impersonate", RELEASE);
    const calls = s.calls();
    expect(calls.slice(0, 3)).toEqual([
      `gcloud auth print-access-token --impersonate-service-account=${RELEASE}`,
      `skopeo inspect --raw --creds oauth2accesstoken:ya29.test-token docker://${REPO}/builder:${s.sha}`,
      `skopeo inspect --raw --creds oauth2accesstoken:ya29.test-token docker://${REPO}/canary:${s.sha}`,
    ]);
    expect(calls[3]).toMatch(
      /^buildah bud --isolation chroot --layers=false --format oci --timestamp \d+ --build-arg BASE=docker\.io\/library\/debian:bookworm-slim@sha256:[0-9a-f]{64} --file images\/builder\/Containerfile /,
    );
    expect(calls[4]).toMatch(
      new RegExp(
        `^buildah push --creds oauth2accesstoken:ya29\\.test-token --digestfile \\S+ localhost/gumstack-platform/builder:${s.sha} docker://${REPO}/builder:${s.sha}$`,
      ),
    );
    // The stand-in buildah writes no digest: the script stops there rather than print a reference (exit 1).
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`buildah reported '' for the digest of ${REPO}/builder:${s.sha}`);
  });

  it("refuses a tag that is already published (immutable) before building, exit 1", () => {
    const s = setup({ skopeoInspect: "present" });
    const r = s.run("--repository", REPO);
    expect(r.status).toBe(1);
    const existing = createHash("sha256").update('{"schemaVersion":2}').digest("hex");
    expect(r.stderr.trim()).toBe(
      `error: ${REPO}/builder:${s.sha} is already published (sha256:${existing}) and tags are immutable: publish a new commit, or name only the other image with --image`,
    );
    expect(s.calls().some((c) => c.startsWith("buildah"))).toBe(false);
  });

  it("refuses without the release identity's token, or when the registry denies it, before building, exit 2", () => {
    const noToken = setup({ gcloudFails: true });
    const r = noToken.run("--repository", REPO, "--impersonate", RELEASE);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `error: no access token for the release identity (gcloud auth print-access-token --impersonate-service-account=${RELEASE})`,
    );
    const denied = setup({ skopeoInspect: "denied" });
    const d = denied.run("--repository", REPO);
    expect(d.status).toBe(2);
    expect(d.stderr.trim()).toBe(`error: cannot read ${REPO} as the release identity: unauthorized: authentication failed`);
    for (const s of [noToken, denied]) expect(s.calls().some((c) => c.startsWith("buildah"))).toBe(false);
  });

  it("refuses uncommitted recipes, naming the files, before asking for a token, exit 2; another file may be changed", () => {
    const s = setup();
    writeFileSync(join(s.dir, "canary", "canary.ts"), "// changed\n");
    writeFileSync(join(s.dir, "images", "builder", "extra.txt"), "untracked\n");
    const r = s.run("--repository", REPO);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      "error: the recipes are not committed (canary/canary.ts, images/builder/extra.txt): commit or stash, so the tag names what is built",
    );
    expect(s.calls()).toEqual([]);
    // The stack file the README's previous step pinned the backend in goes into no image.
    const other = setup({ skopeoInspect: "present" });
    writeFileSync(join(other.dir, "Pulumi.prod.yaml"), readFileSync(join(other.dir, "Pulumi.prod.yaml"), "utf8") + "# pinned\n");
    expect(other.run("--repository", REPO).stderr).toMatch(/is already published/);
  });

  it("refuses a base that is not pinned by digest, a repository that is not Artifact Registry, latest, a missing stack: exit 2, nothing called", () => {
    const s = setup();
    const cases: [string[], string][] = [
      [
        ["--repository", REPO, "--builder-base", "debian:bookworm-slim"],
        "error: the builder base 'debian:bookworm-slim' is not pinned by digest (<image>@sha256:<64 hex>)",
      ],
      [
        ["--repository", "docker.io/gumstack/platform"],
        "error: platform images repository 'docker.io/gumstack/platform' is not <region>-docker.pkg.dev/<project>/<repository> (or a loopback registry)",
      ],
      [["--repository", REPO, "--tag", "latest"], "error: --tag 'latest' is not a Docker tag (or is 'latest', which the stacks refuse)"],
      [["--stack", "nope"], "error: no stack 'nope': Pulumi.nope.yaml does not exist; stacks here: prod"],
      [["--repository", REPO, "--image", "backend"], "error: --image must be builder or canary (got 'backend')"],
      [[], "error: --stack or --repository is required (see --help)"],
    ];
    for (const [args, err] of cases) {
      const r = s.run(...args);
      expect([r.status, r.stderr.trim()], args.join(" ")).toEqual([2, err]);
    }
    expect(s.calls()).toEqual([]);
  });
});
