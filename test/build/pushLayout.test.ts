// What the build hands to the registry, for real: the push step's own script (PUSH_SCRIPT, exactly as
// buildJobManifest writes it into the push container) run with the push container's mounts, uid, no
// capabilities and no_new_privs (test/support/hostPod.ts), with skopeo, against a real registry on loopback
// (Debian's docker-registry, one per file). Each hostile layout the untrusted build step could write is refused
// and the registry holds nothing of it; a clean layout is pushed and is readable by the digest the step reports.
// Then the build step's script itself (buildah, with exactly the build container's capabilities) writes a
// layout that the push step pushes: the claim of the sandbox test that gVisor 2022 cannot run, shown here on the
// host kernel (test/build/sandbox.test.ts has the gVisor half).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUILD_SCRIPT,
  buildJobManifest,
  buildSecretManifests,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
  PUSH_SCRIPT,
  type BuildRequest,
} from "../../components/kubernetes/buildJob.js";
import { canRunHostPods, runOnHost } from "../support/hostPod.js";
import { have, preparePod, type SandboxPod } from "../support/runsc.js";

type Obj = Record<string, any>;
const SHA = "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e";
const BUILDER = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"8".repeat(64)}`;
const REQUEST: BuildRequest = {
  buildId: "push1",
  tenantId: "acme",
  server: "weather",
  gitUrl: "https://github.com/acme/weather-mcp.git",
  gitSha: SHA,
  imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
};
const job = buildJobManifest({ builderImage: BUILDER }, REQUEST);
const spec: Obj = job.spec.template.spec;
const container = (name: string): Obj => [...spec.initContainers, ...spec.containers].find((c: Obj) => c.name === name);
const secrets = buildSecretManifests({}, REQUEST, { job: { name: job.metadata.name, uid: "u1" }, pushToken: "ya29.test-only" });

const ready = canRunHostPods() && have("docker-registry") && have("skopeo") && have("jq");
const why = ready ? "" : " (skipped: needs root, unshare, setpriv, docker-registry, skopeo and jq)";

// ---- OCI layouts, written by hand: every blob named by its sha256, as an image layout is.
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
/** A one-file tar (ustar), enough for a layer. */
function tar(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(body.length.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad, Buffer.alloc(1024)]);
}

interface Layout {
  index: Obj;
  manifest: Obj;
  blobs: Map<string, Buffer>;
}
function cleanLayout(text = "weather\n"): Layout {
  const layerTar = tar("srv/server.txt", text);
  const layer = gzipSync(layerTar);
  const config = json({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layerTar)}`] },
    config: { Cmd: ["/bin/cat", "/srv/server.txt"] },
  });
  const blobs = new Map<string, Buffer>([
    [sha256(layer), layer],
    [sha256(config), config],
  ]);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: `sha256:${sha256(config)}`, size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${sha256(layer)}`, size: layer.length }],
  };
  return { index: { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }, manifest, blobs };
}
/** Writes the layout into the pod's layout volume: the manifest as a blob, the index pointing at it (tagged SHA). */
function write(pod: SandboxPod, l: Layout, opts: { indexAsIs?: boolean } = {}): string {
  const dir = join(pod.volumes.layout!, "image");
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const m = json(l.manifest);
  l.blobs.set(sha256(m), m);
  for (const [hex, b] of l.blobs) writeFileSync(join(dir, "blobs", "sha256", hex), b);
  const index = opts.indexAsIs
    ? l.index
    : {
        ...l.index,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: `sha256:${sha256(m)}`,
            size: m.length,
            annotations: { "org.opencontainers.image.ref.name": SHA },
          },
          ...l.index.manifests,
        ],
      };
  writeFileSync(join(dir, "index.json"), JSON.stringify(index));
  return `sha256:${sha256(m)}`;
}

// ---- One registry for the file.
let registry: ChildProcess | undefined;
let host = "";
let storage = "";
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
const api = async (path: string, accept = OCI_MANIFEST) => {
  const r = await fetch(`http://${host}${path}`, { headers: { accept } });
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
};
const catalog = async (): Promise<string[]> => JSON.parse((await api("/v2/_catalog", "application/json")).body.toString()).repositories;

beforeAll(async () => {
  if (!ready) return;
  const dir = mkdtempSync(join(tmpdir(), "gumstack-registry-"));
  storage = join(dir, "storage");
  host = `127.0.0.1:${await freePort()}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${storage}`,
      "http:",
      `  addr: ${host}`,
    ].join("\n"),
  );
  registry = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://${host}/v2/`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${host}`);
});
afterAll(() => {
  registry?.kill();
});

