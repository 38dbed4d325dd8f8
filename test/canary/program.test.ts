// The canary program run for real, as its image runs it (the Dockerfile's ENTRYPOINT, with this machine's Node
// 22), on loopback only: a forbidden destination that answers must show as a violation, a forbidden one that does
// not must not, a required one that does not answer must, and the results stay off the serving port.
// No traffic leaves 127.0.0.1: every probe address and both listeners are loopback.
import { spawn, type ChildProcess } from "node:child_process";
import * as dgram from "node:dgram";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  allowedEgress,
  expandHost,
  isViolation,
  parseConfig,
  renderMetrics,
  reportedAddress,
  runProbe,
  udpPayload,
  type Probe,
} from "../../canary/canary.js";

const LOOP = "127.0.0.1";

/** A free loopback port (the OS picks one, then it is released for the test to use). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, LOOP, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function get(port: number, path: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: LOOP, port, path, agent: false, timeout: 2000 }, (res) => {
        let body = "";
        res
          .setEncoding("utf8")
          .on("data", (c) => (body += c))
          .on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .once("error", reject);
  });
}

/** The value of one series in Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? "").matchAll(/([a-z_]+)="((?:\\.|[^"\\])*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe("the canary program, running", () => {
  const entry = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(readFileSync("canary/Dockerfile", "utf8"))![1]!) as string[];
  let child: ChildProcess;
  let listener: net.Server;
  let udpEcho: dgram.Socket;
  let other: http.Server;
  let ports: Record<"app" | "metrics" | "open" | "closed" | "udp" | "other", number>;
  let metrics = "";
  let stderr = "";

  beforeAll(async () => {
    ports = {
      app: await freePort(),
      metrics: await freePort(),
      open: await freePort(),
      closed: await freePort(),
      udp: 0,
      other: await freePort(),
    };
    listener = net.createServer((s) => s.end());
    await new Promise<void>((r) => listener.listen(ports.open, LOOP, () => r()));
    // A stand-in DNS server: answers any datagram, so a forbidden UDP destination is reached.
    udpEcho = dgram.createSocket("udp4");
    udpEcho.on("message", (msg, rinfo) => udpEcho.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((r) => udpEcho.bind(0, LOOP, () => r()));
    ports.udp = udpEcho.address().port;
    // Another "pod": answers /healthz with a different pod name than the canary's.
    other = http.createServer((_, res) => {
      res.writeHead(200, { "x-canary-pod": "another-pod" });
      res.end("ok");
    });
    await new Promise<void>((r) => other.listen(ports.other, LOOP, () => r()));

    const probe = (id: string, kind: Probe["kind"], port: number, expect: Probe["expect"], host = LOOP): Probe => ({
      id,
      group: "test",
      kind,
      host,
      port,
      expect,
    });
    const config = {
      intervalSeconds: 60,
      timeoutMs: 1000,
      concurrency: 4,
      neighbourAttempts: 2,
      probes: [
        probe("forbidden-open", "tcp", ports.open, "refused"),
        probe("forbidden-closed", "tcp", ports.closed, "refused"),
        probe("required-open", "tcp", ports.open, "reached"),
        probe("required-closed", "tcp", ports.closed, "reached"),
        probe("forbidden-udp-answers", "udp", ports.udp, "refused"),
        probe("neighbour-self", "neighbour", ports.app, "refused"),
        probe("neighbour-other", "neighbour", ports.other, "refused"),
        probe("revision-expanded", "tcp", ports.open, "refused", "${K_REVISION}"),
        // "localhost" resolves from /etc/hosts: no query leaves the machine.
        probe("dns-localhost", "dns", 0, "reached", "localhost"),
      ],
    };
    const [cmd, ...args] = entry;
    expect(cmd).toBe("node");
    child = spawn(
      process.execPath,
      args.map((a) => a.replace(/^\/canary\//, "canary/")),
      {
        env: {
          PATH: process.env.PATH,
          CANARY_CONFIG: JSON.stringify(config),
          CANARY_LISTEN_HOST: LOOP,
          PORT: String(ports.app),
          METRICS_PORT: String(ports.metrics),
          K_REVISION: LOOP,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stderr!.on("data", (c) => (stderr += c));
    // Bounded: the first round takes at most a second or two (1 s timeout, 4 at a time); give up after 15 s.
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      try {
        const r = await get(ports.metrics, "/metrics");
        if ((sample(r.body, "gumstack_canary_rounds_total") ?? 0) >= 1) {
          metrics = r.body;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics, `no completed round; stderr: ${stderr}`).not.toBe("");
  }, 20000);

  afterAll(async () => {
    child?.kill("SIGTERM");
    await Promise.all([new Promise((r) => listener?.close(r)), new Promise((r) => other?.close(r))]);
    udpEcho?.close();
  });

  it("marks a forbidden destination that answers as a violation, and one that does not as none", () => {
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "forbidden-open", expect: "refused" })).toBe(1);
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "forbidden-closed", expect: "refused" })).toBe(0);
    expect(sample(metrics, "gumstack_canary_probe_outcome", { probe: "forbidden-closed", outcome: "refused" })).toBe(1);
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "forbidden-udp-answers" })).toBe(1);
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "revision-expanded" })).toBe(1);
  });

  it("marks a required destination that does not answer as a violation", () => {
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "required-open", expect: "reached" })).toBe(1);
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "required-closed", expect: "reached" })).toBe(0);
  });

  it("tells a neighbour from itself: only another pod's answer counts", () => {
    expect(sample(metrics, "gumstack_canary_probe_outcome", { probe: "neighbour-self", outcome: "self" })).toBe(1);
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "neighbour-other" })).toBe(1);
  });

  it("counts the violations: 4 forbidden reached (tcp, udp, neighbour, expanded host) + 1 required unreached", () => {
    expect(sample(metrics, "gumstack_canary_violation")).toBe(5);
    expect(sample(metrics, "gumstack_canary_forbidden_answered")).toBe(1);
    expect(sample(metrics, "gumstack_canary_probes")).toBe(9);
    expect(sample(metrics, "gumstack_canary_probe_success", { probe: "dns-localhost", expect: "reached" })).toBe(1);
    expect(sample(metrics, "gumstack_canary_last_round_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it("serves health, not results, on the serving port", async () => {
    const health = await get(ports.app, "/healthz");
    expect(health.status).toBe(200);
    expect(health.headers["x-canary-pod"]).toBeTruthy();
    expect((await get(ports.app, "/metrics")).status).toBe(404);
  });
});

describe("the canary's own-node and egress-address probes", () => {
  it("expands ${HOST_IP}, and never probes localhost in place of an address the environment lacks", async () => {
    expect(expandHost("${HOST_IP}", { HOST_IP: "10.10.0.5" })).toBe("10.10.0.5");
    const probe: Probe = { id: "node:10250", group: "own-node", kind: "tcp", host: "${HOST_IP}", port: 10250, expect: "refused" };
    const cfg = parseConfig(JSON.stringify({ intervalSeconds: 60, timeoutMs: 500, concurrency: 1, neighbourAttempts: 1, probes: [probe] }));
    expect((await runProbe(probe, cfg, {})).outcome).toBe("unresolved");
  });

  it("reads the address a trace or echo answers, and reports a foreign source address as a violation", async () => {
    expect(reportedAddress("fl=1\nh=1.1.1.1\nip=203.0.113.7\nts=1\n")).toBe("203.0.113.7");
    expect(reportedAddress("198.51.100.2\n")).toBe("198.51.100.2");
    expect(reportedAddress("<html>")).toBeUndefined();
    expect(allowedEgress({ CANARY_EGRESS_IPS: "203.0.113.7, 203.0.113.8" })).toEqual(["203.0.113.7", "203.0.113.8"]);
    const server = http.createServer((_req, res) => res.end("ip=203.0.113.7\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const probe: Probe = {
        id: "egress-ip",
        group: "reach:egress-ip",
        kind: "egress-ip",
        host: `http://127.0.0.1:${port}/cdn-cgi/trace`,
        port,
        expect: "reached",
      };
      const cfg = parseConfig(
        JSON.stringify({ intervalSeconds: 60, timeoutMs: 2000, concurrency: 1, neighbourAttempts: 1, probes: [probe] }),
      );
      const ours = await runProbe(probe, cfg, { CANARY_EGRESS_IPS: "203.0.113.7,203.0.113.8" });
      expect(ours.outcome).toBe("open");
      expect(isViolation(ours)).toBe(false);
      const foreign = await runProbe(probe, cfg, { CANARY_EGRESS_IPS: "198.51.100.1" });
      expect(foreign.outcome).toBe("foreign");
      expect(isViolation(foreign)).toBe(true);
      // No allowed list at all: every address is foreign.
      expect(isViolation(await runProbe(probe, cfg, {}))).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("the canary program's pieces", () => {
  const cfg = {
    intervalSeconds: 60,
    timeoutMs: 3000,
    concurrency: 16,
    neighbourAttempts: 4,
    probes: [{ id: "a", group: "g", kind: "tcp", host: "10.0.0.1", port: 80, expect: "refused" }],
  };

  it("refuses a malformed CANARY_CONFIG naming the field", () => {
    expect(() => parseConfig(undefined)).toThrow(/^CANARY_CONFIG is empty/);
    expect(() => parseConfig("{")).toThrow(/^CANARY_CONFIG is not JSON/);
    expect(() => parseConfig(JSON.stringify({ ...cfg, timeoutMs: 5 }))).toThrow(
      /^CANARY_CONFIG\.timeoutMs must be an integer in 100-60000; got 5$/,
    );
    expect(() => parseConfig(JSON.stringify({ ...cfg, probes: [] }))).toThrow(/probes must be a non-empty list/);
    expect(() => parseConfig(JSON.stringify({ ...cfg, probes: [cfg.probes[0], cfg.probes[0]] }))).toThrow(
      /^CANARY_CONFIG\.probes\[1\] needs a unique/,
    );
    expect(() => parseConfig(JSON.stringify({ ...cfg, probes: [{ ...cfg.probes[0], kind: "icmp" }] }))).toThrow(/kind must be one of/);
    expect(() => parseConfig(JSON.stringify({ ...cfg, probes: [{ ...cfg.probes[0], expect: "maybe" }] }))).toThrow(/expect must be/);
    expect(parseConfig(JSON.stringify(cfg)).probes).toHaveLength(1);
  });

  it("never counts an answer from the canary itself, and escapes label values", () => {
    const p = cfg.probes[0] as Probe;
    expect(isViolation({ probe: p, outcome: "self" })).toBe(false);
    expect(isViolation({ probe: { ...p, expect: "reached" }, outcome: "self" })).toBe(false);
    expect(isViolation({ probe: { ...p, expect: "reached" }, outcome: "timeout" })).toBe(true);
    const text = renderMetrics({
      results: [{ probe: { ...p, id: 'a"b\\c' }, outcome: "open" }],
      rounds: 1,
      lastRoundSeconds: 1,
      lastRoundDuration: 0.1,
      probes: 1,
    });
    expect(text).toContain('gumstack_canary_probe_success{probe="a\\"b\\\\c",group="g",expect="refused"} 1');
  });

  it("sends a real DNS query and a real NTP request, so a reply proves reach", () => {
    const q = udpPayload(53);
    expect(q.readUInt16BE(4)).toBe(1); // QDCOUNT
    expect(q.subarray(12)).toEqual(Buffer.from([0x00, 0x00, 0x02, 0x00, 0x01])); // root, NS, IN
    expect(udpPayload(123)).toHaveLength(48);
    expect(udpPayload(123)[0]).toBe(0x1b); // LI 0, version 3, mode 3 (client)
  });
});
