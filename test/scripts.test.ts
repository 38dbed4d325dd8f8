// The deploy and release scripts, run with stand-ins for pulumi, docker and gcloud on PATH that record how they
// are called: the policy pack is on every preview AND up with the stack's own pack config, and the backend is
// pinned by the digest Artifact Registry reports, never by a tag.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLACEHOLDER_DIGEST, SECRET_PLACEHOLDER } from "../scripts/deploy-checks.mjs";
import { repoCopy } from "./support/repoCopy.js";

const DIGEST = `sha256:${"ab12".repeat(16)}`;

/** A directory of links to the basic tools the scripts use (bash, node, coreutils), and nothing else. */
function basicTools(): string {
  const dir = mkdtempSync(join(tmpdir(), "basic-tools-"));
  for (const tool of ["bash", "node", "dirname", "cat", "sed", "paste", "ls", "mktemp", "rm", "sha256sum", "touch"]) {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (found) symlinkSync(found, join(dir, tool));
  }
  return dir;
}

/**
 * A bin dir whose `name` appends its arguments to log, copies a --policy-pack-config file, writes `writes` to the
 * file after --out, runs `script` (bash), and exits `code`.
 */
function fakes(spec: Record<string, { code?: number; stdout?: string; when?: string; writes?: string; script?: string }>) {
  const dir = mkdtempSync(join(tmpdir(), "fake-bin-"));
  const log = join(dir, "calls.log");
  for (const [name, { code = 0, stdout = "", when, writes, script }] of Object.entries(spec)) {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/usr/bin/env bash
echo "${name} $*" >> "${log}"
# --password-stdin: read the secret, as docker login does; a fake that exits unread races the caller's printf into
# EPIPE under pipefail, a "login failure" seen only on a loaded machine.
case " $* " in *" --password-stdin "*) cat >/dev/null ;; esac
prev=""; for a in "$@"; do [ "$prev" = "--policy-pack-config" ] && cp "$a" "${dir}/pack-config-$1.json"; prev="$a"; done
${writes === undefined ? "" : `prev=""; for a in "$@"; do [ "$prev" = "--out" ] && printf '%s' '${writes}' > "$a"; prev="$a"; done`}
${script ?? ""}
${when ? `case "$*" in ${when}) ;; *) exit 0 ;; esac` : ""}
printf '%s' "${stdout}"
exit ${code}
`,
    );
    chmodSync(path, 0o755);
  }
  const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  return { dir, calls, env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir } };
}

/** A scratch repository whose Pulumi.prod.yaml is deployable: secret set, images published (none a placeholder). */
async function deployableCopy(): Promise<string> {
  const dir = await repoCopy("deploy-");
  const file = join(dir, "Pulumi.prod.yaml");
  writeFileSync(
    file,
    readFileSync(file, "utf8")
      .replaceAll(`@${PLACEHOLDER_DIGEST}`, `@${DIGEST}`)
      .replace(`secure: ${SECRET_PLACEHOLDER}`, "secure: v1:bm9uY2Vub25jZW5v:Y2lwaGVydGV4dA=="),
  );
  return dir;
}

/**
 * A pulumi that is logged in, knows the stacks in $STACKS (stack ls --json), decrypts every secret unless
 * $UNDECRYPTABLE, and is not logged in with $NOT_LOGGED_IN: the answers deploy.sh's preconditions read.
 */
const PULUMI = `case "$1 $2" in
  "whoami "*) [ -z "$NOT_LOGGED_IN" ] || { echo "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" >&2; exit 255; }; echo me; exit 0 ;;
  "stack ls") s="\${STACKS:-}"; [ -n "$s" ] || s='[{"name":"prod","current":false}]'; printf '%s' "$s"; exit 0 ;;
  "config get") [ -z "$UNDECRYPTABLE" ] || { echo "error: could not decrypt configuration value: bad value" >&2; exit 255; }; echo x; exit 0 ;;
