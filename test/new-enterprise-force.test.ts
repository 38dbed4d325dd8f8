// `new-enterprise --force` edits the customer's existing stack file in place, and a refused id writes nothing.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { namespaceValues, parseStackConfig } from "../src/config/load.js";
import { EnterpriseInputError, renderEnterpriseStack } from "../src/enterprise/newEnterpriseStack.js";
import { main } from "../src/cli/new-enterprise.js";
import { parseStackFile } from "../src/plan/stackFile.js";
import { runBundle } from "./support/cli.js";

const template = readFileSync("Pulumi.enterprise.yaml", "utf8");
const good = { customer: "globex", billingAccount: "01A2B3-C4D5E6-F7A8B9", folderId: "123456789012" };
/** The example customer's stack (Pulumi.enterprise.yaml, project gumstack-acme), as another stack of the directory. */
const enterpriseConfig = () => parseStackConfig(namespaceValues(parseStackFile(template, "Pulumi.enterprise.yaml").config));

/** A generated stack file after `pulumi stack init` and a few hand edits, as it sits in a repository. */
function deployedFile(): string {
  const text = renderEnterpriseStack(template, good);
  return text
    .replace(
      /^config:\n/m,
      [
        "secretsprovider: gcpkms://projects/gumstack-admin/locations/global/keyRings/pulumi/cryptoKeys/stack-secrets",
        "encryptedkey: CiQAexampleEncryptedDataKey==",
        "config:",
        "",
      ].join("\n"),
    )
    .replace(/secure: v1:REPLACE_WITH_pulumi_config_set_--secret/, "secure: v1:AAAArealCiphertextOfThePassword==")
    .replace(/( {4}mcp:\n {6}machineType: n2-standard-4\n {6}minNodes: 1\n {6}maxNodes: )6/, "$110 # raised for the globex launch");
}

