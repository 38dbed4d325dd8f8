import { platformRule, stackPolicy } from "../lib/policy";
import { at } from "../lib/props";
import { SPANNER_DATABASE, SPANNER_INSTANCE } from "../lib/types";

// The instance has no deletion-protection flag of its own: it is protected by `protect`, by
// deletionPolicy PREVENT, or by Spanner itself while one of its databases has drop protection on.
export const spannerInstanceDeletionProtection = stackPolicy(
  {
    name: "spanner-instance-deletion-protection",
    description: "Every Spanner instance is protected from deletion (protect, deletionPolicy PREVENT, or a drop-protected database in it).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("docs/facts.md fact 17", "Spanner: deletionProtection, database enableDropProtection"),
    remediationSteps:
      "Give the instance's databases enableDropProtection: true (Spanner then refuses to delete the instance), or protect the instance.",
  },
  ({ resources, report, notApplicable }) => {
    const instances = resources.filter((r) => r.type === SPANNER_INSTANCE);
    if (instances.length === 0) notApplicable("no Spanner instance in the stack");
    const databases = resources.filter((r) => r.type === SPANNER_DATABASE && at(r.props, "enableDropProtection") === true);
    for (const inst of instances) {
      if (inst.protect || at(inst.props, "deletionPolicy") === "PREVENT") continue;
      const name = at(inst.props, "name");
      // A database names its instance by the instance's name output: match on it, or on the dependency edge.
      const guarded = databases.some(
        (d) => (name !== undefined && at(d.props, "instance") === name) || (d.propertyDependsOn.instance ?? []).indexOf(inst.urn) >= 0,
      );
      if (!guarded)
        report(
          "the Spanner instance can be deleted: no database in it has enableDropProtection, and it is neither protected nor deletionPolicy PREVENT",
          inst.urn,
        );
    }
  },
);
