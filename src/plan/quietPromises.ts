// Pulumi records `new Error().stack` on every promise it makes (@pulumi/pulumi runtime/debuggable.js,
// debuggablePromise), for a promise-leak report it prints only under PULUMI_DEBUG_PROMISE_LEAKS. Capturing and
// formatting those stacks was an eighth to a third of a plan, and under a test runner that source-maps every stack,
// half of a component test. quietPulumiPromises() makes that one capture empty (stack depth 0 around the call)
// for the rest of the process; every other error (a thrown config error, a failing assertion) keeps its frames.
// The SDK calls `debuggable_1.debuggablePromise(...)` through its module's exports object, so replacing the export
// reaches every caller. Not installed when the leak report or GUMSTACK_DEBUG=1 wants the stacks.
import { createRequire } from "node:module";

const QUIET = Symbol.for("gumstack.quietPulumiPromiseStacks");
type PromiseWrapper = ((...args: unknown[]) => unknown) & { [QUIET]?: true };

/** Installs the quiet wrapper once per process; later calls do nothing. */
export function quietPulumiPromises(): void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS || process.env.GUMSTACK_DEBUG === "1") return;
  const debuggable = createRequire(import.meta.url)("@pulumi/pulumi/runtime/debuggable.js") as { debuggablePromise: PromiseWrapper };
  if (debuggable.debuggablePromise[QUIET]) return;
  const original = debuggable.debuggablePromise;
  const quiet: PromiseWrapper = (...args) => {
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
