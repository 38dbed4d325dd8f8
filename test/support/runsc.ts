// Runs a container of a build pod for real under gVisor (`runsc --rootless --network=none --platform=ptrace`):
// the OCI bundle's mounts are derived from the container's volumeMounts in the Job manifest, each pod volume
// being one host directory shared by the containers that mount it (as the kubelet does), Secret volumes
// holding their items as files. The root filesystem is the host's, read-only, with the test's own directory
// masked by a tmpfs, so a container sees another container's volume only if its own manifest mounts it.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

type Obj = Record<string, any>;

/** Whether a command is on PATH (of `env`, default this process's). */
export function have(tool: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore", env }).status === 0;
}

export interface SandboxPod {
  /** Host directory holding this pod's volumes and runsc state (masked inside every container). */
  readonly base: string;
  /** Host directory of each pod volume, by volume name. */
  readonly volumes: Readonly<Record<string, string>>;
}

/** Host directories for the pod's volumes; Secret volumes get their items written from `secrets` (by Secret name). */
export function preparePod(podSpec: Obj, secrets: readonly Obj[] = []): SandboxPod {
  const base = mkdtempSync(join(tmpdir(), "gumstack-sandbox-"));
  chmodSync(base, 0o755);
  const volumes: Record<string, string> = {};
  for (const v of podSpec.volumes ?? []) {
    const dir = join(base, "volumes", v.name);
    mkdirSync(dir, { recursive: true });
    // emptyDirs are writable by every uid, as the kubelet makes them.
    chmodSync(dir, 0o1777);
    if (v.secret) {
      const secret = secrets.find((s) => s.metadata.name === v.secret.secretName);
      const data: Record<string, string> = secret?.stringData ?? {};
      const items: { key: string; path: string }[] = v.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        if (data[item.key] === undefined) continue;
        mkdirSync(dirname(join(dir, item.path)), { recursive: true });
        writeFileSync(join(dir, item.path), data[item.key]!, { mode: 0o444 });
      }
      chmodSync(dir, 0o755);
    }
    volumes[v.name] = dir;
  }
  mkdirSync(join(base, "state"), { recursive: true });
  return { base, volumes };
}

let specTemplate: Obj | undefined;
function defaultSpec(): Obj {
  if (!specTemplate) {
    const dir = mkdtempSync(join(tmpdir(), "gumstack-spec-"));
    execFileSync("runsc", ["spec", "--bundle", dir]);
    specTemplate = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Obj;
  }
  return structuredClone(specTemplate);
}

export interface RunOptions {
  /** The container of the pod spec whose mounts (and, unless overridden, uid and capabilities) are used. */
  readonly container: Obj;
  /** Command to run instead of the container's. Default the container's command. */
  readonly args?: readonly string[];
  /** Extra environment. The container's own env is always set. */
  readonly env?: Readonly<Record<string, string>>;
  /** Capabilities (without CAP_); default from the container's securityContext (add minus drop ALL). */
  readonly capabilities?: readonly string[];
  /** Extra mounts (host source -> destination), e.g. a local git origin. */
  readonly extraMounts?: readonly { source: string; destination: string; readonly?: boolean }[];
  /** Milliseconds before the run is killed. Default 20000. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

let seq = 0;
/** Runs one container of the pod under runsc. */
export function runContainer(pod: SandboxPod, opts: RunOptions): RunResult {
  const c = opts.container;
  const spec = defaultSpec();
  const bundle = mkdtempSync(join(pod.base, "bundle-"));
  const uid = c.securityContext?.runAsUser ?? 0;
  const caps = (opts.capabilities ?? c.securityContext?.capabilities?.add ?? []).map((x: string) => `CAP_${x}`);
  spec.root = { path: "/", readonly: true };
  spec.process.terminal = false;
  spec.process.user = { uid, gid: c.securityContext?.runAsGroup ?? uid };
  spec.process.args = [...(opts.args ?? c.command ?? [])];
  spec.process.cwd = "/";
  spec.process.env = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...(c.env ?? []).filter((e: Obj) => e.value !== undefined).map((e: Obj) => `${e.name}=${e.value}`),
    ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  spec.process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: [] };
  spec.process.noNewPrivileges = c.securityContext?.allowPrivilegeEscalation === false;
  const tmpfs = (destination: string) => ({ destination, type: "tmpfs", source: "tmpfs", options: ["rw", "nosuid", "nodev"] });
  const bind = (source: string, destination: string, ro: boolean) => ({
    destination,
    type: "bind",
    source,
    options: ["rbind", ro ? "ro" : "rw"],
  });
  spec.mounts = [
    ...spec.mounts.filter((m: Obj) => ["/proc", "/dev", "/sys", "/dev/pts", "/dev/shm", "/dev/mqueue"].includes(m.destination)),
    // The pod's own directory is invisible; what the container gets is only what its manifest mounts below.
    tmpfs(pod.base),
    tmpfs("/tmp"),
    tmpfs("/run"),
    tmpfs("/var/tmp"),
    tmpfs("/root"),
    // buildah writes its network lock directory here; the builder image has it writable.
    tmpfs("/etc/containers/networks"),
    ...(c.volumeMounts ?? []).map((m: Obj) => bind(pod.volumes[m.name]!, m.mountPath, m.readOnly === true)),
    ...(opts.extraMounts ?? []).map((m) => bind(m.source, m.destination, m.readonly !== false)),
  ];
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
  const id = `gumstack-${process.pid}-${++seq}`;
  const r = spawnSync(
    "runsc",
    ["--rootless", "--network=none", "--platform=ptrace", "--root", join(pod.base, "state"), "run", "--bundle", bundle, id],
    {
      encoding: "utf8",
      timeout: opts.timeoutMs ?? 20_000,
    },
  );
  spawnSync("runsc", ["--rootless", "--root", join(pod.base, "state"), "delete", "--force", id], { stdio: "ignore" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * runsc's version line, for skip messages; "runsc (not installed)" or "runsc (--version failed: ...)" when it
 * cannot say, so a test that names the version in its skip reason still skips with a message instead of crashing.
 */
export function runscVersion(env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync("runsc", ["--version"], { encoding: "utf8", env });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return "runsc (not installed)";
  const line = (r.stdout ?? "").split("\n")[0]?.trim();
  if (r.error || r.status !== 0 || !line)
    return `runsc (--version failed: ${r.error?.message ?? (r.stderr ?? "").trim().split("\n")[0] ?? `exit ${r.status}`})`;
  return line;
}
