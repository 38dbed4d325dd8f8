import { cisGke, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER } from "../lib/types";

export const gkeClusterSecretsEncryption = resourcePolicy(
  {
    name: "gke-cluster-secrets-encryption",
    description: "GKE clusters encrypt Kubernetes Secrets at the application layer with a Cloud KMS key.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisGke("5.3.1", "Ensure Kubernetes Secrets are encrypted using keys managed in Cloud KMS"),
    remediationSteps:
      'Set databaseEncryption: { state: "ENCRYPTED", keyName: <KMS crypto key id> } (the container service agent needs cryptoKeyEncrypterDecrypter first).',
  },
  GKE_CLUSTER,
  ({ props, report }) => {
    const state = at(props, "databaseEncryption.state");
    if (state === UNKNOWN) return report(cannotVerify("databaseEncryption.state"));
    // keyName is a reference to a key created in the same stack: unknown is fine, absent is not.
    const key = at(props, "databaseEncryption.keyName");
    if (state !== "ENCRYPTED") {
      report(
        `Secrets are not encrypted with Cloud KMS: databaseEncryption.state is ${JSON.stringify(state ?? null)}, expected "ENCRYPTED"`,
      );
    } else if (key === undefined || key === null || key === "") {
      report("databaseEncryption.state is ENCRYPTED but databaseEncryption.keyName names no KMS key");
    }
  },
);
