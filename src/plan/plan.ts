// The offline plan: runs the real program under Pulumi's mock engine and records every registration with
// its real dependency edges, in the shape of `pulumi stack export` (version 3).
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";
import { join } from "node:path";
import { platformMocks } from "./mocks.js";
import { readStackFile, type StackFileConfig } from "./stackFile.js";
import { namespaceValues, parseStackConfig } from "../config/load.js";
import { CONFIG_NAMESPACE } from "../config/schema.js";
import { quietPulumiPromises } from "./quietPromises.js";

/** The signature Pulumi's serialization uses for secrets, and the masked form an export carries. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REF_VALUE = "5cf8f73096256a8f31e491e813e4eb8e";
const MASKED = { [SECRET_SIG]: SECRET_VALUE, ciphertext: "[secret: masked in the offline plan]" };

export interface PlannedResource {
  urn: string;
  custom: boolean;
  /** A resource read with `.get`, not managed by the stack. */
  external?: boolean;
  type: string;
  id?: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  parent?: string;
  provider?: string;
  protect?: boolean;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

export interface StackExport {
  version: 3;
  deployment: {
    manifest: { time: string; magic: string; version: string };
    resources: PlannedResource[];
  };
  /**
   * Not part of Pulumi's format: the values the mock engine invented for this plan (src/plan/mocks.ts), which
   * every printer marks. The `--json` file carries the marks in place instead (markedExport, src/plan/outputs.ts).
   */
  mockValues?: string[];
}

export interface PlanOptions {
  /** Stack name; config comes from Pulumi.<stack>.yaml in `dir` unless `configFile` is given. */
  readonly stack: string;
  /** Stack file to read instead of Pulumi.<stack>.yaml. */
  readonly configFile?: string;
  /** Directory holding the stack files (default: the current directory). */
  readonly dir?: string;
  /** Config to use instead of reading a stack file (tests). */
  readonly stackConfig?: StackFileConfig;
  /** The program to run (default: the real program in src/program.ts). */
  readonly program?: () => Promise<Record<string, unknown> | void>;
  /** The Pulumi project name URNs carry (default "gumstack"; the bootstrap's is "gumstack-bootstrap"). */
  readonly project?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Converts a serialized property value to its export form: secrets masked, resource references as URNs. */
function exportValue(v: unknown, secretPaths: Set<string>, path: string): unknown {
  if (secretPaths.has(path)) return MASKED;
  if (Array.isArray(v)) return v.map((x, i) => exportValue(x, secretPaths, `${path}[${i}]`));
  if (!isObject(v)) return v;
  if (v[SECRET_SIG] === SECRET_VALUE) return MASKED;
  if (v[SECRET_SIG] === RESOURCE_REF_VALUE) return v.urn;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = exportValue(x, secretPaths, path ? `${path}.${k}` : k);
  return out;
}

/** Paths of every secret inside a serialized value, so the same paths of the outputs are masked too. */
function collectSecretPaths(v: unknown, path: string, acc: Set<string>): Set<string> {
  if (Array.isArray(v)) v.forEach((x, i) => collectSecretPaths(x, `${path}[${i}]`, acc));
  else if (isObject(v)) {
    if (v[SECRET_SIG] === SECRET_VALUE) acc.add(path);
    else for (const [k, x] of Object.entries(v)) collectSecretPaths(x, path ? `${path}.${k}` : k, acc);
  }
  return acc;
}

function providerUrn(ref: string): string | undefined {
  // A provider reference is "<urn>::<id>"; the URN itself contains "::" separators.
  return ref ? ref.slice(0, ref.lastIndexOf("::")) : undefined;
}

const require = createRequire(import.meta.url);

/**
 * The engine, not the program, creates default providers, so the mock monitor never sees them; an export
 * names them `default_<version>`. Reproduce that name so tools reading a plan see what a real export holds.
 */
function defaultProviderUrn(type: string, stack: string): string | undefined {
  const pkg = type.split(":")[0]!;
  if (pkg === "pulumi") return undefined;
  let version = "unknown";
  try {
    version = (require(`@pulumi/${pkg}/package.json`) as { version: string }).version;
  } catch {
    // keep "unknown": the name still says which package's default provider it is
  }
  return `urn:pulumi:${stack}::${CONFIG_NAMESPACE}::pulumi:providers:${pkg}::default_${version.replace(/[.-]/g, "_")}`;
}

/** Loads the stack's config into the Pulumi runtime; returns the GCP project the mocks should default to. */
function applyConfig(stackConfig: StackFileConfig): string {
  pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);
  return stackConfig.config["gcp:project"] ?? stackConfig.config[`${CONFIG_NAMESPACE}:project`] ?? "offline-project";
}

