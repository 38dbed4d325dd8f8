import * as projects from "../components/sdk/gcp/projects.js";
import * as secretmanager from "../components/sdk/gcp/secretmanager.js";
import * as serviceaccount from "../components/sdk/gcp/serviceaccount.js";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { one, record } from "./support/harness.js";

describe("offline plan recorder", () => {
  it("records inputs, parents and real dependency edges", async () => {
    const resources = await record(() => {
      const sa = new serviceaccount.Account("nodes", { accountId: "gke-nodes", project: "gumstack-test" });
      new projects.IAMMember("nodes-logging", {
        project: "gumstack-test",
        role: "roles/logging.logWriter",
        member: pulumi.interpolate`serviceAccount:${sa.email}`,
      });
    });
    const sa = one(resources, "gcp:serviceaccount/account:Account", "nodes");
    const grant = one(resources, "gcp:projects/iAMMember:IAMMember", "nodes-logging");
    expect(grant.inputs.member).toBe("serviceAccount:gke-nodes@gumstack-test.iam.gserviceaccount.com");
    expect(grant.dependencies).toContain(sa.urn);
    expect(grant.propertyDependencies.member).toEqual([sa.urn]);
    expect(grant.parent).toMatch(/pulumi:pulumi:Stack::gumstack-test$/);
  });

  it("masks secrets in inputs and outputs", async () => {
    const resources = await record(() => {
      new secretmanager.SecretVersion("pw", { secret: "s", secretData: pulumi.secret("hunter2-plaintext") });
    });
    const text = JSON.stringify(resources);
    expect(text).not.toContain("hunter2-plaintext");
    expect(one(resources, "gcp:secretmanager/secretVersion:SecretVersion").inputs.secretData).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    });
  });
});
