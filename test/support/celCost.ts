// An upper bound on what the API server charges for evaluating one CEL expression, for objects within declared
// size assumptions: cel-go's cost model (interpreter/runtimecost.go, the costs in common/cost.go, and the
// comprehension estimate of checker/cost.go) with Kubernetes' library costs (k8s.io/apiserver
// pkg/cel/library/cost.go), computed over the parsed expression with every list, map and string at its assumed
// largest size and every branch taken. Kubernetes limits each expression to PerCallLimit and a policy's
// evaluation to RuntimeCELCostBudget (k8s.io/apiserver pkg/apis/cel/config.go); past them the evaluation is
// aborted and, with failurePolicy Fail, the object refused.
import { parse } from "@bufbuild/cel";
import type { PolicyDefinition } from "../../components/kubernetes/cel/index.js";
import { KINDS, REQUEST_TYPES, type ObjectType, type TypeName } from "./celTypes.js";

/** k8s.io/apiserver pkg/apis/cel/config.go. */
export const PER_CALL_LIMIT = 1_000_000;
export const RUNTIME_CEL_COST_BUDGET = 10_000_000;
export const RUNTIME_CEL_COST_BUDGET_MATCH_CONDITIONS = 2_500_000;

// cel-go common/cost.go.
const STRING_TRAVERSAL = 0.1;
const REGEX_LENGTH = 0.25;
const LIST_CREATE = 10;
const MAP_CREATE = 30;

/**
 * The largest sizes assumed: list and map entries by field name (`default` for any other), string lengths by
 * field name (`name[]` for a list's elements, `name{}` for a map's values).
 */
export interface SizeAssumptions {
  readonly items: Readonly<Record<string, number>> & { readonly default: number };
  readonly length: Readonly<Record<string, number>> & { readonly default: number };
}

type Shape =
  | { readonly k: "scalar" }
  | { readonly k: "string"; readonly len: number }
  | { readonly k: "list"; readonly n: number; readonly elem: Shape }
  | { readonly k: "map"; readonly n: number; readonly value: Shape }
  | { readonly k: "object"; readonly type: string }
  | { readonly k: "dyn"; readonly len: number };
const SCALAR: Shape = { k: "scalar" };

const sizeOf = (s: Shape, types: Map<string, ObjectType>): number =>
  s.k === "string" || s.k === "dyn"
    ? s.len
    : s.k === "list" || s.k === "map"
      ? s.n
      : s.k === "object"
        ? Object.keys(types.get(s.type)?.fields ?? {}).length
        : 1;
const strLen = (s: Shape): number => (s.k === "string" || s.k === "dyn" ? s.len : 32);

function merge(a: Shape, b: Shape): Shape {
  if (a.k === "list" && b.k === "list")
    return { k: "list", n: Math.max(a.n, b.n), elem: a.n === 0 ? b.elem : b.n === 0 ? a.elem : merge(a.elem, b.elem) };
  if (a.k === "map" && b.k === "map")
    return { k: "map", n: Math.max(a.n, b.n), value: a.n === 0 ? b.value : b.n === 0 ? a.value : merge(a.value, b.value) };
  if ((a.k === "string" || a.k === "dyn") && (b.k === "string" || b.k === "dyn")) return { k: a.k, len: Math.max(a.len, b.len) };
  if (a.k === "map" && a.n === 0) return b;
  if (b.k === "map" && b.n === 0) return a;
  return a.k === "scalar" ? b : a;
}

export interface CostEstimate {
  readonly where: string;
  readonly cost: number;
}

type Node = { exprKind: { case: string | undefined; value: any } };
/** Parsed once: the same expressions are estimated for every kind and every guard setting. */
const PARSED = new Map<string, Node>();

/** The estimator for one guard's size assumptions over the schema types. */
export class CostEstimator {
  constructor(
    private readonly types: Map<string, ObjectType>,
    private readonly kindTypes: Record<string, string>,
    private readonly sizes: SizeAssumptions,
  ) {
    for (const t of REQUEST_TYPES) if (!types.has(t.name)) types.set(t.name, t);
  }

  private ofType(tn: TypeName, field: string): Shape {
    const items = this.sizes.items[field] ?? this.sizes.items.default;
    const list = /^list<(.*)>$/.exec(tn);
    if (list) return { k: "list", n: items, elem: this.ofType(list[1]!, `${field}[]`) };
    const map = /^map<string, (.*)>$/.exec(tn);
    if (map) return { k: "map", n: items, value: this.ofType(map[1]!, `${field}{}`) };
    if (tn === "string") return { k: "string", len: this.sizes.length[field] ?? this.sizes.length.default };
    if (tn === "dyn") return { k: "dyn", len: this.sizes.length[field] ?? this.sizes.length.default };
    if (this.types.has(tn)) return { k: "object", type: tn };
    return SCALAR;
  }

