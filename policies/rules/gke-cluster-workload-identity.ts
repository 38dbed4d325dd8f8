import { cisGke, resourcePolicy } from "../lib/policy";
import { at, deferUnknown, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

// Without Workload Identity, pods can only reach GCP as the node's service account (docs/facts.md fact 12).
export const gkeClusterWorkloadIdentity = resourcePolicy(
  {
    name: "gke-cluster-workload-identity",
    description: "GKE clusters enable Workload Identity (workloadIdentityConfig.workloadPool = PROJECT.svc.id.goog).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisGke("5.2.2", "Prefer using dedicated GCP Service Accounts and Workload Identity"),
    remediationSteps: "Set workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` } on the cluster.",
  },
  GKE_CLUSTER,
  ({ props, proxied, report }) => {
    if (at(props, "enableAutopilot") === true) return; // always on in Autopilot
    const pool = at(props, "workloadIdentityConfig.workloadPool");
    // The pool is usually built from the project id: a reference, legitimately unknown in a first preview.
    if (pool === UNKNOWN) return deferUnknown(proxied, "workloadIdentityConfig.workloadPool");
    if (typeof pool === "string" && /^[^\s/]+\.svc\.id\.goog$/.test(pool)) return;
    report(
      pool === undefined || pool === ""
        ? "Workload Identity is disabled: set workloadIdentityConfig.workloadPool to PROJECT_ID.svc.id.goog"
        : `workloadIdentityConfig.workloadPool ${JSON.stringify(pool)} is not a GKE Workload Identity pool (PROJECT_ID.svc.id.goog)`,
    );
  },
);
