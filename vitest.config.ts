import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Files share their worker's module cache (the SDKs load once per worker, not once per file). Pulumi's mock
    // runtime is process-global, so test/support/pulumi-reset.ts resets it before every file.
    pool: "forks",
    // Every core, not vitest's default of one fewer: the type check (scripts/test.mjs) runs alongside only for its
    // first ~20 s, after which a 2-core machine would idle a core for the rest of the run.
    maxWorkers: availableParallelism(),
    isolate: false,
    // A larger young generation for the workers: the plans and policy runs allocate short-lived objects by the
    // hundred megabytes, and with V8's default semi-space size the scavenger ran more often and
    // promoted more. Measured over the whole suite (GC pauses from perf_hooks "gc" entries, both workers): 7.0-7.5 s
    // at the default, 4.8-5.2 s at 64 MiB. https://v8.dev/blog/orinoco-parallel-scavenger
    execArgv: ["--max-semi-space-size=64"],
    // Transformed test and source modules are kept in node_modules/.vitest-cache (keyed by content) for the next run.
    fsModuleCache: true,
    setupFiles: ["test/support/pulumi-reset.ts"],
    globalSetup: ["test/support/plan-dir.ts"],
    testTimeout: 30_000,
  },
});
