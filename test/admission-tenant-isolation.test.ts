// The admission guard's tenant-isolation rules (issue 22), each tried as a hostile tenant would, with both CEL
// evaluators: Secrets bound to the tenant by name, names Knative derives for other tenants, service links, in-place
// resize, and the serving-path annotations. The Knative naming property is checked against Knative's own naming
// function (kmeta.ChildName, re-implemented here from vendor/knative.dev/pkg/kmeta/names.go at knative-v1.22.1).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  admissionGuardManifests,
  DEFAULT_RESERVED_HOSTNAMES,
  KNATIVE_QUEUE_PROXY_IMAGE_PREFIX,
  TENANT_LABEL,
} from "../components/kubernetes/admissionPolicies.js";
import { MAX_SERVER_NAME, REVISION_SEGMENT } from "../components/kubernetes/mcpGuard/names.js";
import { SINGLE_REPLICA_LABEL } from "../components/kubernetes/mcpGuard/servingPath.js";
import { guardRefusals, type Obj, type Req } from "./support/admission.js";
import { EVALUATORS } from "./support/cel.js";

const NS = "gumstack-mcp";
const REPO = "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod";
const GUARD = admissionGuardManifests({
  tenantImageRepository: REPO,
  domain: "gumstack.com",
  minScale: 1,
  maxScaleLimit: 20,
  reservedHostnames: [...DEFAULT_RESERVED_HOSTNAMES],
});
const DIGEST = `sha256:${"3f".repeat(32)}`;
const clone = <T>(o: T): T => structuredClone(o);