esac`;

describe("scripts/deploy.sh", () => {
  const deploy = (dir: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync("bash", [join(dir, "scripts/deploy.sh"), ...args], { encoding: "utf8", env });
  const checks = (calls: string[]) => calls.filter((c) => /^pulumi (whoami|stack ls|config get)/.test(c));
  const runs = (calls: string[]) => calls.filter((c) => !/^pulumi (whoami|stack ls|config get)/.test(c));

  it("checks login, stack and secrets, then runs pulumi preview and pulumi up, both with the pack and the stack's derived pack config", async () => {
    const dir = await deployableCopy();
    const f = fakes({ pulumi: { script: PULUMI } });
    const r = deploy(dir, f.env, "prod", "up", "--", "--yes");
    expect(r.status, r.stderr).toBe(0);
    expect(checks(f.calls())).toEqual([
      "pulumi whoami",
      "pulumi stack ls --json",
      "pulumi config get gumstack:clickhousePassword --stack prod",
    ]);
    const calls = runs(f.calls());
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/^pulumi preview --stack prod --policy-pack policies --policy-pack-config \S+\.json --yes$/);
    expect(calls[1]).toMatch(/^pulumi up --stack prod --policy-pack policies --policy-pack-config \S+\.json --yes$/);
    for (const cmd of ["preview", "up"]) {
      const cfg = JSON.parse(readFileSync(join(f.dir, `pack-config-${cmd}.json`), "utf8"));
      // Exactly the stack's tenant repository (test/cli/fleet.test.ts holds it equal to the plan's output).
      expect(cfg["k8s-mcp-workload-allowed-registries"]).toEqual({
        mcpNamespace: "gumstack-mcp",
        allowedRegistries: [expect.stringMatching(/^us-west1-docker\.pkg\.dev\/gumstack-prod\/[a-z0-9-]+\/$/)],
      });
    }
  });

  it("stops before up when the preview fails (a mandatory violation), exit 1", async () => {
    // The real pack config is the test above's; here a stand-in npm writes one (a shell script: no node, no SDK
    // load), and preview must be given exactly the file it wrote.
    const dir = await deployableCopy();
    const f = fakes({
      pulumi: { script: `${PULUMI}\nexit 255` },
      npm: { writes: '{"k8s-mcp-namespace-pod-security-restricted":{}}' },
    });
    const r = deploy(dir, f.env, "prod", "up");
    expect(r.status).toBe(1);
    expect(runs(f.calls())).toEqual([
      expect.stringMatching(/^npm run -s pack-config -- --stack prod --out \S+\.json$/),
      expect.stringMatching(/^pulumi preview /),
    ]);
    expect(readFileSync(join(f.dir, "pack-config-preview.json"), "utf8")).toBe('{"k8s-mcp-namespace-pod-security-restricted":{}}');
  });

  it("refuses an unknown action (exit 2) without calling pulumi", () => {
    const f = fakes({ pulumi: {} });
    const r = spawnSync("bash", ["scripts/deploy.sh", "prod", "destroy"], { encoding: "utf8", env: f.env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("error: unknown action 'destroy': preview or up (see --help)");
    expect(f.calls()).toEqual([]);
  });

  // Each precondition, broken alone on an otherwise deployable stack: one line naming what and the fix, exit 2,
  // nothing planned or changed (no pack config, no preview, no up).
  it.each([
    [
      "not logged in",
      { NOT_LOGGED_IN: "1" },
      (_d: string) => {},
      /^error: pulumi is not logged in to the state backend: pulumi login gs:\/\/<state bucket>/,
    ],
    [
      "no such stack in the backend (pulumi would offer to create it with the default secrets provider)",
      { STACKS: '[{"name":"organization/gumstack/staging"}]' },
      (_d: string) => {},
      /^error: no stack 'prod' in this backend: pulumi stack init prod --secrets-provider <the bootstrap's secretsProvider output>, then commit Pulumi\.prod\.yaml/,
    ],
    [
      "the committed secret placeholder",
      {},
      (d: string) =>
        writeFileSync(
          join(d, "Pulumi.prod.yaml"),
          readFileSync(join(d, "Pulumi.prod.yaml"), "utf8").replace(/secure: v1:\S+/, `secure: ${SECRET_PLACEHOLDER}`),
        ),
      /^error: gumstack:clickhousePassword is still the committed placeholder: pulumi config set --secret gumstack:clickhousePassword '<value>' --stack prod, then commit Pulumi\.prod\.yaml$/,
    ],
    [
      "a secret another key encrypted",
      { UNDECRYPTABLE: "1" },
      (_d: string) => {},
      /^error: gumstack:clickhousePassword cannot be decrypted with the stack's secrets provider: pulumi config set --secret gumstack:clickhousePassword '<value>' --stack prod/,
    ],
    [
      "the backend image still the placeholder digest",
      {},
      (d: string) =>
        writeFileSync(
          join(d, "Pulumi.prod.yaml"),
          readFileSync(join(d, "Pulumi.prod.yaml"), "utf8").replace(`backend@${DIGEST}`, `backend@${PLACEHOLDER_DIGEST}`),
        ),
      /^error: gumstack:backend\.image is the placeholder digest sha256:0{64}: publish the image and pin it: scripts\/publish-backend\.sh --stack prod/,
    ],
    [
      "the builder image still the placeholder digest",
      {},
      (d: string) =>
        writeFileSync(
          join(d, "Pulumi.prod.yaml"),
          readFileSync(join(d, "Pulumi.prod.yaml"), "utf8").replace(`builder@${DIGEST}`, `builder@${PLACEHOLDER_DIGEST}`),
        ),
      /^error: gumstack:build\.builderImage is the placeholder digest sha256:0{64}: publish the image and pin it: scripts\/publish-platform-images\.sh/,
    ],
    [
      "the canary enabled with the placeholder digest",
      {},
      (d: string) =>
        writeFileSync(
          join(d, "Pulumi.prod.yaml"),
          readFileSync(join(d, "Pulumi.prod.yaml"), "utf8").replace(
            "    enabled: false\n",
            `    enabled: true\n    image: us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-canary/canary@${PLACEHOLDER_DIGEST}\n`,
          ),
        ),
      /^error: gumstack:canary\.image is the placeholder digest sha256:0{64}: publish the image and pin it: scripts\/publish-platform-image\.sh --stack prod --image canary/,
    ],
  ])("refuses %s before anything is planned (exit 2)", async (_what, env, edit, message) => {
    const dir = await deployableCopy();
    edit(dir);
    const f = fakes({ pulumi: { script: PULUMI }, npm: {} });
    const r = deploy(dir, { ...f.env, ...env }, "prod", "up");
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(runs(f.calls())).toEqual([]);
  });

  it("previews the committed prod stack's placeholder images (a preview pulls nothing); only up refuses them", async () => {
    const dir = await deployableCopy();
    const file = join(dir, "Pulumi.prod.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replaceAll(`@${DIGEST}`, `@${PLACEHOLDER_DIGEST}`));
    const f = fakes({ pulumi: { script: PULUMI }, npm: { writes: "{}" } });
    expect(deploy(dir, f.env, "prod", "preview").status).toBe(0);
    expect(runs(f.calls()).map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual(["npm run", "pulumi preview"]);
  });
});

describe("scripts/publish-backend.sh", () => {
  const work = mkdtempSync(join(tmpdir(), "publish-"));
  const context = join(work, "backend");
  mkdirSync(context);
  const stackFile = join(work, "Pulumi.prod.yaml");
  // The script reads only gumstack:platformImages.repository from the stack file.
  writeFileSync(
    stackFile,
    "config:\n  gumstack:platformImages:\n    repository: us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform\n",
  );
  const noRepository = join(work, "Pulumi.bare.yaml");
  writeFileSync(noRepository, "config:\n  gumstack:environment: prod\n");
  const publish = (env: NodeJS.ProcessEnv, ...extra: string[]) =>
    spawnSync(
      "bash",
      ["scripts/publish-backend.sh", "--stack", "prod", "--config-file", stackFile, "--context", context, "--tag", "4f2c1e9", ...extra],
      { encoding: "utf8", env },
    );

  /** A registry that has the tag once docker pushed it ($FAKE_DIR/pushed), answering $ANSWER (default the digest). */
  const GCLOUD = `case "$*" in
  "artifacts docker images describe"*) [ -f "$FAKE_DIR/pushed" ] || { echo "ERROR: (gcloud.artifacts.docker.images.describe) NOT_FOUND: Requested entity was not found." >&2; exit 1; }; printf '%s' "\${ANSWER:-${DIGEST}}"; exit 0 ;;
  "auth print-access-token"*) printf tok; exit 0 ;;
