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
    // Transformed test and source modules are kept in node_modules/.vitest-cache (keyed by content) for the next run.
    fsModuleCache: true,
    setupFiles: ["test/support/pulumi-reset.ts"],
    testTimeout: 30_000,
  },
});
