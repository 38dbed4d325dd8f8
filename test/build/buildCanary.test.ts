// The build-plane canary (components/kubernetes/buildCanary.ts): its CronJob's pod is a build's pod field by field
// (only image, command, env, ports and the one mount differ), its probe list holds every destination a build must
// never reach, a forbidden destination that answers is a violation (a real listener), and its scrape rule and
// PodMonitoring select only the canary's pods.
import * as net from "node:net";
import { CronJob } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { isViolation, runOnce, runProbe, parseConfig, type Probe } from "../../canary/canary.js";
import {
  BUILD_CANARY_COMMAND,
  BUILD_CANARY_LABEL,
  buildCanaryAlertQueries,
  buildCanaryCronJobManifest,
  buildCanaryPodMonitoringManifest,
  buildCanaryProbes,
  buildCanaryScrapePolicyManifest,
  schedulePeriodSeconds,
} from "../../components/kubernetes/buildCanary.js";
import { BUILD_CONTAINERS, buildJobManifest, TENANT_LABEL } from "../../components/kubernetes/buildJob.js";
import { canaryConfigJson } from "../../components/serving/isolationCanaryManifests.js";
import { CANARY_TENANT } from "../../components/serving/isolationCanaryTenant.js";

const REPO = "us-west1-docker.pkg.dev/gumstack-prod/gumstack";
const IMAGE = `${REPO}/gumstack-canary/canary@sha256:${"5e1b0c7a".repeat(8)}`;
const PLATFORM = { builderImage: `${REPO}/gumstack-build/builder@sha256:${"ab".repeat(32)}` };
const RANGES = { nodeCidr: "10.10.0.0/20", podCidr: "10.16.0.0/14", serviceCidr: "10.20.0.0/20", masterCidr: "172.16.0.0/28" };
const FOREIGN = [
  "gumstack-canary.gumstack-mcp:80",
  "api.gumstack-backend:80",
  "activator-service.knative-serving:80",
  "webhook.knative-serving:443",
];
const probes = buildCanaryProbes({ ranges: RANGES, reachUrl: "https://www.gstatic.com/generate_204", foreignServices: FOREIGN });
const cron = buildCanaryCronJobManifest({
  platform: PLATFORM,
  image: IMAGE,
  config: canaryConfigJson(probes, { intervalSeconds: 600 }),
  schedule: "*/10 * * * *",
  holdSeconds: 90,
  name: "build-canary",
});
const job = buildJobManifest(PLATFORM, {
  buildId: "b1",
  tenantId: "acme",
  server: "s1",
  gitUrl: "https://github.com/acme/s1.git",
  gitSha: "1".repeat(40),
  imageRepository: REPO,
});

describe("build canary CronJob", () => {
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const buildPod = job.spec.template.spec;
  it("is a valid batch/v1 CronJob", () => {
    expect(() => new CronJob(cron as any).validate()).not.toThrow();
  });
  it("has the build pod's spec, field by field, except its containers and volumes", () => {
    const keys = new Set([...Object.keys(pod), ...Object.keys(buildPod)]);
    for (const k of keys) {
      if (k === "containers" || k === "initContainers" || k === "volumes") continue;
      expect({ [k]: pod[k] }).toEqual({ [k]: buildPod[k] });
    }
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.runtimeClassName).toBe("gvisor");
    expect(pod.initContainers).toBeUndefined();
  });
  it("runs the build step's container (root, SYS_ADMIN, its resources) with only image, command, env, ports and mounts changed", () => {
    const step = buildPod.initContainers.find((c: any) => c.name === BUILD_CONTAINERS.build);
    const [c] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    for (const k of new Set([...Object.keys(c), ...Object.keys(step)])) {
      if (["name", "image", "command", "env", "ports", "volumeMounts"].includes(k)) continue;
      expect({ [k]: c[k] }).toEqual({ [k]: step[k] });
    }
    expect(c.securityContext.runAsUser).toBe(0);
    expect(c.securityContext.capabilities.add).toContain("SYS_ADMIN");
    expect(c.image).toBe(IMAGE);
    expect(c.command).toEqual(BUILD_CANARY_COMMAND);
    expect(c.env).toContainEqual({ name: "CANARY_MODE", value: "once" });
    expect(c.env).toContainEqual({ name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } });
  });
  it("mounts no Secret and has the build Job's spec (one attempt, deadline, TTL)", () => {
    expect(JSON.stringify(pod.volumes)).not.toMatch(/secret/i);
    const { template: _a, ...cs } = cron.spec.jobTemplate.spec;
    const { template: _b, ...js } = job.spec;
    expect(cs).toEqual(js);
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
  });
  it("labels every level with the reserved canary tenant and the canary label, the build labels scheme otherwise", () => {
    for (const l of [cron.metadata.labels, cron.spec.jobTemplate.metadata.labels, cron.spec.jobTemplate.spec.template.metadata.labels]) {
      expect(l[TENANT_LABEL]).toBe(CANARY_TENANT);
      expect(l[BUILD_CANARY_LABEL]).toBe("true");
      expect(Object.keys(l).sort()).toEqual([...Object.keys(job.spec.template.metadata.labels), BUILD_CANARY_LABEL].sort());
    }
  });
});

