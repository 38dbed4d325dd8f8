// The preflight's Google client (src/preflight/google.ts) over a real socket on loopback: an API's error body
// becomes one line with the API's own message, a connection reset on a reused socket is sent once more, and an
// endpoint that keeps resetting or refuses is "cannot reach" (exit 2 in the CLI).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, CannotConnect, operatorClient } from "../../src/preflight/google.js";

let server: Server;
let url = "";
let resets = 0;
const seen: { path: string; auth: string | undefined; project: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", auth: req.headers.authorization, project: req.headers["x-goog-user-project"] as string | undefined });
    if (req.url === "/reset-once" && resets++ === 0) return req.socket.destroy();
    if (req.url === "/reset-always") return req.socket.destroy();
    if (req.url === "/denied") {
      res.writeHead(403, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({ error: { code: 403, status: "PERMISSION_DENIED", message: "The caller does not\n have permission" } }),
      );
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  operatorClient({ GOOGLE_OAUTH_ACCESS_TOKEN: "tok", GOOGLE_CLOUD_QUOTA_PROJECT: "qp", GUMSTACK_PREFLIGHT_ENDPOINT: url });

describe("the preflight's Google client", () => {
  it("sends the token and the quota project, and returns the JSON body", async () => {
    const c = await client();
    expect(c.quotaProject).toBe("qp");
    expect(await c.request("compute", "GET", "/fine")).toEqual({ ok: "/fine" });
    expect(seen.at(-1)).toEqual({ path: "/fine", auth: "Bearer tok", project: "qp" });
  });

  it("an error answer is an ApiError with the status and the API's message on one line", async () => {
    const e = await (await client()).request("orgpolicy", "GET", "/denied").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 403, apiMessage: "The caller does not have permission" });
  });

  it("a reset connection is sent once more; resetting again is 'cannot reach'", async () => {
    const c = await client();
    expect(await c.request("dns", "GET", "/reset-once")).toEqual({ ok: "/reset-once" });
    expect(seen.filter((s) => s.path === "/reset-once")).toHaveLength(2);
    const e = await c.request("dns", "GET", "/reset-always").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CannotConnect);
    expect((e as Error).message).toMatch(new RegExp(`^cannot reach ${url}/reset-always: \\S+$`));
    expect(seen.filter((s) => s.path === "/reset-always")).toHaveLength(2);
  });
});
