import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig } from "../src/config/load.js";
import { refusedProblems } from "./support/config.js";
import { parseStackFile } from "../src/plan/stackFile.js";
import { PLACEHOLDER_DIGEST } from "../scripts/deploy-checks.mjs";

const prodFile = parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml");
const prodValues = () => structuredClone(namespaceValues(prodFile.config));
const PLATFORM_REPO = "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform";
const DIGEST = "b483a7e23b7694a67211509895e7782b45e2981a8e3e6643ac9a53c2d4183f55";

/** Sets `path` (dot and [i] segments) in a copy of the prod values. */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const values = prodValues();
  const segs = path.split(".");
  let cur = values as Record<string, unknown>;
  for (const seg of segs.slice(0, -1)) cur = (cur[seg] ??= {}) as Record<string, unknown>;
  const last = segs.at(-1)!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return values;
}

const problems = refusedProblems;

describe("prod stack config", () => {
  const prod = parseStackConfig(prodValues());

  it("holds the seed's values", () => {
    expect(prod.kind).toBe("platform");
    expect(prod.region).toBe("us-west1");
    expect(prod.zones).toEqual(["us-west1-a", "us-west1-b", "us-west1-c"]);
    expect(prod.domain).toBe("gumstack.com");
    expect(prod.nodePools.mcp).toMatchObject({ minNodes: 2, maxNodes: 20 });
    expect(prod.nodePools.backend).toMatchObject({ minNodes: 6, maxNodes: 72 });
    expect(prod.artifactRegistry.retentionDays).toBe(30);
    expect(prod.knative).toMatchObject({ minScale: 1, maxScale: 10, targetConcurrency: 100 });
    expect(prod.backend).toMatchObject({
      minReplicas: 6,
      maxReplicas: 48,
      targetConcurrentRequests: 40,
      cpuUtilization: 50,
      memoryUtilization: 50,
      scaleDownStabilizationSeconds: 1800,
      maxSurge: 3,
      maxUnavailable: 1,
    });
    expect(prod.mcp.namespace).toBe("gumstack-mcp");
    expect(prod.platformImages.repository).toBe(PLATFORM_REPO);
    // Unset: the bootstrap's release identity in the platform-images repository's (admin) project.
    expect(prod.platformImages.releaseIdentity).toBe("gumstack-release@gumstack-admin.iam.gserviceaccount.com");
    // Not published for any organization yet: the placeholder digest, which scripts/deploy.sh up refuses.
    expect(prod.backend.image).toBe(`${PLATFORM_REPO}/backend@${PLACEHOLDER_DIGEST}`);
    // Unset: the tenant repository is mcp-<environment>.
    expect(prod.artifactRegistry.repositoryId).toBeUndefined();
  });

  it("accepts an environment-qualified tenant repository id", () => {
    const values = withValue("artifactRegistry.repositoryId", "tenants-prod");
    // The canary's image follows the tenant repository it is admitted from.
    values.canary = { image: `us-west1-docker.pkg.dev/gumstack-prod/tenants-prod/gumstack-canary/canary@sha256:${DIGEST}` };
    // So does the builder's copy: the MCP pool's nodes read that repository only.
    values.build = {
      ...(values.build as object),
      builderImage: `us-west1-docker.pkg.dev/gumstack-prod/tenants-prod/gumstack-build/builder@sha256:${DIGEST}`,
    };
    expect(parseStackConfig(values).artifactRegistry.repositoryId).toBe("tenants-prod");
  });

  it("keeps the ClickHouse password a secret key of the stack file", () => {
    expect(prodFile.secretKeys).toContain("gumstack:clickhousePassword");
  });

  it("every committed stack file validates", () => {
    for (const file of readdirSync(".").filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
      const parsed = parseStackFile(readFileSync(file, "utf8"), file);
      expect(() => parseStackConfig(namespaceValues(parsed.config)), file).not.toThrow();
    }
  });
});