type Req = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getAdditionalsecretoutputsList(): string[];
};
type Resp = { getUrn(): string; getId(): string; getObject(): { toJavaScript(): Record<string, unknown> } | undefined };

/** Runs the program offline for a stack and returns the planned deployment. Throws on config or program errors. */
export async function planStack(options: PlanOptions): Promise<StackExport> {
  // Pulumi's per-promise leak-report stacks, an eighth to a third of a plan, are captured empty from here on.
  quietPulumiPromises();
  const stackConfig =
    options.stackConfig ?? readStackFile(options.configFile ?? join(options.dir ?? process.cwd(), `Pulumi.${options.stack}.yaml`));
  const project = applyConfig(stackConfig);
  const invented = new Set<string>();
  await pulumi.runtime.setMocks(platformMocks(project, invented), options.project ?? CONFIG_NAMESPACE, options.stack, false);

  const resources: PlannedResource[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: Req, cb: (err: Error | null, resp?: Resp) => void): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        const rawInputs = req.getObject()?.toJavaScript() ?? {};
        const secretPaths = collectSecretPaths(rawInputs, "", new Set());
        for (const key of req.getAdditionalsecretoutputsList()) secretPaths.add(key);
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
          propertyDependencies[key] = deps.getUrnsList();
        });
        const provider = req.getCustom() ? (providerUrn(req.getProvider()) ?? defaultProviderUrn(req.getType(), options.stack)) : undefined;
        resources.push({
          urn: resp.getUrn(),
          custom: req.getCustom(),
          type: req.getType(),
          ...(req.getCustom() && resp.getId() ? { id: resp.getId() } : {}),
          inputs: exportValue(rawInputs, new Set(), "") as Record<string, unknown>,
          outputs: exportValue(resp.getObject()?.toJavaScript() ?? {}, secretPaths, "") as Record<string, unknown>,
          ...(req.getParent() ? { parent: req.getParent() } : {}),
          ...(provider ? { provider } : {}),
          ...(req.getProtect() ? { protect: true } : {}),
          dependencies: [...new Set(req.getDependenciesList())],
          propertyDependencies,
        });
      }
      cb(err, resp);
    });

  // Reads (`Resource.get`) appear in an export as external resources: record them too.
  const reader = monitor as unknown as {
    readResource(
      req: Req & { getId(): string },
      cb: (
        err: Error | null,
        resp?: { getUrn(): string; getProperties(): { toJavaScript(): Record<string, unknown> } | undefined },
      ) => void,
    ): Promise<void>;
  };
  const read = reader.readResource.bind(monitor);
  reader.readResource = (req, cb) =>
    read(req, (err, resp) => {
      if (!err && resp) {
        const provider = providerUrn(req.getProvider());
        resources.push({
          urn: resp.getUrn(),
          custom: true,
          external: true,
          type: req.getType(),
          id: req.getId(),
          inputs: {},
          outputs: exportValue(resp.getProperties()?.toJavaScript() ?? {}, new Set(), "") as Record<string, unknown>,
          ...(req.getParent() ? { parent: req.getParent() } : {}),
          ...(provider ? { provider } : {}),
          dependencies: [...new Set(req.getDependenciesList())],
          propertyDependencies: {},
        });
      }
      cb(err, resp);
    });

  // Component and stack outputs arrive later, through registerResourceOutputs.
  const monitorOutputs = monitor as unknown as {
    registerResourceOutputs(
      req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined },
      cb: (err: Error | null) => void,
    ): void;
  };
  const registerOutputs = monitorOutputs.registerResourceOutputs.bind(monitor);
  monitorOutputs.registerResourceOutputs = (req, cb) => {
    const recorded = resources.find((r) => r.urn === req.getUrn());
    if (recorded) recorded.outputs = exportValue(req.getOutputs()?.toJavaScript() ?? {}, new Set(), "") as Record<string, unknown>;
    registerOutputs(req, cb);
  };

  // The real program validates its config first thing; doing it here too fails the plan with the same message
  // before Pulumi's stack exists, so a bad config leaves no rejected stack promise behind (in-process callers).
  if (!options.program) parseStackConfig(namespaceValues(pulumi.runtime.allConfig()));
  const program = options.program ?? (await import("../program.js")).program;
  await pulumi.runtime.runInPulumiStack(async () => (await program()) ?? {});
  // Registrations started by applies may still be in flight; waitForRPCs (internal, untyped) drains them.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

  return {
    version: 3,
    deployment: {
      manifest: { time: new Date().toISOString(), magic: "offline-plan", version: "gumstack-offline-plan" },
      resources,
    },
    mockValues: [...invented].sort(),
  };
}
