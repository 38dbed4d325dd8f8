// Two independent CEL evaluators, set up the way Kubernetes evaluates ValidatingAdmissionPolicy expressions, shared
// by the tests (test/support/cel.ts re-exports them) and the policy pack, which runs its attack corpus through the
// planned guards with both (policies/lib/cel/admission.ts). CommonJS scope: the Pulumi CLI loads the pack through
// ts-node, which require()s these packages (ESM-only @marcbachmann/cel-js through Node 22's require(esm)).
// The two: @marcbachmann/cel-js and @bufbuild/cel (conformance-tested against cel-spec). Kubernetes adds libraries of its
// own; the guard uses three of their functions, emulated here from their documented semantics:
// - isQuantity(string) / quantity(string).asApproximateFloat() (k8s.io/apiserver/pkg/cel/library/quantity.go):
//   a resource.Quantity, parsed with apimachinery's grammar, as a float64. quantity() is modelled as returning a
//   double, which is sound only because the guard never uses a Quantity any other way (a test checks that);
// - list.sum() (k8s.io/apiserver/pkg/cel/library/lists.go), on lists of doubles.
// JSON integers are int64 in Kubernetes CEL (BigInt here), JSON numbers with a fraction double.
import { celEnv, celFunc, celList, celMap, celMethod, CelScalar, isCelError, listType, parse, plan, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { RE2JS } from "@bufbuild/re2";
import { Environment } from "@marcbachmann/cel-js";

// resource.Quantity: <signedNumber><suffix>, suffix a binary SI (Ki..Ei), a decimal SI (n u m "" k M G T P E)
// or a decimal exponent (e/E and a signed integer). https://github.com/kubernetes/apimachinery/blob/master/pkg/api/resource/quantity.go
const GRAMMAR = /^([+-]?)(\d+\.?\d*|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;
const BIN = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 } as const;
const DEC = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 } as const;

export function kubernetesQuantity(text: string): number | undefined {
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const [, sign, num, bin, dec, exp] = m;
  const base = Number(num) * (sign === "-" ? -1 : 1);
  if (bin) return base * 2 ** BIN[bin as keyof typeof BIN];
  if (dec) return base * 10 ** DEC[dec as keyof typeof DEC];
  if (exp !== undefined) return base * 10 ** Number(exp);
  return base;
}

const quantityOrThrow = (s: string): number => {
  const v = kubernetesQuantity(s);
  if (v === undefined) throw new Error(`quantities must match the regular expression: ${JSON.stringify(s)}`);
  return v;
};

export interface CelEvaluator {
  readonly name: string;
  /** Evaluates an expression with the given variables; throws on an evaluation error. */
  evaluate(expression: string, context: Record<string, unknown>): unknown;
  /**
   * The variables in the evaluator's own value form, for variables that many expressions read: `evaluate` takes
   * them as it takes plain ones, and converts nothing on each call.
   */
  prepare(context: Record<string, unknown>): Record<string, unknown>;
}

const celJs = new Environment({ unlistedVariablesAreDyn: true })
  .registerFunction("isQuantity(string): bool", (s: string) => kubernetesQuantity(s) !== undefined)
  .registerFunction("quantity(string): double", (s: string) => quantityOrThrow(s))
  .registerFunction({ name: "asApproximateFloat", receiverType: "double", returnType: "double", handler: (d: number) => d, params: [] })
  .registerFunction({
    name: "sum",
    receiverType: "list",
    returnType: "double",
    handler: (l: number[]) => l.reduce((a, b) => a + b, 0),
    params: [],
  });

// string.matches(), as @bufbuild/cel's standard library defines it (RE2 through @bufbuild/re2, its own
// dependency), with each pattern compiled once: the library compiles on every call, which also throws away the
// DFA the matcher builds as it goes. Same engine, same semantics; registered here, it is the overload planned.
const re2Patterns = new Map<string, RE2JS>();
const matches = function (this: string, pattern: string): boolean {
  let re = re2Patterns.get(pattern);
  if (re === undefined) re2Patterns.set(pattern, (re = RE2JS.compile(pattern)));
  return re.test(this);
};

const bufFuncs = [
  ...strings,
  celMethod("matches", CelScalar.STRING, [CelScalar.STRING], CelScalar.BOOL, matches),
  celFunc("isQuantity", [CelScalar.STRING], CelScalar.BOOL, (s) => kubernetesQuantity(s) !== undefined),
  celFunc("quantity", [CelScalar.STRING], CelScalar.DOUBLE, (s) => quantityOrThrow(s)),
  celMethod("asApproximateFloat", CelScalar.DOUBLE, [], CelScalar.DOUBLE, function () {
    return this;
  }),
  celMethod("sum", listType(CelScalar.DYN), [], CelScalar.DOUBLE, function () {
    let total = 0;
    for (const v of this) {
      if (typeof v !== "number") throw new Error("sum() of a list that is not of doubles");
      total += v;
    }
    return total;
  }),
];

// Each expression is parsed and planned once and the program reused for every object: the guard's few dozen
// expressions are judged against thousands of objects, and parsing dominated the suite's time otherwise.
// Errors still surface per evaluation (cel-js throws; @bufbuild/cel returns a CelError, rethrown here).
const celJsPrograms = new Map<string, (context: Record<string, unknown>) => unknown>();
const bufEnv = celEnv({ funcs: bufFuncs });
const bufPrograms = new Map<string, ReturnType<typeof plan>>();
const cached = <T>(cache: Map<string, T>, expression: string, make: () => T): T => {
  let program = cache.get(expression);
  if (program === undefined) cache.set(expression, (program = make()));
  return program;
};

// @bufbuild/cel reads plain objects and arrays lazily: each access converts the object it reaches into a CelMap
// or CelList (value.js toCel; a new Map of its entries per access) and does so again on the next evaluation. A
// request's objects are read by every expression of every policy, so they are converted once, all the way down,
// into the very CelMap and CelList the library would build (celMap of a Map of the entries, celList of the
// array); toCel passes those through as they are.
const bufForm = (v: unknown): CelInput =>
  Array.isArray(v)
    ? celList(v.map(bufForm))
    : v !== null && typeof v === "object" && v.constructor === Object
      ? celMap(new Map(Object.entries(v).map(([k, x]) => [k, bufForm(x)])))
      : (v as CelInput);

export const EVALUATORS: readonly CelEvaluator[] = [
  {
    name: "@marcbachmann/cel-js",
    evaluate: (expression, context) => cached(celJsPrograms, expression, () => celJs.parse(expression))(context),
    prepare: (context) => context,
  },
  {
    name: "@bufbuild/cel",
    prepare: (context) => Object.fromEntries(Object.entries(context).map(([k, v]) => [k, bufForm(v)])),
    evaluate: (expression, context) => {
      const result = cached(bufPrograms, expression, () => plan(bufEnv, parse(expression)))(context as never);
      if (isCelError(result)) throw new Error(result.message);
      return result;
    },
  },
];

/** JSON as Kubernetes CEL sees it: integers are int64. */
export const toCel = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(toCel)
    : v && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]))
      : typeof v === "number" && Number.isInteger(v)
        ? BigInt(v)
        : v;
