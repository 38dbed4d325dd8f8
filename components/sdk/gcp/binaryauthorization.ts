// The @pulumi/gcp binaryauthorization resources this repository uses, each from its own module (add a line for a new one).
// Not `@pulumi/gcp/binaryauthorization/index.js`: Node's ESM loader (tsx, vitest, the esbuild bundles) copies every export of a
// CommonJS module into its namespace, which fires each of the SDK's lazy getters and loads every resource of the
// service (https://nodejs.org/api/esm.html#commonjs-namespaces); tsc would read all their declarations too.
export { Attestor } from "@pulumi/gcp/binaryauthorization/attestor.js";
export { Policy } from "@pulumi/gcp/binaryauthorization/policy.js";
