// The rules GCP applies to names, maintenance windows and address ranges, tested directly at their edges, and
// through the schema: each refusal names the key, the value and the rule, before anything is planned.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, namespaceValues, parseAllConfig, parseStackConfig } from "../src/config/load.js";
import {
  bucketNameProblem,
  dnsLabelProblem,
  domainProblem,
  duplicates,
  kmsIdProblem,
  looksLikeGoogle,
  projectIdProblem,
  repositoryIdProblem,
  serviceAccountIdProblem,
} from "../src/config/gcpNames.js";
import { maintenanceWindowProblem, minimumAvailabilityHours } from "../src/config/maintenanceWindow.js";
import { perNodePodPrefix, rangeNeeds, rangeProblems } from "../src/config/podRange.js";
import { parseStackFile } from "../src/plan/stackFile.js";
import { main as plan } from "../src/cli/plan.js";
import { run } from "./cli/support.js";
import { configProblems } from "./support/config.js";

const prodFile = parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml");
const prodValues = () => structuredClone(namespaceValues(prodFile.config)) as Record<string, any>;

const problems = configProblems;

describe("project ids (Resource Manager)", () => {
  it.each(["abcdef", "a".repeat(30), "gumstack-prod", "a1-b2-c3"])("accepts %s", (id) => expect(projectIdProblem(id)).toBeUndefined());
  it.each([
    ["abcde", /6-30/],
    ["a".repeat(31), /6-30/],
    ["1abcdef", /starting with a letter/],
    ["abcdef-", /not ending with a hyphen/],
    ["gumstack-google", /"google"/],
    ["ssl-gumstack", /"ssl"/],
    ["null-tenant", /"null"/],
    ["undefined-x", /"undefined"/],
  ])("refuses %s", (id, rule) => expect(projectIdProblem(id)).toMatch(rule));
});

describe("bucket names (Cloud Storage)", () => {
  it.each(["abc", "a".repeat(63), "gumstack-prod-data", "goo-data", "go-ogle"[0] + "data"])("accepts %s", (n) =>
    expect(bucketNameProblem(n)).toBeUndefined(),
  );
  it.each([
    ["ab", /3-63/],
    ["a".repeat(64), /3-63/],
    ["-abc", /starting and ending/],
    ["Abc", /lowercase/],
    ["goog-data", /starts with "goog"/],
    ["my-google-data", /google/],
    ["my-g00gle-data", /misspelling/],
    ["acme-gogle", /misspelling/],
    ["acme-goo-gle", /misspelling/],
    ["acme-googel", /misspelling/],
    ["acme-g0og1e", /misspelling/],
  ])("refuses %s", (n, rule) => expect(bucketNameProblem(n)).toMatch(rule));
  it("reads look-alike digits and separators as the word", () => {
    expect(looksLikeGoogle("g_o_o_g_l_e")).toBe(true);
    expect(looksLikeGoogle("gumstack-ent-acme-data")).toBe(false);
    expect(looksLikeGoogle("logo-ledger")).toBe(false);
  });
});

describe("service account ids, KMS ids, repository ids", () => {
  it("service account ids are 6-30 characters", () => {
    expect(serviceAccountIdProblem("abcdef")).toBeUndefined();
    expect(serviceAccountIdProblem("a".repeat(30))).toBeUndefined();
    expect(serviceAccountIdProblem("abcde")).toMatch(/6-30 characters long .*has 5/);
    expect(serviceAccountIdProblem("a".repeat(31))).toMatch(/has 31/);
    expect(serviceAccountIdProblem("backend-")).toMatch(/ending with a letter or digit/);
  });
  it("KMS ids are 1-63 letters, digits, _ or -", () => {
    expect(kmsIdProblem("a")).toBeUndefined();
    expect(kmsIdProblem("A_b-" + "c".repeat(59))).toBeUndefined();
    expect(kmsIdProblem("c".repeat(64))).toMatch(/1-63/);
    expect(kmsIdProblem("a.b")).toMatch(/1-63/);
  });
  it("repository ids start with a letter and end with a letter or digit", () => {
    expect(repositoryIdProblem("g")).toBeUndefined();
    expect(repositoryIdProblem("g" + "a".repeat(62))).toBeUndefined();
    expect(repositoryIdProblem("g" + "a".repeat(63))).toMatch(/1-63/);
    expect(repositoryIdProblem("1repo")).toMatch(/starting with a letter/);
  });
});

