// Test files share a worker (vitest `isolate: false`) and with it Pulumi's runtime, which is process-global: the
// mock monitor, the stack's config and the options a previous file set. Each file starts from a clean runtime
// and leaves no registration in flight for the next one.
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";
import { afterAll, beforeAll } from "vitest";

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

// Pulumi captures `new Error().stack` on every promise it creates (runtime/debuggable.js), for the promise-leak
// report it prints at exit; capturing and source-mapping those stacks was half of a component test's CPU. They
// are captured empty (stack depth 0 around that one call); every other error (a failing assertion, a thrown
// config error) keeps its frames. The SDK calls `debuggable_1.debuggablePromise(...)` through the module's
// exports object, so replacing the export reaches every caller.
const QUIET = Symbol.for("gumstack.test.quietPulumiPromiseStacks");
type PromiseWrapper = (...args: unknown[]) => unknown;
const debuggable = createRequire(import.meta.url)("@pulumi/pulumi/runtime/debuggable.js") as {
  debuggablePromise: PromiseWrapper & { [QUIET]?: true };
};
if (!debuggable.debuggablePromise[QUIET]) {
  const original = debuggable.debuggablePromise;
  const quiet: PromiseWrapper & { [QUIET]?: true } = (...args) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(...args);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  quiet[QUIET] = true;
  debuggable.debuggablePromise = quiet;
}
