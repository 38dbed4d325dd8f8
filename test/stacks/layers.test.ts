// The layers' readiness outputs: `after(value, ready)` is the value, and whatever takes it as an input is created
// after every resource in `ready`, so a caller cannot pass the value and forget the order.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { after } from "../../src/stacks/layers/ready.js";
import { one, record, valueOf } from "../support/harness.js";

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

describe("after", () => {
  it("resolves to the value, and a resource taking it depends on each ready resource through that input", async () => {
    let resolved: string | undefined;
    const resources = await record(async () => {
      const grantA = new k8s.core.v1.ConfigMap("grant-a", { metadata: { name: "a" } });
      const grantB = new k8s.core.v1.ConfigMap("grant-b", { metadata: { name: "b" } });
      const key = after(pulumi.output("projects/p/keys/k"), [grantA, grantB]);
      new k8s.core.v1.ConfigMap("user", { metadata: { name: "user" }, data: { key } });
      resolved = await valueOf(key);
    });
    expect(resolved).toBe("projects/p/keys/k");
    const user = one(resources, CONFIG_MAP, "user");
    expect(user.inputs.data).toEqual({ key: "projects/p/keys/k" });
    for (const name of ["grant-a", "grant-b"]) {
      const grant = one(resources, CONFIG_MAP, name);
      expect(user.dependencies).toContain(grant.urn);
      expect(user.propertyDependencies.data).toContain(grant.urn);
    }
  });

  it("without ready resources adds no dependency", async () => {
    const resources = await record(() => {
      new k8s.core.v1.ConfigMap("user", { metadata: { name: "user" }, data: { key: after(pulumi.output("v"), []) } });
    });
    expect(one(resources, CONFIG_MAP, "user").dependencies).toEqual([]);
  });
});
