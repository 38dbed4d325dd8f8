// The Kubernetes and Knative object types, as CEL types, for type-checking the guards' expressions with
// @marcbachmann/cel-js's checker (@bufbuild/cel 0.6.1's checker handles only constants and identifiers).
// Read from the TypeScript declarations of kubernetes-models and @kubernetes-models/knative, which are generated
// from the OpenAPI schemas (Kubernetes' /openapi/v3, Knative's CRD schemas): an interface is an object type
// named by its OpenAPI definition (IoK8sApiCoreV1PodSpec for io.k8s.api.core.v1.PodSpec), an index signature a
// map, an array a list, a union of string literals (an enum) a string, any other union (Quantity, IntOrString:
// x-kubernetes-int-or-string) dyn, as Kubernetes types them
// (https://kubernetes.io/docs/reference/using-api/cel/#type-checking). A TypeScript `number` is CEL int: every
// number field these policies can reach is an int32 or int64 in the schemas (none is a double).
import { Environment } from "@marcbachmann/cel-js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { CelType } from "../../components/kubernetes/cel/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** A CEL type in cel-js's notation: "string", "list<IoK8sApiCoreV1Container>", "map<string, string>". */
export type TypeName = string;
export interface ObjectType {
  readonly name: string;
  readonly fields: Record<string, TypeName>;
}

/** The kinds the guards match, by their resource name, and the declaration that types them. */
export const KINDS: Record<string, { kind: string; module: string; iface: string }> = {
  "serving.knative.dev/services": {
    kind: "Service",
    module: "@kubernetes-models/knative/serving.knative.dev/v1/Service",
    iface: "IService",
  },
  "serving.knative.dev/configurations": {
    kind: "Configuration",
    module: "@kubernetes-models/knative/serving.knative.dev/v1/Configuration",
    iface: "IConfiguration",
  },
  "serving.knative.dev/revisions": {
    kind: "Revision",
    module: "@kubernetes-models/knative/serving.knative.dev/v1/Revision",
    iface: "IRevision",
  },
  "serving.knative.dev/routes": { kind: "Route", module: "@kubernetes-models/knative/serving.knative.dev/v1/Route", iface: "IRoute" },
  "serving.knative.dev/domainmappings": {
    kind: "DomainMapping",
    module: "@kubernetes-models/knative/serving.knative.dev/v1beta1/DomainMapping",
    iface: "IDomainMapping",
  },
  "apps/deployments": { kind: "Deployment", module: "kubernetes-models/apps/v1/Deployment", iface: "IDeployment" },
  "apps/replicasets": { kind: "ReplicaSet", module: "kubernetes-models/apps/v1/ReplicaSet", iface: "IReplicaSet" },
  "apps/statefulsets": { kind: "StatefulSet", module: "kubernetes-models/apps/v1/StatefulSet", iface: "IStatefulSet" },
  "apps/daemonsets": { kind: "DaemonSet", module: "kubernetes-models/apps/v1/DaemonSet", iface: "IDaemonSet" },
  "batch/jobs": { kind: "Job", module: "kubernetes-models/batch/v1/Job", iface: "IJob" },
  "batch/cronjobs": { kind: "CronJob", module: "kubernetes-models/batch/v1/CronJob", iface: "ICronJob" },
  "/pods": { kind: "Pod", module: "kubernetes-models/v1/Pod", iface: "IPod" },
  "/pods/ephemeralcontainers": { kind: "Pod", module: "kubernetes-models/v1/Pod", iface: "IPod" },
  "/pods/resize": { kind: "Pod", module: "kubernetes-models/v1/Pod", iface: "IPod" },
  "/replicationcontrollers": {
    kind: "ReplicationController",
    module: "kubernetes-models/v1/ReplicationController",
    iface: "IReplicationController",
  },
  "/namespaces": { kind: "Namespace", module: "kubernetes-models/v1/Namespace", iface: "INamespace" },
};

/** io.k8s.api.core.v1.PodSpec -> IoK8sApiCoreV1PodSpec, the name the declarations give a definition. */
export const definitionName = (openApi: string): string =>
  openApi
    .split(".")
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join("");

