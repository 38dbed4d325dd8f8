// Runs the policy pack over exported resources with @pulumi/policy's own analyzer: the very `analyze` and
// `analyzeStack` handlers a PolicyPack registers on its gRPC server (makeAnalyzeRpcFun and
// makeAnalyzeStackRpcFun in @pulumi/policy/server.js), fed the protobuf requests the engine would send. So
// type filtering, "not applicable", enforcement levels, unknown-value handling and the violation messages
// are the library's, not a re-implementation. `new PolicyPack` is never called: it would start the server.
//
// One thing cannot go through the handlers: per-policy config. @pulumi/policy keeps it in module state set
// only by the Configure RPC, whose handler is not exported. It is applied here the way that state is read:
// the enforcement level per policy ("all" for every policy, a policy's own entry winning), and the other
// properties returned by `args.getConfig()`.
import type { EnforcementLevel, Policies, Policy, PolicyConfigSchema, PolicyPackConfig, Severity } from "@pulumi/policy";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { serialize } from "node:v8";
import { readPackConfig } from "../../policies/config.js";
import { PACK_NAME, packArgs, policies as packPolicies } from "../../policies/rules/index.js";
import { analyzerValue, type ExportResource } from "./export.js";

// Resolve the protobuf modules from @pulumi/policy's own location: the messages must be the classes its
// handlers were built against.
const requireHere = createRequire(import.meta.url);
const requirePolicy = createRequire(requireHere.resolve("@pulumi/policy/package.json"));
const server = requirePolicy("./server.js") as {
  makeAnalyzeRpcFun(name: string, version: string, level: EnforcementLevel, policies: Policies): Handler;
  makeAnalyzeStackRpcFun(name: string, version: string, level: EnforcementLevel, policies: Policies): Handler;
};
const pb = requirePolicy("@pulumi/pulumi/proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = requirePolicy("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: Record<string, unknown>): ProtoStruct };
};
interface ProtoStruct {
  toJavaScript(): Record<string, unknown>;
}

type Handler = (call: { request: unknown }, callback: (err: unknown, resp?: AnalyzeResponse) => void) => Promise<void>;
interface AnalyzeResponse {
  getNotApplicableList(): { getPolicyName(): string }[];
  getDiagnosticsList(): {
    getPolicyname(): string;
    getDescription(): string;
    getMessage(): string;
    getEnforcementlevel(): number;
    getUrn(): string;
    getSeverity(): number;
  }[];
}

export interface Diagnostic {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly severity?: Severity;
  /** The resource the violation is about (a stack policy may name none). */
  readonly urn?: string;
  readonly description: string;
  /** The violation itself, without the policy description @pulumi/policy prefixes it with. */
  readonly message: string;
}

export interface PolicyRun {
  readonly pack: string;
  readonly version: string;
  readonly policies: number;
  readonly resources: number;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Per policy that ran (not disabled): how many resources it judged (resource policies) or 1 when the stack
   * policy judged the stack; 0 when it was "not applicable" everywhere. The isolation evidence of a report.
   */
  readonly evaluated: Readonly<Record<string, number>>;
}

export interface RunOptions {
  /** Policy pack config, as for `pulumi preview --policy-pack-config`. */
  readonly config?: PolicyPackConfig;
  /** Policies to run instead of the pack's (tests of the runner itself). */
  readonly policies?: Policies;
}

/** The pack's version: policies/package.json, where the PolicyPack constructor reads it too. */
export function packVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../policies/package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** A config error: unknown policy, unknown property, bad level or value. */
export class PolicyConfigError extends Error {
  override name = "PolicyConfigError";
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function normalizeConfig(
  config: PolicyPackConfig,
  policies: Policies,
): Map<string, { level?: EnforcementLevel; props: Record<string, unknown> }> {
  const out = new Map<string, { level?: EnforcementLevel; props: Record<string, unknown> }>();
  for (const [name, value] of Object.entries(config)) {
    const policy = policies.find((p) => p.name === name);
    if (name !== "all" && !policy) throw new PolicyConfigError(`policy config names '${name}', which is not a policy of the pack`);
    const { enforcementLevel, ...props } = typeof value === "string" ? { enforcementLevel: value } : (value ?? {});
    if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel as EnforcementLevel)) {
      throw new PolicyConfigError(`${name}: enforcementLevel ${JSON.stringify(enforcementLevel)} is not one of ${LEVELS.join(", ")}`);
    }
    if (name === "all" && Object.keys(props).length > 0) throw new PolicyConfigError("'all' takes only an enforcement level");
    const schema: PolicyConfigSchema | undefined = policy?.configSchema;
    for (const key of Object.keys(props)) {
      if (!schema?.properties[key]) throw new PolicyConfigError(`${name}: '${key}' is not a config property of this policy`);
    }
    if (policy) {
      try {
        readPackConfig(props);
      } catch (err) {
        throw new PolicyConfigError(`${name}: ${(err as Error).message}`);
      }
    }
    out.set(name, { ...(enforcementLevel ? { level: enforcementLevel as EnforcementLevel } : {}), props });
  }
  return out;
}

