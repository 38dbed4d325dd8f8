import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/new-enterprise.js";
import { namespaceValues, parseStackConfig } from "../src/config/load.js";
import { EnterpriseInputError, renderEnterpriseStack } from "../src/enterprise/newEnterpriseStack.js";
import { parseStackFile } from "../src/plan/stackFile.js";
import { sharedPlanner } from "./support/cli.js";

const template = readFileSync("Pulumi.enterprise.yaml", "utf8");
const good = { customer: "globex", billingAccount: "01A2B3-C4D5E6-F7A8B9", folderId: "123456789012" };

function refusal(input: Parameters<typeof renderEnterpriseStack>[1]): string[] {
  try {
    renderEnterpriseStack(template, input);
  } catch (err) {
    expect(err).toBeInstanceOf(EnterpriseInputError);
    return [...(err as EnterpriseInputError).problems];
  }
  throw new Error("expected a refusal");
}

describe("renderEnterpriseStack", () => {
  it("writes a valid enterprise stack for the customer, keeping the secret a secure placeholder", () => {
    const text = renderEnterpriseStack(template, good);
    const parsed = parseStackFile(text, "Pulumi.enterprise-globex.yaml");
    const cfg = parseStackConfig(namespaceValues(parsed.config));
    expect(cfg).toMatchObject({
      kind: "enterprise",
      project: "gumstack-globex",
      environment: "ent-globex",
      domain: "globex.gumstack.com",
      enterprise: {
        customer: "globex",
        folderId: "123456789012",
        billingAccount: "01A2B3-C4D5E6-F7A8B9",
        platformProject: "gumstack-prod",
      },
    });
    expect(parsed.config["gcp:project"]).toBe("gumstack-globex");
    // The builder keeps the template's digest, moved to the new customer's own tenant repository (the copy the
    // release identity makes there after the first deployment is byte-identical, so the digest is known now).
    const templateDigest = /@(sha256:[a-f0-9]{64})/.exec(template.slice(template.indexOf("builderImage:")))![1];
    expect(cfg.build.builderImage).toBe(`us-west1-docker.pkg.dev/gumstack-globex/mcp-ent-globex/gumstack-build/builder@${templateDigest}`);
    expect(text).toMatch(
      /# The builder's digest as in Pulumi\.enterprise\.yaml; after the first deployment copy it here: scripts\/publish-platform-image\.sh builder/,
    );
    expect(parsed.secretKeys).toContain("gumstack:clickhousePassword");
    expect(text).not.toContain("acme");
  });

  it.each([
    [{ ...good, customer: "Globex Corp" }, /^--customer: must be 3-20 lowercase/],
    [{ ...good, customer: "x" }, /^--customer: must be 3-20 lowercase/],
    [{ ...good, billingAccount: "0000-1111" }, /^--billing-account: must be a billing account id .*\(got "0000-1111"\)/],
    [{ ...good, folderId: "folders/12" }, /^--folder: must be a numeric folder id/],
    [{ ...good, project: "Globex" }, /^--project: must be a GCP project id/],
    [{ ...good, platformProject: "gumstack-globex" }, /^--platform-project: must differ from project/],
  ])("refuses %o naming the flag", (input, expected) => {
    expect(refusal(input)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});

describe("npm run new-enterprise", () => {
  // In-process through main(), as the command runs it, in a scratch working directory.
  const run = (cwd: string, args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = main(args, { cwd, out: (s) => out.push(s), err: (s) => err.push(s) });
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
  };
  const workdir = () => {
    const dir = mkdtempSync(join(tmpdir(), "new-enterprise-"));
    copyFileSync("Pulumi.enterprise.yaml", join(dir, "Pulumi.enterprise.yaml"));
    return dir;
  };
  const args = ["--customer", "globex", "--billing-account", "01A2B3-C4D5E6-F7A8B9", "--folder", "123456789012"];

  it("writes the stack file, prints the next commands, and refuses to overwrite without --force", () => {
    const dir = workdir();
    const first = run(dir, args);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("pulumi stack init enterprise-globex");
    expect(first.stdout).toContain("pulumi up --stack enterprise-globex");
    const file = join(dir, "Pulumi.enterprise-globex.yaml");
    expect(existsSync(file)).toBe(true);
    const again = run(dir, args);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("already exists; pass --force");
    expect(run(dir, [...args, "--force"]).status).toBe(0);
  });

  it("writes a stack that plans offline with no further edits, as its own customer", async () => {
    const dir = workdir();
    expect(run(dir, args).status).toBe(0);
    const plan = await sharedPlanner({ stack: "enterprise-globex", configFile: join(dir, "Pulumi.enterprise-globex.yaml") });
    const projects = plan.deployment.resources.filter((r) => r.type === "gcp:organizations/project:Project");
    expect(projects.map((p) => [p.inputs.projectId, p.inputs.folderId])).toEqual([["gumstack-globex", "123456789012"]]);
    expect(JSON.stringify(plan)).not.toContain("gumstack-acme");
  });

  it("writes no file for an invalid customer", () => {
    const dir = workdir();
    const res = run(dir, ["--customer", "ACME!", "--billing-account", "01A2B3-C4D5E6-F7A8B9", "--folder", "123456789012"]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("--customer: must be 3-20 lowercase");
    expect(execFileSync("ls", [dir], { encoding: "utf8" }).trim()).toBe("Pulumi.enterprise.yaml");
  });
});
