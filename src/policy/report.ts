// Rendering a policy run for people (a line per violation, then a summary) and for machines (--json).
import type { Diagnostic, PolicyRun } from "./analyzer.js";

export interface Summary {
  readonly mandatory: number;
  readonly advisory: number;
  readonly passed: boolean;
}

export function summarize(run: PolicyRun): Summary {
  const mandatory = run.diagnostics.filter((d) => d.level === "mandatory").length;
  const advisory = run.diagnostics.filter((d) => d.level === "advisory").length;
  return { mandatory, advisory, passed: mandatory === 0 };
}

function resourceLabel(urn: string | undefined): string {
  if (!urn) return "(stack)";
  // urn:pulumi:<stack>::<project>::<qualified type>::<name>
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return `${type}  ${parts[3] ?? urn}`;
}

const ORDER: Record<string, number> = { mandatory: 0, advisory: 1 };

export function renderText(run: PolicyRun, source: string): string {
  const s = summarize(run);
  const lines = [`Policy pack ${run.pack}@v${run.version}: ${run.policies} policies over ${run.resources} resources of ${source}`, ""];
  const sorted = [...run.diagnostics].sort(
    (a: Diagnostic, b: Diagnostic) => (ORDER[a.level] ?? 2) - (ORDER[b.level] ?? 2) || a.policy.localeCompare(b.policy),
  );
  for (const d of sorted) {
    lines.push(`${d.level.padEnd(9)}  ${d.policy}  ${resourceLabel(d.urn)}`);
    lines.push(`           ${d.message}`);
    if (d.urn) lines.push(`           ${d.urn}`);
  }
  if (sorted.length > 0) lines.push("");
  lines.push(
    `${s.passed ? "PASSED" : "FAILED"}: ${s.mandatory} mandatory and ${s.advisory} advisory violation${s.mandatory + s.advisory === 1 ? "" : "s"}` +
      (s.passed ? "" : " (mandatory violations block `pulumi up`)"),
  );
  return lines.join("\n");
}

export function renderJson(run: PolicyRun, source: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ source, ...extra, ...run, summary: summarize(run) }, null, 2);
}
