// The pack as the Pulumi CLI runs it: `pulumi preview --policy-pack policies` starts
// @pulumi/pulumi/cmd/run-policy-pack in policies/, which registers ts-node (CommonJS, module nodenext,
// target ES2020, type-checked, no tsconfig there) and require()s the directory. ts-node is not installed in
// this checkout, so this test reproduces its two observable constraints (type errors fail the pack; a .ts
// file in a "type": "module" scope is ERR_REQUIRE_ESM and ".js" specifiers do not map to ".ts"), boots the
// real PolicyPack, and drives it over gRPC the way the engine does.
import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { policies as packPolicies } from "../../policies/rules/index.js";

const POLICIES = new URL("../../policies/", import.meta.url).pathname;
const require = createRequire(import.meta.url);
/**
 * The pack's own sources: policies/ and the local packages its package.json links (`file:` dependencies such as
 * packages/network). npm links those into policies/node_modules, but Node (and ts-node, which compiles whatever is
 * outside node_modules) load them from their real path, so they are the pack's files, compiled and type-checked.
 */
const PACK_ROOTS = [
  POLICIES,
  ...Object.values(JSON.parse(readFileSync(join(POLICIES, "package.json"), "utf8")).dependencies as Record<string, string>)
    .filter((v) => v.startsWith("file:"))
    .map((v) => join(POLICIES, v.slice("file:".length), "/")),
];
const inPack = (file: string) => PACK_ROOTS.some((root) => file.startsWith(root));
/** The "type" of the package.json nearest to a file: "module" makes a .ts file ESM, which ts-node cannot require. */
function scopeType(file: string): string | undefined {
  for (let d = dirname(file); ; d = dirname(d)) {
    const p = join(d, "package.json");
    if (existsSync(p)) return JSON.parse(readFileSync(p, "utf8")).type;
    if (dirname(d) === d) return undefined;
  }
}

/** ts-node's observable constraints, for checkouts without the pack's dependencies installed. */
const TS_NODE_EMULATION = `
      const fs = require("fs"), path = require("path"), ts = require(${JSON.stringify(require.resolve("typescript"))});
      const scopeType = (f) => { for (let d = path.dirname(f); ; d = path.dirname(d)) {
        const p = path.join(d, "package.json"); if (fs.existsSync(p)) return JSON.parse(fs.readFileSync(p, "utf8")).type;
        if (path.dirname(d) === d) return undefined; } };
      require.extensions[".ts"] = (module, filename) => {
        if (scopeType(filename) === "module") { const e = new Error("Must use import to load ES Module: " + filename); e.code = "ERR_REQUIRE_ESM"; throw e; }
        const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), { fileName: filename,
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } });
        module._compile(out.outputText, filename);
      };`;

/** ts-node's settings without a tsconfig, as run-policy-pack registers it (see the type-check test). */
const TS_NODE_OPTIONS: ts.CompilerOptions = {
  lib: ["lib.es2021.d.ts"],
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  forceConsistentCasingInFileNames: true,
  target: ts.ScriptTarget.ES2020,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  noEmit: true,
  typeRoots: [join(POLICIES, "node_modules/@types")],
};

/**
 * Every source file the pack loads (its import graph, resolved as ts-node resolves it), outside node_modules: a
 * linked local package resolves to its real path, outside node_modules, and is followed like the pack's own files.
 */
function packFiles(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { fileName } of ts.preProcessFile(ts.sys.readFile(file) ?? "", true, true).importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, TS_NODE_OPTIONS, ts.sys).resolvedModule;
      if (resolved && !resolved.resolvedFileName.includes("/node_modules/")) stack.push(resolved.resolvedFileName);
    }
  }
  return [...seen];
}

