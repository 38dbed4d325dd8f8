// GvisorRuntimeClass READS GKE Sandbox's RuntimeClass: the read's type, id, provider and logical name (which the
// engine's "resource 'gvisor' does not exist" error is reported against), and the program's own check.
// Runs its own mocks: the harness records registrations, not reads.
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { platformMocks } from "../../src/plan/mocks.js";
import {
  GvisorRuntimeClass,
  checkedRuntimeClassName,
  sandboxRuntimeClassReadName,
} from "../../components/kubernetes/gvisorRuntimeClass.js";
import { valueOf } from "./fixtures.js";

describe("GvisorRuntimeClass read", () => {
  it("reads RuntimeClass gvisor through the cluster's provider, under a name that explains a failed read", async () => {
    const base = platformMocks("gumstack-test");
    const reads: pulumi.runtime.MockResourceArgs[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          if (args.id) reads.push(args);
          return base.newResource(args);
        },
        call: (args) => base.call(args),
      },
      "gumstack",
      "test",
      false,
    );
    const provider = new K8sProvider("k8s", { kubeconfig: "{}" });
    const gvisor = new GvisorRuntimeClass("mcp-runtime", { provider });
    expect(await valueOf(gvisor.runtimeClassName)).toBe("gvisor");

    expect(reads).toHaveLength(1);
    const read = reads[0]!;
    expect(read.type).toBe("kubernetes:node.k8s.io/v1:RuntimeClass");
    expect(read.id).toBe("gvisor");
    expect(read.name).toBe("mcp-runtime-provided-by-gke-sandbox");
    expect(read.name).toBe(sandboxRuntimeClassReadName("mcp-runtime"));
    expect(read.provider).toMatch(/pulumi:providers:kubernetes::k8s::/);
  });

  it("fails with a message that names the missing GKE Sandbox pool when the read does not return the class", () => {
    expect(checkedRuntimeClassName("gvisor", "gvisor")).toBe("gvisor");
    expect(() => checkedRuntimeClassName("gvisor", undefined)).toThrow(
      'RuntimeClass "gvisor" was not found on the cluster (read returned undefined): GKE Sandbox creates it for a node pool ' +
        "with sandboxConfig.type GVISOR; add the MCP pool before MCP workloads.",
    );
  });
});
