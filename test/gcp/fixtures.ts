// The base every GCP component test builds on: the project's APIs and service agents, and the KMS keys
// granted to them, as the base layer (src/stacks/layers/base.ts) composes them.
import type * as pulumi from "@pulumi/pulumi";
import { Kms } from "../../components/gcp/kms.js";
import { ProjectServices } from "../../components/gcp/projectServices.js";

export function keyLayer(project: pulumi.Input<string> = "gumstack-prod", environment = "prod") {
  const services = new ProjectServices("svc", { project });
  const kms = new Kms("kms", { project, region: "us-west1", environment, rotationDays: 90, agents: services.agents, apis: services.apis });
  return { services, kms };
}