describe("the pack under the Pulumi CLI's runtime", () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill());

  // With the pack's own dependencies installed (`npm ci --prefix policies`, as .ci/run does), this is the CLI's real
  // path: @pulumi/pulumi's run-policy-pack with ts-node, type-checked. Without them, a hook with ts-node's
  // observable constraints stands in.
  const realRunner = join(POLICIES, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
  const hasRealRunner = existsSync(join(POLICIES, "node_modules/ts-node")) && existsSync(realRunner);

  /** Starts the pack once, as the CLI does; resolves to the port it listens on. */
  let booted: Promise<string> | undefined;
  const boot = () =>
    (booted ??= new Promise<string>((resolve, reject) => {
      if (hasRealRunner) {
        child = spawn(process.execPath, [realRunner, "127.0.0.1:1", "."], { cwd: POLICIES, stdio: ["ignore", "pipe", "pipe"] });
      } else {
        const hook = join(mkdtempSync(join(tmpdir(), "pack-")), "ts-hook.cjs");
        writeFileSync(hook, TS_NODE_EMULATION);
        child = spawn(process.execPath, ["-r", hook, "-e", "require(process.cwd())"], { cwd: POLICIES, stdio: ["ignore", "pipe", "pipe"] });
      }
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += String(d)));
      child.stdout!.once("data", (d) => resolve(String(d).trim()));
      child.once("exit", (code) => reject(new Error(`pack exited ${code}: ${stderr}`)));
      // ts-node type-checks the pack before it listens: seconds on an idle machine, far more on a loaded one.
      setTimeout(() => reject(new Error(`no port after 90s: ${stderr}`)), 90_000);
    }));

  it("loads only files inside policies/ and its linked packages (nothing from src/, which is ESM scope)", () => {
    const loaded = packFiles(join(POLICIES, "index.ts"));
    expect(loaded.length).toBeGreaterThan(30);
    expect(loaded.filter((f) => !inPack(f))).toEqual([]);
    expect(loaded.filter((f) => scopeType(f) === "module")).toEqual([]);
  });

  // ts-node's settings without a tsconfig: its bundled @tsconfig/node16 defaults (ts-node dist/tsconfigs.js: lib
  // es2021, strict, esModuleInterop, skipLibCheck), overridden by run-policy-pack's target, module and resolution.
  // With the real runner installed, its ts-node (typeCheck: true) is that check: a type error makes the require
  // throw and the pack exit, so the boot below proves it. Without it, the same settings are checked here
  // (skipLibCheck costs nothing in fidelity: ts-node reports diagnostics of the files it compiles only, and the
  // pack has no .d.ts of its own; ambient types come from the pack's own dependencies).
  it(`type-checks with run-policy-pack's ts-node settings (CommonJS, nodenext, ES2020)${hasRealRunner ? ": the real ts-node, at boot" : ""}`, async () => {
    if (hasRealRunner) {
      // The premise: the runner registers ts-node type-checked, so a type error fails the boot.
      expect(readFileSync(join(realRunner, "run.js"), "utf8")).toMatch(/tsn\.register\(\{\s*typeCheck: true,/);
      expect(await boot()).toMatch(/^\d+$/);
      return;
    }
    const program = ts.createProgram([join(POLICIES, "index.ts")], TS_NODE_OPTIONS);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && inPack(d.file.fileName) && !d.file.fileName.includes("/node_modules/"));
    expect(diagnostics.map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)).toEqual([]);
    // The checked program reads nothing outside policies/ and its linked packages either.
    const loaded = program
      .getSourceFiles()
      .map((f) => f.fileName)
      .filter((f) => !f.includes("/node_modules/"));
    expect(loaded.filter((f) => !inPack(f))).toEqual([]);
    // A whole-program type check: seconds on an idle machine, far more on a loaded one.
  }, 120_000);

  it(`boots ${hasRealRunner ? "under the real run-policy-pack and ts-node" : "as a CommonJS require of policies/ (ts-node emulated)"} and answers the engine's RPCs`, async () => {
    const port = await boot();
    expect(port).toMatch(/^\d+$/);

    const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
      AnalyzerClient: new (addr: string, creds: grpc.ChannelCredentials) => any;
    };
    const pb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
    const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(v: object): unknown } };
    const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const unary = <T>(method: string, req: unknown) =>
      new Promise<T>((resolve, reject) => client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));

    const info = await unary<{ getName(): string; getVersion(): string; getPoliciesList(): { getName(): string }[] }>(
      "getAnalyzerInfo",
      new Empty(),
    );
    expect(info.getName()).toBe("gumstack-isolation");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getPoliciesList().length).toBe(packPolicies.length);

    const req = new pb.AnalyzeRequest();
    req.setType("gcp:container/nodePool:NodePool");
    req.setUrn("urn:pulumi:prod::gumstack::gcp:container/nodePool:NodePool::mcp");
    req.setName("mcp");
    req.setOptions(new pb.AnalyzerResourceOptions());
    req.setProperties(
      Struct.fromJavaScript({
        nodeConfig: {
          serviceAccount: "n@p.iam.gserviceaccount.com",
          workloadMetadataConfig: { mode: "GCE_METADATA" },
          labels: { "gumstack.com/pool": "mcp" },
          sandboxConfig: { type: "GVISOR" },
          shieldedInstanceConfig: { enableSecureBoot: true },
          kubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" },
        },
      }) as never,
    );
    const resp = await unary<{ getDiagnosticsList(): { getPolicyname(): string; getEnforcementlevel(): number }[] }>("analyze", req);
    expect(resp.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel()])).toEqual([
      ["gke-node-pool-gke-metadata", pb.EnforcementLevel.MANDATORY],
    ]);
    client.close();
  }, 120_000);
});
