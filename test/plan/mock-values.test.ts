// Values the mock engine invented (addresses, project numbers, ids GCP assigns, the DNS authorization's CNAME
// target) are marked wherever they are printed, as `pulumi preview` shows what it cannot know yet: the plan's
// Outputs, its --json file, the fleet reports (md and json), the policy messages. The scan is of every value the
// mocks recorded for the committed stacks, never a sample; pack-config, derived from config alone, holds none.
import { mkdtempSync, readFileSync, readdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main as fleet } from "../../src/cli/fleet.js";
import { main as packConfig } from "../../src/cli/pack-config.js";
import { main as plan } from "../../src/cli/plan.js";
import { main as policyMain } from "../../src/cli/policy.js";
import type { Io } from "../../src/cli/common.js";
import { MOCK_MARK, platformMocks } from "../../src/plan/mocks.js";
import { inventedPattern, markInvented, markProse, markedExport, unmarkExport } from "../../src/plan/outputs.js";
import type { StackExport } from "../../src/plan/plan.js";
import { sharedPlan } from "../support/plans.js";
import { run } from "../cli/support.js";

const policy = (argv: string[], io: Io) => policyMain(argv, io.out, io.err, io);
// Planned while the file is collected (no test timeout: a plan takes seconds, far more on a loaded machine).
const PLANS: Record<string, StackExport> = { prod: await sharedPlan("prod"), enterprise: await sharedPlan("enterprise") };

/**
 * Every occurrence in `text` of an invented value that no mark covers: the nearest mark before it must belong to
 * the same string (no unescaped quote, table bar or line break between them: a string holding JSON, a kubeconfig
 * or a filter, carries its quotes escaped). Returns the occurrences, with context.
 */
