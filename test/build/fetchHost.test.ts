// The fetch step's token goes to the one git host and nowhere else, for real: the step's own script
// (FETCH_SCRIPT, with the fetch container's mounts, uid and environment) against HTTP servers on loopback that
// demand credentials or redirect elsewhere; git's own credential machinery with the script's helper for the
// host check. The helper is scoped to https://<GIT_HOST>, and git follows no redirect.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJobManifest, buildSecretManifests, FETCH_SCRIPT, type BuildRequest } from "../../components/kubernetes/buildJob.js";
import { canRunHostPods, runOnHost } from "../support/hostPod.js";
import { have, preparePod } from "../support/runsc.js";

type Obj = Record<string, any>;
const TOKEN = "ghs_test0nlyInstallationTokenForHostScope1";
const REQUEST: BuildRequest = {
  buildId: "gh1",
  tenantId: "acme",
  server: "weather",
  gitUrl: "https://github.com/acme/weather-mcp.git",
  gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
  imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
};
const job = buildJobManifest(
  { builderImage: `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"8".repeat(64)}` },
  REQUEST,
);
const spec: Obj = job.spec.template.spec;
const fetchContainer: Obj = spec.initContainers.find((c: Obj) => c.name === "fetch");
const secrets = buildSecretManifests({}, REQUEST, { job: { name: job.metadata.name, uid: "u1" }, gitToken: TOKEN, pushToken: "ya29.x" });
const ready = canRunHostPods() && have("git") && have("python3");

// Two servers: /ask answers 401 asking for Basic credentials; /redirect answers 302 to the other server. Every
// request is logged with its Authorization header.
const SERVERS = `
import http.server, sys, threading
log = open(sys.argv[1], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write("%s %s %s\\n" % (self.server.server_port, self.path, self.headers.get("Authorization", "-")))
        if self.path.startswith("/redirect/"):
            self.send_response(302); self.send_header("Location", "http://127.0.0.1:%s/ask/" % sys.argv[3] + self.path[len("/redirect/"):]); self.end_headers()
        else:
            self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="git"'); self.end_headers()
    def log_message(self, *a): pass
a = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H)
b = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), H)
threading.Thread(target=b.serve_forever, daemon=True).start()
print("ready", flush=True)
a.serve_forever()
`;
let servers: ChildProcess | undefined;
let log = "";
const ports = [0, 0];
beforeAll(async () => {
  if (!ready) return;
  const dir = mkdtempSync(join(tmpdir(), "gumstack-githost-"));
  log = join(dir, "requests.log");
  writeFileSync(log, "");
  ports[0] = 20000 + (process.pid % 20000);
  ports[1] = ports[0] + 1;
  servers = spawn("python3", ["-c", SERVERS, log, String(ports[0]), String(ports[1])], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    servers!.stdout!.once("data", () => resolve());
    servers!.once("exit", (code) => reject(new Error(`servers exited ${code}`)));
  });
});
afterAll(() => servers?.kill());

const fetchFrom = (gitUrl: string) =>
  runOnHost(preparePod(spec, secrets), { container: fetchContainer, env: { GIT_URL: gitUrl }, timeoutMs: 30_000 });
const requests = () => readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
const basic = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

describe.skipIf(!ready)(`the fetch step's token${ready ? "" : " (skipped: needs root, unshare, setpriv, git, python3)"}`, () => {
  it("is never sent to a host that is not GIT_HOST, even when that host asks for credentials", () => {
    const r = fetchFrom(`http://127.0.0.1:${ports[0]}/ask/acme/weather-mcp.git`);
    expect(r.status).not.toBe(0);
    const asked = requests().filter((l) => l.startsWith(`${ports[0]} /ask/`));
    expect(asked.length, r.stderr).toBeGreaterThan(0);
    expect(asked.join("\n")).not.toContain(basic);
    expect(
      asked.every((l) => l.endsWith(" -")),
      asked.join("\n"),
    ).toBe(true);
  });

  it("is never sent to a redirect target: git does not follow the redirect at all", () => {
    const before = requests().filter((l) => l.startsWith(`${ports[1]} `)).length;
    const r = fetchFrom(`http://127.0.0.1:${ports[0]}/redirect/acme/weather-mcp.git`);
    expect(r.status).not.toBe(0);
    expect(requests().some((l) => l.startsWith(`${ports[0]} /redirect/`))).toBe(true);
    expect(requests().filter((l) => l.startsWith(`${ports[1]} `)).length).toBe(before);
  });

  it("is what git's credential machinery gives for https://GIT_HOST only, with the script's own helper", () => {
    const helper = /^ {2}helper=(.*)$/m.exec(FETCH_SCRIPT)![1]!;
    const pod = preparePod(spec, secrets);
    const fill = (host: string) =>
      runOnHost(pod, {
        container: fetchContainer,
        args: [
          "/bin/sh",
          "-c",
          `helper=${helper}\nprintf 'protocol=https\\nhost=%s\\n\\n' "$1" | git -c credential.helper= -c "credential.https://$GIT_HOST.helper=$helper" credential fill`,
          "fill",
          host,
        ],
      });
    const github = fill("github.com");
    expect(github.status, github.stderr).toBe(0);
    expect(github.stdout).toContain(`password=${TOKEN}`);
    for (const other of ["evil.example", "github.com.evil.example", "gist.github.com"]) {
      const r = fill(other);
      expect(r.stdout, other).not.toContain(TOKEN);
    }
    expect(spawnSync("sh", ["-n", "-c", FETCH_SCRIPT]).status).toBe(0);
  });
});
