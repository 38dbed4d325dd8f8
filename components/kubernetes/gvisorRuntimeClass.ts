// The gVisor RuntimeClass MCP pods run with. On GKE it is GKE Sandbox's own object: GKE creates RuntimeClass
// `gvisor` (with the toleration of the sandbox taint and the sandbox node selector) when a pool has
// sandboxConfig GVISOR. The program must never create one of that name (AlreadyExists) nor adopt it (a later
// `pulumi destroy` or rename would delete GKE's object), fact 11. It only READS it: `RuntimeClass.get` is a read
// of an external resource, so Pulumi never updates or deletes it.
//
// If the class is absent (no sandbox pool, or GKE has not created it yet), the Pulumi engine fails the read with
// `resource 'gvisor' does not exist`, reported against this read's logical name, `<name>-provided-by-gke-sandbox`:
//
//   kubernetes:node.k8s.io/v1:RuntimeClass (mcp-runtime-provided-by-gke-sandbox):
//     error: resource 'gvisor' does not exist
//
// The fix is a node pool with sandboxConfig GVISOR (GkeNodePool role "mcp") that the read depends on. During the
// first preview, before the cluster exists, the provider is unconfigured and the read yields unknown values.
import * as nodev1 from "@pulumi/kubernetes/node/v1/index.js";
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { GKE_SANDBOX_RUNTIME_CLASS } from "./gkeSandbox.js";

/** Logical name of the read, chosen so the engine's "does not exist" error names its cause. */
export function sandboxRuntimeClassReadName(name: string): string {
  return `${name}-provided-by-gke-sandbox`;
}

/** The class name a successful read returned; throws a clear error when the read did not return the class. */
export function checkedRuntimeClassName(expected: string, readName: string | undefined): string {
  if (readName !== expected) {
    throw new Error(
      `RuntimeClass "${expected}" was not found on the cluster (read returned ${JSON.stringify(readName)}): ` +
        `GKE Sandbox creates it for a node pool with sandboxConfig.type GVISOR; add the MCP pool before MCP workloads.`,
    );
  }
  return readName;
}

export interface GvisorRuntimeClassArgs {
  /** Kubernetes provider of the cluster. Required; no default. */
  readonly provider: K8sProvider;
  /** Name of the RuntimeClass to read. Default "gvisor" (GKE Sandbox's). */
  readonly runtimeClassName?: string;
  /** Resources the read waits for: the GKE Sandbox node pool. Default []. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** Reads GKE Sandbox's RuntimeClass and hands its name to workloads; fails the deploy if it is missing. */
export class GvisorRuntimeClass extends pulumi.ComponentResource {
  /** The RuntimeClass name for pod specs (`runtimeClassName`); resolves only once the class was read. */
  public readonly runtimeClassName: pulumi.Output<string>;
  /** The class's container runtime handler, as GKE set it. */
  public readonly handler: pulumi.Output<string>;

  constructor(name: string, args: GvisorRuntimeClassArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:GvisorRuntimeClass", name, {}, opts);
    const expected = args.runtimeClassName ?? GKE_SANDBOX_RUNTIME_CLASS;
    const existing = nodev1.RuntimeClass.get(sandboxRuntimeClassReadName(name), expected, {
      parent: this,
      provider: args.provider,
      dependsOn: [...(args.dependsOn ?? [])],
    });
    this.runtimeClassName = existing.metadata.apply((m) => checkedRuntimeClassName(expected, m?.name));
    this.handler = existing.handler;
    this.registerOutputs({ runtimeClassName: this.runtimeClassName, handler: this.handler });
  }
}