/** A builder CelType in cel-js notation. */
export function typeName(t: CelType): TypeName {
  if (typeof t === "string") return t === "duration" ? "google.protobuf.Duration" : t;
  if ("list" in t) return `list<${typeName(t.list)}>`;
  if ("map" in t) return `map<string, ${typeName(t.map)}>`;
  return definitionName(t.object);
}

/**
 * Every object type reachable from the kinds, by definition name, read from the declarations; and the type of
 * each kind (by KINDS key).
 */
export function loadObjectTypes(): { types: Map<string, ObjectType>; kindTypes: Record<string, string> } {
  // Reading the declarations takes seconds: the result is kept per version of the two packages (and of this file).
  const version = (pkg: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version as string;
  const key = [
    version("kubernetes-models"),
    version("@kubernetes-models/knative"),
    readFileSync(fileURLToPath(import.meta.url), "utf8").length,
  ].join("|");
  const cache = join(ROOT, "node_modules/.cache/gumstack/cel-types.json");
  try {
    const hit = JSON.parse(readFileSync(cache, "utf8"));
    if (hit.key === key) return { types: new Map(Object.entries(hit.types)), kindTypes: hit.kindTypes };
  } catch {
    /* no cache yet */
  }
  const read = readDeclarations();
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(cache, JSON.stringify({ key, types: Object.fromEntries(read.types), kindTypes: read.kindTypes }));
  return read;
}

function readDeclarations(): { types: Map<string, ObjectType>; kindTypes: Record<string, string> } {
  const entries = [...new Set(Object.values(KINDS).map((k) => `${k.module}|${k.iface}`))];
  const source = entries.map((e, i) => `import type { ${e.split("|")[1]} as K${i} } from "${e.split("|")[0]}";`).join("\n");
  const file = join(ROOT, "test/support/__cel_kinds__.ts");
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (f === file ? source : readFile(f));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => f === file || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang));
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const types = new Map<string, ObjectType>();

  /** The definition name of an interface: the `export type { IPodSpec as IIoK8sApiCoreV1PodSpec }` alias of its file. */
  const nameOf = (t: ts.Type): string | undefined => {
    const decl = t.getSymbol()?.declarations?.[0];
    if (!decl || !ts.isInterfaceDeclaration(decl)) return undefined;
    const local = decl.name.text;
    const alias = new RegExp(`export type \\{ ${local} as I(\\w+)`).exec(decl.getSourceFile().text);
    return alias ? alias[1] : local.replace(/^I/, "");
  };
  const visit = (t: ts.Type, seen: Set<string>): TypeName => {
    if (t.flags & ts.TypeFlags.Any || t.flags & ts.TypeFlags.Unknown) return "dyn";
    if (t.flags & ts.TypeFlags.StringLike) return "string";
    if (t.flags & ts.TypeFlags.NumberLike) return "int";
    if (t.flags & ts.TypeFlags.BooleanLike) return "bool";
    if (t.isUnion()) {
      const parts = t.types.filter((u) => !(u.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      if (parts.every((u) => u.flags & ts.TypeFlags.StringLike)) return "string";
      if (parts.every((u) => u.flags & ts.TypeFlags.BooleanLike)) return "bool";
      if (parts.length === 1) return visit(parts[0]!, seen);
      return "dyn";
    }
    if (checker.isArrayType(t)) return `list<${visit(checker.getTypeArguments(t as ts.TypeReference)[0]!, seen)}>`;
    const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
    if (index && checker.getPropertiesOfType(t).length === 0) return `map<string, ${visit(index.type, seen)}>`;
    const name = nameOf(t);
    if (!name) return "dyn";
    if (types.has(name)) return name;
    // A recursive definition (JSONSchemaProps) would need a forward reference: none is reachable here.
    if (seen.has(name)) throw new Error(`recursive type ${name}`);
    const fields: Record<string, TypeName> = {};
    const next = new Set(seen).add(name);
    for (const p of checker.getPropertiesOfType(t)) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      if (!decl) continue;
      fields[p.getName()] = visit(checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(p, decl)), next);
    }
    types.set(name, { name, fields });
    return name;
  };
  const byEntry = new Map<string, string>();
  const sf = program.getSourceFile(file)!;
  sf.statements.forEach((stmt, i) => {
    if (!ts.isImportDeclaration(stmt)) return;
    const el = (stmt.importClause!.namedBindings as ts.NamedImports).elements[0]!;
    const name = visit(checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(checker.getSymbolAtLocation(el.name)!)), new Set());
    byEntry.set(entries[i]!, name);
  });
  if (types.size < 50) throw new Error(`only ${types.size} types read from the declarations: are kubernetes-models installed?`);
  const kindTypes = Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [k, byEntry.get(`${v.module}|${v.iface}`)!]));
  return { types, kindTypes };
}

