// Typed CEL expressions for ValidatingAdmissionPolicies: a node per construct (literal, select, has(), call,
// operator, ternary, macro), rendered to CEL source with the parentheses precedence requires (and those a
// `group` asks for). Types are carried twice: as a TypeScript phantom, so a bool is never passed where a string
// is wanted, and as a CEL type descriptor on declared variables, which test/admission/typecheck.test.ts checks
// against the Kubernetes schemas. No dependency: this runs inside the Pulumi program.
//
// CEL grammar and precedence: https://github.com/google/cel-spec/blob/master/doc/langdef.md#syntax
// (`?:` < `||` < `&&` < relations and `in` < `+ -` < `* / %` < unary `! -` < member, call and index).
//
// Rendering for one kind: an expression that reads kind-specific fields branches on `request.kind.kind`
// (kindIs). Rendered for a kind (`render({ kind })`), those tests fold to true or false and the branches not
// taken disappear, so the type check reads each branch against the schema of the kind that reaches it. The
// manifests always carry the unspecialised source.

/** The types of CEL values, as a Kubernetes schema declares them (object: an OpenAPI definition name). */
export type CelType =
  | "bool"
  | "int"
  | "double"
  | "string"
  | "duration"
  | "dyn"
  | { readonly list: CelType }
  | { readonly map: CelType }
  | { readonly object: string };

declare const celObject: unique symbol;
/** The TypeScript phantom of a CEL object: its fields are read with `.f()`, typed dyn until the schema check. */
export interface Obj {
  readonly [celObject]: true;
}
/** The TypeScript phantom of CEL's dyn: assignable to and from anything. */
export type Dyn = any;
/** The element of a list or the value of a map phantom; dyn for dyn. */
export type Item<C> = C extends readonly (infer E)[] ? E : C extends Readonly<Record<string, infer V>> ? V : Dyn;

/** A CEL type descriptor and its TypeScript phantom. */
export interface Type<T> {
  readonly cel: CelType;
  readonly __phantom?: T;
}
export const t = {
  bool: { cel: "bool" } as Type<boolean>,
  int: { cel: "int" } as Type<bigint>,
  double: { cel: "double" } as Type<number>,
  string: { cel: "string" } as Type<string>,
  dyn: { cel: "dyn" } as Type<Dyn>,
  list: <T>(e: Type<T>): Type<readonly T[]> => ({ cel: { list: e.cel } }),
  map: <T>(v: Type<T>): Type<Readonly<Record<string, T>>> => ({ cel: { map: v.cel } }),
  /** An object of the named OpenAPI definition (io.k8s.api.core.v1.PodSpec, dev.knative.serving.v1.ServiceSpec ...). */
  object: (definition: string): Type<Obj> => ({ cel: { object: definition } }),
};

/** How an expression is rendered: `kind` specialises the kindIs tests to one kind (see the file comment). */
export interface RenderContext {
  readonly kind?: string;
  /** Rendered for the type check (see absentObject). */
  readonly typeCheck?: boolean;
}
interface Rendered {
  readonly text: string;
  readonly prec: number;
  /** A test folded to a constant under specialisation. */
  readonly value?: boolean;
}

// Precedence levels (higher binds tighter).
const COND = 1,
  OR = 2,
  AND = 3,
  REL = 4,
  ADD = 5,
  UNARY = 7,
  MEMBER = 8;

const atLeast = (r: Rendered, prec: number): string => (r.prec < prec ? `(${r.text})` : r.text);
const constant = (value: boolean): Rendered => ({ text: String(value), prec: MEMBER, value });

/** A typed CEL expression. */
export class Expr<T = Dyn> {
  /** The phantom (never set): makes Expr<string> and Expr<boolean> distinct types. */
  declare readonly __type?: T;
  /** @internal */
  constructor(
    readonly node: (ctx: RenderContext) => Rendered,
    /** The field this expression selects, when it is a select (what has() needs). */
    readonly selects?: string,
  ) {}

  /** CEL source. */
  render(ctx: RenderContext = {}): string {
    return this.node(ctx).text;
  }
  toString(): string {
    return this.render();
  }

