// Enterprise domains under a platform domain are reserved in the platform stack: new-enterprise writes the label,
// fleet refuses a platform stack without it, and the committed stacks hold it (acme.gumstack.com under prod).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RESERVED_HOSTNAMES } from "../../components/kubernetes/admissionPolicies.js";
import { main as fleet } from "../../src/cli/fleet.js";
import { listStacks } from "../../src/cli/common.js";
import { main as newEnterprise } from "../../src/cli/new-enterprise.js";
import { labelUnder, unreservedEnterpriseDomains, withReservedLabel, type DomainStack } from "../../src/config/enterpriseDomains.js";
import { parseAllConfig } from "../../src/config/load.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { sharedPlan } from "../support/plans.js";

const configOf = (file: string, text = readFileSync(file, "utf8")) => parseAllConfig(parseStackFile(text, file).config);
const stack = (name: string, kind: "platform" | "enterprise", domain: string, reserved: string[] = []): DomainStack => ({
  stack: name,
  config: { kind, domain, mcp: { reservedHostnames: reserved } },
});

describe("labelUnder", () => {
  it.each([
    ["gumstack.com", "acme.gumstack.com", "acme"],
    ["gumstack.com", "eu.acme.gumstack.com", "acme"],
    ["gumstack.com", "ACME.Gumstack.com", "acme"],
    ["gumstack.com", "acme.example.com", undefined],
    ["gumstack.com", "gumstack.com", undefined],
    ["gumstack.com", "notgumstack.com", undefined],
  ])("%s / %s -> %s", (platform, domain, label) => expect(labelUnder(platform, domain)).toBe(label));
});

describe("unreservedEnterpriseDomains", () => {
  it("names the platform stack, the key, the label and the enterprise stack", () => {
    const problems = unreservedEnterpriseDomains([
      stack("prod", "platform", "gumstack.com", ["api"]),
      stack("ent", "enterprise", "acme.gumstack.com"),
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^prod: gumstack:mcp\.reservedHostnames: does not reserve "acme", the label of enterprise stack ent's domain acme\.gumstack\.com/,
      ),
    ]);
  });

  it("accepts a reserved label, and enterprise domains outside the platform domain", () => {
    expect(
      unreservedEnterpriseDomains([
        stack("prod", "platform", "gumstack.com", ["acme"]),
        stack("a", "enterprise", "acme.gumstack.com"),
        stack("b", "enterprise", "globex.example.com"),
      ]),
    ).toEqual([]);
  });

  it("holds for the committed stacks: prod reserves the enterprise example's label", () => {
    const prod = configOf("Pulumi.prod.yaml");
    const ent = configOf("Pulumi.enterprise.yaml");
    expect(ent.domain).toBe("acme.gumstack.com");
    // The defaults, then a label per enterprise stack file under prod's domain (a customer added with
    // new-enterprise is one more), never a list written here.
    const labels = listStacks()
      .map((s) => configOf(`Pulumi.${s}.yaml`))
      .filter((c) => c.kind === "enterprise")
      .map((c) => labelUnder(prod.domain, c.domain))
      .filter((l): l is string => l !== undefined);
    expect(labels).toContain("acme");
    expect(new Set(prod.mcp.reservedHostnames)).toEqual(new Set([...DEFAULT_RESERVED_HOSTNAMES, ...labels]));
    expect(
      unreservedEnterpriseDomains([
        { stack: "prod", config: prod },
        { stack: "enterprise", config: ent },
      ]),
    ).toEqual([]);
    // And without the label, the same pair is refused.
    const dropped = { ...prod, mcp: { ...prod.mcp, reservedHostnames: prod.mcp.reservedHostnames.filter((l) => l !== "acme") } };
    expect(
      unreservedEnterpriseDomains([
        { stack: "prod", config: dropped },
        { stack: "enterprise", config: ent },
      ]),
    ).toHaveLength(1);
  });
});

describe("withReservedLabel", () => {
  it("adds the label to a list, keeping the file's comments and other keys; nothing to do when it is there", () => {
    const text = "# head\nconfig:\n  gumstack:domain: gumstack.com # d\n  gumstack:mcp:\n    reservedHostnames: [api, www]\n";
    const edited = withReservedLabel(text, "acme")!;
    expect(edited).toContain("# head");
    expect(edited).toContain("gumstack:domain: gumstack.com # d");
    expect(JSON.parse(String(parseStackFile(edited, "x.yaml").config["gumstack:mcp"]))).toEqual({
      reservedHostnames: ["api", "www", "acme"],
    });
    expect(withReservedLabel(edited, "acme")).toBeUndefined();
  });

  it("starts from the default list when the file sets none (a list given replaces the default)", () => {
    const edited = withReservedLabel("config:\n  gumstack:domain: gumstack.com\n", "acme")!;
    expect(JSON.parse(String(parseStackFile(edited, "x.yaml").config["gumstack:mcp"]))).toEqual({
      reservedHostnames: [...DEFAULT_RESERVED_HOSTNAMES, "acme"],
    });
  });
});

