// The CI workflows users copy: pinned actions, Node 22, no credentials on pull requests, and the policy pack
// with the stack's own pack config on the credentialed preview.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const load = (f: string) => ({
  text: readFileSync(`.github/workflows/${f}`, "utf8"),
  doc: parse(readFileSync(`.github/workflows/${f}`, "utf8")),
});
const steps = (doc: any, job: string): any[] => doc.jobs[job].steps;

describe(".github/workflows", () => {
  it.each(["ci.yml", "preview.yml"])("%s pins every action to a commit, with its tag in a comment, and sets up Node 22", (f) => {
    const { text, doc } = load(f);
    const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(2);
    for (const [, ref, comment] of uses) {
      expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
    const job = Object.keys(doc.jobs)[0]!;
    expect(steps(doc, job).find((s) => String(s.uses).startsWith("actions/setup-node@")).with["node-version"]).toBe(22);
  });

  it("ci.yml runs the tests and the fleet check on pull requests, with no credentials at all", () => {
    const { text, doc } = load("ci.yml");
    expect(Object.keys(doc.on)).toContain("pull_request");
    expect(doc.permissions).toEqual({ contents: "read" });
    expect(text).not.toMatch(/secrets\.|vars\.|id-token|google-github-actions/);
    const runs = steps(doc, "test")
      .map((s) => s.run)
      .filter(Boolean);
    expect(runs).toEqual(expect.arrayContaining(["npm test", "npm run -s fleet -- --out fleet-report"]));
  });

  it("preview.yml previews with the policy pack and pack config from the stack, through federation, never on pull requests", () => {
    const { doc } = load("preview.yml");
    expect(Object.keys(doc.on)).not.toContain("pull_request");
    expect(doc.permissions).toEqual({ contents: "read", "id-token": "write" });
    const s = steps(doc, "preview");
    const auth = s.findIndex((x) => String(x.uses).startsWith("google-github-actions/auth@"));
    expect(s[auth].with).toEqual({
      workload_identity_provider: "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
      service_account: "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}",
    });
    expect(JSON.stringify(s)).not.toMatch(/credentials_json/);
    const packConfig = s.findIndex((x) =>
      String(x.run).startsWith("npm run -s pack-config -- --stack ${{ matrix.stack }} --out pack-config.json"),
    );
    // The action installs the CLI; the preview runs it with the exclusions (test/bootstrap.test.ts checks them).
    const pulumi = s.findIndex((x) => String(x.uses).startsWith("pulumi/actions@"));
    const preview = s.findIndex((x) => /^pulumi preview /.test(String(x.run)));
    expect(auth).toBeGreaterThan(-1);
    expect(packConfig).toBeGreaterThan(auth);
    expect(pulumi).toBeGreaterThan(packConfig);
    expect(s[pulumi].with).toBeUndefined();
    expect(preview).toBeGreaterThan(pulumi);
    expect(s[preview].shell).toBe("bash");
    expect(s[preview].run).toMatch(
      /^pulumi preview --stack \$\{\{ matrix\.stack \}\} --non-interactive --policy-pack policies \\\n\s+--policy-pack-config pack-config\.json /,
    );
  });
});