describe("build canary probes", () => {
  const refused = (host: string, port: number) => probes.find((p) => p.host === host && p.port === port && p.expect === "refused");
  it("probes every destination a build must never reach", () => {
    expect(refused("169.254.169.254", 80)).toBeDefined();
    expect(refused("169.254.169.252", 988)).toBeDefined();
    expect(refused("${HOST_IP}", 10250)).toBeDefined();
    expect(refused("${HOST_IP}", 10255)).toBeDefined();
    for (let i = 1; i <= 14; i++) expect(refused(`172.16.0.${i}`, 443)).toBeDefined();
    expect(refused("kubernetes.default.svc.cluster.local", 443)).toBeDefined();
    for (const ns of ["gumstack-mcp", "gumstack-backend", "knative-serving"])
      expect(probes.some((p) => p.group === `namespace:${ns}` && p.expect === "refused")).toBe(true);
    for (const cidr of [
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
      "100.64.0.0/10",
      RANGES.podCidr,
      RANGES.serviceCidr,
      RANGES.nodeCidr,
    ])
      expect(probes.some((p) => p.group === `egress:${cidr}` && p.expect === "refused")).toBe(true);
    expect(refused("8.8.8.8", 22)).toBeDefined();
  });
  it("requires kube-dns and the internet on 443, and nothing else", () => {
    const reached = probes.filter((p) => p.expect === "reached").map((p) => p.group);
    expect(new Set(reached)).toEqual(new Set(["reach:internet", "reach:kube-dns", "reach:dns", "reach:https"]));
    expect(probes.filter((p) => p.expect === "reached" && p.kind === "tcp").every((p) => p.port === 443)).toBe(true);
    expect(probes.find((p) => p.group === "reach:kube-dns")).toMatchObject({ kind: "dns", host: "kubernetes.default.svc.cluster.local" });
  });
  it("is a config the canary program accepts, with unique ids", () => {
    expect(parseConfig(canaryConfigJson(probes, { intervalSeconds: 600 })).probes).toHaveLength(probes.length);
  });
  it("refuses a malformed foreign service and a non-https reach URL", () => {
    expect(() => buildCanaryProbes({ ranges: RANGES, reachUrl: "https://x.example/", foreignServices: ["api"] })).toThrow(
      /foreignServices/,
    );
    expect(() => buildCanaryProbes({ ranges: RANGES, reachUrl: "http://x.example/", foreignServices: [] })).toThrow(/https/);
  });
});

