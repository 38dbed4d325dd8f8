// The isolation canary: a platform-owned MCP server that runs under exactly a tenant's restrictions and keeps
// trying to reach what tenants must never reach (metadata server, private and cluster ranges, the Kubernetes API,
// a neighbouring MCP server, non-web ports on the internet), and what they must reach (the public internet on
// 80/443). Results are Prometheus metrics; a forbidden destination reached, or a required one not reached, is a
// violation. The probe list is generated at plan time (components/serving/isolationCanaryManifests.ts) from the same
// data the policy pack judges, and arrives as JSON in CANARY_CONFIG.
//
// Node 22 runs this file as is (type stripping, on by default since Node 22.18): only erasable TypeScript, and
// no dependency beyond Node's own modules, so the image is the Node runtime plus this one file.
import * as dgram from "node:dgram";
import * as dns from "node:dns/promises";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import { pathToFileURL } from "node:url";

export type ProbeKind = "tcp" | "udp" | "https" | "neighbour" | "dns" | "egress-ip";
export type Expect = "refused" | "reached";
/**
 * What happened: open (handshake, reply or response; for egress-ip: the public source address is an allowed one),
 * refused (an RST or ICMP refusal came back), foreign (egress-ip: the internet saw another source address), ...
 */
export type Outcome = "open" | "refused" | "timeout" | "unreachable" | "unresolved" | "self" | "foreign";

export interface Probe {
  /** Metric label: unique, stable (e.g. "169.254.169.254:80/tcp"). */
  readonly id: string;
  /** What the probe stands for (e.g. "egress:169.254.0.0/16"), a metric label. */
  readonly group: string;
  readonly kind: ProbeKind;
  /**
   * Address or DNS name; "${K_REVISION}", "${K_SERVICE}" and "${HOST_IP}" (the pod's node, from the downward API)
   * are replaced from the environment. For https and egress-ip: a URL.
   */
  readonly host: string;
  readonly port: number;
  readonly expect: Expect;
}

export interface CanaryConfig {
  readonly intervalSeconds: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** Attempts of a neighbour probe per round, to get past the connections that land on this very pod. */
  readonly neighbourAttempts: number;
  readonly probes: readonly Probe[];
}

export interface Result {
  readonly probe: Probe;
  readonly outcome: Outcome;
}

const KINDS: readonly string[] = ["tcp", "udp", "https", "neighbour", "dns", "egress-ip"];
/** Header /healthz answers with, so a neighbour probe can tell another pod from itself. */
export const POD_HEADER = "x-canary-pod";

/** Parses and checks CANARY_CONFIG; throws one line naming the field on anything malformed. */
export function parseConfig(text: string | undefined): CanaryConfig {
  if (!text) throw new Error("CANARY_CONFIG is empty: it must hold the generated probe list (JSON)");
  let raw: any;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`CANARY_CONFIG is not JSON: ${(err as Error).message}`);
  }
  const int = (name: string, min: number, max: number): number => {
    const v = raw?.[name];
    if (!Number.isInteger(v) || v < min || v > max)
      throw new Error(`CANARY_CONFIG.${name} must be an integer in ${min}-${max}; got ${JSON.stringify(v)}`);
    return v;
  };
  const cfg = {
    intervalSeconds: int("intervalSeconds", 1, 3600),
    timeoutMs: int("timeoutMs", 100, 60000),
    concurrency: int("concurrency", 1, 256),
    neighbourAttempts: int("neighbourAttempts", 1, 20),
    probes: [] as Probe[],
  };
  if (!Array.isArray(raw.probes) || raw.probes.length === 0) throw new Error("CANARY_CONFIG.probes must be a non-empty list");
  const ids = new Set<string>();
  raw.probes.forEach((p: any, i: number) => {
    const bad = (why: string): never => {
      throw new Error(`CANARY_CONFIG.probes[${i}] ${why}; got ${JSON.stringify(p)}`);
    };
    if (typeof p?.id !== "string" || p.id === "" || ids.has(p.id)) bad("needs a unique, non-empty id");
    if (typeof p.group !== "string" || p.group === "") bad("needs a group");
    if (!KINDS.includes(p.kind)) bad(`kind must be one of ${KINDS.join(", ")}`);
    if (typeof p.host !== "string" || p.host === "") bad("needs a host");
    if (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535) bad("port must be 0-65535");
    if (p.expect !== "refused" && p.expect !== "reached") bad('expect must be "refused" or "reached"');
    ids.add(p.id);
    cfg.probes.push({ id: p.id, group: p.group, kind: p.kind, host: p.host, port: p.port, expect: p.expect });
  });
  return cfg;
}

