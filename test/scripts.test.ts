// The deploy and release scripts, run with stand-ins for pulumi, docker and gcloud on PATH that record how they
// are called: the policy pack is on every preview AND up with the stack's own pack config, and the backend is
// pinned by the digest Artifact Registry reports, never by a tag.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const DIGEST = `sha256:${"ab12".repeat(16)}`;

/**
 * A bin dir whose `name` appends its arguments to log, copies a --policy-pack-config file, writes `writes` to the
 * file after --out, and exits `code`.
 */
function fakes(spec: Record<string, { code?: number; stdout?: string; when?: string; writes?: string }>) {
  const dir = mkdtempSync(join(tmpdir(), "fake-bin-"));
  const log = join(dir, "calls.log");
  for (const [name, { code = 0, stdout = "", when, writes }] of Object.entries(spec)) {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/usr/bin/env bash
echo "${name} $*" >> "${log}"
prev=""; for a in "$@"; do [ "$prev" = "--policy-pack-config" ] && cp "$a" "${dir}/pack-config-$1.json"; prev="$a"; done
${writes === undefined ? "" : `prev=""; for a in "$@"; do [ "$prev" = "--out" ] && printf '%s' '${writes}' > "$a"; prev="$a"; done`}
${when ? `case "$*" in ${when}) ;; *) exit 0 ;; esac` : ""}
printf '%s' "${stdout}"
exit ${code}
`,
    );
    chmodSync(path, 0o755);
  }
  const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  return { dir, calls, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } };
}

describe("scripts/deploy.sh", () => {
  it("runs pulumi preview and then pulumi up, both with the pack and the stack's derived pack config", () => {
    const f = fakes({ pulumi: {} });
    const r = spawnSync("bash", ["scripts/deploy.sh", "prod", "up", "--", "--yes"], { encoding: "utf8", env: f.env });
    expect(r.status, r.stderr).toBe(0);
    const calls = f.calls();
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

  it("stops before up when the preview fails (a mandatory violation), exit 1", () => {
    // The real pack config is the test above's; here a stand-in npm writes one (a shell script: no node, no SDK
    // load), and preview must be given exactly the file it wrote.
    const f = fakes({ pulumi: { code: 255 }, npm: { writes: '{"k8s-mcp-namespace-pod-security-restricted":{}}' } });
    const r = spawnSync("bash", ["scripts/deploy.sh", "prod", "up"], { encoding: "utf8", env: f.env });
    expect(r.status).toBe(1);
    expect(f.calls()).toEqual([
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

  it("pushes as the release identity and pins gumstack:backend.image to <platformImages.repository>/backend@<digest>", () => {
    const f = fakes({ pulumi: {}, docker: {}, gcloud: { stdout: DIGEST, when: "artifacts*" } });
    const r = publish(f.env, "--impersonate", "gumstack-release@gumstack-admin.iam.gserviceaccount.com");
    expect(r.status, r.stderr).toBe(0);
    const image = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/backend";
    expect(f.calls()).toEqual([
      "gcloud auth print-access-token --impersonate-service-account=gumstack-release@gumstack-admin.iam.gserviceaccount.com",
      "docker login -u oauth2accesstoken --password-stdin https://us-west1-docker.pkg.dev",
      `docker build -t ${image}:4f2c1e9 ${context}`,
      `docker push ${image}:4f2c1e9`,
      `gcloud artifacts docker images describe ${image}:4f2c1e9 --format=value(image_summary.digest) --impersonate-service-account=gumstack-release@gumstack-admin.iam.gserviceaccount.com`,
      `pulumi config set --path gumstack:backend.image ${image}@${DIGEST} --stack prod --config-file ${stackFile}`,
    ]);
  });

  it("pins nothing when the registry's answer is not a digest (exit 1)", () => {
    const f = fakes({ pulumi: {}, docker: {}, gcloud: { stdout: "latest", when: "artifacts*" } });
    const r = publish(f.env);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/answered 'latest' for the digest .*, not sha256:<64 hex>$/);
    expect(f.calls().some((c) => c.startsWith("pulumi"))).toBe(false);
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
    const f = fakes({ docker: {}, gcloud: {} });
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

  it("copies the builder into the stack's tenant repository keeping its digest, and pins gumstack:build.builderImage to it", () => {
    const f = fakes({ gcloud: { stdout: "tok" }, skopeo: { stdout: MANIFEST, when: "inspect*" }, pulumi: {} });
    const r = run(f.env, "--image", "builder", "--source", SOURCE, "--impersonate", RELEASE, "--set");
    expect(r.status, r.stderr).toBe(0);
    const dest = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder:sha256-${SOURCE_DIGEST.slice(7)}`;
    const pinned = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@${SOURCE_DIGEST}`;
    expect(f.calls()).toEqual([
      `gcloud auth print-access-token --impersonate-service-account=${RELEASE}`,
      `skopeo copy --all --preserve-digests --src-creds oauth2accesstoken:tok --dest-creds oauth2accesstoken:tok docker://${SOURCE} docker://${dest}`,
      `skopeo inspect --raw --creds oauth2accesstoken:tok docker://${dest}`,
      `pulumi config set --path gumstack:build.builderImage ${pinned} --stack prod --config-file ${stackFile}`,
    ]);
    expect(r.stdout.trim()).toBe(`gumstack:build.builderImage = ${pinned} (stack prod, copied from ${SOURCE})`);
  });

  it("pins nothing when the copy in the tenant repository has another digest (exit 1)", () => {
    const f = fakes({ gcloud: { stdout: "tok" }, skopeo: { stdout: `${MANIFEST} `, when: "inspect*" }, pulumi: {} });
    const r = run(f.env, "--image", "canary", "--source", SOURCE.replace("/builder@", "/canary@"), "--set");
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /gumstack-canary\/canary:sha256-[0-9a-f]{64} has digest 'sha256:[0-9a-f]{64}', not the source's sha256:[0-9a-f]{64}: not pinning it$/,
    );
    expect(f.calls().some((c) => c.startsWith("pulumi"))).toBe(false);
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