esac`;
  const DOCKER = `[ "$1" != push ] || touch "$FAKE_DIR/pushed"`;
  const image = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/backend";
  const describeCall = `gcloud artifacts docker images describe ${image}:4f2c1e9 --format=value(image_summary.digest)`;
  const checks = ["pulumi whoami", "pulumi stack ls --json"];

  it("checks login, stack and tag first, then pushes as the release identity and pins gumstack:backend.image to <platformImages.repository>/backend@<digest>", () => {
    const f = fakes({ pulumi: { script: PULUMI }, docker: { script: DOCKER }, gcloud: { script: GCLOUD } });
    const r = publish(f.env, "--impersonate", "gumstack-release@gumstack-admin.iam.gserviceaccount.com");
    expect(r.status, r.stderr).toBe(0);
    const as = "--impersonate-service-account=gumstack-release@gumstack-admin.iam.gserviceaccount.com";
    expect(f.calls()).toEqual([
      ...checks,
      `${describeCall} ${as}`,
      `gcloud auth print-access-token ${as}`,
      "docker login -u oauth2accesstoken --password-stdin https://us-west1-docker.pkg.dev",
      `docker build -t ${image}:4f2c1e9 ${context}`,
      `docker push ${image}:4f2c1e9`,
      `${describeCall} ${as}`,
      `pulumi config set --path gumstack:backend.image ${image}@${DIGEST} --stack prod --config-file ${stackFile}`,
    ]);
  });

  it("pins nothing when the registry's answer is not a digest (exit 1)", () => {
    const f = fakes({ pulumi: { script: PULUMI }, docker: { script: DOCKER }, gcloud: { script: GCLOUD } });
    const r = publish({ ...f.env, ANSWER: "latest" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/answered 'latest' for the digest .*, not sha256:<64 hex>$/);
    expect(f.calls().some((c) => c.startsWith("pulumi config"))).toBe(false);
  });

  // Each precondition broken alone: one line, exit 2, and no login, build or push (the image would be pushed under
  // an immutable tag with nowhere to pin it).
  it.each([
    ["not logged in to pulumi", { NOT_LOGGED_IN: "1" }, false, /^error: pulumi is not logged in to the state backend/],
    [
      "no such stack yet (publish before stack init)",
      { STACKS: "[]" },
      false,
      /^error: no stack 'prod' in this backend: pulumi stack init prod --secrets-provider <the bootstrap's secretsProvider output>/,
    ],
    [
      "the tag already pushed (immutable tags)",
      {},
      true,
      /^error: us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform\/backend:4f2c1e9 is already in the platform-images repository \(sha256:[0-9a-f]{64}\) and its tags are immutable: pin it with pulumi config set --path gumstack:backend\.image .*backend@sha256:[0-9a-f]{64} --stack prod, or publish another commit \(--tag\)$/,
    ],
  ])("refuses %s before any side effect (exit 2)", (_what, env, pushed, message) => {
    const f = fakes({ pulumi: { script: PULUMI }, docker: { script: DOCKER }, gcloud: { script: GCLOUD } });
    if (pushed) writeFileSync(join(f.dir, "pushed"), "");
    const r = publish({ ...f.env, ...env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(f.calls().filter((c) => /^(docker|gcloud auth|pulumi config)/.test(c))).toEqual([]);
  });

  it.each([["docker"], ["gcloud"], ["pulumi"]])("refuses when %s is not on PATH, naming it (exit 2)", (tool) => {
    const f = fakes({ pulumi: { script: PULUMI }, docker: { script: DOCKER }, gcloud: { script: GCLOUD } });
    rmSync(join(f.dir, tool));
    // PATH with the fakes and the few system tools the script needs, not the system's own copy of the tool.
    const r = publish({ ...f.env, PATH: `${f.dir}:${basicTools()}` });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^error: ${tool} is not on PATH \\(`));
    expect(f.calls()).toEqual([]);
  });

  it("names the missing config key and where its value comes from (exit 2)", () => {
    const f = fakes({ pulumi: {}, docker: {}, gcloud: {} });
    const r = spawnSync("bash", ["scripts/publish-backend.sh", "--stack", "prod", "--config-file", noRepository, "--context", context], {
      encoding: "utf8",
      env: f.env,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("has no gumstack:platformImages.repository: set it to the bootstrap's platformImagesRepository output");
    expect(f.calls()).toEqual([]);
  });

  it("refuses the tag latest (exit 2)", () => {
    const f = fakes({ pulumi: {}, docker: {}, gcloud: {} });
    expect(publish(f.env, "--tag", "latest").status).toBe(2);
  });
});