/**
 * Replaces ${K_REVISION} and ${K_SERVICE} (Knative sets both in every revision's container) and ${HOST_IP} (the
 * canary's manifest sets it from status.hostIP) from `env`.
 */
export function expandHost(host: string, env: NodeJS.ProcessEnv): string {
  return host.replace(/\$\{(K_REVISION|K_SERVICE|HOST_IP)\}/g, (_, name: string) => env[name] ?? "");
}

/** The client address a "what is my address" answer reports: Cloudflare's trace (`ip=...` line) or a bare address. */
export function reportedAddress(body: string): string | undefined {
  const line = /^ip=(\S+)$/m.exec(body);
  const ip = (line ? line[1] : body.trim()) ?? "";
  return net.isIP(ip) ? ip : undefined;
}

/** The allowed public source addresses (CANARY_EGRESS_IPS, comma-separated: the stack's tenantEgressIps). */
export function allowedEgress(env: NodeJS.ProcessEnv): string[] {
  return (env.CANARY_EGRESS_IPS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function classify(err: unknown): Outcome {
  const code = (err as NodeJS.ErrnoException)?.code ?? (err as { cause?: NodeJS.ErrnoException })?.cause?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ENODATA") return "unresolved";
  if (
    code === "ETIMEDOUT" ||
    code === "ABORT_ERR" ||
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    (err as Error)?.name === "TimeoutError" ||
    (err as Error)?.name === "AbortError"
  )
    return "timeout";
  return "unreachable";
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs, autoSelectFamily: false });
    const done = (o: Outcome) => {
      socket.destroy();
      resolve(o);
    };
    socket.once("connect", () => done("open"));
    socket.once("timeout", () => done("timeout"));
    socket.once("error", (err) => done(classify(err)));
  });
}

/** A DNS query for the root's NS records (any resolver answers it), or an NTP client request: a reply is proof of reach. */
export function udpPayload(port: number): Buffer {
  if (port === 123) return Buffer.concat([Buffer.from([0x1b]), Buffer.alloc(47)]);
  if (port === 53)
    return Buffer.from([0x4a, 0x11, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
  return Buffer.from([0]);
}

async function udpProbe(host: string, port: number, timeoutMs: number): Promise<Outcome> {
  let address = host;
  if (net.isIP(host) === 0) {
    try {
      address = (await dns.lookup(host)).address;
    } catch (err) {
      return classify(err);
    }
  }
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(address) ? "udp6" : "udp4");
    let settled = false;
    const done = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(o);
    };
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    // A connected socket only receives datagrams from that address: a reply is from the probed destination.
    socket.once("message", () => done("open"));
    socket.once("error", (err) => done(classify(err)));
    socket.connect(port, address, () =>
      socket.send(udpPayload(port), (err) => {
        if (err) done(classify(err));
      }),
    );
  });
}

async function httpsProbe(url: string, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return "open";
  } catch (err) {
    return classify((err as { cause?: unknown }).cause ?? err);
  }
}

/** Asks a public "what is my address" URL and compares the answer with the allowed tenant egress addresses. */
async function egressIpProbe(url: string, timeoutMs: number, allowed: readonly string[]): Promise<Outcome> {
  try {
    const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const ip = reportedAddress(await res.text());
    if (ip === undefined) return "unresolved";
    return allowed.includes(ip) ? "open" : "foreign";
  } catch (err) {
    return classify((err as { cause?: unknown }).cause ?? err);
  }
}

async function dnsProbe(name: string): Promise<Outcome> {
  try {
    await dns.lookup(name);
    return "open";
  } catch (err) {
    return classify(err);
  }
}

/** GET /healthz on a (Service) address; "self" when the connection landed on this very pod. */
function neighbourOnce(host: string, port: number, timeoutMs: number, self: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: "/healthz", timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.headers[POD_HEADER] === self ? "self" : "open");
    });
    req.once("timeout", () => {
      req.destroy();
      resolve("timeout");
    });
    req.once("error", (err) => resolve(classify(err)));
  });
}