/** The push container, as the Job makes it, pushing to `<registry on loopback>/mcp-prod/<repo>:<sha>`. */
function push(pod: SandboxPod, repo: string) {
  // skopeo speaks plain HTTP to this one registry only: a drop-in of containers-registries.conf(5) mounted over
  // the image's registries.conf.d. The script and its environment are the Job's but for DESTINATION's host.
  const conf = mkdtempSync(join(pod.base, "registries-"));
  chmodSync(conf, 0o755);
  writeFileSync(join(conf, "loopback.conf"), `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  return runOnHost(pod, {
    container: container("push"),
    env: { DESTINATION: `${host}/mcp-prod/${repo}:${SHA}` },
    extraMounts: [{ source: conf, destination: "/etc/containers/registries.conf.d" }],
  });
}

const nothingWritten = async (repo: string) => {
  expect(await catalog()).not.toContain(`mcp-prod/${repo}`);
  expect((await api(`/v2/mcp-prod/${repo}/tags/list`, "application/json")).status).toBe(404);
};

type Hostile = [title: string, mutate: (l: Layout) => void, reason: RegExp, opts?: { indexAsIs?: boolean }];
const HOSTILE: Hostile[] = [
  [
    "a layer with foreign urls (containerd would fetch them from the node)",
    (l) => (l.manifest.layers[0].urls = ["http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token"]),
    /layer 0 names a fetch location \(urls\)/,
  ],
  [
    "a Docker foreign layer type with urls",
    (l) =>
      Object.assign(l.manifest.layers[0], {
        mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        urls: ["https://10.0.0.1/layer.tar.gz"],
      }),
    /layer 0 names a fetch location \(urls\)[\s\S]*layer 0 is non-distributable/,
  ],
  [
    "a non-distributable OCI layer without urls",
    (l) => (l.manifest.layers[0].mediaType = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
    /layer 0 is non-distributable \(application\/vnd\.oci\.image\.layer\.nondistributable\.v1\.tar\+gzip\)/,
  ],
  [
    "an unknown layer media type",
    (l) => (l.manifest.layers[0].mediaType = "application/x-anything"),
    /layer 0 has media type application\/x-anything/,
  ],
  [
    "a config with urls",
    (l) => (l.manifest.config.urls = ["http://metadata.google.internal/"]),
    /the config names a fetch location \(urls\)/,
  ],
  [
    "an unknown config media type",
    (l) => (l.manifest.config.mediaType = "application/vnd.cncf.helm.config.v1+json"),
    /the config has media type/,
  ],
  [
    "a manifest with a subject (a referrer)",
    (l) => (l.manifest.subject = { ...l.manifest.config, mediaType: OCI_MANIFEST }),
    /the manifest has a subject/,
  ],
  [
    "a manifest with an artifactType",
    (l) => (l.manifest.artifactType = "application/x-evil"),
    /the manifest has a field an image does not need: artifactType/,
  ],
  [
    "a manifest that is also an index (manifests inside)",
    (l) => (l.manifest.manifests = [l.manifest.config]),
    /the manifest has a field an image does not need: manifests/,
  ],
  [
    "a layer with embedded data",
    (l) => (l.manifest.layers[0].data = Buffer.from("x").toString("base64")),
    /layer 0 has a field an image does not need: data/,
  ],
  [
    "a Docker schema 2 manifest",
    (l) => (l.manifest.mediaType = "application/vnd.docker.distribution.manifest.v2+json"),
    /the manifest media type is/,
  ],
  [
    "an index with a second manifest",
    (l) =>
      l.index.manifests.push({
        mediaType: OCI_MANIFEST,
        digest: l.manifest.config.digest,
        size: 10,
        annotations: { "org.opencontainers.image.ref.name": "other" },
      }),
    /index\.json lists 2 manifests: a build pushes exactly one image/,
  ],
  [
    "a nested index",
    (l) => {
      const inner = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
      l.blobs.set(sha256(inner), inner);
      l.index.manifests = [
        {
          mediaType: OCI_INDEX,
          digest: `sha256:${sha256(inner)}`,
          size: inner.length,
          annotations: { "org.opencontainers.image.ref.name": SHA },
        },
      ];
    },
    /the index manifest has media type application\/vnd\.oci\.image\.index\.v1\+json/,
    { indexAsIs: true },
  ],
  ["an index with a subject", (l) => (l.index.subject = { mediaType: OCI_MANIFEST }), /index\.json has a subject/],
];

describe.skipIf(!ready)(`the push step against a registry on loopback${why}`, () => {
  it.each(HOSTILE)("refuses %s, and the registry holds nothing of it", async (_title, mutate, reason, opts) => {
    const pod = preparePod(spec, secrets);
    const l = cleanLayout();
    mutate(l);
    write(pod, l, opts);
    const repo = `acme/hostile-${sha256(_title).slice(0, 8)}`;
    const r = push(pod, repo);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^refused: /);
    expect(r.stderr).toMatch(reason);
    expect(r.terminationMessage).toBe("");
    await nothingWritten(repo);
  });

  it("refuses a manifest blob that does not hash to its digest, a stray file and a link, before skopeo runs", async () => {
    const cases: [string, (pod: SandboxPod, digest: string) => void, RegExp][] = [
      [
        "tampered",
        (pod, digest) =>
          writeFileSync(
            join(pod.volumes.layout!, "image", "blobs", "sha256", digest.slice(7)),
            JSON.stringify({ schemaVersion: 2 }).padEnd(10),
          ),
        /the manifest('s size is not the index's| does not hash to)/,
      ],
      [
        "stray",
        (pod) => writeFileSync(join(pod.volumes.layout!, "image", "notes.txt"), "x"),
        /the OCI layout holds \/layout\/image\/notes\.txt/,
      ],
      [
        "link",
        (pod) => symlinkSync("/var/run/gumstack/push/config.json", join(pod.volumes.layout!, "image", "blobs", "sha256", "e".repeat(64))),
        /the OCI layout holds a link or special file/,
      ],
    ];
    for (const [name, spoil, reason] of cases) {
      const pod = preparePod(spec, secrets);
      const digest = write(pod, cleanLayout());
      spoil(pod, digest);
      const repo = `acme/${name}`;
      const r = push(pod, repo);
      expect(r.status, `${name}: ${r.stderr}`).toBe(1);
      expect(r.stderr, name).toMatch(reason);
      await nothingWritten(repo);
    }
  });

  it("pushes a clean layout, reports the vetted digest, and the registry serves exactly it by digest", async () => {
    const pod = preparePod(spec, secrets);
    const digest = write(pod, cleanLayout());
    const r = push(pod, "acme/weather");
    expect(r.status, r.stderr).toBe(0);
    expect(r.terminationMessage).toBe(digest);
    expect(await catalog()).toEqual(expect.arrayContaining(["mcp-prod/acme/weather"]));
    const m = await api(`/v2/mcp-prod/acme/weather/manifests/${digest}`);
    expect(m.status).toBe(200);
    expect(`sha256:${sha256(m.body)}`).toBe(digest);
    const layer = JSON.parse(m.body.toString()).layers[0];
    const blob = await api(`/v2/mcp-prod/acme/weather/blobs/${layer.digest}`, "*/*");
    expect(`sha256:${sha256(blob.body)}`).toBe(layer.digest);
    expect(JSON.parse((await api("/v2/mcp-prod/acme/weather/tags/list", "application/json")).body.toString()).tags).toEqual([SHA]);
  });

  // The build step's own script on the host kernel, with exactly the build container's capabilities: the layout
  // it writes is what the push step vets and pushes (under gVisor, sandbox.test.ts runs it up to the commit).
  it.skipIf(!have("buildah") || !have("busybox"))("pushes the layout that the build step's script (buildah) writes", async () => {
    const pod = preparePod(spec, secrets);
    const src = join(pod.volumes.workspace!, "src");
    const rootfs = mkdtempSync(join(tmpdir(), "gumstack-rootfs-"));
    mkdirSync(join(rootfs, "bin"));
    cpSync(spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim(), join(rootfs, "bin", "busybox"));
    for (const app of ["sh", "cat"]) symlinkSync("busybox", join(rootfs, "bin", app));
    mkdirSync(src, { recursive: true });
    spawnSync("tar", ["-C", rootfs, "-cf", join(src, "rootfs.tar"), "."]);
    rmSync(rootfs, { recursive: true });
    writeFileSync(join(src, "server.txt"), "weather\n");
    writeFileSync(
      join(src, "Dockerfile"),
      'FROM scratch\nADD rootfs.tar /\nCOPY server.txt /srv/server.txt\nRUN ["/bin/cat", "/srv/server.txt"]\nCMD ["/bin/cat", "/srv/server.txt"]\n',
    );
    const b = runOnHost(pod, { container: container("build"), args: ["/bin/sh", "-c", BUILD_SCRIPT], timeoutMs: 60_000 });
    expect(b.status, `${b.stdout}\n${b.stderr}`).toBe(0);
    expect(b.stdout).toContain("STEP 4/5: RUN");
    const r = push(pod, "acme/built");
    expect(r.status, r.stderr).toBe(0);
    const m = await api(`/v2/mcp-prod/acme/built/manifests/${r.terminationMessage}`);
    expect(`sha256:${sha256(m.body)}`).toBe(r.terminationMessage);
    expect(JSON.parse(m.body.toString()).mediaType).toBe(OCI_MANIFEST);
  });

  it("the script is what the push container runs, and valid sh", () => {
    expect(container("push").command).toEqual(["/bin/sh", "-c", PUSH_SCRIPT]);
    expect(spawnSync("sh", ["-n", "-c", PUSH_SCRIPT]).status).toBe(0);
    expect(storage).not.toBe("");
  });
});
