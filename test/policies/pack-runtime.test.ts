// The pack as the Pulumi CLI runs it: `pulumi preview --policy-pack policies` starts
// @pulumi/pulumi/cmd/run-policy-pack in policies/, which registers ts-node (CommonJS, module nodenext,
// target ES2020, type-checked, no tsconfig there) and require()s the directory. ts-node is not installed in
// this checkout, so this test reproduces its two observable constraints (type errors fail the pack; a .ts
// file in a "type": "module" scope is ERR_REQUIRE_ESM and ".js" specifiers do not map to ".ts"), boots the
// real PolicyPack, and drives it over gRPC the way the engine does.
import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const POLICIES = new URL("../../policies/", import.meta.url).pathname;
const require = createRequire(import.meta.url);

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

describe("the pack under the Pulumi CLI's runtime", () => {
  it("type-checks with run-policy-pack's ts-node settings (CommonJS, nodenext, ES2020)", () => {
    const program = ts.createProgram([join(POLICIES, "index.ts")], {
      target: ts.ScriptTarget.ES2020,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName.startsWith(POLICIES) && !d.file.fileName.includes("/node_modules/"));
    expect(diagnostics.map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)).toEqual([]);
    // Every file the pack loads lives inside policies/: nothing from src/ (ESM scope) or with a ".js" specifier.
    const loaded = program.getSourceFiles().map((f) => f.fileName).filter((f) => !f.includes("/node_modules/"));
    expect(loaded.filter((f) => !f.startsWith(POLICIES))).toEqual([]);
  });

  let child: ChildProcess | undefined;
  afterAll(() => child?.kill());

  // With the pack's own dependencies installed (`npm ci --prefix policies`, as .ci/run does), this is the CLI's real
  // path: @pulumi/pulumi's run-policy-pack with ts-node, type-checked. Without them, a hook with ts-node's
  // observable constraints stands in.
  const realRunner = join(POLICIES, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
  const hasRealRunner = existsSync(join(POLICIES, "node_modules/ts-node")) && existsSync(realRunner);

  it(`boots ${hasRealRunner ? "under the real run-policy-pack and ts-node" : "as a CommonJS require of policies/ (ts-node emulated)"} and answers the engine's RPCs`, async () => {
    if (hasRealRunner) {
      child = spawn(process.execPath, [realRunner, "127.0.0.1:1", "."], { cwd: POLICIES, stdio: ["ignore", "pipe", "pipe"] });
    } else {
      const hook = join(mkdtempSync(join(tmpdir(), "pack-")), "ts-hook.cjs");
      writeFileSync(hook, TS_NODE_EMULATION);
      child = spawn(process.execPath, ["-r", hook, "-e", "require(process.cwd())"], { cwd: POLICIES, stdio: ["ignore", "pipe", "pipe"] });
    }
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    const port = await new Promise<string>((resolve, reject) => {
      child!.stdout!.once("data", (d) => resolve(String(d).trim()));
      child!.once("exit", (code) => reject(new Error(`pack exited ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`no port after 20s: ${stderr}`)), 20_000);
    });
    expect(port).toMatch(/^\d+$/);

    const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as { AnalyzerClient: new (addr: string, creds: grpc.ChannelCredentials) => any };
    const pb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
    const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(v: object): unknown } };
    const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const unary = <T>(method: string, req: unknown) =>
      new Promise<T>((resolve, reject) => client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));

    const info = await unary<{ getName(): string; getVersion(): string; getPoliciesList(): { getName(): string }[] }>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("gumstack-isolation");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getPoliciesList().length).toBe(38);

    const req = new pb.AnalyzeRequest();
    req.setType("gcp:container/nodePool:NodePool");
    req.setUrn("urn:pulumi:prod::gumstack::gcp:container/nodePool:NodePool::mcp");
    req.setName("mcp");
    req.setOptions(new pb.AnalyzerResourceOptions());
    req.setProperties(Struct.fromJavaScript({
      nodeConfig: { serviceAccount: "n@p.iam.gserviceaccount.com", workloadMetadataConfig: { mode: "GCE_METADATA" }, labels: { "gumstack.com/pool": "mcp" },
        sandboxConfig: { type: "GVISOR" }, shieldedInstanceConfig: { enableSecureBoot: true } },
    }) as never);
    const resp = await unary<{ getDiagnosticsList(): { getPolicyname(): string; getEnforcementlevel(): number }[] }>("analyze", req);
    expect(resp.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel()])).toEqual([["gke-node-pool-gke-metadata", pb.EnforcementLevel.MANDATORY]]);
    client.close();
  });
});