  /** `this.field`: a field of an object (or a map key that is a CEL identifier). */
  f(this: Expr<Obj>, field: string): Expr<Dyn> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field) || RESERVED.has(field))
      throw new Error(`CEL: field ${JSON.stringify(field)} needs escaping`);
    return new Expr((ctx) => ({ text: `${atLeast(this.node(ctx), MEMBER)}.${field}`, prec: MEMBER }), field);
  }
  /** `this.a.b.c`. */
  path(this: Expr<Obj>, dotted: string): Expr<Dyn> {
    return dotted.split(".").reduce<Expr<Dyn>>((e, f) => e.f(f), this);
  }
  /** `this[key]` of a map or list. */
  at<C extends Readonly<Record<string, unknown>> | readonly unknown[]>(
    this: Expr<C>,
    key: Expr<string> | Expr<bigint> | string,
  ): Expr<Item<C>> {
    const k = typeof key === "string" ? str(key) : key;
    return new Expr((ctx) => ({ text: `${atLeast(this.node(ctx), MEMBER)}[${k.render(ctx)}]`, prec: MEMBER }));
  }
  /** A method call `this.name(args)`. */
  call<R>(name: string, ...args: Expr[]): Expr<R> {
    return new Expr((ctx) => ({
      text: `${atLeast(this.node(ctx), MEMBER)}.${name}(${args.map((a) => a.render(ctx)).join(", ")})`,
      prec: MEMBER,
    }));
  }

  // ---- list macros (cel-spec: all, exists, filter, map); `v` names the iteration variable ----
  all<L extends readonly unknown[]>(this: Expr<L>, v: string, body: (e: Expr<Item<L>>) => Expr<boolean>): Expr<boolean> {
    return macro(this, "all", v, body);
  }
  exists<L extends readonly unknown[]>(this: Expr<L>, v: string, body: (e: Expr<Item<L>>) => Expr<boolean>): Expr<boolean> {
    return macro(this, "exists", v, body);
  }
  filter<L extends readonly unknown[]>(this: Expr<L>, v: string, body: (e: Expr<Item<L>>) => Expr<boolean>): Expr<readonly Item<L>[]> {
    return macro(this, "filter", v, body);
  }
  map<L extends readonly unknown[], R>(this: Expr<L>, v: string, body: (e: Expr<Item<L>>) => Expr<R>): Expr<readonly R[]> {
    return macro(this, "map", v, body);
  }
  /** Macros over a map range over its keys. */
  existsKey(this: Expr<Readonly<Record<string, unknown>>>, v: string, body: (k: Expr<string>) => Expr<boolean>): Expr<boolean> {
    return macro(this, "exists", v, body);
  }
  filterKeys(this: Expr<Readonly<Record<string, unknown>>>, v: string, body: (k: Expr<string>) => Expr<boolean>): Expr<readonly string[]> {
    return macro(this, "filter", v, body);
  }

  // ---- strings (standard library, and the strings extension Kubernetes enables) ----
  startsWith(this: Expr<string>, prefix: Expr<string> | string): Expr<boolean> {
    return this.call("startsWith", typeof prefix === "string" ? str(prefix) : prefix);
  }
  /** RE2 match; Kubernetes compiles literal patterns once (and refuses bad ones at policy creation). */
  matches(this: Expr<string>, re2: string): Expr<boolean> {
    return this.call("matches", str(re2));
  }
  /** strings extension: https://github.com/google/cel-go/blob/master/ext/README.md#join */
  join(this: Expr<readonly string[]>, separator: string): Expr<string> {
    return this.call("join", str(separator));
  }
  /** Kubernetes' lists library: https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-list-library */
  sum(this: Expr<readonly number[]>): Expr<number> {
    return this.call("sum");
  }
}

// Fields named with CEL reserved words must be escaped (Kubernetes: __{keyword}__); none is read.
const RESERVED = new Set(
  "true false null in as break const continue else for function if import let loop package namespace return var void while".split(" "),
);

function macro<R>(range: Expr, name: string, v: string, body: (e: Expr) => Expr): Expr<R> {
  const b = body(ident(v));
  return new Expr((ctx) => ({ text: `${atLeast(range.node(ctx), MEMBER)}.${name}(${v}, ${b.render(ctx)})`, prec: MEMBER }));
}

// ---- leaves ----

