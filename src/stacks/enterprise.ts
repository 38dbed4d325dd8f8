// An enterprise customer's stack: a dedicated project, then the whole platform inside it. The one resource
// outside that project is the grant that lets the customer's nodes pull the backend image from the platform
// registry; the customer's MCP server images live in the customer's own registry.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { CustomerProject } from "../../components/enterprise/customerProject.js";
import type { Settings } from "../config/index.js";
import { buildCore } from "./core.js";

/** The Artifact Registry repository an image reference points at, or undefined for other registries. */
export function registryRepositoryOf(image: string): { location: string; project: string; repositoryId: string } | undefined {
  const m = /^([a-z0-9-]+)-docker\.pkg\.dev\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/([a-z0-9._-]+)\//.exec(image);
  return m ? { location: m[1]!, project: m[2]!, repositoryId: m[3]! } : undefined;
}

export async function buildEnterprise(settings: Settings): Promise<Record<string, unknown>> {
  const enterprise = settings.enterprise;
  if (!enterprise) throw new pulumi.RunError("gumstack:enterprise is required for an enterprise stack");

  const customer = new CustomerProject("customer", {
    customer: enterprise.customer,
    projectId: settings.project,
    folderId: enterprise.folderId,
    billingAccount: enterprise.billingAccount,
    budgetAmount: enterprise.budgetAmount,
    budgetCurrency: enterprise.budgetCurrency,
    budgetThresholds: enterprise.budgetThresholds,
    quotaProject: enterprise.quotaProject ?? enterprise.platformProject,
  });

  const core = buildCore(settings, {
    createdProjectId: customer.projectId,
    projectNumber: customer.projectNumber,
    billingBudgets: true,
  });

  // The backend image is built once, by the platform: the customer's nodes may pull from that repository only.
  const backendRepo = registryRepositoryOf(settings.backend.image);
  if (backendRepo && backendRepo.project !== settings.project) {
    new gcp.artifactregistry.RepositoryIamMember("platform-registry-reader", {
      project: backendRepo.project,
      location: backendRepo.location,
      repository: backendRepo.repositoryId,
      role: "roles/artifactregistry.reader",
      member: pulumi.interpolate`serviceAccount:${core.nodeServiceAccount.email}`,
    });
  }

  return {
    ...core.outputs,
    customer: enterprise.customer,
    projectNumber: customer.projectNumber,
    folderId: enterprise.folderId,
  };
}
