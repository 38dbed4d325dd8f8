// The deploy path as the README orders it (scripts/rehearse.sh), run against the stand-ins of test/rehearsal/bin:
// it passes in the README's order, and an order the README does not give fails at the step that is early, with the
// script's own one-line reason. The stand-ins' own rules are tested in test/rehearsal.test.ts (part of `npm test`).
//
// Every rehearsal runs the repository's real scripts and CLIs (seven scripts/deploy.sh runs in the README's order,
// each with `npm run pack-config`): about 30 s of CPU for the whole file, 90 s and more of wall time on a loaded
// 2-core machine. So not part of `npm test`: .ci/run runs this file as its own step with GUMSTACK_REHEARSAL=1.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

const REQUESTED = process.env.GUMSTACK_REHEARSAL === "1";

describe.skipIf(REQUESTED)("the deploy rehearsal", () => {
  it.skip("runs only with GUMSTACK_REHEARSAL=1 (.ci/run sets it and runs this file as its own step)", () => {});
});

/** Runs the rehearsal (asynchronously, so the cases run side by side); resolves to its exit status and output. */
function rehearse(...steps: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["scripts/rehearse.sh", ...(steps.length ? ["--steps", steps.join(",")] : [])], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

// Every rehearsal runs the repository's real scripts and CLIs (pack-config plans nothing but loads the program's
// config): seconds each on a quiet machine, more on a loaded one.
describe.runIf(REQUESTED).concurrent("scripts/rehearse.sh", { timeout: 600_000 }, () => {
  it("passes in the README's order, from an empty organization to a customer added and offboarded", async () => {
    const r = await rehearse();
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout.trim()).toBe(
      "rehearsal passed: credentials bootstrap stack secret backend platform-images first-up dns copy-images canary-on second-up customer offboard",
    );
    // The README's own warnings are what the stand-ins answer: nothing the path runs asked a terminal.
    expect(r.stderr).not.toMatch(/does not exist\.\n.*press <ENTER>/);
  });

  it.each([
    [
      "the backend published before stack init (README had it so: an immutable tag pushed, then nowhere to pin it)",
      ["credentials", "bootstrap", "backend"],
      "backend",
      /error: no stack 'prod' in this backend: pulumi stack init prod --secrets-provider/,
    ],
    ["the secret set before stack init", ["credentials", "bootstrap", "secret"], "secret", /error: no stack named 'prod' found/],
    [
      "the first up before the secret is set",
      ["credentials", "bootstrap", "stack", "first-up"],
      "first-up",
      /error: gumstack:clickhousePassword is still the committed placeholder: pulumi config set --secret gumstack:clickhousePassword '<value>' --stack prod/,
    ],
    [
      "the first up before the images are published",
      ["credentials", "bootstrap", "stack", "secret", "first-up"],
      "first-up",
      /error: gumstack:backend\.image is the placeholder digest sha256:0{64}: publish the image and pin it: scripts\/publish-backend\.sh --stack prod/,
    ],
    [
      "the copy into the tenant repository before the first up",
      ["credentials", "bootstrap", "stack", "secret", "backend", "platform-images", "copy-images"],
      "copy-images",
      /error: the tenant repository us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod does not exist \(or this identity cannot read it\): the stack's first up creates it/,
    ],
    [
      "the canary on before its copy",
      ["credentials", "bootstrap", "stack", "secret", "backend", "platform-images", "first-up", "canary-on", "second-up"],
      "second-up",
      /gumstack:canary\.image: is required when canary\.enabled is true/,
    ],
    [
      "anything before the credentials",
      ["bootstrap"],
      "bootstrap",
      /You do not currently have an active account|could not find default credentials/,
    ],
  ])("fails with %s", async (_what, steps, failing, reason) => {
    const r = await rehearse(...steps);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`rehearsal failed at step '${failing}'`);
    expect(r.stderr).toMatch(reason);
  });
});
