// GET /metrics: the Prometheus text of every meter, and values that move as sockets connect,
// join and chat.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestServer } from "./support/server.js";
import WebSocket from "ws";
import { connectSocket, disconnect, join, nextEvent, reply } from "./support/phoenix.js";
import { mintToken } from "./support/tokens.js";

/** Parses Prometheus text into [{ name, labels, value }]. */
async function scrape(server) {
  const response = await fetch(`${server.httpUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /text\/plain|openmetrics/);
  return (await response.text()).split("\n").filter((line) => line && !line.startsWith("#")).map((line) => {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/);
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    return { name: match[1], labels, value: Number(match[3]) };
  });
}

/** The sum of a series' values whose labels include `labels`; 0 when absent. */
function value(samples, name, labels = {}) {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe("/metrics", () => {
  let server;
  before(async () => { server = await new TestServer().start(); });
  after(async () => { await server.dispose(); });

  test("serves the chat's series, and they move as sockets connect and messages flow", async () => {
    const token = (id, name) => mintToken(server.signingKey, { sub: id, name });
    const baseline = await scrape(server);
    const stored = value(baseline, "chat_messages_stored_total");

    const alice = connectSocket(server.socketUrl, { params: { token: token(1, "alice") } });
    const bob = connectSocket(server.socketUrl, { params: { token: token(2, "bob") } });
    const aliceRoom = alice.channel("room:lobby");
    const bobRoom = bob.channel("room:lobby");
    await join(aliceRoom);
    await join(bobRoom);
    for (let i = 0; i < 5; i++) {
      const delivered = nextEvent(bobRoom, "new_msg");
      assert.equal((await reply(aliceRoom.push("new_msg", { content: `metric ${i}` }))).status, "ok");
      await delivered;
    }
    // A refused socket: a token signed with another key.
    const forged = mintToken(Buffer.alloc(32, 1).toString("base64"), { sub: 3, name: "eve" });
    const refused = await new Promise((resolve) => {
      const ws = new WebSocket(`${server.socketUrl}/websocket?vsn=2.0.0&token=${forged}`);
      ws.once("unexpected-response", (_req, res) => { ws.terminate(); resolve(res.statusCode); });
      ws.once("open", () => { ws.close(); resolve("open"); });
      ws.on("error", () => {}); // terminate() after the 403 reports one
    });
    assert.equal(refused, 403);

    const during = await scrape(server);
    assert.equal(value(during, "chat_sockets_active", { transport: "websocket" }), 2);
    assert.ok(value(during, "chat_sockets_connects_total", { transport: "websocket" }) >= 2);
    assert.ok(value(during, "chat_sockets_refused_total", { reason: "connect refused" }) >= 1);
    assert.equal(value(during, "chat_channels_active", { route: "room:*" }), 2);
    assert.ok(value(during, "chat_channels_joins_total", { route: "room:*", result: "ok" }) >= 2);
    assert.ok(value(during, "chat_messages_received_total") >= 7, "two joins and five sends at least");
    assert.ok(value(during, "chat_messages_sent_total") >= 15, "replies, and every send delivered to two sockets");
    assert.equal(value(during, "chat_messages_stored_total") - stored, 5);
    assert.ok(value(during, "chat_pubsub_published_total") >= 5);
    assert.ok(value(during, "chat_pubsub_received_total") >= 5);
    assert.ok(value(during, "chat_broadcasts_fanout_count") >= 5, "one fan-out sample per broadcast");
    assert.ok(value(during, "chat_broadcasts_fanout_sum") >= 10, "each new_msg reached both members");
    assert.ok(value(during, "chat_writer_commit_duration_seconds_count") >= 1);
    assert.ok(value(during, "chat_writer_batch_size_sum") >= 5);
    // ASP.NET Core's, Kestrel's and the runtime's own.
    assert.ok(value(during, "http_server_request_duration_seconds_count") >= 1);
    assert.ok(during.some((s) => s.name === "kestrel_active_connections"));
    assert.ok(during.some((s) => s.name === "dotnet_gc_collections_total" || s.name === "dotnet_process_memory_working_set_bytes"));

    await disconnect(alice);
    await disconnect(bob);
    // The server notices the closes a moment after the clients send them.
    let closed = await scrape(server);
    for (const deadline = Date.now() + 5000; value(closed, "chat_sockets_active", { transport: "websocket" }) !== 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 50));
      closed = await scrape(server);
    }
    assert.equal(value(closed, "chat_sockets_active", { transport: "websocket" }), 0);
    assert.equal(value(closed, "chat_channels_active", { route: "room:*" }), 0);
  });
});

test("Chat:Metrics:Enabled=false takes /metrics away", async () => {
  const server = await new TestServer({ env: { Chat__Metrics__Enabled: "false" } }).start();
  try {
    assert.equal((await fetch(`${server.httpUrl}/metrics`)).status, 404);
  } finally {
    await server.dispose();
  }
});
