// The RuntimeClass GKE Sandbox creates on a cluster with a gVisor node pool: its name and its handler are both
// "gvisor". One constant for every component that names it (the MCP and build pods, Knative's default runtime
// class, the admission guards, the canary). The policy pack, which loads alone, spells it out itself. Fact 11.
export const GKE_SANDBOX_RUNTIME_CLASS = "gvisor";
