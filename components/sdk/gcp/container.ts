// The @pulumi/gcp container resources this repository uses, each from its own module (add a line for a new one).
// Not `@pulumi/gcp/container/index.js`: Node's ESM loader (tsx, vitest, the esbuild bundles) copies every export of a
// CommonJS module into its namespace, which fires each of the SDK's lazy getters and loads every resource of the
// service (https://nodejs.org/api/esm.html#commonjs-namespaces); tsc would read all their declarations too.
export { Cluster } from "@pulumi/gcp/container/cluster.js";
export { NodePool } from "@pulumi/gcp/container/nodePool.js";
