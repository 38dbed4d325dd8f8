// Test files share a worker (vitest `isolate: false`) and with it Pulumi's runtime, which is process-global: the
// mock monitor, the stack's config and the options a previous file set. Each file starts from a clean runtime
// and leaves no registration in flight for the next one.
import * as pulumi from "@pulumi/pulumi";
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

// Pulumi records `new Error().stack` on every promise it creates (runtime/debuggable.js), for the promise-leak
// report it prints at exit. Under vitest that string went through the module runner's source-map
// prepareStackTrace, a third of a component test's CPU. Those stacks alone are kept as V8's call sites and
// formatted only if the report is printed (Pulumi interpolates them into a string); every other error (a failing
// assertion, a thrown config error) keeps vitest's source-mapped frames.
type Prepare = (error: Error, stack: NodeJS.CallSite[]) => unknown;
const PLAIN = Symbol.for("gumstack.test.lazyPulumiPromiseStacks");
const current = Error.prepareStackTrace as (Prepare & { [PLAIN]?: true }) | undefined;
if (current && !current[PLAIN]) {
  const wrapped: Prepare & { [PLAIN]?: true } = (error, stack) =>
    stack[0]?.getFunctionName() === "debuggablePromise"
      ? { toString: () => `${error.name}: ${error.message}\n    at ${stack.join("\n    at ")}` }
      : current(error, stack);
  wrapped[PLAIN] = true;
  Error.prepareStackTrace = wrapped;
}