export async function runProbe(p: Probe, cfg: CanaryConfig, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  const host = expandHost(p.host, env);
  // An address the environment did not supply would make Node connect to localhost: never probe that instead.
  if (host === "") return { probe: p, outcome: "unresolved" };
  let outcome: Outcome;
  switch (p.kind) {
    case "tcp":
      outcome = await tcpProbe(host, p.port, cfg.timeoutMs);
      break;
    case "udp":
      outcome = await udpProbe(host, p.port, cfg.timeoutMs);
      break;
    case "https":
      outcome = await httpsProbe(host, cfg.timeoutMs);
      break;
    case "dns":
      outcome = await dnsProbe(host);
      break;
    case "egress-ip":
      outcome = await egressIpProbe(host, cfg.timeoutMs, allowedEgress(env));
      break;
    case "neighbour": {
      outcome = "self";
      for (let i = 0; i < cfg.neighbourAttempts && outcome === "self"; i++)
        outcome = await neighbourOnce(host, p.port, cfg.timeoutMs, os.hostname());
      break;
    }
  }
  return { probe: p, outcome };
}

/** Runs every probe, at most `concurrency` at a time, results in probe order. */
export async function runRound(cfg: CanaryConfig, env: NodeJS.ProcessEnv = process.env): Promise<Result[]> {
  const results: Result[] = new Array(cfg.probes.length);
  let next = 0;
  const worker = async () => {
    while (next < cfg.probes.length) {
      const i = next++;
      results[i] = await runProbe(cfg.probes[i]!, cfg, env);
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, cfg.probes.length) }, worker));
  return results;
}

/** A forbidden destination reached, or a required one not reached. "self" (only this pod answered) is neither. */
export function isViolation(r: Result): boolean {
  if (r.outcome === "self") return false;
  return r.probe.expect === "refused" ? r.outcome === "open" : r.outcome !== "open";
}

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export interface RoundState {
  results: readonly Result[];
  rounds: number;
  lastRoundSeconds: number;
  lastRoundDuration: number;
  probes: number;
}

/** Prometheus text exposition (version 0.0.4) of the last round. */
export function renderMetrics(s: RoundState): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, lines: string[]) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  const labels = (r: Result, extra = "") =>
    `{probe="${escape(r.probe.id)}",group="${escape(r.probe.group)}",expect="${r.probe.expect}"${extra}}`;
  metric("gumstack_canary_probes", "gauge", "Probes configured.", [`gumstack_canary_probes ${s.probes}`]);
  metric("gumstack_canary_rounds_total", "counter", "Probe rounds completed.", [`gumstack_canary_rounds_total ${s.rounds}`]);
  if (s.rounds === 0) return out.join("\n") + "\n";
  metric(
    "gumstack_canary_probe_success",
    "gauge",
    "1 when the last round reached the destination (TCP handshake, UDP reply, HTTP response).",
    s.results.map((r) => `gumstack_canary_probe_success${labels(r)} ${r.outcome === "open" ? 1 : 0}`),
  );
  metric(
    "gumstack_canary_probe_outcome",
    "gauge",
    "The last round's outcome of each probe (label outcome), always 1.",
    s.results.map((r) => `gumstack_canary_probe_outcome${labels(r, `,outcome="${r.outcome}"`)} 1`),
  );
  metric(
    "gumstack_canary_violation",
    "gauge",
    "Forbidden destinations reached plus required destinations not reached, in the last round.",
    [`gumstack_canary_violation ${s.results.filter(isViolation).length}`],
  );
  metric(
    "gumstack_canary_forbidden_answered",
    "gauge",
    "Forbidden destinations that answered with a refusal (RST or ICMP): the network let the packet through to a closed port.",
    [`gumstack_canary_forbidden_answered ${s.results.filter((r) => r.probe.expect === "refused" && r.outcome === "refused").length}`],
  );
  metric("gumstack_canary_last_round_timestamp_seconds", "gauge", "Unix time the last round ended.", [
    `gumstack_canary_last_round_timestamp_seconds ${s.lastRoundSeconds}`,
  ]);
  metric("gumstack_canary_round_duration_seconds", "gauge", "Duration of the last round.", [
    `gumstack_canary_round_duration_seconds ${s.lastRoundDuration}`,
  ]);
  return out.join("\n") + "\n";
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}