/** An identifier: a root variable (object, oldObject, request, params) or a macro's iteration variable. */
export const ident = <T = Dyn>(name: string): Expr<T> => new Expr(() => ({ text: name, prec: MEMBER }));
/** A string literal. Inputs are validated plain text; JSON string escapes are valid CEL escapes. */
export const str = (s: string): Expr<string> => new Expr(() => ({ text: JSON.stringify(s), prec: MEMBER }));
export const int = (n: number): Expr<bigint> => {
  if (!Number.isSafeInteger(n)) throw new Error(`CEL: ${n} is not an int literal`);
  return new Expr(() => ({ text: String(n), prec: n < 0 ? UNARY : MEMBER }));
};
/** A double literal (no implicit int/double comparison in CEL). */
export const double = (n: number): Expr<number> => new Expr(() => ({ text: Number.isInteger(n) ? `${n}.0` : String(n), prec: MEMBER }));
export const bool = (b: boolean): Expr<boolean> => new Expr(() => ({ text: String(b), prec: MEMBER }));
/** A list literal of strings, or of expressions. */
export function list(items: readonly string[]): Expr<readonly string[]>;
export function list<E>(items: readonly Expr<E>[]): Expr<readonly E[]>;
export function list(items: readonly (string | Expr)[]): Expr<readonly Dyn[]> {
  const es = items.map((i) => (typeof i === "string" ? str(i) : i));
  return new Expr((ctx) => ({ text: `[${es.map((e) => e.render(ctx)).join(", ")}]`, prec: MEMBER }));
}
/** The empty map `{}`. */
export const emptyMap = <V = Dyn>(): Expr<Readonly<Record<string, V>>> => new Expr(() => ({ text: "{}", prec: MEMBER }));
/**
 * `{}` standing for an absent object (a pod template without metadata): has() is false for each of its fields
 * and it selects nothing, so reading it as the object is sound at run time. CEL types the literal as a map, not
 * the object, so the type check reads it as `dyn({})` and checks what follows against the declared type.
 */
export const absentObject = (): Expr<Obj> => new Expr((ctx) => ({ text: ctx.typeCheck ? "dyn({})" : "{}", prec: MEMBER }));

// ---- functions ----

const fn =
  <A extends unknown[], R>(name: string) =>
  (...args: { [K in keyof A]: Expr<A[K]> }): Expr<R> =>
    new Expr((ctx) => ({ text: `${name}(${(args as Expr[]).map((a) => a.render(ctx)).join(", ")})`, prec: MEMBER }));

/**
 * `has(x.f)`: whether the field is set. Only a field selection may be tested. For the type check it renders as
 * `hasField(x.f)`, a function of the checker's (test/support/celTypes.ts), so the field itself is checked:
 * cel-js's checker accepts has() of a field the type does not declare.
 */
export function has(e: Expr): Expr<boolean> {
  if (e.selects === undefined) throw new Error(`CEL: has() needs a field selection, got ${e.render()}`);
  return new Expr((ctx) => ({ text: `${ctx.typeCheck ? "hasField" : "has"}(${e.render(ctx)})`, prec: MEMBER }));
}
export const size = fn<[Dyn], bigint>("size");
export const string = fn<[Dyn], string>("string");
export const toInt = fn<[string | number], bigint>("int");
export const duration = fn<[string], Dyn>("duration");
/** Kubernetes' quantity library: https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-quantity-library */
export const isQuantity = fn<[string], boolean>("isQuantity");
/** `quantity(s).asApproximateFloat()`, the only use of a Quantity here (the tests model it as a double). */
export const quantityFloat = (s: Expr<string>): Expr<number> => fn<[string], Dyn>("quantity")(s).call<number>("asApproximateFloat");

// ---- operators ----

const binary =
  (op: string, prec: number) =>
  <R>(a: Expr, b: Expr): Expr<R> =>
    new Expr((ctx) => ({ text: `${atLeast(a.node(ctx), prec)} ${op} ${atLeast(b.node(ctx), prec + 1)}`, prec }));
const relation = (op: string) => binary(op, REL) as <R = boolean>(a: Expr, b: Expr) => Expr<R>;
type Operand<T> = Expr<T> | (T extends string ? string : never);
const lift = <T>(x: Operand<T>): Expr<T> => (typeof x === "string" ? (str(x) as Expr<T>) : (x as Expr<T>));

export const eq = <T>(a: Expr<T>, b: Operand<T>): Expr<boolean> => relation("==")(a, lift(b));
export const ne = <T>(a: Expr<T>, b: Operand<T>): Expr<boolean> => relation("!=")(a, lift(b));
export const lt = <T extends bigint | number | Dyn>(a: Expr<T>, b: Expr<T>): Expr<boolean> => relation("<")(a, b);
export const le = <T extends bigint | number | Dyn>(a: Expr<T>, b: Expr<T>): Expr<boolean> => relation("<=")(a, b);
export const gt = <T extends bigint | number | Dyn>(a: Expr<T>, b: Expr<T>): Expr<boolean> => relation(">")(a, b);
export const ge = <T extends bigint | number | Dyn>(a: Expr<T>, b: Expr<T>): Expr<boolean> => relation(">=")(a, b);
/** `x in xs` (a list's elements, a map's keys). */
export const isIn = (x: Expr | string, xs: Expr<readonly unknown[]> | Expr<Readonly<Record<string, unknown>>>): Expr<boolean> =>
  relation("in")(typeof x === "string" ? str(x) : x, xs);