describe("DNS labels a public CA will certify (RFC 5891 reserved LDH)", () => {
  it.each(["api", "a", "xn--bcher-kva", "ab-cd", "a--b"])("accepts the label %s", (l) => expect(dnsLabelProblem(l)).toBeUndefined());
  it.each([
    ["ab--cd", /reserved LDH/],
    ["zz--x", /reserved LDH/],
    ["-ab", /not starting/],
    ["a".repeat(64), /1-63/],
  ])("refuses the label %s", (l, rule) => expect(dnsLabelProblem(l)).toMatch(rule));
  it("checks every label of a domain and its length", () => {
    expect(domainProblem("acme.gumstack.com")).toBeUndefined();
    expect(domainProblem("xn--bcher-kva.example")).toBeUndefined();
    expect(domainProblem("ab--cd.gumstack.com")).toMatch(/"ab--cd".*reserved LDH/);
    expect(domainProblem(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.com`)).toBeUndefined();
    expect(domainProblem(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(58)}.com`)).toMatch(/at most 253/);
  });
  it("names repeated entries once each", () => expect(duplicates(["a", "b", "a", "a", "b", "c"])).toEqual(["a", "b"]));
});

describe("maintenance windows (GKE: 48 h in any 32 days, blocks of 4 h or more)", () => {
  const w = (startTime: string, endTime: string, recurrence: string) => ({ startTime, endTime, recurrence });
  it("accepts exactly 48 h: one 12-hour Saturday window a week (four in the leanest 32 days)", () => {
    const window = w("2026-01-03T09:00:00Z", "2026-01-03T21:00:00Z", "FREQ=WEEKLY;BYDAY=SA");
    expect(minimumAvailabilityHours(window)).toBe(48);
    expect(maintenanceWindowProblem(window)).toBeUndefined();
  });
  it("refuses a minute less", () => {
    const window = w("2026-01-03T09:00:00Z", "2026-01-03T20:59:00Z", "FREQ=WEEKLY;BYDAY=SA");
    expect(minimumAvailabilityHours(window)).toBeCloseTo(47.93, 2);
    expect(maintenanceWindowProblem(window)).toEqual({ key: "endTime", message: expect.stringMatching(/only 47\.93 h .* at least 48 h/) });
  });
  it("counts only blocks of 4 hours or more", () => {
    expect(minimumAvailabilityHours(w("2026-01-01T00:00:00Z", "2026-01-01T04:00:00Z", "FREQ=DAILY"))).toBe(124);
    expect(minimumAvailabilityHours(w("2026-01-01T00:00:00Z", "2026-01-01T03:59:00Z", "FREQ=DAILY"))).toBe(0);
    expect(maintenanceWindowProblem(w("2026-01-01T00:00:00Z", "2026-01-01T03:00:00Z", "FREQ=DAILY"))?.message).toMatch(/only 0 h/);
  });
  it("evaluates the prod window and windows spanning days (overlaps merge into one block)", () => {
    expect(minimumAvailabilityHours(w("2026-01-03T09:00:00Z", "2026-01-03T17:00:00Z", "FREQ=WEEKLY;BYDAY=SA,SU"))).toBe(64);
    expect(minimumAvailabilityHours(w("2026-01-01T00:00:00Z", "2026-01-02T02:00:00Z", "FREQ=DAILY"))).toBe(32 * 24);
    expect(minimumAvailabilityHours(w("2026-01-05T22:00:00Z", "2026-01-06T04:00:00Z", "FREQ=WEEKLY;BYDAY=MO,TU"))).toBeGreaterThanOrEqual(
      48,
    );
  });
  it("refuses what it cannot evaluate, saying so", () => {
    expect(
      maintenanceWindowProblem(w("2026-01-03T09:00:00Z", "2026-01-03T21:00:00Z", "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA,SU"))?.message,
    ).toMatch(/FREQ=MONTHLY cannot be evaluated here/);
    expect(maintenanceWindowProblem(w("2026-01-03T09:00:00Z", "2026-01-03T21:00:00Z", "FREQ=WEEKLY;INTERVAL=2"))?.message).toMatch(
      /INTERVAL cannot be evaluated/,
    );
    expect(maintenanceWindowProblem(w("2026-01-03T09:00:00Z", "2026-01-03T21:00:00Z", "FREQ=WEEKLY;BYDAY=SAT"))?.message).toMatch(
      /BYDAY=SAT must list days/,
    );
    expect(maintenanceWindowProblem(w("2026-01-03T09:00:00Z", "2026-01-03T09:00:00Z", "FREQ=DAILY"))?.message).toMatch(
      /must be after startTime/,
    );
  });
});

