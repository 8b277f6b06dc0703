// Several nodes, one chat (CONTRACT.md §0): real server processes on one PostgreSQL and one
// Redis, and the real phoenix client on each. Kills a node with SIGKILL and Redis in the
// middle of sends, and checks what every client ends up with.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { Cluster, killNode, missingServices } from "./support/cluster.js";
import { runCli } from "./support/cli.js";
import { connectSocket, disconnect, join, nextEvent, reply, waitFor, Presence } from "./support/phoenix.js";
import { call, createRoom, disconnectEverywhere, editMessage, history, postMessage, react, signUp, uniqueName } from "./support/api.js";

const skip = missingServices();

/**
 * A room as a careful client keeps it, like the web app: the timeline by id, and
 * `last_seen_id` taken from join replies and broadcasts, sent again on every rejoin. Records
 * any message that arrives with a lower id than one already seen and is not a repeat: that
 * would be a message out of order, which a later rejoin could never fill in.
 */
class RoomClient {
  constructor(node, token, slug) {
    this.ids = new Set();
    this.arrivals = [];
    this.outOfOrder = [];
    this.duplicates = [];
    this.lastSeenId = null;
    this.joins = 0;
    this.joinLog = [];
    this.joinParams = [];
    this.socket = connectSocket(node.socketUrl, { params: { token } });
    this.channel = this.socket.channel(`room:${slug}`, () => {
      const params = this.lastSeenId === null ? {} : { last_seen_id: this.lastSeenId };
      this.joinParams.push(params);
      return params;
    });
    this.broadcasts = [];
    this.channel.on("new_msg", (message) => {
      this.broadcasts.push(message.id);
      this.receive([message]);
    });
    this.presence = new Presence(this.channel);
  }

  async join() {
    const joined = new Promise((resolve) => {
      this.channel.join().receive("ok", (response) => {
        this.joins++;
        this.joinLog.push(`${response.messages.length}:${response.messages[0]?.id}-${response.messages.at(-1)?.id}`);
        this.receive(response.messages);
        resolve(response);
      });
    });
    return joined;
  }

  receive(messages) {
    for (const message of messages) {
      if (this.ids.has(message.id)) {
        // A join reply carries only what follows last_seen_id, and a broadcast reaches a
        // channel once: any message seen twice is a duplicate the server sent.
        this.duplicates.push(message.id);
        continue;
      }
      if (this.lastSeenId !== null && message.id < this.lastSeenId) this.outOfOrder.push(message.id);
      this.ids.add(message.id);
      this.arrivals.push(message.id);
      if (this.lastSeenId === null || message.id > this.lastSeenId) this.lastSeenId = message.id;
    }
  }

  /**
   * Sends, and sends again with the same client_id when the push met a channel that had just
   * been interrupted ("unmatched topic": it reached the server after the channel's phx_error),
   * once the channel has rejoined, as the web app does. The client_id keeps it stored once.
   */
  async send(content, clientId = uniqueName("c-")) {
    for (let attempt = 0; ; attempt++) {
      const answer = await reply(this.channel.push("new_msg", { content, client_id: clientId }, 10000), 10000);
      if (answer.status === "ok" || answer.response?.reason !== "unmatched topic" || attempt === 20) return answer;
      await waitFor(() => this.channel.state === "joined", 10000, "the channel to rejoin");
    }
  }

  listed() {
    return this.presence.list((id) => id).sort();
  }

  close() {
    return disconnect(this.socket);
  }
}

async function allStoredIds(node, slug) {
  const ids = [];
  let after = 0;
  for (;;) {
    const { body } = await history(node, slug, `?after=${after}&limit=100`);
    ids.push(...body.messages.map((m) => m.id));
    if (!body.has_more) return ids;
    after = ids[ids.length - 1];
  }
}

