// Hostile clients (issue 12): what one signed-in client can do to the server with floods,
// and what it must not be able to do: grow the server's memory without bound, starve other
// sockets, or keep its resources after it has gone. Spoken by hand with the ws package.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { RawClient } from "./support/raw.js";
import { Heartbeats } from "./support/heartbeats.js";
import { MemoryWatch } from "./support/memory.js";
import { TestServer } from "./support/server.js";
import { mintToken } from "./support/tokens.js";
import { createRoom, disconnectEverywhere, signUp, uniqueName } from "./support/api.js";
import { providers } from "./support/databases.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Sends frames as fast as the server takes them, for `durationMs`: never more than 8 MiB ahead. */
async function flood(client, frames, durationMs) {
  const deadline = Date.now() + durationMs;
  let sent = 0;
  while (Date.now() < deadline && client.ws.readyState === client.ws.OPEN) {
    if (client.ws.bufferedAmount > 8 * 1024 * 1024) {
      await sleep(5);
      continue;
    }
    client.send(frames(sent++));
    if (sent % 64 === 0) await sleep(0);
  }
  return sent;
}

/** Opens a socket, retrying while the server answers 503 (no free place); resolves with the wait in ms. */
async function openWhenThereIsRoom(url, timeoutMs) {
  const started = Date.now();
  for (;;) {
    const client = new RawClient(url);
    try {
      await client.opened;
      client.close();
      return Date.now() - started;
    } catch (error) {
      if (error.status !== 503 || Date.now() - started > timeoutMs) throw error;
      await sleep(100);
    }
  }
}

describe("one socket flooding the server", () => {
  // Two places: the bystander's and the flooder's, so a probe gets in only once the flooder's
  // place is free again. The heap is capped well below what the floods would queue without
  // the server's bounds, so a server that queued them would fail, not just swell.
  const places = 2;
  const heapCapMiB = 256;
  let server;
  let database;
  let token;
  let url;
  const pad = "x".repeat(60 * 1024);

  before(async () => {
    // PostgreSQL, whose tables a test can lock to stand for a database that stops answering.
    database = await providers.find((p) => p.name === "postgres").create();
    server = await new TestServer({
      env: {
        ...database.env,
        Chat__Channels__MaxSockets: String(places),
        DOTNET_GCHeapHardLimit: `0x${(heapCapMiB * 1024 * 1024).toString(16)}`,
      },
    }).start();
    ({ token } = await signUp(server));
    url = `${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`;
    // Warm up: the first join compiles what every later join runs.
    const warm = new RawClient(url);
    await warm.opened;
    warm.sendJson(["1", "1", "room:lobby", "phx_join", {}]);
    assert.ok(await warm.nextJson(([, ref]) => ref === "1"));
    warm.close();
    await openWhenThereIsRoom(url, 5000);
  });
  after(async () => {
    await server?.dispose();
    await database?.drop();
  });

  test("a re-join flood of one topic holds one closing channel at a time, starves nobody, and frees its place at once when it goes", async () => {
    const bystander = await Heartbeats.start(server);
    const flooder = new RawClient(url);
    await flooder.opened;
    const memory = new MemoryWatch(server.process.pid);
    // 60 KiB join payloads, more of them than the server's heap can hold, all handed to the
    // connection at once: without a bound on rejoins the server reads every one of them, and
    // each becomes a channel process holding its payload, waiting for the one before it.
    const sent = Math.ceil(heapCapMiB * 1.5 * 1024 / 60);
    const join = JSON.stringify(["j", "j", "room:lobby", "phx_join", { pad }]);
    for (let i = 0; i < sent; i++) {
      flooder.send(join);
      if (i % 64 === 0) await sleep(0);
    }
    await sleep(4000);
    const joined = flooder.queue.filter((f) => typeof f === "string" && f.includes('"phx_reply"')).length;
    flooder.close();
    const placeFreedInMs = await openWhenThereIsRoom(url, 10000);
    const heap = memory.stop();
    const heartbeats = await bystander.stop();
    console.log(`re-join flood: ${sent} joins of 60 KiB sent (${Math.round(sent * 60 / 1024)} MiB), ${joined} answered; `
      + `server memory ${heap.startMiB} → peak ${heap.peakMiB} MiB; slowest heartbeat ${heartbeats.slowestMs} ms; place free ${placeFreedInMs} ms after the close`);

    assert.equal(server.process.exitCode, null, "the server survived");
    assert.ok(heap.growthMiB < 100, `server memory grew by ${heap.growthMiB} MiB`);
    assert.equal(heartbeats.answered, heartbeats.sent, "every heartbeat of the other socket was answered");
    assert.ok(heartbeats.slowestMs < 1000, `slowest heartbeat ${heartbeats.slowestMs} ms`);
    assert.ok(placeFreedInMs < 5000, `the flooder's place was free ${placeFreedInMs} ms after it closed`);
  });

  test("a mailbox flood of many channels while the database stalls is held to the socket's byte budget, starves nobody, and is dropped when the socket goes", async () => {
    const rooms = ["lobby"];
    for (let i = 0; i < 9; i++) rooms.push((await createRoom(server, token, uniqueName("Flood "))).slug);
    const bystander = await Heartbeats.start(server);
    const flooder = new RawClient(url);
    await flooder.opened;
    rooms.forEach((slug, i) => flooder.sendJson([`j${i}`, `j${i}`, `room:${slug}`, "phx_join", {}]));
    for (let i = 0; i < rooms.length; i++) assert.ok(await flooder.nextJson(([, ref]) => ref === `j${i}`));

    // The database stops answering history reads, so every channel's first read waits, and
    // all that arrives behind it waits in the server: a thousand frames per mailbox, ten
    // mailboxes, 60 KiB each, unless the socket as a whole is bounded.
    const lock = await database.lockTable("messages");
    let placeFreedInMs;
    let sent;
    let heap;
    let accepted;
    try {
      const memory = new MemoryWatch(server.process.pid);
      const frames = rooms.map((slug, i) => JSON.stringify([`j${i}`, "h", `room:${slug}`, "history", { before_id: 1_000_000_000, pad }]));
      sent = await flood(flooder, (n) => frames[n % frames.length], 4000);
      accepted = sent - Math.round(flooder.ws.bufferedAmount / (60 * 1024));
      flooder.close();
      // Its place comes free while the database is still stalled: what it queued is dropped,
      // and the reads under way are cancelled, not waited for.
      placeFreedInMs = await openWhenThereIsRoom(url, 10000);
      heap = memory.stop();
    } finally {
      await lock.release();
    }
    const heartbeats = await bystander.stop();
    console.log(`mailbox flood: ${sent} history frames of 60 KiB offered over ${rooms.length} channels while the database stalled, ${accepted} taken; `
      + `server memory ${heap.startMiB} → peak ${heap.peakMiB} MiB; slowest heartbeat ${heartbeats.slowestMs} ms; place free ${placeFreedInMs} ms after the close`);

    assert.equal(server.process.exitCode, null, "the server survived");
    assert.ok(heap.growthMiB < 100, `server memory grew by ${heap.growthMiB} MiB (${accepted} frames taken)`);
    assert.equal(heartbeats.answered, heartbeats.sent, "every heartbeat of the other socket was answered");
    assert.ok(heartbeats.slowestMs < 1000, `slowest heartbeat ${heartbeats.slowestMs} ms`);
    assert.ok(placeFreedInMs < 5000, `the flooder's place was free ${placeFreedInMs} ms after it closed`);
  });
});

