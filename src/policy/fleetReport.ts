// The fleet check's reports: per stack, what a reviewer (CI, or a customer asking how their tenant is fenced)
// needs without reading a plan: resources by type, violations, the isolation evidence (which isolation policies
// judged how many resources and passed), the MCP namespace checked, and the stack outputs (secrets masked).
import { MOCK_MARK, markInvented, markProse, maskSecrets } from "../plan/outputs.js";
import { CORPUS_EVIDENCE } from "../../policies/lib/guard.js";
import type { Diagnostic } from "./analyzer.js";
import type { StackCheck } from "./check.js";
import { NAMESPACE_CHECK, isolationPolicies } from "./check.js";
import type { ExportResource } from "./export.js";
import { summarize } from "./report.js";
import { stackOutputs } from "./packConfig.js";

export interface IsolationEvidence {
  readonly policy: string;
  /** Resources (or 1 for the stack) the policy judged; 0: it applied nowhere. */
  readonly evaluated: number;
  /**
   * "passed": it judged something and reported no mandatory violation; "failed": a mandatory violation;
   * "not applicable": it judged nothing here (an enterprise-only rule on an environment stack). A tenant rule
   * can never be vacuously not applicable: the MCP namespace check fails the stack first.
   */
  readonly status: "passed" | "failed" | "not applicable";
  /** For the admission guards' rules: the attack corpus run through the planned guard (cases, attacks among them, refused). */
  readonly corpus?: { readonly cases: number; readonly attacks: number; readonly refused: number };
}

/** The admission guards' rules and their corpus (policies/lib/guard.ts keeps the last run per stack and guard). */
const GUARD_RULES: Readonly<Record<string, "mcp" | "build">> = {
  "k8s-mcp-admission-guard-bound": "mcp",
  "k8s-build-admission-guard-bound": "build",
};

export interface StackReport {
  readonly stack: string;
  /** "passed", "violations" (mandatory violations), or "refused" (config refused or the plan failed). */
  readonly status: "passed" | "violations" | "refused";
  /** Why the stack was refused, when it was. */
  readonly error?: string;
  readonly resourceCount: number;
  readonly resourcesByType: Readonly<Record<string, number>>;
  readonly mcpNamespace?: string;
  readonly violations: readonly Diagnostic[];
  readonly isolation: readonly IsolationEvidence[];
  readonly outputs: Readonly<Record<string, unknown>>;
}

/**
 * The report of a checked stack; `invented` (the plan's mockValues) are marked wherever the report holds them:
 * in the outputs (each string holding one, whole) and in violation messages (each occurrence).
 */
export function stackReport(
  stack: string,
  resources: readonly ExportResource[],
  check: StackCheck,
  invented: readonly string[] = [],
): StackReport {
  const byType: Record<string, number> = {};
  for (const r of resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  const mandatory = check.run.diagnostics.filter((d) => d.level === "mandatory");
  const isolation = [...isolationPolicies(), NAMESPACE_CHECK].map((policy) => {
    const failed = mandatory.some((d) => d.policy === policy);
    const evaluated = policy === NAMESPACE_CHECK ? 1 : (check.run.evaluated[policy] ?? 0);
    const status: IsolationEvidence["status"] = failed ? "failed" : evaluated > 0 ? "passed" : "not applicable";
    const guard = GUARD_RULES[policy];
    const stackUrn = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
    const run = guard ? CORPUS_EVIDENCE.get(`${stackUrn}#${guard}`) : undefined;
    return run
      ? { policy, evaluated, status, corpus: { cases: run.cases, attacks: run.attacks, refused: run.refused } }
      : { policy, evaluated, status };
  });
  return {
    stack,
    status: summarize(check.run).passed ? "passed" : "violations",
    resourceCount: resources.length,
    resourcesByType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
    mcpNamespace: check.values.mcpNamespace,
    violations: check.run.diagnostics.map((d) => ({ ...d, message: markProse(d.message, invented) })),
    isolation,
    outputs: markInvented(maskSecrets(stackOutputs(resources) ?? {}), invented) as Record<string, unknown>,
  };
}

export function refusedReport(stack: string, error: string): StackReport {
  return { stack, status: "refused", error, resourceCount: 0, resourcesByType: {}, violations: [], isolation: [], outputs: {} };
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderStackMarkdown(r: StackReport): string {
  const lines = [`# Stack \`${r.stack}\`: ${r.status}`, ""];
  if (r.error) return [...lines, "```", r.error, "```", ""].join("\n");
  lines.push(`MCP namespace checked: \`${r.mcpNamespace}\`. Resources: ${r.resourceCount}.`, "");
  lines.push("## Violations", "");
  if (r.violations.length === 0) lines.push("None.");
  else {
    lines.push("| level | policy | resource | message |", "|---|---|---|---|");
    for (const d of r.violations) lines.push(`| ${d.level} | \`${d.policy}\` | ${cell(d.urn ?? "(stack)")} | ${cell(d.message)} |`);
  }
  lines.push("", "## Isolation evidence", "", "| policy | judged | result |", "|---|---|---|");
  for (const e of r.isolation) {
    const judged = e.corpus
      ? `${e.evaluated} (corpus: ${e.corpus.cases} requests, ${e.corpus.attacks} attacks, ${e.corpus.refused} refused)`
      : `${e.evaluated}`;
    lines.push(`| \`${e.policy}\` | ${judged} | ${e.status === "failed" ? "**failed**" : e.status} |`);
  }
  lines.push("", "## Resources by type", "", "| type | count |", "|---|---|");
  for (const [t, n] of Object.entries(r.resourcesByType)) lines.push(`| \`${t}\` | ${n} |`);
  lines.push("", "## Outputs", "", "| output | value |", "|---|---|");
  for (const [k, v] of Object.entries(r.outputs)) lines.push(`| \`${k}\` | ${cell(typeof v === "string" ? v : JSON.stringify(v))} |`);
  if (JSON.stringify(r.outputs).includes(MOCK_MARK))
    lines.push(
      "",
      `Values marked \`${MOCK_MARK.trim()}\` were invented by the offline plan's mock engine (addresses, project numbers, ids GCP assigns): a real deployment assigns them; read them from \`pulumi stack output\` after \`pulumi up\`.`,
    );
  return `${lines.join("\n")}\n`;
}

export function renderSummaryMarkdown(reports: readonly StackReport[]): string {
  const lines = [
    "# Fleet check",
    "",
    "| stack | status | resources | MCP namespace | mandatory | advisory | isolation policies passed (of applicable) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of reports) {
    const m = r.violations.filter((d) => d.level === "mandatory").length;
    const a = r.violations.filter((d) => d.level === "advisory").length;
    const applicable = r.isolation.filter((e) => e.status !== "not applicable");
    const iso = r.isolation.length ? `${applicable.filter((e) => e.status === "passed").length}/${applicable.length}` : "-";
    lines.push(`| [\`${r.stack}\`](${r.stack}.md) | ${r.status} | ${r.resourceCount} | ${r.mcpNamespace ?? "-"} | ${m} | ${a} | ${iso} |`);
  }
  return `${lines.join("\n")}\n`;
}