/** The policies with config applied: levels overridden, `getConfig` answering the configured properties. */
function configured(policies: Policies, config: PolicyPackConfig): Policies {
  const cfg = normalizeConfig(config, policies);
  const all = cfg.get("all")?.level;
  return policies.map((p) => {
    const own = cfg.get(p.name);
    const level = own?.level ?? all ?? p.enforcementLevel;
    const props = own?.props ?? {};
    const getConfig = () => props;
    const wrap = <F extends (args: { getConfig(): object }, ...rest: never[]) => unknown>(fn: F): F => {
      const w = ((args: { getConfig(): object }, ...rest: never[]) => fn({ ...args, getConfig }, ...rest)) as F;
      const type = (fn as unknown as { __pulumiType?: string }).__pulumiType;
      if (type) (w as unknown as { __pulumiType: string }).__pulumiType = type;
      return w;
    };
    const copy: Policy & Record<string, unknown> = { ...p, ...(level ? { enforcementLevel: level } : {}) };
    if ("validateResource" in p && typeof p.validateResource === "function") copy.validateResource = wrap(p.validateResource as never);
    if ("validateStack" in p && typeof p.validateStack === "function") copy.validateStack = wrap(p.validateStack as never);
    return copy as Policies[number];
  });
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function options(r: ExportResource) {
  const o = new pb.AnalyzerResourceOptions();
  o.setProtect(r.protect);
  o.setAdditionalsecretoutputsList([...r.additionalSecretOutputs]);
  o.setAliasesList([...r.aliases]);
  o.setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());
  if (r.parent) o.setParent(r.parent);
  return o;
}

type PropertySource = "inputs" | "outputs";

/**
 * A resource's properties as the protobuf Struct the engine sends. The handlers decode a request's Struct once
 * per policy (deserializeProperties calls `toJavaScript()` and copies the result into fresh objects), and a stack
 * request's every resource once per stack policy: decoding, then encoding, were most of a run's cost. So a Struct
 * decodes once and answers later calls with that same value (what each call returned anyway; the only reader,
 * deserializeProperties, copies it), and is shared by every request with the same properties: a resource's inputs
 * and outputs (equal in a plan), a provider's for every resource it serves, the same resource in the next run
 * (a test's fixture, a stack planned again). Keyed by the V8 serialization of the value: equal only for equal
 * values (-0 is not 0; another key order is merely a miss); bounded, oldest out first.
 */
const structs = new Map<string, ProtoStruct>();
const STRUCT_CACHE_SIZE = 2048;

function protoStruct(value: Record<string, unknown>): ProtoStruct {
  let key: string | undefined;
  try {
    key = serialize(value).toString("latin1");
  } catch {
    // Not serializable (a function, a symbol): not cached, so Struct.fromJavaScript reports it as before.
  }
  const hit = key === undefined ? undefined : structs.get(key);
  if (hit) return hit;
  const s = Struct.fromJavaScript(value);
  const decode = s.toJavaScript.bind(s);
  let decoded: Record<string, unknown> | undefined;
  s.toJavaScript = () => (decoded ??= decode());
  if (key !== undefined) {
    if (structs.size >= STRUCT_CACHE_SIZE) structs.delete(structs.keys().next().value!);
    structs.set(key, s);
  }
  return s;
}

function struct(r: ExportResource, source: PropertySource): ProtoStruct {
  const props = source === "outputs" && Object.keys(r.outputs).length > 0 ? r.outputs : r.inputs;
  return protoStruct(analyzerValue(props) as Record<string, unknown>);
}

/** The provider resource of `r`, from a "<urn>::<id>" reference or a bare URN. */
function providerOf(r: ExportResource, byUrn: ReadonlyMap<string, ExportResource>): ExportResource | undefined {
  if (!r.provider) return undefined;
  return byUrn.get(r.provider) ?? byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
}

function providerMessage(p: ExportResource, source: PropertySource) {
  const m = new pb.AnalyzerProviderResource();
  m.setType(p.type);
  m.setUrn(p.urn);
  m.setName(nameOf(p.urn));
  m.setProperties(struct(p, source) as never);
  return m;
}

function call(handler: Handler, request: unknown): Promise<AnalyzeResponse> {
  return new Promise((resolve, reject) => {
    void handler({ request }, (err, resp) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(resp!))).catch(
      reject,
    );
  });
}

