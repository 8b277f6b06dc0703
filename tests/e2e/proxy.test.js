// Behind a reverse proxy (nginx in production; a small Node proxy here) the server sees the
// proxy's address and the backend host, unless it believes the proxy's X-Forwarded-* headers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { connect } from "node:net";
import WebSocket from "ws";
import { TestServer, freePort } from "./support/server.js";
import { mintToken } from "./support/tokens.js";

/** Forwards HTTP and WebSocket upgrades to `backendPort`, as nginx does: Host rewritten, X-Forwarded-* added. */
async function startProxy(backendPort) {
  const forwarded = (req) => ({
    ...req.headers,
    host: `127.0.0.1:${backendPort}`,
    "x-forwarded-for": req.socket.remoteAddress,
    "x-forwarded-proto": "https",
    "x-forwarded-host": req.headers.host,
  });
  const proxy = createServer((req, res) => {
    const upstream = request({ host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers: forwarded(req) }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on("upgrade", (req, client, head) => {
    const upstream = connect(backendPort, "127.0.0.1", () => {
      const headers = Object.entries(forwarded(req)).map(([k, v]) => `${k}: ${v}`).join("\r\n");
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  const port = await freePort();
  await new Promise((resolve) => proxy.listen(port, "127.0.0.1", resolve));
  return { port, close: () => new Promise((resolve) => { proxy.closeAllConnections(); proxy.close(resolve); }) };
}

/** Opens a socket through the proxy as a page on https://chat.example.test would; resolves with "open" or the HTTP status. */
function openThrough(proxyPort, signingKey) {
  const token = mintToken(signingKey, { sub: 1, name: "behind-proxy" });
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/socket/websocket?vsn=2.0.0&token=${token}`, {
      headers: { host: "chat.example.test", origin: "https://chat.example.test" },
    });
    ws.once("open", () => { ws.close(); resolve("open"); });
    ws.once("unexpected-response", (_req, res) => { ws.terminate(); resolve(res.statusCode); });
    ws.once("error", (error) => resolve(error.message));
  });
}

describe("behind a reverse proxy on this machine", () => {
  let server;
  let proxy;
  before(async () => {
    server = await new TestServer().start();
    proxy = await startProxy(server.port);
  });
  after(async () => {
    await proxy.close();
    await server.dispose();
  });

  test("a page served under the public host opens a socket: the origin check sees the forwarded host", async () => {
    assert.equal(await openThrough(proxy.port, server.signingKey), "open");
  });
});

describe("behind a proxy the server does not trust", () => {
  test("forwarded headers are ignored, so the origin check sees the backend host and refuses the page", async () => {
    const server = await new TestServer({ env: { Chat__ForwardedHeaders__KnownProxies__0: "10.9.9.9" } }).start();
    const proxy = await startProxy(server.port);
    try {
      assert.equal(await openThrough(proxy.port, server.signingKey), 403);
    } finally {
      await proxy.close();
      await server.dispose();
    }
  });
});
