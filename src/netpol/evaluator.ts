// The NetworkPolicy evaluator lives in the policy pack (the Pulumi CLI loads the pack on its own); the
// program, the component tests and the offline check use that one module.
export * from "../../policies/lib/netpol-evaluator";