  /** Cost and shape of an expression node, with the shapes of the names in scope. */
  private walk(e: Node, scope: Map<string, Shape>): { cost: number; shape: Shape } {
    const { case: kind, value: v } = e.exprKind;
    const sub = (x: Node) => this.walk(x, scope);
    switch (kind) {
      case "constExpr":
        return { cost: 0, shape: v.constantKind.case === "stringValue" ? { k: "string", len: v.constantKind.value.length } : SCALAR };
      case "identExpr": {
        const s = scope.get(v.name);
        if (!s) throw new Error(`cost: unknown identifier ${v.name}`);
        return { cost: 1, shape: s };
      }
      case "selectExpr": {
        // `variables.<name>`: the variable's shape (a variable's own cost is counted once, where it is defined).
        if (v.operand.exprKind.case === "identExpr" && v.operand.exprKind.value.name === "variables") {
          const s = this.vars.get(v.field);
          if (!s) throw new Error(`cost: variables.${v.field} read before it is defined`);
          return { cost: 2, shape: s };
        }
        const o = sub(v.operand);
        return { cost: o.cost + 1, shape: this.select(o.shape, v.field) };
      }
      case "listExpr": {
        const els = v.elements.map(sub);
        const elem = els.reduce((a: Shape, b: { shape: Shape }) => merge(a, b.shape), { k: "map", n: 0, value: SCALAR } as Shape);
        return {
          cost: LIST_CREATE + els.reduce((a: number, b: { cost: number }) => a + b.cost, 0),
          shape: { k: "list", n: els.length, elem },
        };
      }
      case "structExpr":
        return {
          cost:
            MAP_CREATE +
            v.entries.reduce(
              (a: number, x: any) => a + sub(x.value).cost + (x.keyKind?.case === "mapKey" ? sub(x.keyKind.value).cost : 0),
              0,
            ),
          shape: { k: "map", n: v.entries.length, value: SCALAR },
        };
      case "comprehensionExpr":
        return this.comprehension(v, scope);
      case "callExpr":
        return this.call(v, scope);
      default:
        throw new Error(`cost: unexpected expression ${kind}`);
    }
  }

  private select(o: Shape, field: string): Shape {
    if (o.k === "object") {
      const t = this.types.get(o.type)!.fields[field];
      if (t === undefined) throw new Error(`cost: ${o.type} has no field ${field}`);
      return this.ofType(t, field);
    }
    if (o.k === "map") return o.value;
    return { k: "dyn", len: this.sizes.length.default };
  }

  private comprehension(v: any, scope: Map<string, Shape>): { cost: number; shape: Shape } {
    const range = this.walk(v.iterRange, scope);
    const init = this.walk(v.accuInit, scope);
    const elem: Shape =
      range.shape.k === "list"
        ? range.shape.elem
        : range.shape.k === "map"
          ? { k: "string", len: this.sizes.length.default }
          : { k: "dyn", len: this.sizes.length.default };
    const n = range.shape.k === "list" || range.shape.k === "map" ? range.shape.n : this.sizes.items.default;
    // The accumulator of filter and map is the list built so far: its shape is the result's.
    const inner = new Map(scope).set(v.iterVar, elem).set(v.accuVar, init.shape.k === "list" ? { k: "list", n, elem } : SCALAR);
    // The element a map or filter appends (`accu + [x]`), for the result's shape.
    const appended = findAppended(v.loopStep);
    const resultElem = appended ? this.walk(appended, inner).shape : elem;
    const accu: Shape = init.shape.k === "list" ? { k: "list", n, elem: resultElem } : SCALAR;
    inner.set(v.accuVar, accu);
    const perItem = this.walk(v.loopCondition, inner).cost + this.walk(v.loopStep, inner).cost;
    const result = this.walk(v.result, inner);
    return { cost: range.cost + init.cost + n * perItem + result.cost, shape: init.shape.k === "list" ? accu : result.shape };
  }

