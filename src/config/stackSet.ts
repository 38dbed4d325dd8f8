// Checks that span stack files: what one stack's schema cannot see. Two stacks may not share a project, and no
// name one stack makes may be a name another stack makes in the same namespace (global names across every project).
import { derivedNames, type NamingInput } from "./derivedNames.js";

export interface NamedStack {
  /** Stack name (Pulumi.<name>.yaml). */
  readonly stack: string;
  readonly config: NamingInput & { readonly enterprise?: { readonly platformProject: string; readonly quotaProject?: string } };
}

/**
 * Refusals, one line each, naming the stack, the key, the value and the reason. Sharing a project is refused for
 * every kind of stack, not only for names: Workload Identity Federation for GKE gives a Kubernetes service account
 * the same IAM principal in every cluster of a project (`<project>.svc.id.goog[<namespace>/<ksa>]`), and every
 * environment runs its backend as gumstack-backend/backend, so a second environment's backend pods would hold the
 * first one's Google identity and data access.
 * https://cloud.google.com/kubernetes-engine/fleet-management/docs/best-practices-workload-identity
 */
export function stackSetProblems(stacks: readonly NamedStack[]): string[] {
  const problems: string[] = [];
  const byProject = new Map<string, string>();
  for (const s of stacks) {
    const other = byProject.get(s.config.project);
    if (other !== undefined) {
      problems.push(
        `${s.stack}: gumstack:project: "${s.config.project}" is already the project of stack ${other}; give each stack its own project ` +
          `(Workload Identity gives the same Kubernetes service account in any cluster of a project the same Google identity, ` +
          `so ${s.stack}'s backend would act as ${other}'s)`,
      );
    } else byProject.set(s.config.project, s.stack);
  }
  const owner = new Map<string, { stack: string; key: string }>();
  for (const s of stacks) {
    for (const n of derivedNames(s.config)) {
      // Random-suffixed names cannot collide; a shared project id is the refusal above.
      if (n.random || n.kind === "project") continue;
      const id = `${n.scope}|${n.kind}|${n.name}`;
      const first = owner.get(id);
      if (first && first.stack !== s.stack) {
        problems.push(
          `${s.stack}: gumstack:${n.key}: makes the ${n.kind} "${n.name}", which stack ${first.stack} already makes (from gumstack:${first.key}); names in ${n.scope === "global" ? "the global namespace" : n.scope} must be unique`,
        );
      } else if (!first) owner.set(id, { stack: s.stack, key: n.key });
    }
  }
  return problems;
}

/**
 * Enterprise stacks whose Billing Budgets calls are billed to a project no platform stack in the set manages:
 * the platform stack enables billingbudgets.googleapis.com in its own project; any other quota project needs it
 * enabled by hand. One line each; advice, not a refusal (it may be enabled already).
 */
export function budgetApiNotes(stacks: readonly NamedStack[]): string[] {
  const platformProjects = new Set(stacks.filter((s) => s.config.kind === "platform").map((s) => s.config.project));
  const notes: string[] = [];
  for (const s of stacks) {
    const e = s.config.enterprise;
    if (s.config.kind !== "enterprise" || !e) continue;
    const quota = e.quotaProject ?? e.platformProject;
    if (!platformProjects.has(quota)) {
      notes.push(
        `${s.stack}: the budget API calls are billed to project ${quota}, which no platform stack here manages; ` +
          `enable the API there: gcloud services enable billingbudgets.googleapis.com --project ${quota}`,
      );
    }
  }
  return notes;
}
