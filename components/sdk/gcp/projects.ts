// The @pulumi/gcp projects resources this repository uses, each from its own module (add a line for a new one).
// Not `@pulumi/gcp/projects/index.js`: Node's ESM loader (tsx, vitest, the esbuild bundles) copies every export of a
// CommonJS module into its namespace, which fires each of the SDK's lazy getters and loads every resource of the
// service (https://nodejs.org/api/esm.html#commonjs-namespaces); tsc would read all their declarations too.
export { IAMAuditConfig } from "@pulumi/gcp/projects/iamauditConfig.js";
export { IAMCustomRole } from "@pulumi/gcp/projects/iamcustomRole.js";
export { IAMMember } from "@pulumi/gcp/projects/iammember.js";
export { Service } from "@pulumi/gcp/projects/service.js";
export { ServiceIdentity } from "@pulumi/gcp/projects/serviceIdentity.js";