describe("signing out everywhere, and tokens that expire", () => {
  let server;
  before(async () => { server = await new TestServer().start(); });
  after(async () => { await server.dispose(); });

  const connect = (token) => {
    const client = new RawClient(`${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`);
    return client.opened.then(() => client, (error) => { throw error; });
  };
  const canCreateRoom = async (token) => (await fetch(`${server.httpUrl}/api/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: uniqueName("Revoked ") }),
  })).status;

  test("after sign-out everywhere every older token fails over HTTP and on connect, and a new sign-in works", async () => {
    const alice = await signUp(server);
    const before = await fetch(`${server.httpUrl}/api/session`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: alice.user.username, password: "password123" }),
    }).then((r) => r.json());
    const socket = await connect(alice.token);

    assert.equal((await disconnectEverywhere(server, alice.token)).status, 204);

    assert.equal(await socket.closed, 1001);
    for (const old of [alice.token, before.token]) {
      assert.equal(await canCreateRoom(old), 401);
      await assert.rejects(connect(old), (error) => error.status === 403);
    }
    // Signing in again at once, in the very second of the sign-out, gives a token that works.
    const again = await fetch(`${server.httpUrl}/api/session`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: alice.user.username, password: "password123" }),
    }).then((r) => r.json());
    assert.equal(await canCreateRoom(again.token), 201);
    (await connect(again.token)).close();
  });

  test("a host application's user, who has no row here, is signed out everywhere by id and issue time", async () => {
    const sub = 7_000_000 + Math.floor(Math.random() * 1_000_000);
    const now = Math.floor(Date.now() / 1000);
    const older = mintToken(server.signingKey, { sub, name: "hosted", iat: now - 60 });
    const withoutIssueTime = mintToken(server.signingKey, { sub, name: "hosted", iat: null });
    const otherUser = mintToken(server.signingKey, { sub: sub + 1, name: "other", iat: now - 60 });
    assert.equal(await canCreateRoom(older), 201);

    assert.equal((await disconnectEverywhere(server, older)).status, 204);

    await assert.rejects(connect(older), (error) => error.status === 403);
    assert.equal(await canCreateRoom(older), 401);
    assert.equal(await canCreateRoom(withoutIssueTime), 401, "a token that cannot say when it was issued is refused");
    assert.equal(await canCreateRoom(otherUser), 201, "another user's tokens stay valid");
    const newer = mintToken(server.signingKey, { sub, name: "hosted", iat: now + 2 });
    assert.equal(await canCreateRoom(newer), 201, "a token the host issues after the sign-out works");
  });

  test("the revocation outlives a restart", async () => {
    const alice = await signUp(server);
    assert.equal((await disconnectEverywhere(server, alice.token)).status, 204);
    await server.stop();
    await server.start();
    assert.equal(await canCreateRoom(alice.token), 401);
    await assert.rejects(connect(alice.token), (error) => error.status === 403);
  });

  test("a socket is closed with 4001 when its token expires, and the token is refused after", async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = mintToken(server.signingKey, { sub: 424242, name: "brief", exp });
    const client = await connect(token);
    client.sendJson(["1", "1", "room:lobby", "phx_join", {}]);
    assert.ok(await client.nextJson(([, ref]) => ref === "1"));

    const code = await Promise.race([client.closed, sleep(6000).then(() => "still open")]);

    assert.equal(code, 4001);
    assert.ok(Date.now() >= exp * 1000, "not before its expiry");
    await assert.rejects(connect(token), (error) => error.status === 403);
  });
});
