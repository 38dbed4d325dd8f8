// The @pulumi/gcp containeranalysis resources this repository uses, each from its own module (add a line for a new one).
// Not `@pulumi/gcp/containeranalysis/index.js`: Node's ESM loader (tsx, vitest, the esbuild bundles) copies every export of a
// CommonJS module into its namespace, which fires each of the SDK's lazy getters and loads every resource of the
// service (https://nodejs.org/api/esm.html#commonjs-namespaces); tsc would read all their declarations too.
export { Note } from "@pulumi/gcp/containeranalysis/note.js";
export { NoteIamMember } from "@pulumi/gcp/containeranalysis/noteIamMember.js";