const levelName = new Map<number, EnforcementLevel>(
  Object.entries(pb.EnforcementLevel).map(([k, v]) => [v as number, k.toLowerCase() as EnforcementLevel]),
);
const severityName = new Map<number, Severity>(
  Object.entries(pb.PolicySeverity)
    .filter(([k]) => k !== "POLICY_SEVERITY_UNSPECIFIED")
    .map(([k, v]) => [v as number, k.replace("POLICY_SEVERITY_", "").toLowerCase() as Severity]),
);

function diagnostics(resp: AnalyzeResponse, urn?: string): Diagnostic[] {
  return resp.getDiagnosticsList().map((d) => {
    const description = d.getDescription();
    const full = d.getMessage();
    const message = full.startsWith(`${description}\n`) ? full.slice(description.length + 1) : full;
    const severity = severityName.get(d.getSeverity());
    const target = d.getUrn() || urn;
    return {
      policy: d.getPolicyname(),
      level: levelName.get(d.getEnforcementlevel()) ?? "advisory",
      ...(severity ? { severity } : {}),
      ...(target ? { urn: target } : {}),
      description,
      message,
    };
  });
}

/**
 * Runs every resource policy over each resource's inputs (what `analyze` gets during preview and update) and
 * every stack policy over all resources' outputs, falling back to inputs where an export has none (what
 * `analyzeStack` gets after an update). Throws when a policy itself fails, as the engine would.
 */
export async function runPolicyPack(resources: readonly ExportResource[], opts: RunOptions = {}): Promise<PolicyRun> {
  const version = packVersion();
  const policies = configured(opts.policies ?? packPolicies, opts.config ?? {});
  const level = packArgs.enforcementLevel ?? "advisory";
  const analyze = server.makeAnalyzeRpcFun(PACK_NAME, version, level, policies);
  const analyzeStack = server.makeAnalyzeStackRpcFun(PACK_NAME, version, level, policies);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const out: Diagnostic[] = [];
  const enabled = policies.filter((p) => p.enforcementLevel !== "disabled");
  const evaluated: Record<string, number> = Object.fromEntries(enabled.map((p) => [p.name, 0]));
  const resourcePolicies = enabled.filter((p) => "validateResource" in p).map((p) => p.name);
  const stackPolicies = enabled.filter((p) => "validateStack" in p).map((p) => p.name);
  const count = (resp: AnalyzeResponse, judged: readonly string[]) => {
    const skipped = new Set(resp.getNotApplicableList().map((n) => n.getPolicyName()));
    for (const name of judged) if (!skipped.has(name)) evaluated[name] = (evaluated[name] ?? 0) + 1;
    return resp;
  };

  for (const r of resources) {
    // The engine analyzes the resources the program registers: not the stack, not providers, not reads
    // (`external`: state the program only looks at; stack policies still see it).
    if (r.external || r.type === "pulumi:pulumi:Stack" || r.type.startsWith("pulumi:providers:")) continue;
    const req = new pb.AnalyzeRequest();
    req.setType(r.type);
    req.setUrn(r.urn);
    req.setName(nameOf(r.urn));
    req.setProperties(struct(r, "inputs") as never);
    req.setOptions(options(r));
    const provider = providerOf(r, byUrn);
    if (provider) req.setProvider(providerMessage(provider, "inputs"));
    for (const d of diagnostics(count(await call(analyze, req), resourcePolicies), r.urn)) out.push(d);
  }

  const stackReq = new pb.AnalyzeStackRequest();
  stackReq.setResourcesList(
    resources.map((r) => {
      const m = new pb.AnalyzerResource();
      m.setType(r.type);
      m.setUrn(r.urn);
      m.setName(nameOf(r.urn));
      m.setProperties(struct(r, "outputs") as never);
      m.setOptions(options(r));
      if (r.parent) m.setParent(r.parent);
      m.setDependenciesList([...r.dependencies]);
      const deps = m.getPropertydependenciesMap();
      for (const [k, urns] of Object.entries(r.propertyDependencies)) {
        if (urns.length === 0) continue;
        const d = new pb.AnalyzerPropertyDependencies();
        d.setUrnsList([...urns]);
        deps.set(k, d);
      }
      const provider = providerOf(r, byUrn);
      if (provider) m.setProvider(providerMessage(provider, "outputs"));
      return m;
    }),
  );
  // A loop, not push(...): a fleet's worth of stacks can yield more findings than a call may take arguments.
  for (const d of diagnostics(count(await call(analyzeStack, stackReq), stackPolicies))) out.push(d);

  return { pack: PACK_NAME, version, policies: policies.length, resources: resources.length, diagnostics: out, evaluated };
}
