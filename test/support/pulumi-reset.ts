// Test files share a worker (vitest `isolate: false`) and with it Pulumi's runtime, which is process-global: the
// mock monitor, the stack's config and the options a previous file set. Each file starts from a clean runtime
// and leaves no registration in flight for the next one.
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll } from "vitest";
import { quietPulumiPromises } from "../../src/plan/quietPromises.js";

const runtime = pulumi.runtime as unknown as {
  resetOptions(project: string, stack: string, parallel: number, engine: string, monitor: string, preview: boolean, org: string): void;
  waitForRPCs(): Promise<void>;
};

beforeAll(() => {
  pulumi.runtime.setAllConfig({}, []);
  runtime.resetOptions("", "", -1, "", "", false, "");
});

afterAll(async () => {
  await runtime.waitForRPCs();
});

// Pulumi's per-promise stacks (for a leak report nobody reads here) are captured empty, as in the CLIs: under
// vitest each one also went through source mapping (src/plan/quietPromises.ts).
quietPulumiPromises();