describe("scripts/publish-platform-image.sh", () => {
  const work = mkdtempSync(join(tmpdir(), "publish-platform-"));
  const stackFile = join(work, "Pulumi.prod.yaml");
  writeFileSync(
    stackFile,
    [
      "config:",
      "  gumstack:region: us-west1",
      "  gumstack:project: gumstack-prod",
      "  gumstack:environment: prod",
      "  gumstack:platformImages:",
      "    repository: us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform",
      "",
    ].join("\n"),
  );
  // The fake registry serves these manifest bytes for the copy; a digest is their sha256.
  const MANIFEST = "{schemaVersion: 2, mediaType: application/vnd.oci.image.manifest.v1+json}"; // the fake prints it verbatim
  const SOURCE_DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
  const SOURCE = `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/builder@${SOURCE_DIGEST}`;
  const RELEASE = "gumstack-release@gumstack-admin.iam.gserviceaccount.com";
  const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync("bash", ["scripts/publish-platform-image.sh", "--stack", "prod", "--config-file", stackFile, ...args], {
      encoding: "utf8",
      env,
    });

  /** The tenant repository exists unless $NO_TENANT_REPOSITORY (the stack's first up has not run). */
  const GCLOUD = `case "$*" in
  "artifacts repositories describe"*) [ -z "$NO_TENANT_REPOSITORY" ] || { echo "ERROR: (gcloud.artifacts.repositories.describe) NOT_FOUND" >&2; exit 1; }; echo x; exit 0 ;;
esac
printf tok`;
  const REPOSITORY_CHECK = `gcloud artifacts repositories describe mcp-prod --project gumstack-prod --location us-west1 --format=value(name)`;

  it("copies the builder into the stack's tenant repository keeping its digest, and pins gumstack:build.builderImage to it", () => {
    const f = fakes({ gcloud: { script: GCLOUD }, skopeo: { stdout: MANIFEST, when: "inspect*" }, pulumi: { script: PULUMI } });
    const r = run(f.env, "--image", "builder", "--source", SOURCE, "--impersonate", RELEASE, "--set");
    expect(r.status, r.stderr).toBe(0);
    const dest = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder:sha256-${SOURCE_DIGEST.slice(7)}`;
    const pinned = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@${SOURCE_DIGEST}`;
    expect(f.calls()).toEqual([
      "pulumi whoami",
      "pulumi stack ls --json",
      `${REPOSITORY_CHECK} --impersonate-service-account=${RELEASE}`,
      `gcloud auth print-access-token --impersonate-service-account=${RELEASE}`,
      `skopeo copy --all --preserve-digests --src-creds oauth2accesstoken:tok --dest-creds oauth2accesstoken:tok docker://${SOURCE} docker://${dest}`,
      `skopeo inspect --raw --creds oauth2accesstoken:tok docker://${dest}`,
      `pulumi config set --path gumstack:build.builderImage ${pinned} --stack prod --config-file ${stackFile}`,
    ]);
    expect(r.stdout.trim()).toBe(`gumstack:build.builderImage = ${pinned} (stack prod, copied from ${SOURCE})`);
  });

  it("pins nothing when the copy in the tenant repository has another digest (exit 1)", () => {
    const f = fakes({ gcloud: { script: GCLOUD }, skopeo: { stdout: `${MANIFEST} `, when: "inspect*" }, pulumi: { script: PULUMI } });
    const r = run(f.env, "--image", "canary", "--source", SOURCE.replace("/builder@", "/canary@"), "--set");
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /gumstack-canary\/canary:sha256-[0-9a-f]{64} has digest 'sha256:[0-9a-f]{64}', not the source's sha256:[0-9a-f]{64}: not pinning it$/,
    );
    expect(f.calls().some((c) => c.startsWith("pulumi config"))).toBe(false);
  });

  it.each([
    [
      "before the stack's first up (no tenant repository yet)",
      { NO_TENANT_REPOSITORY: "1" },
      /^error: the tenant repository us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod does not exist \(or this identity cannot read it\): the stack's first up creates it, scripts\/deploy\.sh prod up$/,
    ],
    ["with --set, before stack init", { STACKS: "[]" }, /^error: no stack 'prod' in this backend/],
    ["with --set, not logged in", { NOT_LOGGED_IN: "1" }, /^error: pulumi is not logged in/],
  ])("refuses to copy %s (exit 2), nothing copied", (_what, env, message) => {
    const f = fakes({ gcloud: { script: GCLOUD }, skopeo: { stdout: MANIFEST, when: "inspect*" }, pulumi: { script: PULUMI } });
    const r = run({ ...f.env, ...env }, "--image", "canary", "--source", SOURCE.replace("/builder@", "/canary@"), "--set");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(f.calls().filter((c) => /^(skopeo|gcloud auth|pulumi config)/.test(c))).toEqual([]);
  });

  it.each([
    [
      ["--image", "builder", "--source", SOURCE.replace(/@sha256:.*/, ":1.4")],
      /--source must be an image of us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform pinned by digest/,
    ],
    [
      ["--image", "builder", "--source", `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/acme/x@${SOURCE_DIGEST}`],
      /--source must be an image of us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform/,
    ],
    [["--image", "backend", "--source", SOURCE], /--image must be builder or canary \(got 'backend'\)/],
  ])("refuses %j before any call (exit 2)", (args, message) => {
    const f = fakes({ gcloud: {}, skopeo: {}, pulumi: {} });
    const r = run(f.env, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(f.calls()).toEqual([]);
  });
});