function refusal(input: Parameters<typeof renderEnterpriseStack>[1], options?: Parameters<typeof renderEnterpriseStack>[2]): string[] {
  try {
    renderEnterpriseStack(template, input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(EnterpriseInputError);
    return [...(err as EnterpriseInputError).problems];
  }
  throw new Error("expected a refusal");
}

describe("renderEnterpriseStack with an existing file (--force)", () => {
  it("changes only the keys of the flags given and keeps secrets, the secrets provider, comments and hand edits", () => {
    const before = deployedFile();
    const after = renderEnterpriseStack(
      template,
      { customer: "globex", budgetAmount: 25000, billingAccount: "0A0B0C-0D0E0F-101112" },
      { existingText: before },
    );
    const b = parse(before) as Record<string, any>;
    const a = parse(after) as Record<string, any>;
    expect(a.secretsprovider).toBe(b.secretsprovider);
    expect(a.encryptedkey).toBe("CiQAexampleEncryptedDataKey==");
    expect(a.config["gumstack:clickhousePassword"]).toEqual({ secure: "v1:AAAArealCiphertextOfThePassword==" });
    expect(a.config["gumstack:nodePools"].mcp.maxNodes).toBe(10);
    expect(after).toContain("maxNodes: 10 # raised for the globex launch");
    expect(a.config["gumstack:enterprise"]).toEqual({
      ...b.config["gumstack:enterprise"],
      budgetAmount: 25000,
      billingAccount: "0A0B0C-0D0E0F-101112",
    });
    // Nothing else moved: the two files differ in exactly those two lines.
    const changed = after.split("\n").filter((line, i) => line !== before.split("\n")[i]);
    expect(changed.map((l) => l.trim())).toEqual(["billingAccount: 0A0B0C-0D0E0F-101112", "budgetAmount: 25000"]);
  });

  it("keeps the project, domain and host when their flags are absent, and a random-suffix setting as the file has it", () => {
    const before = deployedFile().replace("randomSuffix: true", "randomSuffix: false");
    const after = renderEnterpriseStack(template, { customer: "globex", domain: "globex.example.com" }, { existingText: before });
    const a = parse(after) as Record<string, any>;
    expect(a.config).toMatchObject({
      "gcp:project": "gumstack-globex",
      "gumstack:project": "gumstack-globex",
      "gumstack:domain": "globex.example.com",
      "gumstack:naming": { randomSuffix: false },
      "gumstack:clickhouse": { host: "globex.us-west1.gcp.clickhouse.cloud" },
    });
  });

  it("refuses a file of another customer and a change the schema refuses, naming the flag", () => {
    expect(refusal({ customer: "initech" }, { existingText: deployedFile() })).toEqual([
      '--customer: Pulumi.enterprise-initech.yaml is the stack of customer "globex", not "initech"',
    ]);
    expect(refusal({ customer: "globex", project: "gumstack-ssl-globex" }, { existingText: deployedFile() })).toEqual([
      expect.stringMatching(
        /^--project: contains "ssl", which Resource Manager does not allow in project ids \(got "gumstack-ssl-globex"\) \[config gumstack:project\]$/,
      ),
    ]);
  });

  it("never turns the random name part on for a file that predates it (that would rename its ring and buckets)", () => {
    const before = deployedFile().replace(/ {2}gumstack:naming:\n {4}randomSuffix: true\n/, "");
    expect(before).not.toContain("randomSuffix");
    const after = renderEnterpriseStack(template, { customer: "globex", budgetAmount: 12000 }, { existingText: before });
    expect(after).not.toContain("randomSuffix");
  });

  it("writes new customers with the random name part on", () => {
    expect((parse(renderEnterpriseStack(template, good)) as Record<string, any>).config["gumstack:naming"]).toEqual({ randomSuffix: true });
  });
});

describe("renderEnterpriseStack refuses ids GCP would refuse, naming the flag and the rule", () => {
  it.each([
    [{ ...good, customer: "sslcorp" }, /^--project: contains "ssl", which Resource Manager does not allow/],
    [
      { ...good, customer: "g00gle" },
      /^gumstack:buckets\[0\]: makes the bucket name "gumstack-g00gle-ent-g00gle-data-<random>": contains "google" or a close misspelling/,
    ],
    [{ ...good, customer: "ab--cd" }, /^--domain: label "ab--cd" has "--" in positions 3 and 4/],
    [
      { ...good, project: "gumstack-acme" },
      /^--project: "gumstack-acme" is already the project of stack enterprise; give each stack its own project/,
    ],
    [{ customer: "globex" }, /^--billing-account: is required for a new customer/],
    [
      { ...good, customer: "api" },
      /^--domain: makes the domain "api\.gumstack\.com", which stack prod already makes \(from gumstack:edge\.apiSubdomain\)/,
    ],
  ])("refuses %o", (input, expected) => {
    const prod = parseStackConfig(namespaceValues(parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml").config));
    const options = {
      otherStacks: [
        { stack: "enterprise", config: enterpriseConfig() },
        { stack: "prod", config: prod },
      ],
    };
    expect(refusal(input, options)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it("accepts the shortest and the longest customer ids", () => {
    for (const customer of ["abc", `a${"b".repeat(18)}9`]) {
      const cfg = (parse(renderEnterpriseStack(template, { ...good, customer })) as Record<string, any>).config;
      expect(cfg["gumstack:project"]).toBe(`gumstack-${customer}`);
      expect(cfg["gumstack:project"].length).toBeLessThanOrEqual(30);
    }
  });
});

describe("npm run new-enterprise", () => {
  // In-process through main(), as the command runs it, in a scratch working directory; the first case runs the
  // bundle (.build/cli/new-enterprise.mjs, what `npm run new-enterprise` executes) in its own process, once.
  const run = (cwd: string, args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = main(args, { cwd, out: (s) => out.push(s), err: (s) => err.push(s) });
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
  };
  const workdir = () => {
    const dir = mkdtempSync(join(tmpdir(), "new-enterprise-force-"));
    copyFileSync("Pulumi.enterprise.yaml", join(dir, "Pulumi.enterprise.yaml"));
    copyFileSync("Pulumi.prod.yaml", join(dir, "Pulumi.prod.yaml"));
    return dir;
  };
  const base = ["--billing-account", "01A2B3-C4D5E6-F7A8B9", "--folder", "123456789012"];

  it("writes nothing for a refused id: a restricted word, or a project another stack file already uses", async () => {
    const dir = workdir();
    const restricted = await runBundle("new-enterprise", ["--customer", "sslcorp", ...base], { cwd: dir });
    expect(restricted.status).toBe(2);
    expect(restricted.stdout).toBe("");
    expect(restricted.stderr).toMatch(/^Refused, no file written:\n {2}- --project: contains "ssl"/);
    const shared = run(dir, ["--customer", "initech", "--project", "gumstack-acme", ...base]);
    expect(shared.status).toBe(2);
    expect(shared.stderr).toContain('--project: "gumstack-acme" is already the project of stack enterprise');
    expect(readdirSync(dir).sort()).toEqual(["Pulumi.enterprise.yaml", "Pulumi.prod.yaml"]);
  });

  it("--force on an existing file changes the flags given and keeps the secret and hand edits", () => {
    const dir = workdir();
    const file = join(dir, "Pulumi.enterprise-globex.yaml");
    writeFileSync(file, deployedFile());
    const res = run(dir, ["--customer", "globex", "--budget", "30000", "--force"]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("Updated Pulumi.enterprise-globex.yaml");
    const after = readFileSync(file, "utf8");
    expect(after).toContain("secure: v1:AAAArealCiphertextOfThePassword==");
    expect(after).toContain("encryptedkey: CiQAexampleEncryptedDataKey==");
    expect(after).toContain("maxNodes: 10 # raised for the globex launch");
    expect(after.replace("budgetAmount: 30000", "budgetAmount: 10000")).toBe(deployedFile());
  });
});