describe("pod and node ranges hold the pools at their maximum plus surge", () => {
  it("gives each node a /24 at 110 pods (twice the pods, rounded up to a power of two)", () => {
    expect(perNodePodPrefix(110)).toBe(24);
    expect(perNodePodPrefix(64)).toBe(25);
    expect(perNodePodPrefix(8)).toBe(28);
  });
  it("counts every pool's maximum and one surge node per zone", () => {
    const pools = [
      { role: "system", maxNodes: 9 },
      { role: "backend", maxNodes: 72 },
      { role: "mcp", maxNodes: 20 },
    ];
    expect(rangeNeeds({ podPrefix: 14, nodePrefix: 20, zones: 3, pools })).toEqual({
      nodes: 110,
      podRangeNodes: 1024,
      nodeRangeNodes: 4092,
    });
  });
  it("accepts a pod range that exactly fits and refuses one node more", () => {
    const fit = [
      { role: "system", maxNodes: 9 },
      { role: "backend", maxNodes: 72 },
      { role: "mcp", maxNodes: 38 },
    ];
    expect(rangeProblems({ podPrefix: 17, nodePrefix: 20, zones: 3, pools: fit })).toEqual([]);
    const over = rangeProblems({ podPrefix: 17, nodePrefix: 20, zones: 3, pools: [...fit.slice(0, 2), { role: "mcp", maxNodes: 39 }] });
    expect(over).toEqual([
      {
        key: "podCidr",
        message: expect.stringMatching(/holds 128 nodes \(a \/24 each at 110 pods per node\) but the pools may reach 129/),
      },
    ]);
  });
  it("accepts a node range that exactly fits (4 addresses reserved) and refuses one node more", () => {
    const pools = (mcp: number) => [
      { role: "system", maxNodes: 9 },
      { role: "backend", maxNodes: 72 },
      { role: "mcp", maxNodes: mcp },
    ];
    expect(rangeProblems({ podPrefix: 14, nodePrefix: 24, zones: 3, pools: pools(162) })).toEqual([]);
    expect(rangeProblems({ podPrefix: 14, nodePrefix: 24, zones: 3, pools: pools(163) })).toEqual([
      { key: "nodeCidr", message: expect.stringMatching(/holds 252 nodes .* may reach 253/) },
    ]);
  });
});

