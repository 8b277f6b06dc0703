// What the phoenix client never sends: malformed frames, the V1 format, binary frames,
// stale refs, and refused upgrades, spoken by hand with the ws package.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { RawClient } from "./support/raw.js";
import { TestServer } from "./support/server.js";
import { mintToken } from "./support/tokens.js";
import { createRoom, uniqueName } from "./support/api.js";

describe("raw WebSocket protocol", () => {
  let server;
  let token;
  const clients = [];
  const connect = async (query = "vsn=2.0.0", protocols) => {
    const client = new RawClient(`${server.socketUrl}/websocket?${query}${query.includes("token") || protocols ? "" : `&token=${token}`}`, protocols);
    clients.push(client);
    await client.opened;
    return client;
  };
  const heartbeat = async (client) => {
    client.sendJson([null, "hb", "phoenix", "heartbeat", {}]);
    return client.nextJson(([, ref]) => ref === "hb");
  };

  before(async () => {
    // One user makes the 101 rooms of the channel cap's test, far more than the 10 a minute a person may.
    server = await new TestServer({ env: { Chat__RateLimit__RoomCreations: "1000" } }).start();
    token = mintToken(server.signingKey, { sub: 7, name: "raw" });
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await server.dispose();
  });

  const undecodable = {
    "malformed JSON": '["1","1","room:lobby","phx_join",{',
    "wrong arity": '["1","1","room:lobby","phx_join"]',
    "wrong types": '["1","1",42,"phx_join",{}]',
    "a payload that is not an object": '["1","1","room:lobby","phx_join","hello"]',
  };
  for (const [what, frame] of Object.entries(undecodable)) {
    test(`${what} closes that socket with 1007 and no other`, async () => {
      const bystander = await connect();
      const offender = await connect();
      offender.send(frame);
      assert.equal(await offender.closed, 1007);
      assert.deepEqual(await heartbeat(bystander), [null, "hb", "phoenix", "phx_reply", { status: "ok", response: {} }]);
    });
  }

  test("a frame over 64 KiB closes with 1009 and no other", async () => {
    const bystander = await connect();
    const offender = await connect();
    offender.sendJson(["1", "1", "room:lobby", "new_msg", { content: "x".repeat(70 * 1024) }]);
    assert.equal(await offender.closed, 1009);
    assert.ok(await heartbeat(bystander));
  });

  test("an unknown vsn is refused with 403", async () => {
    await assert.rejects(connect("vsn=9.9.9"), (error) => error.status === 403);
  });

  test("a tampered, expired or unsigned token is refused with 403", async () => {
    const tampered = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    const expired = mintToken(server.signingKey, { sub: 7, name: "raw", exp: Math.floor(Date.now() / 1000) - 3600 });
    const unsigned = mintToken(server.signingKey, { sub: 7, name: "raw", alg: "none" });
    const otherKey = mintToken(server.signingKey, { sub: 7, name: "raw", signWith: Buffer.alloc(48, 1) });
    for (const bad of [tampered, expired, unsigned, otherKey]) {
      await assert.rejects(connect(`vsn=2.0.0&token=${bad}`), (error) => error.status === 403);
    }
  });

  test("an origin that is not allowed is refused with 403; the server's own is accepted", async () => {
    const refused = new WebSocket(`${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`, { origin: "https://evil.example" });
    const status = await new Promise((resolve) => refused.once("unexpected-response", (_req, res) => resolve(res.statusCode)));
    assert.equal(status, 403);
    const own = new WebSocket(`${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`, { origin: server.httpUrl });
    await new Promise((resolve, reject) => { own.once("open", resolve); own.once("error", reject); });
    own.terminate();
  });

  test("the V1 serializer speaks JSON objects", async () => {
    const client = await connect("vsn=1.0.0");
    client.sendJson({ topic: "room:lobby", event: "phx_join", payload: {}, ref: "1", join_ref: "1" });
    const joined = await client.nextJson((m) => m.ref === "1");
    assert.equal(joined.event, "phx_reply");
    assert.equal(joined.payload.status, "ok");
    assert.equal("join_ref" in joined, false);

    client.sendJson({ topic: "room:lobby", event: "new_msg", payload: { content: "v1 says hi" }, ref: "2", join_ref: "1" });
    const broadcast = await client.nextJson((m) => m.event === "new_msg");
    assert.equal(broadcast.payload.content, "v1 says hi");
    assert.equal(broadcast.ref, null);
  });

  test("a V2 binary push is decoded and answered with its ref", async () => {
    const client = await connect();
    client.sendJson(["1", "1", "room:lobby", "phx_join", {}]);
    await client.nextJson(([, ref]) => ref === "1");
    const fields = ["1", "2", "room:lobby", "new_msg"].map((f) => Buffer.from(f));
    client.send(Buffer.concat([Buffer.from([0, ...fields.map((f) => f.length)]), ...fields, Buffer.from([1, 2, 3])]));
    const answer = await client.next((f) => typeof f !== "string" || JSON.parse(f)[1] === "2");
    // Either a binary reply (kind 1) or a JSON reply; both must carry ref "2" and say why.
    if (Buffer.isBuffer(answer)) {
      assert.equal(answer[0], 1);
    } else {
      const [, ref, topic, event, payload] = JSON.parse(answer);
      assert.deepEqual([ref, topic, event], ["2", "room:lobby", "phx_reply"]);
      assert.equal(payload.status, "error");
    }
  });

  test("binary frames of a server-only kind close with 1003", async () => {
    const client = await connect();
    client.send(Buffer.from([2, 1, 1, 0x74, 0x65]));
    assert.equal(await client.closed, 1003);
  });

  test("a push with a stale join_ref is ignored", async () => {
    const client = await connect();
    client.sendJson(["1", "1", "room:lobby", "phx_join", {}]);
    await client.nextJson(([, ref]) => ref === "1");
    client.sendJson(["3", "3", "room:lobby", "phx_join", {}]);
    const closed = await client.nextJson(([joinRef, , , event]) => event === "phx_close");
    assert.equal(closed[0], "1");
    await client.nextJson(([, ref]) => ref === "3");

    client.sendJson(["1", "4", "room:lobby", "new_msg", { content: "stale" }]);
    client.sendJson(["3", "5", "room:lobby", "new_msg", { content: "current" }]);
    const answered = await client.nextJson(([, ref]) => ref === "4" || ref === "5");
    assert.equal(answered[1], "5");
    assert.equal(await client.nextJson(([, ref]) => ref === "4", 300), undefined);
  });

  test("the 101st channel is refused", async () => {
    const slugs = ["lobby"];
    for (let i = 1; i < 101; i++) slugs.push((await createRoom(server, token, uniqueName("Many "))).slug);
    const client = await connect();
    for (let i = 0; i < 100; i++) client.sendJson([`j${i}`, `j${i}`, `room:${slugs[i]}`, "phx_join", {}]);
    for (let i = 0; i < 100; i++) await client.nextJson(([, ref]) => ref === `j${i}`);
    client.sendJson(["x", "x", `room:${slugs[100]}`, "phx_join", {}]);
    const [, , , , payload] = await client.nextJson(([, ref]) => ref === "x");
    assert.deepEqual(payload, { status: "error", response: { reason: "too many channels joined" } });
  });
});