describe("npm run new-enterprise reserves the customer's label in the platform stack", () => {
  const run = (cwd: string, args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = newEnterprise(args, { cwd, out: (s) => out.push(s), err: (s) => err.push(s) });
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
  };
  // The README's example customer, or the first of these the committed prod does not reserve yet (it does once
  // someone follows the README here).
  const committed = configOf("Pulumi.prod.yaml").mcp.reservedHostnames;
  const customer = ["globex", "initech", "hooli", "umbrella", "vandelay"].find(
    (c) => !committed.includes(c) && !existsSync(`Pulumi.enterprise-${c}.yaml`),
  )!;
  const args = ["--customer", customer, "--billing-account", "01A2B3-C4D5E6-F7A8B9", "--folder", "123456789012"];

  it("adds the customer's label to Pulumi.prod.yaml, says so, and leaves prod valid and passing the cross-stack check", () => {
    const dir = mkdtempSync(join(tmpdir(), "reserve-"));
    for (const f of ["Pulumi.enterprise.yaml", "Pulumi.prod.yaml"]) copyFileSync(f, join(dir, f));
    const res = run(dir, args);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Reserved "${customer}" in Pulumi\\.prod\\.yaml \\(gumstack:mcp\\.reservedHostnames\\)`, "m"));
    const prod = configOf("Pulumi.prod.yaml", readFileSync(join(dir, "Pulumi.prod.yaml"), "utf8"));
    expect(prod.mcp.reservedHostnames).toEqual([...committed, customer]);
    const file = `Pulumi.enterprise-${customer}.yaml`;
    const added = configOf(file, readFileSync(join(dir, file), "utf8"));
    expect(
      unreservedEnterpriseDomains([
        { stack: "prod", config: prod },
        { stack: `enterprise-${customer}`, config: added },
      ]),
    ).toEqual([]);
    // The rest of prod's file is untouched.
    expect(readFileSync(join(dir, "Pulumi.prod.yaml"), "utf8")).toBe(
      readFileSync("Pulumi.prod.yaml", "utf8").replace(
        `      - ${committed.at(-1)}\n`,
        `      - ${committed.at(-1)}\n      - ${customer}\n`,
      ),
    );
  });

  it("writes nothing to the platform stack for a domain outside it", () => {
    const dir = mkdtempSync(join(tmpdir(), "reserve-"));
    for (const f of ["Pulumi.enterprise.yaml", "Pulumi.prod.yaml"]) copyFileSync(f, join(dir, f));
    const res = run(dir, [...args, "--domain", `mcp.${customer}.example`]);
    expect(res.status).toBe(0);
    expect(res.stdout).not.toContain("Reserved");
    expect(readFileSync(join(dir, "Pulumi.prod.yaml"), "utf8")).toBe(readFileSync("Pulumi.prod.yaml", "utf8"));
  });

  it("refuses, writing no file, when the platform stack's list cannot be edited", () => {
    const dir = mkdtempSync(join(tmpdir(), "reserve-"));
    copyFileSync("Pulumi.enterprise.yaml", join(dir, "Pulumi.enterprise.yaml"));
    const prod = readFileSync("Pulumi.prod.yaml", "utf8");
    writeFileSync(join(dir, "Pulumi.prod.yaml"), prod);
    // A platform file parsed by otherStacks but whose list a later hand edit made a scalar is not silently rewritten.
    expect(() => withReservedLabel(prod.replace(/reservedHostnames:\n(\s+#.*\n)*(\s+- .*\n)+/, "reservedHostnames: api\n"), "x")).toThrow(
      /reservedHostnames is not a list/,
    );
  });
});

describe("npm run fleet refuses a platform stack that does not reserve an enterprise domain's label", () => {
  // The plans themselves are the committed stacks' (shared); only the stack files differ, and the refusal is the
  // cross-stack check of their configs, which fleet makes after planning.
  const fleetOver = async (prodText: string) => {
    const dir = mkdtempSync(join(tmpdir(), "fleet-reserve-"));
    writeFileSync(join(dir, "Pulumi.prod.yaml"), prodText);
    copyFileSync("Pulumi.enterprise.yaml", join(dir, "Pulumi.enterprise.yaml"));
    const out: string[] = [];
    const code = await fleet(["--dir", dir, "--out", join(dir, "reports")], {
      out: (s) => out.push(s),
      err: (s) => out.push(s),
      planStack: async ({ stack }) => sharedPlan(stack === "prod" ? "prod" : "enterprise"),
    });
    return { code, out: out.join("\n"), summary: JSON.parse(readFileSync(join(dir, "reports", "summary.json"), "utf8")) };
  };

  it("exits 1 naming prod, the key and the label when acme is missing; passes the committed pair", async () => {
    const committed = readFileSync("Pulumi.prod.yaml", "utf8");
    expect(committed).toContain("      - acme\n");
    const missing = await fleetOver(committed.replace("      - acme\n", ""));
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(
      /^refused {4}prod: gumstack:mcp\.reservedHostnames: does not reserve "acme", the label of enterprise stack enterprise's domain acme\.gumstack\.com/m,
    );
    expect(missing.summary.passed).toBe(false);
    const ok = await fleetOver(committed);
    expect(ok.summary.acrossStacks).toEqual([]);
  }, 60_000);
});
