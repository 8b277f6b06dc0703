// The chat over channels (CONTRACT.md §3) with the official phoenix client and its Presence.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestServer } from "./support/server.js";
import { connectSocket, disconnect, join, nextEvent, reply, transports, waitFor, Presence } from "./support/phoenix.js";
import { createRoom, disconnectEverywhere, postMessage, signUp, uniqueName } from "./support/api.js";

// Every case runs over each transport phoenix.js offers: a client that cannot open a
// WebSocket chats, sees presence and catches up exactly as one that can.
for (const { name: transportName, transport } of transports) {
  describe(`chat rooms over ${transportName}`, () => {
    let server;
    const sockets = [];
    const open = (token, options = {}) => {
      const socket = connectSocket(server.socketUrl, { params: { token }, transport, ...options });
      sockets.push(socket);
      return socket;
    };
    const sendAll = async (channel, contents) => {
      const sent = [];
      for (const content of contents) sent.push((await reply(channel.push("new_msg", { content }))).response.message);
      return sent;
    };

    before(async () => { server = await new TestServer().start(); });
    after(async () => {
      await Promise.all(sockets.map(disconnect));
      await server.dispose();
    });

    test("two users chat, and each sees the other's message with id, username and time", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const room = await createRoom(server, alice.token);
      const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
      const bobRoom = open(bob.token).channel(`room:${room.slug}`);
      const joined = await join(aliceRoom);
      await join(bobRoom);

      assert.equal(joined.status, "ok");
      assert.deepEqual(joined.response.room, room);
      assert.deepEqual(joined.response.messages, []);
      assert.equal(joined.response.has_more, false);

      const toBob = nextEvent(bobRoom, "new_msg");
      const ownEcho = nextEvent(aliceRoom, "new_msg");
      const sent = await reply(aliceRoom.push("new_msg", { content: "hi bob", client_id: "a-1" }));
      const received = await toBob;
      // Alice's own broadcast follows her reply; take it before waiting for Bob's message.
      assert.equal((await ownEcho).id, sent.response.message.id);
      assert.equal(sent.status, "ok");
      assert.equal(received.id, sent.response.message.id, "the reply and the broadcast carry the same id");
      assert.equal(received.username, alice.user.username);
      assert.equal(received.user_id, alice.user.id);
      assert.equal(received.room_id, room.id);
      assert.match(received.inserted_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      const toAlice = nextEvent(aliceRoom, "new_msg");
      await reply(bobRoom.push("new_msg", { content: "hi alice" }));
      assert.equal((await toAlice).username, bob.user.username);
    });

    test("the sender gets its reply before its own broadcast", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      const channel = open(alice.token).channel(`room:${room.slug}`);
      await join(channel);
      // Recorded as the frames arrive: an awaited promise would resolve a tick later.
      const order = [];
      channel.on("new_msg", () => order.push("broadcast"));

      channel.push("new_msg", { content: "order" }).receive("ok", () => order.push("reply"));
      await waitFor(() => order.length === 2, 5000, "the reply and the broadcast");
      assert.deepEqual(order, ["reply", "broadcast"]);
    });

    test("a message posted over HTTP reaches the sockets in the room", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      const channel = open(alice.token).channel(`room:${room.slug}`);
      await join(channel);
      const incoming = nextEvent(channel, "new_msg");

      const posted = await postMessage(server, alice.token, room.slug, "from a bot", "http-1");

      assert.equal(posted.status, 201);
      assert.deepEqual(await incoming, posted.body.message);
    });

    test("rejoining with last_seen_id after missing 30 messages returns exactly those 30, in order", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const room = await createRoom(server, alice.token);
      const bobSocket = open(bob.token);
      const bobRoom = bobSocket.channel(`room:${room.slug}`);
      const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
      await join(aliceRoom);
      await join(bobRoom);
      const before = await sendAll(aliceRoom, ["one", "two"]);
      await waitFor(() => true);
      const lastSeen = before.at(-1).id;

      await reply(bobRoom.leave());
      // Sent over HTTP, as a bot would, so that the socket's rate limit does not apply.
      const missed = [];
      for (let i = 0; i < 30; i++) missed.push((await postMessage(server, alice.token, room.slug, `missed ${i}`)).body.message);

      const rejoined = await join(bobSocket.channel(`room:${room.slug}`, { last_seen_id: lastSeen }));
      assert.equal(rejoined.status, "ok");
      assert.deepEqual(rejoined.response.messages.map((m) => m.id), missed.map((m) => m.id));
      assert.deepEqual(rejoined.response.messages.map((m) => m.content), missed.map((m) => m.content));
      assert.equal(rejoined.response.has_more, false);
    });

    test("without last_seen_id the join carries the newest 50, oldest first, with has_more", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      for (let i = 0; i < 55; i++) await postMessage(server, alice.token, room.slug, `m${i}`);

      const joined = await join(open(alice.token).channel(`room:${room.slug}`));

      assert.equal(joined.response.messages.length, 50);
      assert.equal(joined.response.messages[0].content, "m5");
      assert.equal(joined.response.messages.at(-1).content, "m54");
      assert.equal(joined.response.has_more, true);
    });

    test("history pages older messages", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      for (let i = 0; i < 8; i++) await postMessage(server, alice.token, room.slug, `m${i}`);
      const channel = open(alice.token).channel(`room:${room.slug}`);
      const joined = await join(channel);
      const oldestShown = joined.response.messages[5].id;

      const page = await reply(channel.push("history", { before_id: oldestShown, limit: 3 }));

      assert.equal(page.status, "ok");
      assert.deepEqual(page.response.messages.map((m) => m.content), ["m2", "m3", "m4"]);
      assert.equal(page.response.has_more, true);
    });

    test("a retried client_id is stored and broadcast once", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const room = await createRoom(server, alice.token);
      const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
      const bobRoom = open(bob.token).channel(`room:${room.slug}`);
      await join(aliceRoom);
      await join(bobRoom);
      const seenByBob = [];
      bobRoom.on("new_msg", (m) => seenByBob.push(m));

      const replies = await Promise.all([1, 2, 3].map(() => reply(aliceRoom.push("new_msg", { content: "once", client_id: "retry-1" }))));
      await reply(aliceRoom.push("new_msg", { content: "marker" }));
      await waitFor(() => seenByBob.some((m) => m.content === "marker"), 5000, "the marker");

      assert.equal(new Set(replies.map((r) => r.response.message.id)).size, 1);
      assert.equal(seenByBob.filter((m) => m.content === "once").length, 1);
      const stored = await fetch(`${server.httpUrl}/api/rooms/${room.slug}/messages`).then((r) => r.json());
      assert.equal(stored.messages.filter((m) => m.content === "once").length, 1);
    });

    test("a user_id or username in a payload is ignored", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      const channel = open(alice.token).channel(`room:${room.slug}`);
      await join(channel);

      const sent = await reply(channel.push("new_msg", { content: "who am i", user_id: 1, username: "admin" }));

      assert.equal(sent.response.message.user_id, alice.user.id);
      assert.equal(sent.response.message.username, alice.user.username);
    });

    test("invalid messages get field errors", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      const channel = open(alice.token).channel(`room:${room.slug}`);
      await join(channel);

      const blank = await reply(channel.push("new_msg", { content: "   " }));
      const long = await reply(channel.push("new_msg", { content: "x".repeat(4001) }));
      const wrongType = await reply(channel.push("new_msg", { content: 42 }));

      assert.deepEqual(blank, { status: "error", response: { errors: { content: ["can't be blank"] } } });
      assert.deepEqual(long.response.errors.content, ["should be at most 4000 character(s)"]);
      assert.equal(wrongType.status, "error");
    });

    test("the rate limit holds: a burst of 20, then rate_limited", async () => {
      const alice = await signUp(server);
      const room = await createRoom(server, alice.token);
      const channel = open(alice.token).channel(`room:${room.slug}`);
      await join(channel);

      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => reply(channel.push("new_msg", { content: `flood ${i}` }))));
      const seconds = (Date.now() - started) / 1000;

      const accepted = results.filter((r) => r.status === "ok").length;
      const limited = results.filter((r) => r.status === "error" && r.response.reason === "rate_limited").length;
      // A bucket of 20 that refills at 10 a second: each send waits for the one before it to be
      // stored, so on a slow machine the flood lasts long enough for a few tokens to come back.
      const refilled = Math.ceil(seconds * 10) + 1;
      assert.ok(accepted >= 20 && accepted <= 20 + refilled, `accepted ${accepted} in ${seconds} s`);
      assert.equal(accepted + limited, 30);
    });

    test("an unknown room is refused", async () => {
      const alice = await signUp(server);

      const joined = await join(open(alice.token).channel("room:no-such-room-here"));

      assert.deepEqual(joined, { status: "error", response: { reason: "room not found" } });
    });

    test("typing reaches the other members only", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const room = await createRoom(server, alice.token);
      const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
      const aliceOtherTab = open(alice.token).channel(`room:${room.slug}`);
      const bobRoom = open(bob.token).channel(`room:${room.slug}`);
      for (const c of [aliceRoom, aliceOtherTab, bobRoom]) await join(c);
      let aliceSaw = 0;
      aliceRoom.on("typing", () => aliceSaw++);
      aliceOtherTab.on("typing", () => aliceSaw++);
      const bobSees = nextEvent(bobRoom, "typing");

      await reply(aliceRoom.push("typing", {}));

      assert.deepEqual(await bobSees, { user_id: alice.user.id, username: alice.user.username });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(aliceSaw, 0);
    });

    test("the lobby lists rooms and sees room_created, from the channel and from HTTP", async () => {
      const alice = await signUp(server);
      const lobby = open(alice.token).channel("chat:lobby");
      const joined = await join(lobby);
      assert.ok(joined.response.rooms.some((r) => r.slug === "lobby"));
      const created = [];
      lobby.on("room_created", ({ room }) => created.push(room));

      const viaChannel = await reply(lobby.push("create_room", { name: uniqueName("Channel room ") }));
      const viaHttp = await createRoom(server, alice.token);
      const invalid = await reply(lobby.push("create_room", { name: "" }));

      assert.equal(viaChannel.status, "ok");
      await waitFor(() => created.length === 2, 5000, "two room_created events");
      assert.deepEqual(created.map((r) => r.id).sort(), [viaChannel.response.room.id, viaHttp.id].sort());
      assert.deepEqual(invalid, { status: "error", response: { errors: { name: ["can't be blank"] } } });
    });

    test("a user's forced disconnect closes all their sockets, and nobody else's", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const codes = [];
      const aliceSockets = [open(alice.token, { reconnectAfterMs: () => 60000 }), open(alice.token, { reconnectAfterMs: () => 60000 })];
      const bobSocket = open(bob.token);
      for (const s of aliceSockets) s.onClose((event) => codes.push(event.code));
      let bobClosed = false;
      bobSocket.onClose(() => { bobClosed = true; });
      await Promise.all([...aliceSockets, bobSocket].map((s) => join(s.channel("room:lobby"))));

      const response = await disconnectEverywhere(server, alice.token);

      assert.equal(response.status, 204);
      await waitFor(() => codes.length === 2, 5000, "both of alice's sockets to close");
      // Over LongPoll the closed session answers its poll 410, which phoenix.js reports as 3410.
      const closeCode = transportName === "WebSocket" ? 1001 : 3410;
      assert.deepEqual(codes, [closeCode, closeCode]);
      assert.equal(bobClosed, false);
    });
  });

  describe(`presence over ${transportName}`, () => {
    let server;
    const sockets = [];
    const open = (token) => {
      const socket = connectSocket(server.socketUrl, { params: { token }, transport });
      sockets.push(socket);
      return socket;
    };

    // A short poll window, so that a LongPoll client that vanishes is reaped within seconds.
    before(async () => { server = await new TestServer({ env: { Chat__Channels__LongPollWindow: "00:00:01" } }).start(); });
    after(async () => {
      await Promise.all(sockets.map(disconnect));
      await server.dispose();
    });

    function track(channel) {
      const presence = new Presence(channel);
      const events = { joins: [], leaves: [], syncs: 0 };
      presence.onJoin((key, current, joined) => events.joins.push({ key, current: !!current, metas: joined.metas.length }));
      presence.onLeave((key, current, left) => events.leaves.push({ key, remaining: current.metas.length, left: left.metas.length }));
      presence.onSync(() => events.syncs++);
      return { presence, events };
    }

    test("lists both users, and one key with two metas for two tabs", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const room = await createRoom(server, alice.token);
      const aliceChannel = open(alice.token).channel(`room:${room.slug}`);
      const alicePresence = track(aliceChannel);
      await join(aliceChannel);
      await waitFor(() => alicePresence.presence.list().length === 1, 5000, "alice to see herself");

      const bobTab1 = open(bob.token).channel(`room:${room.slug}`);
      const bobTab2 = open(bob.token).channel(`room:${room.slug}`);
      await join(bobTab1);
      await join(bobTab2);

      const keyOf = (u) => String(u.user.id);
      await waitFor(() => alicePresence.presence.list((key, { metas }) => ({ key, metas })).find((p) => p.key === keyOf(bob))?.metas.length === 2, 5000, "two metas for bob");
      const listed = alicePresence.presence.list((key, { metas }) => ({ key, metas }));
      assert.deepEqual(listed.map((p) => p.key).sort(), [keyOf(alice), keyOf(bob)].sort());
      const bobMetas = listed.find((p) => p.key === keyOf(bob)).metas;
      assert.equal(bobMetas[0].username, bob.user.username);
      assert.ok(bobMetas.every((m) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(m.online_at) && m.phx_ref));
      assert.notEqual(bobMetas[0].phx_ref, bobMetas[1].phx_ref);
      assert.ok(alicePresence.events.syncs >= 3);
      // The server batches presence diffs, so bob's two tabs arrive in one onJoin or in two.
      const bobJoins = alicePresence.events.joins.filter((j) => j.key === keyOf(bob));
      assert.equal(bobJoins[0].current, false);
      assert.equal(bobJoins.reduce((total, j) => total + j.metas, 0), 2);

      // Closing one tab leaves one meta; closing the second removes the key.
      await reply(bobTab1.leave());
      await waitFor(() => alicePresence.events.leaves.length === 1, 5000, "the first leave");
      assert.deepEqual(alicePresence.events.leaves[0], { key: keyOf(bob), remaining: 1, left: 1 });
      assert.equal(alicePresence.presence.list().length, 2);

      await reply(bobTab2.leave());
      await waitFor(() => alicePresence.events.leaves.length === 2, 5000, "the second leave");
      assert.deepEqual(alicePresence.events.leaves[1], { key: keyOf(bob), remaining: 0, left: 1 });
      assert.deepEqual(alicePresence.presence.list((key) => key), [keyOf(alice)]);
    });

    test("a socket that drops without leaving is removed from presence", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const room = await createRoom(server, alice.token);
      const aliceChannel = open(alice.token).channel(`room:${room.slug}`);
      const { presence } = track(aliceChannel);
      await join(aliceChannel);
      const bobSocket = connectSocket(server.socketUrl, { params: { token: bob.token }, transport });
      await join(bobSocket.channel(`room:${room.slug}`));
      await waitFor(() => presence.list().length === 2, 5000, "bob to appear");

      if (transportName === "WebSocket") {
        bobSocket.conn.terminate(); // the TCP connection drops: no leave, no close frame
      } else {
        bobSocket.conn.close(1006, "dropped", false); // the client stops polling without a word: the reaper ends it
      }
      bobSocket.disconnect();

      await waitFor(() => presence.list().length === 1, 5000, "bob to disappear");
    });
  });
}