  private call(v: any, scope: Map<string, Shape>): { cost: number; shape: Shape } {
    const f: string = v.function;
    const target = v.target ? this.walk(v.target, scope) : undefined;
    const args = v.args.map((a: Node) => this.walk(a, scope)) as { cost: number; shape: Shape }[];
    const own = (target?.cost ?? 0) + args.reduce((a, b) => a + b.cost, 0);
    const size = (s: Shape) => sizeOf(s, this.types);
    const a0 = args[0]?.shape ?? SCALAR,
      a1 = args[1]?.shape ?? SCALAR;
    switch (f) {
      case "_&&_":
      case "_||_":
        return { cost: own, shape: SCALAR };
      case "_?_:_":
        return { cost: args[0]!.cost + Math.max(args[1]!.cost, args[2]!.cost), shape: merge(a1, args[2]!.shape) };
      case "_==_":
      case "_!=_":
      case "_<_":
      case "_<=_":
      case "_>_":
      case "_>=_":
        return { cost: own + Math.ceil(Math.min(size(a0), size(a1)) * STRING_TRAVERSAL), shape: SCALAR };
      case "_+_":
        if (a0.k === "list" || a1.k === "list") {
          const [l, r] = [
            a0.k === "list" ? a0 : { k: "list" as const, n: 0, elem: SCALAR },
            a1.k === "list" ? a1 : { k: "list" as const, n: 0, elem: SCALAR },
          ];
          return {
            cost: own + 1,
            shape: { k: "list", n: l.n + r.n, elem: l.n === 0 ? r.elem : r.n === 0 ? l.elem : merge(l.elem, r.elem) },
          };
        }
        if (a0.k === "string" || a1.k === "string")
          return {
            cost: own + Math.ceil((strLen(a0) + strLen(a1)) * STRING_TRAVERSAL),
            shape: { k: "string", len: strLen(a0) + strLen(a1) },
          };
        return { cost: own + 1, shape: SCALAR };
      case "@in":
        return { cost: own + (a1.k === "list" ? a1.n : 1), shape: SCALAR };
      case "_[_]":
        return {
          cost: own + 1,
          shape: a0.k === "list" ? a0.elem : a0.k === "map" ? a0.value : { k: "dyn", len: this.sizes.length.default },
        };
      case "startsWith":
        return { cost: own + Math.ceil(strLen(target!.shape) * STRING_TRAVERSAL), shape: SCALAR };
      case "matches":
        return {
          cost: own + Math.ceil((1 + strLen(target!.shape)) * STRING_TRAVERSAL) * Math.ceil(strLen(a0) * REGEX_LENGTH),
          shape: SCALAR,
        };
      case "join": {
        const t = target!.shape;
        const len = t.k === "list" ? t.n * (strLen(t.elem) + strLen(a0)) : this.sizes.length.default;
        return { cost: own + Math.ceil(len * 2 * STRING_TRAVERSAL), shape: { k: "string", len } };
      }
      case "sum":
        return { cost: own + size(target!.shape), shape: SCALAR };
      case "isQuantity":
      case "quantity":
        return { cost: own + Math.ceil(strLen(a0) * STRING_TRAVERSAL), shape: SCALAR };
      case "string":
        return { cost: own + 1, shape: a0.k === "string" || a0.k === "dyn" ? { k: "string", len: strLen(a0) } : { k: "string", len: 32 } };
      case "size":
      case "int":
      case "duration":
      case "!_":
      case "-_":
      case "asApproximateFloat":
      case "@not_strictly_false":
      case "has":
        return { cost: own + 1, shape: SCALAR };
      default:
        throw new Error(`cost: no cost declared for ${f}`);
    }
  }

  /** The estimated cost of each expression of a policy for one kind, and the policy's total for it. */
  estimate(def: PolicyDefinition, resource: string): { expressions: CostEstimate[]; matchConditions: number; total: number } {
    const kind = KINDS[resource]!.kind;
    const objectShape: Shape = { k: "object", type: this.kindTypes[resource]! };
    const scope = new Map<string, Shape>([
      ["object", objectShape],
      ["oldObject", objectShape],
      ["request", { k: "object", type: "AdmissionRequest" }],
    ]);
    this.vars = new Map();
    const out: CostEstimate[] = [];
    const run = (where: string, source: string): { cost: number; shape: Shape } => {
      let ast = PARSED.get(source);
      if (ast === undefined) PARSED.set(source, (ast = parse(source).expr as unknown as Node));
      const r = this.walk(ast, scope);
      out.push({ where, cost: r.cost });
      return r;
    };
    let matchConditions = 0;
    for (const m of def.matchConditions ?? []) matchConditions += run(`matchCondition ${m.name}`, m.expression.render({ kind })).cost;
    for (const v of def.variables ?? []) this.vars.set(v.name, run(`variable ${v.name}`, v.expression.render({ kind })).shape);
    for (const [i, v] of def.validations.entries()) {
      const expression = v.expression.render({ kind });
      run(`validation ${i}`, expression);
      // Evaluated only when the validation fails, which one that folds to true never does for this kind.
      if (expression !== "true") run(`messageExpression ${i}`, v.sentence.expression().render({ kind }));
    }
    // Variables are evaluated at most once per evaluation (lazily, then cached): each counts once.
    const total = out.filter((e) => !e.where.startsWith("matchCondition")).reduce((a, e) => a + e.cost, 0);
    return { expressions: out, matchConditions, total };
  }
  private vars = new Map<string, Shape>();
}

/** The element expression a filter or map step appends: `[x]` in `accu + [x]`. */
function findAppended(step: Node): Node | undefined {
  const { case: kind, value } = step.exprKind;
  if (kind !== "callExpr") return undefined;
  if (value.function === "_+_" && value.args[1]?.exprKind.case === "listExpr" && value.args[1].exprKind.value.elements.length === 1)
    return value.args[1].exprKind.value.elements[0];
  for (const a of value.args) {
    const found = findAppended(a);
    if (found) return found;
  }
  return undefined;
}