/** `a + b + ...`: string or list concatenation (flat: `+` is associative on both). */
export function concat<E>(...parts: Expr<readonly E[]>[]): Expr<readonly E[]>;
export function concat(...parts: (Expr<string> | string)[]): Expr<string>;
export function concat(...parts: (Expr | string)[]): Expr {
  const es = parts.map((p) => (typeof p === "string" ? str(p) : p));
  // A concatenation inside another is rendered flat: `a + (b + c)` is `a + b + c` for strings and lists.
  return new Expr((ctx) => ({ text: es.map((e) => atLeast(e.node(ctx), ADD)).join(" + "), prec: ADD }));
}

/** `!x`; folds under specialisation. */
export const not = (x: Expr<boolean>): Expr<boolean> =>
  new Expr((ctx) => {
    const r = x.node(ctx);
    return r.value !== undefined ? constant(!r.value) : { text: `!${atLeast(r, UNARY)}`, prec: UNARY };
  });

const logical = (op: "&&" | "||", prec: number, unit: boolean) =>
  function (...xs: Expr<boolean>[]): Expr<boolean> {
    if (xs.length === 0) throw new Error(`CEL: ${op} of nothing`);
    return new Expr((ctx) => {
      const rs = xs.map((x) => x.node(ctx)).filter((r) => r.value !== unit);
      if (rs.some((r) => r.value === !unit)) return constant(!unit);
      if (rs.length === 0) return constant(unit);
      // Left-associative: an operand of the same operator needs no parentheses, as the grammar nests it left.
      return { text: rs.map((r, i) => atLeast(r, i === 0 ? prec : prec + (r.prec === prec ? 0 : 1))).join(` ${op} `), prec };
    });
  };
/** `a && b && ...` (a true operand folds away under specialisation). */
export const and = logical("&&", AND, true);
/** `a || b || ...` (a false operand folds away under specialisation). */
export const or = logical("||", OR, false);

/** `c ? a : b`; a specialised constant condition keeps only its branch. */
export function cond(c: Expr<boolean>, a: string, b: Expr<string> | string): Expr<string>;
export function cond(c: Expr<boolean>, a: Expr<string>, b: string): Expr<string>;
export function cond<T>(c: Expr<boolean>, a: Operand<T>, b: Operand<T>): Expr<T>;
export function cond<T>(c: Expr<boolean>, a: Operand<T>, b: Operand<T>): Expr<T> {
  const [x, y] = [lift(a), lift(b)];
  return new Expr((ctx) => {
    const r = c.node(ctx);
    if (r.value !== undefined) return (r.value ? x : y).node(ctx);
    return { text: `${atLeast(r, OR)} ? ${atLeast(x.node(ctx), OR)} : ${y.node(ctx).text}`, prec: COND };
  });
}

/** `(x)`: parentheses the grammar does not need, kept where they make a long expression readable. */
export const group = <T>(x: Expr<T>): Expr<T> =>
  new Expr((ctx) => {
    const r = x.node(ctx);
    return r.value !== undefined ? r : { text: `(${r.text})`, prec: MEMBER };
  }, x.selects);

// ---- the roots Kubernetes binds (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#validation-expression) ----

/** The object of the request (null on DELETE, which these guards never match). */
export const object = ident<Obj>("object");
/** The existing object on UPDATE (null on CREATE). */
export const oldObject = ident<Obj>("oldObject");
/** The admission request's attributes (operation, kind, resource, subResource, namespace, ...). */
export const request = ident<Obj>("request");

/**
 * `request.kind.kind` is one of `kinds` (`==` for one, `in [...]` for more). Rendered for one kind it is a
 * constant, so the branches it guards are type-checked against the kinds that reach them.
 */
export const kindIs = (...kinds: string[]): Expr<boolean> =>
  new Expr((ctx) => {
    if (ctx.kind !== undefined) return constant(kinds.includes(ctx.kind));
    const k = request.path("kind.kind").render();
    return kinds.length === 1
      ? { text: `${k} == ${JSON.stringify(kinds[0])}`, prec: REL }
      : { text: `${k} in ${list(kinds).render()}`, prec: REL };
  });
/** `request.kind.kind != kind`. */
export const kindIsNot = (kind: string): Expr<boolean> =>
  new Expr((ctx) =>
    ctx.kind !== undefined
      ? constant(ctx.kind !== kind)
      : { text: `${request.path("kind.kind").render()} != ${JSON.stringify(kind)}`, prec: REL },
  );

/** `"\"" + e + "\""`: a value shown in quotes in a message. */
export const quoted = (e: Expr<string>): Expr<string> => concat('"', e, '"');
