import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Files share their worker's module cache (the SDKs load once per worker, not once per file). Pulumi's mock
    // runtime is process-global, so test/support/pulumi-reset.ts resets it before every file.
    pool: "forks",
    isolate: false,
    setupFiles: ["test/support/pulumi-reset.ts"],
    testTimeout: 30_000,
  },
});