function unmarked(text: string, invented: readonly string[]): string[] {
  const pattern = inventedPattern(invented);
  if (!pattern) return [];
  const found: string[] = [];
  for (const m of text.matchAll(pattern)) {
    const at = m.index;
    const mark = text.lastIndexOf(MOCK_MARK, at);
    if (mark < 0 || /(?<!\\)"|[|\n]/.test(text.slice(mark + MOCK_MARK.length, at)))
      found.push(`${m[0]} in ...${text.slice(Math.max(0, at - 60), at + m[0].length + 20)}...`);
  }
  return found;
}

describe("the mock engine records what it invents", () => {
  const mockResource = (type: string, inputs: Record<string, unknown>, name = "r") => {
    const invented = new Set<string>();
    const { id, state } = platformMocks("gumstack-prod", invented).newResource({
      type,
      name,
      inputs,
      provider: "",
      custom: true,
    } as never) as { id: string; state: Record<string, unknown> };
    return { id, state, invented };
  };

  it("what GCP assigns on a real deploy is invented; what follows from the inputs (GCP's naming) is not", () => {
    const cluster = mockResource("gcp:container/cluster:Cluster", { name: "gumstack-prod", location: "us-west1" });
    expect(cluster.invented).toContain("203.0.113.10");
    expect(cluster.invented).toContain((cluster.state.masterAuth as { clusterCaCertificate: string }).clusterCaCertificate);
    expect(cluster.invented.has(cluster.state.selfLink as string)).toBe(false);
    expect(cluster.invented.has(cluster.id)).toBe(false); // projects/<p>/locations/<l>/clusters/<name>: GCP's format

    const account = mockResource("gcp:serviceaccount/account:Account", { accountId: "gke-nodes-prod" });
    expect([...account.invented]).toEqual([account.state.uniqueId, account.id]);
    expect(account.state.email).toBe("gke-nodes-prod@gumstack-prod.iam.gserviceaccount.com");

    const address = mockResource("gcp:compute/address:Address", { name: "egress-0", region: "us-west1" });
    expect(address.invented).toContain(address.state.address);
    const dns = mockResource("gcp:certificatemanager/dnsAuthorization:DnsAuthorization", { domain: "gumstack.com" });
    const [record] = dns.state.dnsResourceRecords as { name: string; data: string }[];
    expect(dns.invented).toContain(record!.data);
    expect(dns.invented.has(record!.name)).toBe(false); // _acme-challenge.<domain>.: the documented record name
    const project = mockResource("gcp:organizations/project:Project", { projectId: "gumstack-acme" });
    expect(project.invented).toContain(project.state.number);
    const agent = mockResource("gcp:projects/serviceIdentity:ServiceIdentity", {
      project: "gumstack-acme",
      service: "container.googleapis.com",
    });
    expect(agent.invented).toContain(agent.state.email);
    const repo = mockResource("gcp:artifactregistry/repository:Repository", { repositoryId: "mcp-prod", location: "us-west1" });
    expect(repo.invented.has(repo.state.registryUri as string)).toBe(false);
  });

  it.each(["prod", "enterprise"])(
    "the %s plan lists them: every TEST-NET address, CNAME target and service agent of its outputs holds one",
    async (stack) => {
      const p = PLANS[stack]!;
      expect(p.mockValues!.length).toBeGreaterThan(10);
      const text = JSON.stringify(p.deployment.resources.map((r) => r.outputs));
      const lookReal = [
        // Addresses, not ranges: 192.0.2.0/24 is config (the egress deny list), not something the mocks made.
        ...text.matchAll(/(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}(?![\d/])/g),
        ...text.matchAll(/[0-9]+\.authorize\.certificatemanager\.goog\./g),
        ...text.matchAll(/service-\d{12}@[a-z-]+\.iam\.gserviceaccount\.com/g),
      ].map((m) => m[0]);
      expect(lookReal.length).toBeGreaterThan(3);
      // Each is invented, or made by the program from one (a service agent's address from the project number).
      const pattern = inventedPattern(p.mockValues!)!;
      for (const v of new Set(lookReal)) expect([v, new RegExp(pattern.source).test(v)]).toEqual([v, true]);
    },
  );
});

describe("marking", () => {
  it("marks a string holding an invented value as a whole, nested anywhere; tokens only, never inside a longer one", () => {
    const v = { ip: "203.0.113.7", ips: ["203.0.113.73", "10.0.0.1"], url: "https://203.0.113.7/x", id: "api-identity", n: 3 };
    expect(markInvented(v, ["203.0.113.7", "api-id"])).toEqual({
      ip: "[mock] 203.0.113.7",
      ips: ["203.0.113.73", "10.0.0.1"],
      url: "[mock] https://203.0.113.7/x",
      id: "api-identity",
      n: 3,
    });
    expect(
      markProse("member serviceAccount:service-1@x.iam.gserviceaccount.com has roles/owner", ["service-1@x.iam.gserviceaccount.com"]),
    ).toBe("member serviceAccount:[mock] service-1@x.iam.gserviceaccount.com has roles/owner");
  });

  it("the --json form carries the marks in place and reads back to the plan exactly", async () => {
    const p = PLANS.prod!;
    const marked = markedExport(p);
    expect(marked.mockValues).toBeUndefined();
    const text = JSON.stringify(marked, null, 2);
    expect(unmarked(text, p.mockValues!)).toEqual([]);
    expect(unmarked(JSON.stringify(p, null, 2), p.mockValues!).length).toBeGreaterThan(10); // the scan does find them
    const back = unmarkExport(JSON.parse(text)).doc as StackExport;
    expect(back.deployment.resources).toEqual(p.deployment.resources);
  });
});

describe.each(["prod", "enterprise"])("no invented value is printed unmarked: stack %s", (stack) => {
  const dir = mkdtempSync(join(tmpdir(), `mock-marks-${stack}-`));

  it("npm run plan: the Outputs section and the --json file", async () => {
    const invented = PLANS[stack]!.mockValues!;
    const file = join(dir, "plan.json");
    const r = await run(plan, "--stack", stack, "--json", file);
    expect(r.code, r.err).toBe(0);
    expect(unmarked(r.out, invented)).toEqual([]);
    expect(unmarked(readFileSync(file, "utf8"), invented)).toEqual([]);
    expect(r.out).toMatch(/^ {2}tenantEgressIps: \["\[mock\] 203\.0\.113\.\d+"/m);
    expect(r.out).toMatch(/^\[mock\]: invented by the offline mock engine/m);
    // The marked file checks as the stack does: the marks come off before the pack judges it.
    const checked = await run(policy, file);
    expect(checked.code, checked.out).toBe(0);
    expect(unmarked(checked.out, invented)).toEqual([]);
  });

  it("npm run fleet: the stack's md and json reports", async () => {
    const invented = PLANS[stack]!.mockValues!;
    const stacks = join(dir, "stacks");
    const out = join(dir, "reports");
    await import("node:fs").then((fs) => fs.mkdirSync(stacks));
    copyFileSync(`Pulumi.${stack}.yaml`, join(stacks, `Pulumi.${stack}.yaml`));
    const r = await run(fleet, "--dir", stacks, "--out", out);
    expect(r.code, r.out).toBe(0);
    expect(readdirSync(out).sort()).toEqual([`${stack}.json`, `${stack}.md`, "summary.json", "summary.md"]);
    for (const f of readdirSync(out)) expect(unmarked(readFileSync(join(out, f), "utf8"), invented), f).toEqual([]);
    expect(readFileSync(join(out, `${stack}.md`), "utf8")).toContain("[mock] 203.0.113.");
  });

  it("npm run pack-config: derived from the config alone, it holds no invented value", async () => {
    const invented = PLANS[stack]!.mockValues!;
    const r = await run(packConfig, "--stack", stack);
    expect(r.code).toBe(0);
    expect(inventedPattern(invented)!.test(r.out)).toBe(false);
  });
});