/** Starts the serving and metrics listeners and the probe loop; resolves once both listen. */
export async function start(env: NodeJS.ProcessEnv = process.env): Promise<{ close: () => Promise<void> }> {
  const cfg = parseConfig(env.CANARY_CONFIG);
  const host = env.CANARY_LISTEN_HOST || "0.0.0.0";
  const port = Number(env.PORT || 8080);
  const metricsPort = Number(env.METRICS_PORT || 9464);
  const state: RoundState = { results: [], rounds: 0, lastRoundSeconds: 0, lastRoundDuration: 0, probes: cfg.probes.length };
  const self = os.hostname();
  // The serving port is what Kourier, the activator and the uptime check reach: health only, no results (they
  // would map the cluster's holes for anyone on the internet). Results are on the metrics port, which only the
  // Managed Prometheus collectors may reach (a NetworkPolicy of the canary's own).
  const app = http.createServer((req, res) => {
    if (req.url === "/healthz" || req.url === "/") {
      res.writeHead(200, { "content-type": "text/plain", [POD_HEADER]: self });
      res.end("ok\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    }
  });
  const metrics = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(renderMetrics(state));
  });
  await listen(app, port, host);
  await listen(metrics, metricsPort, host);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    const t0 = Date.now();
    const results = await runRound(cfg, env);
    if (stopped) return;
    const t1 = Date.now();
    Object.assign(state, {
      results,
      rounds: state.rounds + 1,
      lastRoundSeconds: Math.floor(t1 / 1000),
      lastRoundDuration: (t1 - t0) / 1000,
    });
    // One log line per round (Cloud Logging), naming each violation.
    console.log(roundLogLine(state.rounds, results));
    timer = setTimeout(loop, Math.max(0, cfg.intervalSeconds * 1000 - (t1 - t0)));
  };
  void loop();
  return {
    close: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all([app, metrics].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** The round's log line (Cloud Logging reads `severity`), naming each violation. */
export function roundLogLine(round: number, results: readonly Result[], mode = "canary"): string {
  const bad = results.filter(isViolation);
  return JSON.stringify({
    severity: bad.length > 0 ? "ERROR" : "INFO",
    message: `${mode} round ${round}: ${bad.length} violations of ${results.length} probes`,
    violations: bad.map((r) => ({ probe: r.probe.id, group: r.probe.group, expect: r.probe.expect, outcome: r.outcome })),
  });
}

/** Seconds a one-round run keeps /metrics up after its round (CANARY_HOLD_SECONDS), so a scrape collects it. */
export function holdSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.CANARY_HOLD_SECONDS ?? "0";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 3600) throw new Error(`CANARY_HOLD_SECONDS must be an integer in 0-3600; got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * CANARY_MODE=once (the build-plane canary, a CronJob): one round, its log line, /metrics served for
 * CANARY_HOLD_SECONDS, then exit. Resolves to the violation count: the process exits 1 when it is not 0, so the
 * Job fails and "last successful run" stops advancing.
 */
export async function runOnce(
  env: NodeJS.ProcessEnv = process.env,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<number> {
  const cfg = parseConfig(env.CANARY_CONFIG);
  const hold = holdSeconds(env);
  const t0 = Date.now();
  const results = await runRound(cfg, env);
  const t1 = Date.now();
  const state: RoundState = {
    results,
    rounds: 1,
    lastRoundSeconds: Math.floor(t1 / 1000),
    lastRoundDuration: (t1 - t0) / 1000,
    probes: cfg.probes.length,
  };
  console.log(roundLogLine(1, results, "build canary"));
  if (hold > 0) {
    const metrics = http.createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(renderMetrics(state));
    });
    await listen(metrics, Number(env.METRICS_PORT || 9464), env.CANARY_LISTEN_HOST || "0.0.0.0");
    await sleep(hold * 1000);
    await new Promise<void>((r) => metrics.close(() => r()));
  }
  return results.filter(isViolation).length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.env.CANARY_MODE === "once") {
  runOnce().then(
    (bad) => process.exit(bad > 0 ? 1 : 0),
    (err: Error) => {
      console.error(JSON.stringify({ severity: "CRITICAL", message: `build canary cannot run: ${err.message}` }));
      process.exit(2);
    },
  );
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().then(
    (c) => {
      const stop = () => {
        void c.close().then(() => process.exit(0));
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    },
    (err: Error) => {
      console.error(JSON.stringify({ severity: "CRITICAL", message: `canary cannot start: ${err.message}` }));
      process.exit(1);
    },
  );
}
