// The @pulumi/gcp compute resources this repository uses, each from its own module (add a line for a new one).
// Not `@pulumi/gcp/compute/index.js`: Node's ESM loader (tsx, vitest, the esbuild bundles) copies every export of a
// CommonJS module into its namespace, which fires each of the SDK's lazy getters and loads every resource of the
// service (https://nodejs.org/api/esm.html#commonjs-namespaces); tsc would read all their declarations too.
export { Address } from "@pulumi/gcp/compute/address.js";
export { Firewall } from "@pulumi/gcp/compute/firewall.js";
export { GlobalAddress } from "@pulumi/gcp/compute/globalAddress.js";
export { Network } from "@pulumi/gcp/compute/network.js";
export { Router } from "@pulumi/gcp/compute/router.js";
export { RouterNat } from "@pulumi/gcp/compute/routerNat.js";
export { SecurityPolicy } from "@pulumi/gcp/compute/securityPolicy.js";
export { SSLPolicy } from "@pulumi/gcp/compute/sslpolicy.js";
export { Subnetwork } from "@pulumi/gcp/compute/subnetwork.js";