describe("the schema applies the rules before anything is planned", () => {
  const edit = (f: (v: Record<string, any>) => void) => {
    const v = prodValues();
    f(v);
    return v;
  };
  const cases: Array<[string, (v: Record<string, any>) => void, RegExp]> = [
    [
      "a restricted word in the project id",
      (v) => {
        v.project = "gumstack-ssl";
      },
      /^gumstack:project: contains "ssl".*\(got "gumstack-ssl"\)/,
    ],
    [
      "a bucket name with a misspelled google",
      (v) => {
        v.project = "g00gle-fans";
        v.environment = "prod";
      },
      /^gumstack:buckets\[0\]: makes the bucket name "g00gle-fans-prod-data": contains "google" or a close misspelling/,
    ],
    [
      "a reserved-LDH domain label",
      (v) => {
        v.domain = "ab--cd.gumstack.com";
      },
      /^gumstack:domain: label "ab--cd" has "--" in positions 3 and 4/,
    ],
    [
      "a reserved-LDH API subdomain",
      (v) => {
        v.edge = { apiSubdomain: "ap--i" };
      },
      /^gumstack:edge\.apiSubdomain: makes the host name "ap--i\.gumstack\.com": label "ap--i"/,
    ],
    [
      "an environment equal to the project",
      (v) => {
        v.environment = "gumstack-p";
        v.project = "gumstack-p";
      },
      /^gumstack:environment: must differ from project \(gumstack-p\)/,
    ],
    [
      "the same Spanner database twice",
      (v) => {
        v.spanner.databases = ["gumstack", "gumstack"];
      },
      /^gumstack:spanner\.databases: lists a database twice: "gumstack"/,
    ],
    [
      "the same authorized network twice",
      (v) => {
        v.cluster.authorizedNetworks = [
          { displayName: "a", cidr: "10.0.0.0/8" },
          { displayName: "b", cidr: "10.0.0.0/8" },
        ];
      },
      /^gumstack:cluster\.authorizedNetworks: lists a CIDR twice/,
    ],
    [
      "a maintenance window GKE refuses",
      (v) => {
        v.cluster.maintenanceWindow = {
          startTime: "2026-01-03T09:00:00Z",
          endTime: "2026-01-03T13:00:00Z",
          recurrence: "FREQ=WEEKLY;BYDAY=SA",
        };
      },
      /^gumstack:cluster\.maintenanceWindow\.endTime: allows only 16 h of maintenance in some 32-day window/,
    ],
    [
      "a monthly maintenance window",
      (v) => {
        v.cluster.maintenanceWindow = {
          startTime: "2026-01-03T09:00:00Z",
          endTime: "2026-01-03T21:00:00Z",
          recurrence: "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA",
        };
      },
      /^gumstack:cluster\.maintenanceWindow\.recurrence: FREQ=MONTHLY cannot be evaluated here; use FREQ=DAILY or FREQ=WEEKLY;BYDAY=\.\.\. \(got "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA"\)/,
    ],
    [
      "a pod range too small for the pools",
      (v) => {
        v.network.podCidr = "10.16.0.0/18";
      },
      /^gumstack:network\.podCidr: holds 64 nodes .* may reach 87 \(system 9 \+ 3 surge, backend 72 \+ 3 surge\); use a larger range or lower nodePools\.\*\.maxNodes \(got "10\.16\.0\.0\/18"\)/,
    ],
    [
      "a repository id with a trailing hyphen",
      (v) => {
        v.artifactRegistry.repositoryId = "gumstack-";
      },
      /^gumstack:artifactRegistry\.repositoryId: must be a DNS-1123 label: lowercase letters, digits and hyphens, starting with a letter \(got "gumstack-"\)/,
    ],
  ];
  it.each(cases)("refuses %s", (_label, f, expected) => {
    expect(problems(edit(f))).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it("accepts the shortest and longest environments, project ids and domains the rules allow", () => {
    // The canary's and the builder's image paths follow the project and environment (the tenant repository is
    // mcp-<environment>): the canary off, the builder moved, so only the names are judged.
    const noCanary = (v: Record<string, any>) => {
      v.canary = { enabled: false };
      const digest = /@(sha256:[a-f0-9]{64})$/.exec(v.build.builderImage)![1];
      v.build = { ...v.build, builderImage: `us-west1-docker.pkg.dev/${v.project}/mcp-${v.environment}/gumstack-build/builder@${digest}` };
    };
    expect(
      problems(
        edit((v) => {
          v.environment = "pr";
          v.project = "abcdef";
          noCanary(v);
        }),
      ),
    ).toEqual([]);
    expect(
      problems(
        edit((v) => {
          v.environment = `e${"x".repeat(23)}9`;
          v.project = `p${"q".repeat(28)}9`;
          noCanary(v);
        }),
      ),
    ).toEqual([]);
    expect(
      problems(
        edit((v) => {
          v.domain = "xn--bcher-kva.example";
        }),
      ),
    ).toEqual([]);
  });

  it("defaults naming.randomSuffix to false, so existing stacks keep their names", () => {
    expect(parseStackConfig(prodValues()).naming).toEqual({ randomSuffix: false });
  });

  it("refuses gcp:project and gcp:region that differ from the program's own, naming both keys", () => {
    const all = { ...prodFile.config, "gcp:project": "gumstack-other", "gcp:region": "us-east1" };
    try {
      parseAllConfig(all);
      throw new Error("expected a refusal");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'gcp:project: "gumstack-other" differs from gumstack:project "gumstack-prod"; set both to the same value (the provider\'s default would point elsewhere)',
        'gcp:region: "us-east1" differs from gumstack:region "us-west1"; set both to the same value (the provider\'s default would point elsewhere)',
      ]);
    }
    expect(() => parseAllConfig(prodFile.config)).not.toThrow();
    const { ["gcp:project"]: _p, ["gcp:region"]: _r, ...without } = prodFile.config;
    expect(() => parseAllConfig(without)).not.toThrow();
  });
});

describe("npm run plan with config GCP would refuse", () => {
  it("exits 1 listing every problem on one line each, provider keys included, with no stack trace and no file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "config-rules-"));
    const file = join(dir, "Pulumi.bad.yaml");
    const out = join(dir, "plan.json");
    writeFileSync(
      file,
      readFileSync("Pulumi.prod.yaml", "utf8")
        .replace("gcp:project: gumstack-prod", "gcp:project: gumstack-other")
        .replace("recurrence: FREQ=WEEKLY;BYDAY=SA,SU", "recurrence: FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA")
        .replace("podCidr: 10.16.0.0/14", "podCidr: 10.16.0.0/19")
        .replace("databases: [gumstack]", "databases: [gumstack, gumstack]"),
    );
    // In-process through the command's main(); test/plan-bundle.test.ts runs the bundle in its own process.
    const res = await run(plan, "--stack", "bad", "--config-file", file, "--json", out);
    expect(res.code).toBe(1);
    const lines = res.err.split("\n").filter((l) => l.startsWith("  - "));
    expect(lines).toEqual([
      expect.stringMatching(/^ {2}- gumstack:cluster\.maintenanceWindow\.recurrence: FREQ=MONTHLY cannot be evaluated here/),
      expect.stringMatching(/^ {2}- gumstack:spanner\.databases: lists a database twice: "gumstack"/),
      expect.stringMatching(/^ {2}- gumstack:network\.podCidr: holds 32 nodes .* may reach 87/),
      expect.stringMatching(/^ {2}- gcp:project: "gumstack-other" differs from gumstack:project "gumstack-prod"/),
    ]);
    expect(res.err).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
});