function service(tenant = "acme", name = "acme-weather"): Obj {
  return {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name, namespace: NS, labels: { [TENANT_LABEL]: tenant, "networking.knative.dev/visibility": "cluster-local" } },
    spec: {
      template: {
        metadata: {
          labels: { [TENANT_LABEL]: tenant },
          annotations: { "autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/max-scale": "10" },
        },
        spec: {
          runtimeClassName: "gvisor",
          serviceAccountName: "mcp-server",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [
            {
              name: "user-container",
              image: `${REPO}/${tenant}/weather@${DIGEST}`,
              env: [
                { name: "WEATHER_UNITS", value: "metric" },
                { name: "WEATHER_API_KEY", valueFrom: { secretKeyRef: { name: `${tenant}.weather`, key: "api-key" } } },
              ],
              resources: { limits: { cpu: "1", memory: "512Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
            },
          ],
          volumes: [{ name: "scratch", emptyDir: { sizeLimit: "1Gi" } }],
        },
      },
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  };
}
/** The Pod Knative derives (queue-proxy added, PORT and K_* set), for the pod-level kinds. */
function pod(tenant = "acme"): Obj {
  const s = service(tenant);
  const spec = clone(s.spec.template.spec);
  spec.containers[0].env.push(
    ...[
      ["PORT", "8080"],
      ["K_REVISION", "acme-weather-00001"],
      ["K_CONFIGURATION", "acme-weather"],
      ["K_SERVICE", "acme-weather"],
    ].map(([name, value]) => ({ name, value })),
  );
  spec.containers.push({
    name: "queue-proxy",
    image: `${KNATIVE_QUEUE_PROXY_IMAGE_PREFIX}${"65".repeat(32)}`,
    env: [{ name: "SERVING_NAMESPACE", value: NS }],
    resources: { requests: { cpu: "25m" } },
    securityContext: {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "acme-weather-00001-deployment-7d9f8c6b5-x2x8k", namespace: NS, labels: { [TENANT_LABEL]: tenant } },
    spec,
  };
}
const svcSpec = (s: Obj) => s.spec.template.spec;

describe.each(EVALUATORS)("with $name", (ev) => {
  const refusals = (req: Req) => guardRefusals(req, GUARD, NS, ev);
  const admitted = (req: Req) => expect(refusals(req)).toEqual([]);
  const refusedBy = (req: Req, re: RegExp) => expect(refusals(req)).toEqual([expect.stringMatching(re)]);

  describe("Secrets are bound to the workload's tenant by name (<tenant>.<name>)", () => {
    it("admits the tenant's own Secrets through every kind of reference, on a Service and on the Pod Knative derives", () => {
      const s = service();
      svcSpec(s).containers[0].envFrom = [{ secretRef: { name: "acme.weather-env" } }];
      svcSpec(s).containers[0].volumeMounts = [{ name: "creds", mountPath: "/creds" }];
      svcSpec(s).volumes.push(
        { name: "creds", secret: { secretName: "acme.weather-files" } },
        {
          name: "bundle",
          projected: {
            sources: [
              { secret: { name: "acme.weather-tls" } },
              { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
            ],
          },
        },
      );
      admitted({ kind: "Service", object: s });
      const p = pod();
      p.spec.volumes.push({ name: "creds", secret: { secretName: "acme.weather-files" } });
      admitted({ kind: "Pod", object: p });
    });

    const foreign: [string, string][] = [
      ["another tenant's", "globex.weather"],
      ["a longer tenant id sharing the prefix", "acme-corp.weather"],
      ["a hyphen instead of the dot", "acme-weather"],
      ["the bare tenant id", "acme"],
      ["the tenant and a dot only", "acme."],
      ["a platform Secret", "gumstack-backend-clickhouse"],
      ["the canary's", "gumstack-canary.config"],
    ];
    it.each(foreign)("refuses %s Secret (%s) in env secretKeyRef, envFrom, a secret volume and a projected source", (_what, name) => {
      const env = service();
      svcSpec(env).containers[0].env[1].valueFrom.secretKeyRef.name = name;
      refusedBy({ kind: "Service", object: env }, /^gumstack-mcp-secrets: env valueFrom\.secretKeyRef: .*\(containers: user-container\)$/);
      const from = service();
      svcSpec(from).containers[0].envFrom = [{ secretRef: { name } }];
      refusedBy(
        { kind: "Service", object: from },
        /^gumstack-mcp-secrets: envFrom secretRef: an MCP pod may name only its own tenant's Secrets/,
      );
      const vol = pod();
      vol.spec.volumes.push({ name: "creds", secret: { secretName: name } });
      refusedBy({ kind: "Pod", object: vol }, /^gumstack-mcp-secrets: secret volumes and projected secret sources: .*\(volumes: creds\)$/);
      const proj = service();
      svcSpec(proj).volumes.push({ name: "bundle", projected: { sources: [{ secret: { name: "acme.ok" } }, { secret: { name } }] } });
      refusedBy(
        { kind: "Service", object: proj },
        /^gumstack-mcp-secrets: secret volumes and projected secret sources: .*\(volumes: bundle\)$/,
      );
    });

    it("binds to the object's own tenant: globex's Service may not name acme's Secret, nor acme's globex's", () => {
      const g = service("globex", "globex-weather");
      svcSpec(g).containers[0].env[1].valueFrom.secretKeyRef.name = "acme.weather";
      refusedBy({ kind: "Service", object: g }, /^gumstack-mcp-secrets: env valueFrom\.secretKeyRef/);
      const a = pod("acme");
      a.spec.containers[0].env[1].valueFrom.secretKeyRef.name = "globex.weather";
      refusedBy({ kind: "Pod", object: a }, /^gumstack-mcp-secrets: env valueFrom\.secretKeyRef/);
    });

    it("refuses a secretKeyRef without a name, and every reference when the tenant label is missing", () => {
      const s = service();
      delete svcSpec(s).containers[0].env[1].valueFrom.secretKeyRef.name;
      refusedBy({ kind: "Service", object: s }, /^gumstack-mcp-secrets: env valueFrom\.secretKeyRef: .*\(containers: user-container\)$/);
      const p = pod();
      delete p.metadata.labels[TENANT_LABEL];
      expect(refusals({ kind: "Pod", object: p })).toEqual(
        expect.arrayContaining([expect.stringMatching(/^gumstack-mcp-secrets: env valueFrom\.secretKeyRef/)]),
      );
    });

    it("refuses projected ConfigMap sources and envFrom ConfigMaps", () => {
      const s = service();
      svcSpec(s).volumes.push({
        name: "cfg",
        projected: { sources: [{ secret: { name: "acme.ok" } }, { configMap: { name: "acme.settings" } }] },
      });
      refusedBy({ kind: "Service", object: s }, /^gumstack-mcp-secrets: projected volumes may carry only .*\(volumes: cfg\)$/);
      const f = service();
      svcSpec(f).containers[0].envFrom = [{ configMapRef: { name: "acme.settings" } }];
      refusedBy({ kind: "Service", object: f }, /^gumstack-mcp-secrets: envFrom may name only the tenant's own Secrets, never a ConfigMap/);
    });

    it.each([
      "OPENAI_API_KEY",
      "GITHUB_TOKEN",
      "STRIPE_SECRET",
      "DB_PASSWORD",
      "AWS_ACCESS_KEY",
      "CLIENT_SECRETS",
      "SECRET",
      "GOOGLE_PRIVATE_KEY",
    ])("refuses the credential %s as a plain env value, and admits it from the tenant's Secret", (name) => {
      const s = service();
      svcSpec(s).containers[0].env.push({ name, value: "sk-live-abc" });
      refusedBy(
        { kind: "Service", object: s },
        /^gumstack-mcp-secrets: credentials may not be plain env values .*\(containers: user-container\)$/,
      );
      const ok = service();
      svcSpec(ok).containers[0].env.push({ name, valueFrom: { secretKeyRef: { name: "acme.weather", key: "k" } } });
      admitted({ kind: "Service", object: ok });
    });

    it("admits plain settings whose names are not credentials, empty values, and Knative's own PORT and K_* on the derived Pod", () => {
      const s = service();
      svcSpec(s).containers[0].env.push(
        { name: "TOKENIZER_MODEL", value: "cl100k" },
        { name: "KEYBOARD", value: "us" },
        { name: "API_KEY", value: "" },
      );
      admitted({ kind: "Service", object: s });
      admitted({ kind: "Pod", object: pod() });
    });
  });

  describe("names Knative derives for other tenants' objects cannot be taken", () => {
    it.each(["acme-weather-00002", "acme-weather-00002-private", "acme-weather-00001-deployment", "x-123456", "a-99999-b"])(
      "refuses a Service, Configuration or Route named %s (another server's Revision or one of its Services)",
      (name) => {
        for (const kind of ["Service", "Configuration", "Route"]) {
          const o = service("globex", name);
          o.kind = kind;
          if (kind === "Configuration") delete o.spec.traffic;
          if (kind === "Route") o.spec = { traffic: [{ configurationName: name, percent: 100 }] };
          expect(refusals({ kind, object: o })).toContainEqual(
            expect.stringMatching(
              /^gumstack-mcp-names: Service, Configuration and Route names may not contain a segment of five or more digits/,
            ),
          );
        }
      },
    );

    it("admits names with shorter digit runs, and refuses names over the length at which Knative would hash derived names", () => {
      admitted({ kind: "Service", object: service("acme", "acme-weather-2024") });
      admitted({ kind: "Service", object: service("acme", "a".repeat(MAX_SERVER_NAME)) });
      refusedBy(
        { kind: "Service", object: service("acme", "a".repeat(MAX_SERVER_NAME + 1)) },
        /^gumstack-mcp-names: .* at most 40 characters.*\(41 characters\)$/,
      );
    });

    it("refuses traffic tags on CREATE and on an UPDATE that adds one, on Services and Routes", () => {
      const s = service();
      s.spec.traffic = [{ latestRevision: true, percent: 100, tag: "globex-weather" }];
      refusedBy(
        { kind: "Service", object: s },
        /^gumstack-mcp-names: traffic tags are not allowed: .*; only the DomainMapping host is served$/,
      );
      refusedBy({ kind: "Service", object: s, oldObject: service(), operation: "UPDATE" }, /^gumstack-mcp-names: traffic tags/);
      const route = {
        apiVersion: "serving.knative.dev/v1",
        kind: "Route",
        metadata: { name: "acme-weather", namespace: NS },
        spec: { traffic: [{ revisionName: "acme-weather-00001", percent: 100, tag: "x" }] },
      };
      expect(refusals({ kind: "Route", object: route })).toContainEqual(expect.stringMatching(/^gumstack-mcp-names: traffic tags/));
    });

    it("refuses generateName, and leaves an UPDATE of an older long-named server that does not change its spec alone", () => {
      const g = service();
      g.metadata.generateName = "acme-";
      refusedBy({ kind: "Service", object: g }, /^gumstack-mcp-names: generateName is not allowed/);
      const old = service("acme", "a".repeat(50));
      const relabelled = clone(old);
      relabelled.metadata.labels.extra = "x";
      admitted({ kind: "Service", object: relabelled, oldObject: old, operation: "UPDATE" });
    });

    it("holds as a property of Knative's naming: no admitted name is a name Knative derives from another admitted name", () => {
      // kmeta.ChildName: parent+suffix if it fits 63 characters, else a truncated parent and the parent's md5.
      const childName = (parent: string, suffix: string): string => {
        if (parent.length <= 63 - suffix.length) return parent + suffix;
        const md5 = createHash("md5");
        if (31 - suffix.length <= 0) {
          const h = md5.update(parent + suffix).digest("hex");
          let ret = parent.slice(0, 31) + h;
          if (63 - ret.length > 0) ret += suffix.slice(0, 63 - ret.length);
          return ret.replace(/[^a-zA-Z0-9]+$/, "");
        }
        return parent.slice(0, 31 - suffix.length) + md5.update(parent).digest("hex") + suffix;
      };
      const admits = (n: string) => n.length <= MAX_SERVER_NAME && !new RegExp(REVISION_SEGMENT).test(n);
      const derived = (svc: string, generations: number[]) =>
        generations.flatMap((g) => {
          const rev = childName(svc, `-${String(g).padStart(5, "0")}`);
          return [rev, childName(rev, "-private"), childName(rev, "-deployment")];
        });
      // Random DNS labels, biased towards digits and hyphens, up to 45 characters.
      let seed = 22;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const alphabet = "abc0123456789-";
      const names = Array.from({ length: 2500 }, () => {
        const len = 1 + Math.floor(rand() * 45);
        let s = "a";
        for (let i = 1; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
        return s.replace(/-+$/, "") || "a";
      });
      const admitted = names.filter(admits);
      expect(admitted.length).toBeGreaterThan(300);
      const generations = [1, 2, 99, 12345, 99999, 100000, 123456789];
      const admittedSet = new Set(admitted);
      for (const svc of admitted)
        for (const d of derived(svc, generations)) expect(admittedSet.has(d), `${d} derived from ${svc}`).toBe(false);
      // Every derived name carries the revision segment, and none is hashed (rule 2).
      for (const svc of admitted.slice(0, 300))
        for (const d of derived(svc, generations)) {
          expect(new RegExp(REVISION_SEGMENT).test(d)).toBe(true);
          expect(d.startsWith(`${svc}-`)).toBe(true);
        }
      // The guard's CEL applies the same rule the property uses.
      for (const n of admitted.slice(0, 12))
        expect(refusals({ kind: "Service", object: service("acme", n) }).filter((r) => r.includes("-names:"))).toEqual([]);
      for (const n of names.filter((x) => !admits(x)).slice(0, 12))
        expect(refusals({ kind: "Service", object: service("acme", n) }).some((r) => r.startsWith("gumstack-mcp-names:"))).toBe(true);
    });
  });

  describe("service links", () => {
    it("refuses enableServiceLinks: true on a Service and a Pod, and a Pod that leaves it to Kubernetes' default (true)", () => {
      const s = service();
      svcSpec(s).enableServiceLinks = true;
      refusedBy({ kind: "Service", object: s }, /^gumstack-mcp-service-links: enableServiceLinks must be false: .*; got true$/);
      const p = pod();
      p.spec.enableServiceLinks = true;
      refusedBy({ kind: "Pod", object: p }, /^gumstack-mcp-service-links: /);
      const unset = pod();
      delete unset.spec.enableServiceLinks;
      refusedBy({ kind: "Pod", object: unset }, /^gumstack-mcp-service-links: .*; got unset/);
      const knativeDefault = service();
      delete svcSpec(knativeDefault).enableServiceLinks;
      admitted({ kind: "Service", object: knativeDefault });
    });
  });

  describe("in-place resize (pods/resize) is bound by the per-pod limits", () => {
    it("refuses a resize past the per-pod CPU or memory, and admits one within them", () => {
      const before = pod();
      const big = clone(before);
      big.spec.containers[0].resources = { limits: { cpu: "4", memory: "512Mi" } };
      refusedBy(
        { kind: "Pod", object: big, oldObject: before, operation: "UPDATE", subResource: "resize" },
        /^gumstack-mcp-resources: the containers of an MCP pod may use at most 2 CPU together/,
      );
      const huge = clone(before);
      huge.spec.containers[0].resources = { limits: { cpu: "1", memory: "64Gi" } };
      refusedBy(
        { kind: "Pod", object: huge, oldObject: before, operation: "UPDATE", subResource: "resize" },
        /^gumstack-mcp-resources: .* of memory together/,
      );
      const small = clone(before);
      small.spec.containers[0].resources = { limits: { cpu: "1500m", memory: "1Gi" } };
      admitted({ kind: "Pod", object: small, oldObject: before, operation: "UPDATE", subResource: "resize" });
      expect(
        GUARD.policies
          .find((p) => p.metadata.name.endsWith("-resources"))!
          .spec.matchConstraints.resourceRules!.flatMap((r) => r.resources),
      ).toContain("pods/resize");
    });
  });

  describe("the serving path: one replica for in-memory sessions, the platform's burst capacity, bounded retention", () => {
    it(`requires max-scale 1 of a server labelled ${SINGLE_REPLICA_LABEL}, and only the value "true"`, () => {
      const s = service();
      s.metadata.labels[SINGLE_REPLICA_LABEL] = "true";
      s.spec.template.metadata.labels[SINGLE_REPLICA_LABEL] = "true";
      refusedBy(
        { kind: "Service", object: s },
        /^gumstack-mcp-serving-path: a server labelled gumstack\.com\/single-replica: "true" .*; got "10"$/,
      );
      s.spec.template.metadata.annotations["autoscaling.knative.dev/max-scale"] = "1";
      admitted({ kind: "Service", object: s });
      const legacy = clone(s);
      legacy.spec.template.metadata.annotations["autoscaling.knative.dev/maxScale"] = "2";
      refusedBy({ kind: "Service", object: legacy }, /^gumstack-mcp-serving-path: a server labelled/);
      const templateOnly = service();
      templateOnly.spec.template.metadata.labels[SINGLE_REPLICA_LABEL] = "true";
      refusedBy({ kind: "Service", object: templateOnly }, /^gumstack-mcp-serving-path: a server labelled/);
      const other = service();
      other.metadata.labels[SINGLE_REPLICA_LABEL] = "yes";
      refusedBy({ kind: "Service", object: other }, /^gumstack-mcp-serving-path: label gumstack\.com\/single-replica may only be "true"/);
      // Raising max-scale on a labelled server, in an UPDATE, is judged too.
      const raised = clone(s);
      raised.spec.template.metadata.annotations["autoscaling.knative.dev/max-scale"] = "5";
      refusedBy({ kind: "Service", object: raised, oldObject: s, operation: "UPDATE" }, /^gumstack-mcp-serving-path: a server labelled/);
    });

    it("refuses target-burst-capacity (both keys) and no-gc, on a Service template and on a Revision", () => {
      for (const key of ["autoscaling.knative.dev/target-burst-capacity", "autoscaling.knative.dev/targetBurstCapacity"]) {
        const s = service();
        s.spec.template.metadata.annotations[key] = "-1";
        refusedBy(
          { kind: "Service", object: s },
          /^gumstack-mcp-serving-path: autoscaling\.knative\.dev\/target-burst-capacity is the platform's .*\(values: -1\)$/,
        );
      }
      const s = service();
      s.spec.template.metadata.annotations["serving.knative.dev/no-gc"] = "true";
      refusedBy({ kind: "Service", object: s }, /^gumstack-mcp-serving-path: serving\.knative\.dev\/no-gc is not allowed/);
      const rev = {
        apiVersion: "serving.knative.dev/v1",
        kind: "Revision",
        metadata: {
          name: "acme-weather-00001",
          namespace: NS,
          labels: { [TENANT_LABEL]: "acme" },
          annotations: { ...service().spec.template.metadata.annotations },
        },
        spec: clone(svcSpec(service())),
      };
      admitted({ kind: "Revision", object: rev });
      const pinned = clone(rev);
      pinned.metadata.annotations["serving.knative.dev/no-gc"] = "true";
      refusedBy(
        { kind: "Revision", object: pinned, oldObject: rev, operation: "UPDATE" },
        /^gumstack-mcp-serving-path: serving\.knative\.dev\/no-gc/,
      );
    });
  });
});
