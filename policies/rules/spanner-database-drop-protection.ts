import { platformRule, resourcePolicy } from "../lib/policy";
import { at, cannotVerify, UNKNOWN } from "../lib/props";
import { SPANNER_DATABASE } from "../lib/types";

// enableDropProtection is enforced by Spanner itself (every client, and the parent instance's deletion);
// deletionProtection only stops the provider from deleting it.
export const spannerDatabaseDropProtection = resourcePolicy(
  {
    name: "spanner-database-drop-protection",
    description: "Spanner databases have drop protection and deletion protection on.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("docs/facts.md fact 17", "Spanner: deletionProtection, database enableDropProtection"),
    remediationSteps: "Set enableDropProtection: true and keep deletionProtection true on the database.",
  },
  SPANNER_DATABASE,
  ({ props, report }) => {
    const drop = at(props, "enableDropProtection");
    if (drop === UNKNOWN) report(cannotVerify("enableDropProtection"));
    else if (drop !== true) report("enableDropProtection is not true: any client with spanner.databases.drop can drop the database");
    const del = at(props, "deletionProtection");
    if (del === UNKNOWN) report(cannotVerify("deletionProtection"));
    else if (del === false) report("deletionProtection is false: a replacement or `pulumi destroy` deletes the database");
  },
);
