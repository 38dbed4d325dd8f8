// Runs a container of a build pod on the host kernel, for the steps whose claim is about what the step's script
// does with its input rather than about the sandbox (the push step against a registry on loopback, which
// `runsc --rootless` cannot reach: its sandbox gets a network namespace of its own). The container gets exactly
// the mounts its manifest names (the same host directories as test/support/runsc.ts prepares), a read-only root
// made of the host's /usr and /etc, a fresh /dev with /dev/termination-log, its uid and group, and only the
// capabilities its securityContext adds (bounding set too), with no_new_privs when it sets
// allowPrivilegeEscalation false. The host network is shared: that is the point. Needs root (mount namespaces).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunOptions, RunResult, SandboxPod } from "./runsc.js";

type Obj = Record<string, any>;

export const canRunHostPods = (): boolean => process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v unshare setpriv"]).status === 0;

export interface HostRunResult extends RunResult {
  /** What the container wrote to /dev/termination-log. */
  readonly terminationMessage: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function runOnHost(pod: SandboxPod, opts: RunOptions): HostRunResult {
  const c: Obj = opts.container;
  const root = mkdtempSync(join(pod.base, "root-"));
  const termination = join(mkdtempSync(join(pod.base, "term-")), "termination-log");
  writeFileSync(termination, "");
  chmodSync(termination, 0o666);
  const uid = c.securityContext?.runAsUser ?? 0;
  const gid = c.securityContext?.runAsGroup ?? uid;
  const caps: string[] = opts.capabilities ? [...opts.capabilities] : (c.securityContext?.capabilities?.add ?? []);
  const capList = caps.map((x) => `+${x.toLowerCase()}`).join(",");
  const setup: string[] = ["set -eu", `R=${q(root)}`, 'mount -t tmpfs -o mode=755 tmpfs "$R"'];
  for (const d of ["usr", "etc"]) setup.push(`mkdir "$R/${d}"`, `mount --rbind /${d} "$R/${d}"`, `mount -o remount,bind,ro "$R/${d}"`);
  for (const l of ["bin", "sbin", "lib", "lib64"]) {
    const p = `/${l}`;
    if (existsSync(p) && lstatSync(p).isSymbolicLink()) setup.push(`ln -s ${q(readlinkSync(p))} "$R/${l}"`);
  }
  setup.push(
    'mkdir -p "$R/dev" "$R/proc" "$R/tmp" "$R/run" "$R/var/tmp" "$R/root" "$R/etc-networks"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/dev"',
    ...["null", "zero", "random", "urandom"].map((d) => `touch "$R/dev/${d}" && mount --bind /dev/${d} "$R/dev/${d}"`),
    `touch "$R/dev/termination-log" && mount --bind ${q(termination)} "$R/dev/termination-log"`,
    'mount -t proc proc "$R/proc"',
    'mkdir "$R/sys" && mount --rbind /sys "$R/sys" && mount -o remount,bind,ro "$R/sys"',
    ...["tmp", "run", "var/tmp", "root"].map((d) => `mount -t tmpfs -o mode=1777 tmpfs "$R/${d}"`),
    // buildah writes its network lock directory here (as in runsc.ts).
    'mount -t tmpfs tmpfs "$R/etc/containers/networks" 2>/dev/null || true',
  );
  const mounts: { source: string; destination: string; ro: boolean }[] = [
    ...(c.volumeMounts ?? []).map((m: Obj) => ({ source: pod.volumes[m.name]!, destination: m.mountPath, ro: m.readOnly === true })),
    ...(opts.extraMounts ?? []).map((m) => ({ source: m.source, destination: m.destination, ro: m.readonly !== false })),
  ];
  for (const m of mounts) {
    // /var/run is /run in the images this runs (and a symlink on the host): mount under the target, never through it.
    const dest = m.destination.replace(/^\/var\/run\//, "/run/");
    setup.push(`mkdir -p "$R${dest}"`, `mount --bind ${q(m.source)} "$R${dest}"`);
    if (m.ro) setup.push(`mount -o remount,bind,ro "$R${dest}"`);
  }
  setup.push('ln -s /run "$R/var/run"', 'mount -o remount,ro "$R"');
  const env = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...(c.env ?? []).filter((e: Obj) => e.value !== undefined).map((e: Obj) => `${e.name}=${e.value}`),
    ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  const priv = [
    "setpriv",
    `--reuid=${uid}`,
    `--regid=${gid}`,
    "--clear-groups",
    `--inh-caps=-all${capList ? `,${capList}` : ""}`,
    `--bounding-set=-all${capList ? `,${capList}` : ""}`,
    ...(uid !== 0 && capList ? [`--ambient-caps=-all,${capList}`] : []),
    ...(c.securityContext?.allowPrivilegeEscalation === false ? ["--no-new-privs"] : []),
  ];
  const args = [...(opts.args ?? c.command ?? [])];
  setup.push(`cd "$R" && exec chroot "$R" ${priv.map(q).join(" ")} env -i ${env.map(q).join(" ")} ${args.map(q).join(" ")}`);
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", setup.join("\n")], {
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 30_000,
  });
  return {
    status: r.status,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    terminationMessage: readFileSync(termination, "utf8"),
  };
}
