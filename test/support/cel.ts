// The CEL evaluators and Kubernetes' CEL library emulation live with the policy pack (policies/lib/cel/), which
// runs its attack corpus through them at check time; the tests import them from here.
import { parse } from "@bufbuild/cel";

export { EVALUATORS, kubernetesQuantity, toCel, type CelEvaluator } from "../../policies/lib/cel/evaluators.js";

// ---- structure of an expression, for the cost bound ----

/**
 * One macro (a CEL comprehension): its nesting depth (macros over list literals add none), the source text of
 * the list or map it ranges over, the iteration variable of the macro it sits in, and the identifier its range
 * starts from.
 */
export interface MacroUse {
  depth: number;
  range: string;
  outerVar: string | undefined;
  rangeRoot: string | undefined;
}

type Node = { exprKind: { case: string | undefined; value: any } };

/** The identifier a select chain starts from (`c` for `c.env`), or undefined for anything else. */
function rootIdent(e: Node): string | undefined {
  let n: Node = e;
  for (;;) {
    if (n.exprKind.case === "identExpr") return n.exprKind.value.name;
    if (n.exprKind.case === "selectExpr") n = n.exprKind.value.operand;
    // A chain (`c.env.filter(...).map(...)`) ranges over what its first macro ranges over.
    else if (n.exprKind.case === "comprehensionExpr") n = n.exprKind.value.iterRange;
    // An element of a list (`xs.filter(...)[0].env`) is part of what the list is part of.
    else if (n.exprKind.case === "callExpr" && n.exprKind.value.function === "_[_]") n = n.exprKind.value.args[0];
    // `has(c.env) ? c.env : []`: what its non-empty branches range over, when they agree.
    else if (n.exprKind.case === "callExpr" && n.exprKind.value.function === "_?_:_") {
      const branches = (n.exprKind.value.args as Node[])
        .slice(1)
        .filter((b) => !(b.exprKind.case === "listExpr" && b.exprKind.value.elements.length === 0));
      const roots = [...new Set(branches.map(rootIdent))];
      return roots.length === 1 ? roots[0] : undefined;
    } else return undefined;
  }
}

function text(e: Node): string {
  switch (e.exprKind.case) {
    case "identExpr":
      return e.exprKind.value.name;
    case "selectExpr":
      return `${text(e.exprKind.value.operand)}.${e.exprKind.value.field}`;
    case "listExpr":
      return `[list of ${e.exprKind.value.elements.length}]`;
    case "structExpr":
      return "{map literal}";
    case "constExpr":
      return "literal";
    case "callExpr":
      return `${e.exprKind.value.function}(...)`;
    case "comprehensionExpr":
      return "<macro result>";
    default:
      return String(e.exprKind.case);
  }
}

/** Every macro of an expression, with how deeply it sits inside other macros' bodies. */
export function macroUses(expression: string): MacroUse[] {
  const out: MacroUse[] = [];
  const walk = (e: Node, depth: number, outerVar: string | undefined): void => {
    const { case: kind, value } = e.exprKind;
    if (kind === "comprehensionExpr") {
      out.push({
        depth: value.iterRange.exprKind.case === "listExpr" ? depth : depth + 1,
        range: text(value.iterRange),
        outerVar,
        rangeRoot: rootIdent(value.iterRange),
      });
      // Chaining (`xs.filter(...).map(...)`) puts a macro in the range: same depth, not nested.
      walk(value.iterRange, depth, outerVar);
      walk(value.accuInit, depth, outerVar);
      // A macro over a list literal baked into the policy (a fixed handful of prefixes or keys) multiplies the
      // cost by a constant: it does not count as a level of nesting.
      const inner = value.iterRange.exprKind.case === "listExpr" ? depth : depth + 1;
      for (const body of [value.loopCondition, value.loopStep, value.result])
        walk(body, inner, value.iterRange.exprKind.case === "listExpr" ? outerVar : value.iterVar);
      return;
    }
    if (kind === "selectExpr") return walk(value.operand, depth, outerVar);
    if (kind === "callExpr") {
      if (value.target) walk(value.target, depth, outerVar);
      for (const a of value.args) walk(a, depth, outerVar);
      return;
    }
    if (kind === "listExpr") return value.elements.forEach((x: Node) => walk(x, depth, outerVar));
    if (kind === "structExpr")
      return value.entries.forEach((x: any) => {
        if (x.keyKind?.case === "mapKey") walk(x.keyKind.value, depth, outerVar);
        walk(x.value, depth, outerVar);
      });
  };
  walk(parse(expression).expr as unknown as Node, 0, undefined);
  return out;
}
