// Issue 12, test 5: combining-mark bombs, as content, room name and description, over HTTP
// and the socket. "a" under thousands of accents is one character, so a grapheme count alone
// let megabytes through; the byte caps and the request body limit refuse them (413/422), and
// what every member receives, the join replies above all, stays small.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { serverSuite } from "./support/suite.js";
import { call, createRoom, postMessage, signUp, uniqueName } from "./support/api.js";
import { connectSocket, disconnect, join, reply } from "./support/phoenix.js";
import { providers } from "./support/databases.js";
import { TestServer } from "./support/server.js";
import { RawClient } from "./support/raw.js";

const bomb = (marks) => "a" + "\u0301".repeat(marks);

async function send(server, method, path, token, body) {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text };
}

describe("combining-mark bombs over HTTP and the socket (issue 12, test 5)", () => {
  const suite = serverSuite();

  test("over HTTP: a body over the limit is 413, a field over its byte cap 422", async () => {
    const { server } = suite;
    const { token } = await signUp(server);
    const room = await createRoom(server, token);

    // 600,000 accents: 1.2 MB of one character, once accepted and stored.
    const huge = await send(server, "POST", `/api/rooms/${room.slug}/messages`, token, { content: bomb(600_000) });
    assert.equal(huge.status, 413);

    const content = await postMessage(server, token, room.slug, bomb(20_000));
    assert.equal(content.status, 422);
    assert.deepEqual(content.body.errors, { content: ["should be at most 16000 byte(s)"] });

    const name = await send(server, "POST", "/api/rooms", token, { name: bomb(500) });
    assert.equal(name.status, 422);
    assert.deepEqual(JSON.parse(name.text).errors, { name: ["should be at most 320 byte(s)"] });

    const description = await send(server, "POST", "/api/rooms", token, { name: "Fine", description: bomb(5_000) });
    assert.equal(description.status, 422);
    assert.deepEqual(JSON.parse(description.text).errors, { description: ["should be at most 4000 byte(s)"] });

    const nul = await postMessage(server, token, room.slug, "one NUL \u0000 here");
    assert.deepEqual([nul.status, nul.body.errors], [422, { content: ["has invalid characters"] }]);
  });

  test("over the socket: the same field errors, and join replies stay small", async () => {
    const { server } = suite;
    const { token } = await signUp(server);
    const room = await createRoom(server, token);
    const socket = suite.open(token);
    const channel = socket.channel(`room:${room.slug}`);
    const lobby = socket.channel("chat:lobby");
    assert.equal((await join(channel)).status, "ok");
    assert.equal((await join(lobby)).status, "ok");

    // 30,000 accents are 60 KB: under the 64 KiB frame limit, over the content's 16,000 bytes.
    for (let i = 0; i < 5; i++) {
      const sent = await reply(channel.push("new_msg", { content: bomb(30_000) }));
      assert.deepEqual(sent, { status: "error", response: { errors: { content: ["should be at most 16000 byte(s)"] } } });
    }
    const named = await reply(lobby.push("create_room", { name: bomb(30_000) }));
    assert.deepEqual(named, { status: "error", response: { errors: { name: ["should be at most 320 byte(s)"] } } });
    const described = await reply(lobby.push("create_room", { name: "Described", description: bomb(30_000) }));
    assert.deepEqual(described, { status: "error", response: { errors: { description: ["should be at most 4000 byte(s)"] } } });
    assert.equal((await reply(channel.push("new_msg", { content: "a normal message" }))).status, "ok");

    // A newcomer's join replies, measured on the wire: a room with what got through, the lobby.
    const { token: newcomer } = await signUp(server);
    const raw = new RawClient(`${server.socketUrl}/websocket?vsn=2.0.0&token=${newcomer}`);
    await raw.opened;
    raw.sendJson(["1", "1", `room:${room.slug}`, "phx_join", {}]);
    raw.sendJson(["2", "2", "chat:lobby", "phx_join", {}]);
    const roomReply = await raw.next((f) => JSON.parse(f)[1] === "1");
    const lobbyReply = await raw.next((f) => JSON.parse(f)[1] === "2");
    raw.close();
    assert.equal(JSON.parse(roomReply)[4].response.messages.length, 1);
    assert.ok(Buffer.byteLength(roomReply) < 4096, `the room's join reply is ${Buffer.byteLength(roomReply)} bytes`);
    assert.ok(Buffer.byteLength(lobbyReply) < 64 * 1024, `the lobby's join reply is ${Buffer.byteLength(lobbyReply)} bytes`);
  });
});

describe("text PostgreSQL refuses as too long for its column is a field error, not a 500 (issue 12)", () => {
  test("a description longer than a column a DBA narrowed: 422 over HTTP, an error reply on create_room", async () => {
    const database = await providers.find((p) => p.name === "postgres").create();
    const server = new TestServer({ env: database.env });
    let socket;
    try {
      await server.start();
      // The rules allow 1000 characters; the database now holds 30 (the lobby's description fits).
      database.sql("ALTER TABLE rooms ALTER COLUMN description TYPE varchar(30)");
      const tooLong = "d".repeat(31);
      const { token } = await signUp(server);

      const refused = await call(server, "POST", "/api/rooms", { token, body: { name: uniqueName("Narrow "), description: tooLong } });
      assert.equal(refused.status, 422);
      assert.deepEqual(refused.body, { errors: { description: ["is too long to be stored"] } });

      socket = connectSocket(server.socketUrl, { params: { token } });
      const lobby = socket.channel("chat:lobby");
      assert.equal((await join(lobby)).status, "ok");
      assert.deepEqual(await reply(lobby.push("create_room", { name: uniqueName("Narrow "), description: tooLong })),
        { status: "error", response: { errors: { description: ["is too long to be stored"] } } });
      // The channel lives on, and what fits is stored.
      const fits = await reply(lobby.push("create_room", { name: uniqueName("Fits "), description: "d".repeat(30) }));
      assert.equal(fits.status, "ok");
    } finally {
      if (socket) await disconnect(socket);
      await server.dispose();
      await database.drop();
    }
  });
});
