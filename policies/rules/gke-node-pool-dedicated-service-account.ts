import { cisGke, resourcePolicy } from "../lib/policy";
import { at, deferUnknown, UNKNOWN } from "../lib/props";
import { GKE_NODE_POOL } from "../lib/types";

export const gkeNodePoolDedicatedServiceAccount = resourcePolicy(
  {
    name: "gke-node-pool-dedicated-service-account",
    description: "GKE node pools run as a dedicated, minimal service account, never the Compute Engine default one.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("5.2.1", "Ensure GKE clusters are not running using the Compute Engine default service account"),
    remediationSteps:
      "Create a service account with only logging, monitoring and Artifact Registry read roles and set it as nodeConfig.serviceAccount.",
  },
  GKE_NODE_POOL,
  ({ props, proxied, report }) => {
    const sa = at(props, "nodeConfig.serviceAccount");
    // Normally the email of a service account created in the same stack: unknown in a first preview.
    if (sa === UNKNOWN) return deferUnknown(proxied, "nodeConfig.serviceAccount");
    if (sa === undefined || sa === null || sa === "" || sa === "default") {
      report("nodeConfig.serviceAccount is not set: the pool runs as the Compute Engine default service account (Editor on the project)");
    } else if (typeof sa === "string" && /-compute@developer\.gserviceaccount\.com$/.test(sa)) {
      report(`nodeConfig.serviceAccount ${sa} is the Compute Engine default service account`);
    }
  },
);
