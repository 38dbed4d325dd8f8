// The typed CEL builder for ValidatingAdmissionPolicies (docs/admission-cel.md): expressions (expr.ts) and
// policies, validations and guards built from them (policy.ts).
export * from "./expr.js";
export * from "./policy.js";
export * from "./kubernetes.js";
