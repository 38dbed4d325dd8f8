// quietPulumiPromises (src/plan/quietPromises.ts): Pulumi's per-promise leak-report stack is captured empty, and
// nothing else changes: the promise still resolves and rejects as before, the caller's stack depth is restored,
// and an error thrown anywhere else keeps its frames. The test setup file has installed it, as the CLIs do.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { quietPulumiPromises } from "../../src/plan/quietPromises.js";

type Debuggable = { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };
const debuggable = createRequire(import.meta.url)("@pulumi/pulumi/runtime/debuggable.js") as Debuggable;

// GUMSTACK_DEBUG=1 or PULUMI_DEBUG_PROMISE_LEAKS asks for the stacks: then nothing is wrapped, by design.
const wanted = process.env.GUMSTACK_DEBUG === "1" || Boolean(process.env.PULUMI_DEBUG_PROMISE_LEAKS);

describe("quietPulumiPromises", () => {
  it.skipIf(wanted)("records an empty stack on each promise the SDK wraps, keeping its value and its rejection", async () => {
    quietPulumiPromises();
    const p = Promise.resolve(42);
    await expect(debuggable.debuggablePromise(p, "test")).resolves.toBe(42);
    expect((p as unknown as { _debugStackTrace: string })._debugStackTrace).not.toMatch(/\n\s+at /);
    const failing = Promise.reject(new Error("boom"));
    await expect(debuggable.debuggablePromise(failing, "test")).rejects.toThrow("boom");
  });

  it("restores the caller's stack depth, and other errors keep their frames", () => {
    const limit = Error.stackTraceLimit;
    void debuggable.debuggablePromise(Promise.resolve(), "test");
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("elsewhere").stack!.split("\n").length).toBeGreaterThan(1);
  });

  it("wraps once, however often it is called", () => {
    const before = debuggable.debuggablePromise;
    quietPulumiPromises();
    quietPulumiPromises();
    expect(debuggable.debuggablePromise).toBe(before);
  });
});