describe("config refusals name the key, the value and what is allowed", () => {
  const cases: Array<[string, string, unknown, RegExp]> = [
    ["unknown top-level key", "nodepools", { x: 1 }, /^gumstack:nodepools: unknown key \(a typo\?\); allowed here: .*nodePools/],
    ["unknown nested key", "backend.minReplica", 3, /^gumstack:backend\.minReplica: unknown key .*allowed here: .*minReplicas/],
    ["zone outside the region", "zones", ["us-west1-a", "us-east1-b"], /^gumstack:zones\[1\]: is not in region us-west1; use us-west1-a/],
    ["duplicate zone", "zones", ["us-west1-a", "us-west1-a"], /^gumstack:zones: lists a zone twice/],
    ["pool min above max", "nodePools.mcp.minNodes", 30, /^gumstack:nodePools\.mcp\.minNodes: must be <= maxNodes \(20\) \(got 30\)/],
    ["negative node count", "nodePools.system.minNodes", -1, /^gumstack:nodePools\.system\.minNodes: .*>=0.*\(got -1\)/],
    ["replicas min above max", "backend.minReplicas", 60, /^gumstack:backend\.minReplicas: must be <= maxReplicas \(48\) \(got 60\)/],
    ["zero max replicas", "backend.maxReplicas", 0, /^gumstack:backend\.maxReplicas: .*>0.*\(got 0\)/],
    ["malformed CIDR", "network.podCidr", "10.16.0.0/33", /^gumstack:network\.podCidr: must be an IPv4 CIDR .*\(got "10\.16\.0\.0\/33"\)/],
    ["CIDR with host bits", "network.nodeCidr", "10.10.0.1/20", /^gumstack:network\.nodeCidr: must be an IPv4 CIDR .*no host bits/],
    ["overlapping CIDRs", "network.serviceCidr", "10.16.8.0/24", /^gumstack:network\.serviceCidr: overlaps podCidr \(10\.16\.0\.0\/14\)/],
    ["master range not /28", "network.masterCidr", "172.16.0.0/24", /^gumstack:network\.masterCidr: must be a \/28/],
    ["bad project id", "project", "Gumstack_Prod", /^gumstack:project: must be a GCP project id.*\(got "Gumstack_Prod"\)/],
    ["bad domain", "domain", "https://gumstack.com", /^gumstack:domain: must be a lowercase DNS domain/],
    [
      "unpinned backend image",
      "backend.image",
      "us-west1-docker.pkg.dev/p/r/backend:latest",
      /^gumstack:backend\.image: must be pinned by digest/,
    ],
    // A tag can be moved by whoever can push to it: the one-line error says how to get the digest.
    [
      "backend image by tag only",
      "backend.image",
      `${PLATFORM_REPO}/backend:4f2c1e9`,
      /^gumstack:backend\.image: must be pinned by digest \(<platformImages\.repository>\/backend@sha256:<64 hex>\), not a tag; get the digest with: gcloud artifacts docker images describe us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform\/backend:4f2c1e9 --format='value\(image_summary\.digest\)' \(got "/,
    ],
    [
      "backend image by digest from another repository",
      "backend.image",
      `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/backend@sha256:${DIGEST}`,
      /^gumstack:backend\.image: must be in gumstack:platformImages\.repository \(us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform\/\.\.\.\)/,
    ],
    [
      "backend image in a sibling of the platform repository",
      "backend.image",
      `${PLATFORM_REPO}-evil/backend@sha256:${DIGEST}`,
      /^gumstack:backend\.image: must be in gumstack:platformImages\.repository/,
    ],
    [
      "platform-images repository with an image path",
      "platformImages.repository",
      `${PLATFORM_REPO}/backend`,
      /^gumstack:platformImages\.repository: must be an Artifact Registry Docker repository/,
    ],
    [
      "release identity that is not a service account email",
      "platformImages.releaseIdentity",
      "release@example.com",
      /^gumstack:platformImages\.releaseIdentity: must be a user-managed service account email such as gumstack-release@gumstack-admin\.iam\.gserviceaccount\.com \(got "release@example\.com"\)/,
    ],
    [
      "release identity given as an IAM member",
      "platformImages.releaseIdentity",
      "serviceAccount:gumstack-release@gumstack-admin.iam.gserviceaccount.com",
      /^gumstack:platformImages\.releaseIdentity: must be a user-managed service account email/,
    ],
    ["platform-images repository missing", "platformImages", undefined, /^gumstack:platformImages: is required/],
    [
      "platform-images repository that is the tenant repository",
      "platformImages.repository",
      "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
      /^gumstack:platformImages\.repository: must differ from this stack's tenant MCP repository \(us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod\)/,
    ],
    [
      "tenant repository id not qualified by the environment",
      "artifactRegistry.repositoryId",
      "gumstack",
      /^gumstack:artifactRegistry\.repositoryId: must end in -prod \(e\.g\. mcp-prod\) so two environments in one project never share a tenant repository/,
    ],
    ["rotation over 90 days", "kms.rotationDays", 365, /^gumstack:kms\.rotationDays: must be at most 90 days \(got 365\)/],
    [
      "Spanner capacity not a valid step",
      "spanner.processingUnits",
      150,
      /^gumstack:spanner\.processingUnits: must be 100-900 in steps of 100/,
    ],
    ["knative max above its limit", "knative.maxScale", 50, /^gumstack:knative\.maxScale: must be <= maxScaleLimit \(20\)/],
    ["missing required section", "spanner", undefined, /^gumstack:spanner: is required/],
    ["number where a string belongs", "environment", 7, /^gumstack:environment: .*expected string.*\(got 7\)/],
    [
      "enterprise section on a platform stack",
      "enterprise",
      { customer: "acme", folderId: "123456789012", billingAccount: "01A2B3-C4D5E6-F7A8B9", platformProject: "gumstack-prod2" },
      /^gumstack:enterprise: is only allowed when kind is enterprise/,
    ],
    ["enterprise stack without its section", "kind", "enterprise", /^gumstack:enterprise: is required when kind is enterprise/],
    [
      "Knative version the operator does not install",
      "knative.version",
      "1.12.0",
      /^gumstack:knative\.version: Knative Operator v1\.22\.3 installs Serving 1\.19-1\.22, not 1\.12\.0/,
    ],
    ["backend port on the metrics port", "backend.port", 9090, /^gumstack:backend\.port: must differ from the metrics port 9090/],
    ["bucket purpose Cloud Storage refuses", "buckets", ["googledata"], /^gumstack:buckets\[0\]: must not contain "goog"/],
    ["bucket purpose twice", "buckets", ["data", "data"], /^gumstack:buckets: lists a purpose twice/],
    [
      "MCP pod range overlapping the pod range",
      "network.mcpPodCidr",
      "10.18.0.0/16",
      /^gumstack:network\.mcpPodCidr: overlaps podCidr \(10\.16\.0\.0\/14\); the node, pod, MCP pod, service and master ranges must be disjoint/,
    ],
    [
      "MCP pod range too small for the pool's maximum",
      "network.mcpPodCidr",
      "10.24.0.0/20",
      /^gumstack:network\.mcpPodCidr: holds 16 node ranges \(\/24 each\) but its pools may grow to 20 nodes; use a larger range/,
    ],
    [
      "tenant NAT too small for the MCP pool's maximum",
      "egress.tenant",
      { addresses: 1, minPortsPerVm: 4096 },
      /^gumstack:egress\.tenant\.addresses: 1 address\(es\) give 64512 ports, fewer than 20 VMs x minPortsPerVm 4096 = 81920; use at least 2 addresses/,
    ],
    [
      "platform NAT too small for every node",
      "egress.platform.minPortsPerVm",
      2048,
      /^gumstack:egress\.platform\.addresses: 2 address\(es\) give 129024 ports, fewer than 101 VMs x minPortsPerVm 2048 = 206848; use at least 4 addresses/,
    ],
    [
      "NAT ports not a power of two",
      "egress.tenant.minPortsPerVm",
      3000,
      /^gumstack:egress\.tenant\.minPortsPerVm: must be a power of two from 32 to 32768/,
    ],
    [
      "NAT max ports not above min",
      "egress.platform.maxPortsPerVm",
      1024,
      /^gumstack:egress\.platform\.maxPortsPerVm: must be greater than minPortsPerVm \(1024\)/,
    ],
    [
      "Armor limit above Cloud Armor's maximum",
      "edge.armor.serverRequestsPerMinute",
      2_000_000,
      /^gumstack:edge\.armor\.serverRequestsPerMinute: must be at most 1000000/,
    ],
    [
      "Armor override for the API host",
      "edge.armor.serverOverrides",
      { api: 100 },
      /^gumstack:edge\.armor\.serverOverrides\.api: names the API host/,
    ],
    [
      "Armor override for a name that is no server",
      "edge.armor.serverOverrides",
      { Bad_Name: 100 },
      /^gumstack:edge\.armor\.serverOverrides\.Bad_Name: must be a server name: the DNS label <server> of <server>\.<domain>/,
    ],
    ["log sample rate above 1", "edge.logSampleRate", 2, /^gumstack:edge\.logSampleRate: .*<=1/],
    ["alert email malformed", "alerting.emails", ["oncall"], /^gumstack:alerting\.emails\[0\]: must be an email address/],
    [
      "pod CPU below a container's default limit",
      "mcp",
      { maxPodCpu: "1" },
      /^gumstack:mcp\.maxPodCpu: must be >= maxCpu \(2\), the CPU limit a container gets when it sets none \(got "1"\)/,
    ],
    [
      "pod memory below a container's default",
      "mcp",
      { maxPodMemory: "128Mi" },
      /^gumstack:mcp\.maxPodMemory: must be >= defaultMemory \(256Mi\)/,
    ],
    ["zero containers per pod", "mcp", { maxContainers: 0 }, /^gumstack:mcp\.maxContainers: .*>=1.*\(got 0\)/],
    [
      "a progress deadline of a day",
      "mcp",
      { maxProgressDeadlineSeconds: 86400 },
      /^gumstack:mcp\.maxProgressDeadlineSeconds: .*<=3600.*\(got 86400\)/,
    ],
    [
      "ephemeral default above its max",
      "mcp",
      { defaultEphemeralStorage: "8Gi" },
      /^gumstack:mcp\.defaultEphemeralStorage: must be <= maxEphemeralStorage \(4Gi\)/,
    ],
    [
      "ephemeral storage in bytes",
      "mcp",
      { maxEphemeralStorage: "4096" },
      /^gumstack:mcp\.maxEphemeralStorage: must be a quantity in Mi or Gi/,
    ],
    [
      "a reserved hostname that is not a label",
      "mcp",
      { reservedHostnames: ["api.gumstack.com"] },
      /^gumstack:mcp\.reservedHostnames\[0\]: must be a DNS-1123 label/,
    ],
  ];

  it.each(cases)("%s", (_label, path, value, expected) => {
    expect(problems(withValue(path, value))).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it("defaults the edge, egress and alerting keys safely", () => {
    const c = parseStackConfig(prodValues());
    expect(c.network.mcpPodCidr).toBe("10.24.0.0/14");
    expect(c.edge.armor).toEqual({
      adaptiveProtection: true,
      serverRequestsPerMinute: 6000,
      serverOverrides: {},
      apiRequestsPerMinutePerClient: 600,
      mcpRequestsPerMinutePerClient: 1200,
      sharedClientRanges: [],
      wafPreview: false,
    });
    expect(c.edge.logSampleRate).toBe(0.5);
    expect(c.egress).toEqual({
      platform: { addresses: 2, minPortsPerVm: 1024, maxPortsPerVm: 8192 },
      tenant: { addresses: 2, minPortsPerVm: 4096, maxPortsPerVm: 32768 },
    });
    expect(c.alerting).toEqual({ emails: [], lb5xxPercent: 5, certificateExpiryDays: 14 });
  });

  it("reports every problem at once, not just the first", () => {
    const values = withValue("project", "BAD");
    (values.backend as Record<string, unknown>).minReplicas = 99;
    expect(problems(values)).toHaveLength(2);
  });
});

describe("enterprise section", () => {
  const enterprise = (over: Record<string, unknown>) => {
    const values = withValue("kind", "enterprise");
    values.project = "gumstack-ent-acme";
    values.canary = { image: `us-west1-docker.pkg.dev/gumstack-ent-acme/mcp-prod/gumstack-canary/canary@sha256:${"7c2e4a6b".repeat(8)}` };
    values.build = {
      ...(values.build as object),
      builderImage: `us-west1-docker.pkg.dev/gumstack-ent-acme/mcp-prod/gumstack-build/builder@sha256:${"7c2e4a6b".repeat(8)}`,
    };
    values.enterprise = {
      customer: "acme",
      folderId: 123456789012,
      billingAccount: "01A2B3-C4D5E6-F7A8B9",
      platformProject: "gumstack-prod",
      ...over,
    };
    return values;
  };

  it("accepts a numeric folder id as YAML writes it and keeps it a string", () => {
    expect(parseStackConfig(enterprise({})).enterprise?.folderId).toBe("123456789012");
  });

  it.each([
    ["billingAccount", "01a2b3-c4d5e6-f7a8b9", /^gumstack:enterprise\.billingAccount: must be a billing account id/],
    ["folderId", "folders/123", /^gumstack:enterprise\.folderId: must be a numeric folder id/],
    ["customer", "Acme Corp", /^gumstack:enterprise\.customer: must be 3-20 lowercase/],
    ["platformProject", "gumstack-ent-acme", /^gumstack:enterprise\.platformProject: must differ from project/],
  ])("refuses a bad %s", (key, value, expected) => {
    expect(problems(enterprise({ [key]: value }))).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});

describe("stack file parsing", () => {
  it("encodes structured values as JSON and marks secure values secret", () => {
    const parsed = parseStackFile("config:\n  gumstack:zones: [a, b]\n  gumstack:pw:\n    secure: v1:abc\n  gumstack:n: 3\n", "x.yaml");
    expect(parsed.config["gumstack:zones"]).toBe('["a","b"]');
    expect(parsed.config["gumstack:n"]).toBe("3");
    expect(parsed.secretKeys).toEqual(["gumstack:pw"]);
    expect(parsed.config["gumstack:pw"]).not.toContain("v1:abc");
  });

  it("refuses a key without namespace, naming the fix", () => {
    expect(() => parseStackFile("config:\n  domain: x.com\n", "Pulumi.x.yaml")).toThrow(
      "Pulumi.x.yaml: config key 'domain' has no namespace; write it as gumstack:domain",
    );
  });

  it("refuses malformed YAML with the file name", () => {
    expect(() => parseStackFile("config: [\n", "Pulumi.y.yaml")).toThrow(/^Pulumi\.y\.yaml: not valid YAML/);
  });
});
