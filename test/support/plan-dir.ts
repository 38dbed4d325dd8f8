// vitest globalSetup: a directory for this run only, where the first worker to plan a committed stack leaves the
// plan for the others (test/support/plans.ts). Emptied before each re-run in watch mode (a source file changed, so
// every plan must be made again) and removed when vitest exits; a new run never sees an older run's plans.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's directory of shared plans. */
    planDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "gumstack-plans-"));
  project.provide("planDir", dir);
  project.onTestsRerun(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
  });
  return () => rmSync(dir, { recursive: true, force: true });
}