// The admission request as Kubernetes declares `request` (k8s.io/apiserver/pkg/admission/plugin/cel/compile.go
// buildRequestType): kind and resource are group-version triples, userInfo an authentication.k8s.io UserInfo.
export const REQUEST_TYPES: ObjectType[] = [
  { name: "GroupVersionKind", fields: { group: "string", version: "string", kind: "string" } },
  { name: "GroupVersionResource", fields: { group: "string", version: "string", resource: "string" } },
  { name: "UserInfo", fields: { username: "string", uid: "string", groups: "list<string>", extra: "map<string, list<string>>" } },
  {
    name: "AdmissionRequest",
    fields: {
      kind: "GroupVersionKind",
      resource: "GroupVersionResource",
      subResource: "string",
      requestKind: "GroupVersionKind",
      requestResource: "GroupVersionResource",
      requestSubResource: "string",
      name: "string",
      namespace: "string",
      operation: "string",
      userInfo: "UserInfo",
      dryRun: "bool",
      options: "dyn",
    },
  },
];

/** Registers object types in dependency order (cel-js needs a field's type registered before it is named). */
export function registerTypes(env: Environment, types: Iterable<ObjectType>): Environment {
  const all = new Map([...types].map((t) => [t.name, t]));
  const done = new Set<string>();
  const refs = (tn: TypeName): string[] => [...tn.matchAll(/[A-Z][A-Za-z0-9]+/g)].map((m) => m[0]).filter((n) => all.has(n));
  const add = (t: ObjectType): void => {
    if (done.has(t.name)) return;
    done.add(t.name);
    for (const f of Object.values(t.fields)) for (const r of refs(f)) add(all.get(r)!);
    env.registerType(t.name, { fields: t.fields });
  };
  for (const t of all.values()) add(t);
  return env;
}

// ---- checking a policy ----

import type { PolicyDefinition } from "../../components/kubernetes/cel/index.js";

/** The checker's environment: the object types, the request, and Kubernetes' library functions the guards use. */
export function checkerEnvironment(types: Map<string, ObjectType>): Environment {
  const env = new Environment()
    // Kubernetes' quantity library, modelled as the emulation in cel.ts does: quantity() is a double there.
    // has() as the builder renders it for the check (see has() in cel/expr.ts): its argument is checked as a select.
    .registerFunction("hasField(dyn): bool", () => true)
    .registerFunction("isQuantity(string): bool", () => true)
    .registerFunction("quantity(string): double", () => 0)
    .registerFunction({ name: "asApproximateFloat", receiverType: "double", returnType: "double", handler: (d: number) => d, params: [] })
    .registerFunction({ name: "sum", receiverType: "list<double>", returnType: "double", handler: () => 0, params: [] });
  const all = [...types.values(), ...REQUEST_TYPES];
  registerTypes(env, all);
  // CEL defines == and != on every type (cel-spec langdef "Equality"); cel-js's checker only on its own.
  for (const t of all) env.registerOperator(`${t.name} == ${t.name}`, (a: unknown, b: unknown) => a === b);
  return env;
}

/**
 * EphemeralContainerCommon "is a copy of all fields in Container" (core/v1 types.go), plus targetContainerName
 * on EphemeralContainer; CEL's checker cannot unify the two in `containers + ephemeralContainers`, which
 * Kubernetes evaluates as one list. The check reads an ephemeral container as a Container, after proving every
 * Container field is one of its fields with the same type, so each read the guards make is valid on both.
 */