describe("build canary program (CANARY_MODE=once)", () => {
  it("counts a forbidden destination that answers as a violation, through ${HOST_IP}", async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const p: Probe = { id: "kubelet", group: "kubelet", kind: "tcp", host: "${HOST_IP}", port, expect: "refused" };
    const cfg = parseConfig(JSON.stringify({ intervalSeconds: 60, timeoutMs: 1000, concurrency: 1, neighbourAttempts: 1, probes: [p] }));
    try {
      const r = await runProbe(p, cfg, { HOST_IP: "127.0.0.1" });
      expect(r.outcome).toBe("open");
      expect(isViolation(r)).toBe(true);
      const log: string[] = [];
      const orig = console.log;
      console.log = (l: string) => log.push(l);
      try {
        expect(await runOnce({ CANARY_CONFIG: JSON.stringify(cfg), HOST_IP: "127.0.0.1" })).toBe(1);
      } finally {
        console.log = orig;
      }
      expect(JSON.parse(log[0]!)).toMatchObject({ severity: "ERROR", violations: [{ probe: "kubelet", outcome: "open" }] });
    } finally {
      server.close();
    }
    // Closed now: refused, no violation.
    expect(isViolation(await runProbe(p, cfg, { HOST_IP: "127.0.0.1" }))).toBe(false);
  });
  it("serves the round's metrics for CANARY_HOLD_SECONDS, then stops", async () => {
    const cfg = {
      intervalSeconds: 60,
      timeoutMs: 500,
      concurrency: 1,
      neighbourAttempts: 1,
      probes: [{ id: "x", group: "g", kind: "tcp", host: "127.0.0.1", port: 1, expect: "refused" }],
    };
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", () => r()));
    const mport = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    let body = "";
    const orig = console.log;
    console.log = () => {};
    try {
      const bad = await runOnce(
        { CANARY_CONFIG: JSON.stringify(cfg), CANARY_HOLD_SECONDS: "1", METRICS_PORT: String(mport), CANARY_LISTEN_HOST: "127.0.0.1" },
        async () => {
          body = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text();
        },
      );
      expect(bad).toBe(0);
    } finally {
      console.log = orig;
    }
    expect(body).toMatch(/^gumstack_canary_violation 0$/m);
    expect(body).toMatch(/^gumstack_canary_last_round_timestamp_seconds \d+$/m);
    await expect(fetch(`http://127.0.0.1:${mport}/metrics`)).rejects.toThrow();
  });
  it("refuses a malformed CANARY_HOLD_SECONDS", async () => {
    await expect(runOnce({ CANARY_CONFIG: "{}", CANARY_HOLD_SECONDS: "-1" })).rejects.toThrow(/CANARY/);
    const cfg = {
      intervalSeconds: 60,
      timeoutMs: 500,
      concurrency: 1,
      neighbourAttempts: 1,
      probes: [{ id: "x", group: "g", kind: "tcp", host: "127.0.0.1", port: 1, expect: "refused" }],
    };
    await expect(runOnce({ CANARY_CONFIG: JSON.stringify(cfg), CANARY_HOLD_SECONDS: "ten" })).rejects.toThrow(
      /CANARY_HOLD_SECONDS must be an integer in 0-3600; got "ten"/,
    );
  });
});

describe("build canary scraping and alerts", () => {
  it("the scrape rule and PodMonitoring select only the canary's pods in the build namespace", () => {
    const np = buildCanaryScrapePolicyManifest("gumstack-build");
    expect(() => new NetworkPolicy(np as any).validate()).not.toThrow();
    expect(np.spec.policyTypes).toEqual(["Ingress"]);
    expect(np.spec.podSelector.matchLabels).toEqual({ [BUILD_CANARY_LABEL]: "true", [TENANT_LABEL]: CANARY_TENANT });
    const pm = buildCanaryPodMonitoringManifest("build-canary", "gumstack-build", 30);
    expect(pm.metadata.namespace).toBe("gumstack-build");
    expect(pm.spec.selector.matchLabels).toEqual(np.spec.podSelector.matchLabels);
    // A tenant build's pods carry neither label value: not selected.
    const tenant = job.spec.template.metadata.labels;
    expect(Object.entries(pm.spec.selector.matchLabels).every(([k, v]) => tenant[k] === v)).toBe(false);
  });
  it("alerts on a violation and on no successful round within three periods", () => {
    expect(schedulePeriodSeconds("*/10 * * * *")).toBe(600);
    expect(schedulePeriodSeconds("0 * * * *")).toBe(3600);
    const q = buildCanaryAlertQueries("c1", "gumstack-build", 600);
    expect(q.violation).toContain('gumstack_canary_violation{cluster="c1",namespace="gumstack-build"}');
    expect(q.silent).toContain("absent(");
    expect(q.silent).toContain("> 1800");
  });
});
