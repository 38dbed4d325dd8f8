// The @pulumi/gcp kms resources this repository uses, each from its own module (add a line for a new one).
// Not `@pulumi/gcp/kms/index.js`: Node's ESM loader (tsx, vitest, the esbuild bundles) copies every export of a
// CommonJS module into its namespace, which fires each of the SDK's lazy getters and loads every resource of the
// service (https://nodejs.org/api/esm.html#commonjs-namespaces); tsc would read all their declarations too.
export { CryptoKey } from "@pulumi/gcp/kms/cryptoKey.js";
export { CryptoKeyIAMMember } from "@pulumi/gcp/kms/cryptoKeyIAMMember.js";
export { KeyRing } from "@pulumi/gcp/kms/keyRing.js";
export { getKMSCryptoKeyVersionOutput } from "@pulumi/gcp/kms/getKMSCryptoKeyVersion.js";