export function unifyEphemeralContainers(types: Map<string, ObjectType>): Map<string, ObjectType> {
  const [c, e] = [types.get("IoK8sApiCoreV1Container")!, types.get("IoK8sApiCoreV1EphemeralContainer")!];
  const missing = Object.entries(c.fields).filter(([f, t]) => e.fields[f] !== t);
  if (missing.length > 0) throw new Error(`EphemeralContainer differs from Container in ${missing.map(([f]) => f).join(", ")}`);
  const rename = (t: TypeName) => t.replaceAll("IoK8sApiCoreV1EphemeralContainer", "IoK8sApiCoreV1Container");
  return new Map(
    [...types]
      .filter(([n]) => n !== e.name)
      .map(([n, t]) => [n, { name: n, fields: Object.fromEntries(Object.entries(t.fields).map(([f, ft]) => [f, rename(ft)])) }]),
  );
}

/** Whether a value of type `actual` may stand where `declared` is: the same type, or an object with all its fields. */
export function assignable(actual: TypeName, declared: TypeName, types: Map<string, ObjectType>): boolean {
  if (actual === declared || declared === "dyn" || actual === "dyn") return true;
  // An empty literal (`[]`, `{}`) has an unbound element type.
  if (/^list<[A-Z]>$/.test(actual) && declared.startsWith("list<")) return true;
  if (/^map<[A-Z], [A-Z]>$/.test(actual) && declared.startsWith("map<")) return true;
  const list = (t: TypeName) => /^list<(.*)>$/.exec(t)?.[1];
  if (list(actual) !== undefined && list(declared) !== undefined) return assignable(list(actual)!, list(declared)!, types);
  const [a, d] = [types.get(actual), types.get(declared)];
  return !!a && !!d && Object.entries(d.fields).every(([f, t]) => a.fields[f] !== undefined && assignable(a.fields[f]!, t, types));
}

export interface TypeError {
  readonly kind: string;
  readonly where: string;
  readonly error: string;
}

/**
 * Type-checks every expression of a policy for every kind its rules match: `object` and `oldObject` that kind,
 * `request` the admission request, each variable the type its expression has for that kind (which must be
 * assignable to the type the policy declares). Expressions are rendered for the kind (kindIs folded).
 */
export function typeCheck(
  def: PolicyDefinition,
  env: Environment,
  types: Map<string, ObjectType>,
  kindTypes: Record<string, string>,
): {
  errors: TypeError[];
  checked: number;
} {
  const errors: TypeError[] = [];
  let checked = 0;
  const resources = def.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)));
  for (const resource of resources) {
    const objectType = kindTypes[resource];
    if (!objectType) {
      errors.push({ kind: resource, where: "rules", error: `no declared type for ${resource} (add it to KINDS)` });
      continue;
    }
    const kind = KINDS[resource]!.kind;
    const vars: Record<string, TypeName> = {};
    let n = 0;
    const envWith = () => {
      const e = env.clone();
      const name = `Variables${n++}`;
      e.registerType(name, { fields: { ...vars } });
      return e
        .registerVariable("object", objectType)
        .registerVariable("oldObject", objectType)
        .registerVariable("request", "AdmissionRequest")
        .registerVariable("variables", name);
    };
    const check = (e: Environment, where: string, source: string, want: TypeName): TypeName | undefined => {
      checked++;
      const r = e.check(source);
      if (!r.valid) errors.push({ kind, where, error: `${r.error!.message.split("\n")[0]} in ${source}` });
      else if (!assignable(String(r.type), want, types)) errors.push({ kind, where, error: `is ${r.type}, declared ${want}: ${source}` });
      else return String(r.type);
      return undefined;
    };
    const ctx = { kind, typeCheck: true };
    let e = envWith();
    for (const m of def.matchConditions ?? []) check(e, `matchCondition ${m.name}`, m.expression.render(ctx), "bool");
    for (const v of def.variables ?? []) {
      const declared = typeName(v.type.cel);
      const got = check(e, `variable ${v.name}`, v.expression.render(ctx), declared);
      // Later expressions read the variable as the type it has for this kind (dyn: as declared).
      vars[v.name] = got === undefined || got === "dyn" ? declared : got;
      e = envWith();
    }
    for (const [i, v] of def.validations.entries()) {
      const expression = v.expression.render(ctx);
      check(e, `validation ${i}`, expression, "bool");
      // A validation that holds for every object of this kind never shows its message for it.
      if (expression !== "true") check(e, `messageExpression ${i}`, v.sentence.expression().render(ctx), "string");
    }
  }
  return { errors, checked };
}