/** Polls /readyz until it answers `status` or the time is up; resolves with the last status. */
async function readiness(node, status, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  do {
    last = (await fetch(`${node.httpUrl}/readyz`)).status;
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  return last;
}

/** Resolves once the client has every stored message; fails on a gap that never fills. */
async function assertCaughtUp(client, stored, what) {
  await waitFor(() => stored.every((id) => client.ids.has(id)), 20000, `${what} to have every message`).catch((error) => {
    const missing = stored.filter((id) => !client.ids.has(id));
    throw new Error(`${error.message}: missing ${missing.join(",")} of ${stored.length}; last seen ${client.lastSeenId}, ${client.joins} joins, channel ${client.channel.state}; arrivals ${client.arrivals.join(",")}; joinedAt ${client.joinLog.join(" | ")}`);
  });
  assert.deepEqual(client.outOfOrder, [], `${what} saw messages out of order`);
  assert.deepEqual(client.duplicates, [], `${what} received messages twice`);
  assert.deepEqual([...client.arrivals].sort((a, b) => a - b), client.arrivals, `${what} received ids out of order`);
  assert.equal(client.ids.size, client.arrivals.length);
}

describe("several nodes, one chat", { skip: skip ?? false }, () => {
  let cluster;
  let a;
  let b;
  const clients = [];
  const client = (node, token, slug) => {
    const room = new RoomClient(node, token, slug);
    clients.push(room);
    return room;
  };

  before(async () => {
    // Rate limits are Redis's too; these tests send fast on purpose.
    cluster = await new Cluster({ env: { Chat__RateLimit__MessagesPerSecond: "100000", Chat__RateLimit__Burst: "100000" } }).start(2);
    [a, b] = cluster.nodes;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.dispose();
  });

  /** Alice on node A and Bob on node B, joined to a new room, in that order. */
  const aliceAndBob = async () => {
    const alice = await signUp(a);
    const bob = await signUp(b);
    const room = await createRoom(a, alice.token);
    const onA = client(a, alice.token, room.slug);
    await onA.join();
    const onB = client(b, bob.token, room.slug);
    await onB.join();
    return { alice, bob, room, onA, onB };
  };

  test("a user on each node: messages, typing and presence cross", async () => {
    const { alice, bob, onA, onB } = await aliceAndBob();

    await waitFor(() => onA.listed().length === 2 && onB.listed().length === 2, 5000, "both to see both");
    assert.deepEqual(onA.listed(), [String(alice.user.id), String(bob.user.id)].sort());
    assert.deepEqual(onB.listed(), onA.listed());

    const toBob = nextEvent(onB.channel, "new_msg");
    const ownEcho = nextEvent(onA.channel, "new_msg");
    const sent = await onA.send("hello from A");
    assert.equal(sent.status, "ok");
    assert.equal((await toBob).id, sent.response.message.id);

    await ownEcho;
    const toAlice = nextEvent(onA.channel, "new_msg");
    await onB.send("hello from B");
    assert.equal((await toAlice).username, bob.user.username);

    const typing = nextEvent(onA.channel, "typing");
    onB.channel.push("typing", {});
    assert.equal((await typing).user_id, bob.user.id);

    await onB.close();
    await waitFor(() => onA.listed().length === 1, 5000, "bob to leave A's presence");
  });

  test("a mention sent on one node reaches the mentioned user's devices on the other", async () => {
    const { alice, bob, room, onA } = await aliceAndBob();
    // Bob's user topic on node B only; he is also in the room there (aliceAndBob), and a
    // second device of his is in no room at all.
    const devices = [1, 2].map(() => {
      const socket = connectSocket(b.socketUrl, { params: { token: bob.token } });
      clients.push({ close: () => disconnect(socket) });
      return socket.channel(`user:${bob.user.id}`);
    });
    for (const device of devices) assert.equal((await join(device)).status, "ok");
    const mentions = devices.map((device) => nextEvent(device, "mention", 10000));

    const sent = await onA.send(`over to you, @${bob.user.username}`);
    assert.equal(sent.status, "ok");

    for (const mention of await Promise.all(mentions)) {
      assert.deepEqual(mention.message, sent.response.message);
      assert.equal(mention.room.slug, room.slug);
    }

    // And through the HTTP API on node A: the same path for integrations.
    const again = nextEvent(devices[0], "mention", 10000);
    const posted = (await postMessage(a, alice.token, room.slug, `@${bob.user.username} again`)).body.message;
    assert.equal((await again).message.id, posted.id);
  });

  test("edits, reactions and a new room in the lobby cross nodes", async () => {
    const { alice, room, onA, onB } = await aliceAndBob();
    const sent = (await onA.send("to be edited")).response.message;
    await waitFor(() => onB.ids.has(sent.id), 5000, "bob to have the message");

    const edited = nextEvent(onB.channel, "msg_updated");
    assert.equal((await editMessage(a, alice.token, room.slug, sent.id, "edited on A")).status, 200);
    assert.equal((await edited).content, "edited on A");

    const reacted = nextEvent(onB.channel, "reactions");
    assert.equal((await react(a, alice.token, room.slug, sent.id, "👍")).status, 204);
    assert.deepEqual((await reacted).reactions, { "👍": [alice.user.id] });

    const lobby = onB.socket.channel("chat:lobby");
    assert.equal((await join(lobby)).status, "ok");
    const created = nextEvent(lobby, "room_created");
    const newRoom = await createRoom(a, alice.token);
    assert.equal((await created).room.slug, newRoom.slug);
  });

  test("a user's room creations and a username's failed sign-ins are counted once across the nodes", async () => {
    const alice = await signUp(a);
    const created = [];
    for (let i = 0; i < 12; i++) {
      created.push(await call(i % 2 ? b : a, "POST", "/api/rooms", { token: alice.token, body: { name: uniqueName("Counted ") } }));
    }
    assert.deepEqual(created.map((r) => r.status), [...Array(10).fill(201), 429, 429]);
    assert.ok(Number(created[11].retryAfter) >= 1 && Number(created[11].retryAfter) <= 60, `Retry-After: ${created[11].retryAfter}`);
    const socket = connectSocket(b.socketUrl, { params: { token: alice.token } });
    try {
      const lobby = socket.channel("chat:lobby");
      assert.equal((await join(lobby)).status, "ok");
      assert.deepEqual(await reply(lobby.push("create_room", { name: uniqueName("Counted ") })), { status: "error", response: { reason: "rate_limited" } });
    } finally {
      await disconnect(socket);
    }

    const guesses = [];
    for (let i = 0; i < 11; i++) {
      guesses.push(await call(i % 2 ? b : a, "POST", "/api/session", { body: { username: alice.user.username, password: `wrong-guess-${i}` }, from: `198.51.100.${i + 1}` }));
    }
    assert.deepEqual(guesses.map((r) => r.status), [...Array(10).fill(401), 429]);
    const right = await call(a, "POST", "/api/session", { body: { username: alice.user.username, password: "password123" } });
    assert.equal(right.status, 429);
  });

  test("the same client_id sent to both nodes at once stores one message", async () => {
    const alice = await signUp(a);
    const room = await createRoom(a, alice.token);
    const onA = client(a, alice.token, room.slug);
    const onB = client(b, alice.token, room.slug);
    await Promise.all([onA.join(), onB.join()]);

    const clientId = uniqueName("c-");
    const [first, second] = await Promise.all([onA.send("once", clientId), onB.send("once", clientId)]);

    assert.equal(first.status, "ok");
    assert.equal(second.status, "ok");
    assert.equal(first.response.message.id, second.response.message.id);
    assert.deepEqual(await allStoredIds(a, room.slug), [first.response.message.id]);
  });

  test("signing out everywhere closes the user's sockets on both nodes", async () => {
    const alice = await signUp(a);
    const other = await signUp(b);
    const closes = [];
    const watch = (node, token) => {
      const socket = connectSocket(node.socketUrl, { params: { token }, reconnectAfterMs: () => 60000 });
      const closed = new Promise((resolve) => socket.onClose((event) => resolve(event.code)));
      closes.push(socket);
      return { socket, closed };
    };
    const onA = watch(a, alice.token);
    const onB = watch(b, alice.token);
    const bystander = watch(b, other.token);
    await waitFor(() => onA.socket.isConnected() && onB.socket.isConnected() && bystander.socket.isConnected(), 5000, "sockets to open");

    assert.equal((await disconnectEverywhere(a, alice.token)).status, 204);

    assert.equal(await onA.closed, 1001);
    assert.equal(await onB.closed, 1001);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(bystander.socket.isConnected(), "another user's socket stays open");
    await Promise.all(closes.map(disconnect));

    // The token is revoked on the other node too, over HTTP and on connect.
    for (const node of [a, b]) {
      const refused = await fetch(`${node.httpUrl}/api/rooms`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ name: uniqueName("Revoked ") }),
      });
      assert.equal(refused.status, 401, "the revoked token over HTTP");
      const upgrade = await new Promise((resolve) => {
        const ws = new WebSocket(`${node.socketUrl}/websocket?vsn=2.0.0&token=${alice.token}`);
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode));
        ws.once("open", () => { ws.terminate(); resolve(101); });
      });
      assert.equal(upgrade, 403, "the revoked token on connect");
    }
  });

  test("an admin command on node A's machine revokes a user's tokens on node B too", async () => {
    const alice = await signUp(b);
    const socket = connectSocket(b.socketUrl, { params: { token: alice.token }, reconnectAfterMs: () => 60000 });
    clients.push({ close: () => disconnect(socket) });
    const closed = Promise.race([
      new Promise((resolve) => socket.onClose((event) => resolve(event.code))),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 30000).unref()),
    ]);
    await waitFor(() => socket.isConnected(), 5000, "alice's socket on B");

    const reset = runCli(["users", "reset-password", alice.user.username, "--password-stdin"], {
      env: { ...a.extraEnv, Chat__DataDir: a.dataDir, Chat__Auth__SigningKey: a.signingKey },
      input: "another password\n",
    });
    assert.equal(reset.status, 0, reset.output);
    assert.equal(await closed, 1001, "her socket on B closed");
    for (const node of [a, b]) {
      assert.equal((await call(node, "GET", "/api/me/unread", { token: alice.token })).status, 401, "the old token over HTTP");
      const upgrade = await new Promise((resolve) => {
        const ws = new WebSocket(`${node.socketUrl}/websocket?vsn=2.0.0&token=${alice.token}`);
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode));
        ws.once("open", () => { ws.terminate(); resolve(101); });
      });
      assert.equal(upgrade, 403, "the old token on connect");
    }
    const signedIn = await call(b, "POST", "/api/session", { body: { username: alice.user.username, password: "another password" } });
    assert.equal((await call(a, "GET", "/api/me/unread", { token: signedIn.body.token })).status, 200, "a new token works");
  });

  test("a 1,000-message burst over both nodes arrives complete and in order on both", async () => {
    const owner = await signUp(a);
    const room = await createRoom(a, owner.token);
    const readers = [client(a, owner.token, room.slug), client(b, owner.token, room.slug), client(a, owner.token, room.slug), client(b, owner.token, room.slug)];
    // Two readers of one user per node would share a socket id; that is fine for reading.
    await Promise.all(readers.map((r) => r.join()));
    const senders = [];
    for (let i = 0; i < 10; i++) {
      const user = await signUp(i % 2 === 0 ? a : b);
      const sender = client(i % 2 === 0 ? a : b, user.token, room.slug);
      await sender.join();
      senders.push(sender);
    }

    // 100 each, all pushed at once: commits from both nodes interleave in every batch.
    const replies = await Promise.all(senders.flatMap((sender, s) =>
      Array.from({ length: 100 }, (_, i) => sender.send(`burst ${s}.${i}`, `burst-${s}-${i}`))));
    assert.ok(replies.every((r) => r.status === "ok"), "every send is acknowledged");

    const stored = await allStoredIds(a, room.slug);
    assert.equal(stored.length, 1000);
    for (const [i, reader] of readers.entries()) await assertCaughtUp(reader, stored, `reader ${i}`);
    // Nothing had to be caught up by rejoining: the broadcasts alone were complete and in order.
    assert.ok(readers.every((r) => r.joins === 1), "no reader had to rejoin");
  });

  test("a user's 50 sockets are counted over both nodes, with Redis or without, and a killed node's go with it", async () => {
    const { token } = await signUp(a);
    const held = { a: [], b: [] };
    const open = async (node, n) => {
      const sockets = Array.from({ length: n }, () => connectSocket(node.socketUrl, { params: { token }, reconnectAfterMs: () => 600_000 }));
      clients.push(...sockets.map((socket) => ({ close: () => disconnect(socket) })));
      await waitFor(() => sockets.every((s) => s.isConnected()), 15_000, `${n} sockets open on ${node === a ? "A" : "B"}`);
      held[node === a ? "a" : "b"].push(...sockets);
    };
    const upgrade = (node) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`${node.socketUrl}/websocket?vsn=2.0.0&token=${token}`);
      ws.once("unexpected-response", (_req, res) => { resolve({ status: res.statusCode }); ws.terminate(); });
      ws.once("open", () => resolve({ status: 101, ws }));
      ws.once("error", reject);
    });
    /** Opens one more raw socket on `node` and keeps it; the HTTP status it met. */
    const oneMore = async (node) => {
      const { status, ws } = await upgrade(node);
      if (ws) clients.push({ close: () => ws.terminate() });
      return status;
    };
    /** Polls until `node` refuses a socket of the user (a socket let in meanwhile is closed again). */
    const untilRefused = async (node, what) => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        const { status, ws } = await upgrade(node);
        if (status === 429) return;
        ws?.terminate();
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.fail(`${what}: still letting sockets in`);
    };

    await open(a, 30);
    await open(b, 20);
    assert.equal(await oneMore(a), 429, "the 51st socket, on A");
    assert.equal(await oneMore(b), 429, "the 51st socket, on B");

    // Places freed on A can be taken on either node, and no more.
    await Promise.all(held.a.splice(0, 2).map(disconnect));
    let statuses = [];
    for (const deadline = Date.now() + 10_000; statuses.length < 2 && Date.now() < deadline;) {
      const status = await oneMore(statuses.length === 0 ? b : a);
      if (status === 101) statuses.push(status);
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(statuses, [101, 101], "the two freed places taken, one on each node");
    assert.equal(await oneMore(a), 429);
    assert.equal(await oneMore(b), 429);

    // Redis away: each node keeps the limit on its own sockets, so the user still connects.
    await cluster.redis.stop();
    assert.equal(await readiness(a, 503, 5000), 503);
    assert.equal(await oneMore(a), 101, "a socket while Redis is away (29 + 1 here)");
    assert.equal(await oneMore(b), 101, "a socket while Redis is away (21 + 1 here)");
    // Back, empty (it kept nothing): the nodes write their counts again, 52 in all.
    await cluster.redis.start();
    assert.equal(await readiness(a, 200, 15_000), 200, "node A ready again");
    assert.equal(await readiness(b, 200, 15_000), 200, "node B ready again");
    // Each node writes its counts again at its next upkeep, so until both have, one node may
    // still see fewer than the other (the outage's margin, as docs/reliability.md says).
    await untilRefused(a, "A once the counts are back in Redis");
    await untilRefused(b, "B once the counts are back in Redis");

    // kill -9 B: its sockets stop counting once its heartbeat is older than the node
    // timeout (it holds 22 by now), and A lets in up to 50 of its own.
    await killNode(b);
    let letIn = 0;
    for (const deadline = Date.now() + 20_000; letIn < 20 && Date.now() < deadline;) {
      if (await oneMore(a) === 101) letIn++;
      else await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(letIn, 20, "A took the killed node's places");
    assert.equal(await oneMore(a), 429, "and no more: 50 on A");
    await b.start();
    assert.equal(await oneMore(b), 429, "the restarted node counts A's 50");
  });

  test("kill -9 a node: its users leave presence within 15 s, nothing stored is lost, and its clients catch up after a restart", async () => {
    const { room, onA, onB } = await aliceAndBob();
    await waitFor(() => onA.listed().length === 2, 5000, "alice to see bob");
    const before = [];
    for (let i = 0; i < 5; i++) before.push((await onB.send(`before ${i}`)).response.message.id);

    await killNode(b);
    const killedAt = Date.now();

    await waitFor(() => onA.listed().length === 1, 15000, "bob to leave alice's presence");
    assert.ok(Date.now() - killedAt <= 15000);
    const stored = await allStoredIds(a, room.slug);
    for (const id of before) assert.ok(stored.includes(id), `message ${id}, acknowledged before the kill, is stored`);
    for (let i = 0; i < 5; i++) await onA.send(`while B is down ${i}`);

    await b.start();

    const all = await allStoredIds(a, room.slug);
    await assertCaughtUp(onB, all, "bob, back on the restarted node");
    await assertCaughtUp(onA, all, "alice");
    await waitFor(() => onA.listed().length === 2, 15000, "bob to be back in alice's presence");
  });

  test("Redis stopped for a few seconds while both sides send: every client ends with every message once, in order", async () => {
    const { room, onA, onB } = await aliceAndBob();

    const sends = [];
    let sending = true;
    const loop = async (who, name) => {
      for (let i = 0; sending; i++) {
        sends.push(who.send(`${name} ${i}`, `${name}-${i}`));
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const loops = [loop(onA, "alice"), loop(onB, "bob")];
    await new Promise((r) => setTimeout(r, 1000));
    await cluster.redis.stop();
    const readyWhileDown = await readiness(a, 503, 5000);
    await new Promise((r) => setTimeout(r, 2000));
    await cluster.redis.start();
    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await Promise.all(loops);

    const replies = await Promise.all(sends);
    assert.deepEqual(replies.filter((r) => r.status !== "ok"), [], "every send is acknowledged, Redis or not");
    assert.equal(readyWhileDown, 503, "/readyz says 503 while Redis is away");
    const stored = await allStoredIds(a, room.slug);
    assert.equal(stored.length, replies.length);
    await assertCaughtUp(onA, stored, "alice");
    await assertCaughtUp(onB, stored, "bob");
    assert.equal(await readiness(a, 200, 10000), 200, "node A is ready again");
    assert.equal(await readiness(b, 200, 10000), 200, "node B is ready again");

    // Each node knew its members had missed the other's broadcasts: their channels were made
    // to rejoin (phx_error), and phoenix.js rejoined with the last_seen_id the client keeps.
    for (const [who, room] of [["alice", onA], ["bob", onB]]) {
      assert.ok(room.joins >= 2, `${who}'s channel rejoined after Redis came back (${room.joins} joins)`);
      assert.ok(room.joinParams.slice(1).every((params) => Number.isInteger(params.last_seen_id)), `${who} rejoined with last_seen_id: ${JSON.stringify(room.joinParams)}`);
    }

    // The nodes resubscribed by themselves: messages cross as broadcasts again. (The restarted
    // Redis lost the room's last published id, so the first messages after the outage may
    // wait for their predecessor and go out as a resync, which makes channels rejoin instead.)
    for (const [from, to, what] of [[onA, onB, "from A to B"], [onB, onA, "from B to A"]]) {
      let live = false;
      for (let attempt = 0; attempt < 10 && !live; attempt++) {
        const sent = (await from.send(`live again ${attempt}`)).response.message.id;
        await waitFor(() => to.ids.has(sent), 10000, `message ${sent} ${what}`);
        live = to.broadcasts.includes(sent);
      }
      assert.ok(live, `messages ${what} arrive as broadcasts again`);
    }
  });
});
