// After a message is sent (CONTRACT.md §4–§6), with the official phoenix client: edits,
// deletes, reactions and catching up on them; mentions, read markers and unread counts;
// search.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join, nextEvent, reply, waitFor } from "./support/phoenix.js";
import { serverSuite } from "./support/suite.js";
import { createRoom, deleteMessage, editMessage, markRead, postMessage, react, signUp, unread } from "./support/api.js";

describe("edits, deletes and reactions", () => {
  const suite = serverSuite();
  const open = (token, options) => suite.open(token, options);

  test("edit_msg replies with the message and every member gets msg_updated, after its new_msg", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
    const bobRoom = open(bob.token).channel(`room:${room.slug}`);
    await join(aliceRoom);
    await join(bobRoom);
    const seenByBob = [];
    bobRoom.on("new_msg", (m) => seenByBob.push(["new_msg", m.id]));
    bobRoom.on("msg_updated", (m) => seenByBob.push(["msg_updated", m.id, m.content]));

    const sent = (await reply(aliceRoom.push("new_msg", { content: "teh typo" }))).response.message;
    const edited = await reply(aliceRoom.push("edit_msg", { id: sent.id, content: "the typo" }));
    await waitFor(() => seenByBob.length === 2, 5000, "new_msg and msg_updated");

    assert.equal(edited.status, "ok");
    assert.equal(edited.response.message.content, "the typo");
    assert.match(edited.response.message.edited_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(edited.response.message.rev > sent.rev);
    assert.deepEqual(seenByBob, [["new_msg", sent.id], ["msg_updated", sent.id, "the typo"]]);
  });

  test("only the author may edit or delete: forbidden; an unknown message: not found", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const sent = (await postMessage(suite.server, alice.token, room.slug, "mine")).body.message;
    const bobRoom = open(bob.token).channel(`room:${room.slug}`);
    await join(bobRoom);

    const edit = await reply(bobRoom.push("edit_msg", { id: sent.id, content: "not yours" }));
    const del = await reply(bobRoom.push("delete_msg", { id: sent.id }));
    const unknown = await reply(bobRoom.push("delete_msg", { id: sent.id + 1_000_000 }));

    assert.deepEqual([edit.status, edit.response], ["error", { reason: "forbidden" }]);
    assert.deepEqual([del.status, del.response], ["error", { reason: "forbidden" }]);
    assert.deepEqual([unknown.status, unknown.response], ["error", { reason: "not found" }]);
  });

  test("delete_msg leaves a tombstone: msg_deleted to everyone, and history returns it", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
    const bobRoom = open(bob.token).channel(`room:${room.slug}`);
    await join(aliceRoom);
    await join(bobRoom);
    const sent = (await reply(aliceRoom.push("new_msg", { content: "oops" }))).response.message;
    const deletedForBob = nextEvent(bobRoom, "msg_deleted");

    const first = await reply(aliceRoom.push("delete_msg", { id: sent.id }));
    const again = await reply(aliceRoom.push("delete_msg", { id: sent.id }));
    const event = await deletedForBob;
    const history = await fetch(`${suite.server.httpUrl}/api/rooms/${room.slug}/messages`).then((r) => r.json());

    assert.deepEqual([first.status, first.response, again.status], ["ok", {}, "ok"]);
    assert.deepEqual(Object.keys(event), ["id", "room_id", "rev"]);
    assert.equal(event.id, sent.id);
    assert.equal(event.room_id, room.id);
    const tombstone = history.messages.find((m) => m.id === sent.id);
    assert.deepEqual([tombstone.deleted, tombstone.content, tombstone.reactions, tombstone.rev], [true, "", {}, event.rev]);
  });

  test("react and unreact: reactions to everyone, users in reaction order, idempotent", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const aliceRoom = open(alice.token).channel(`room:${room.slug}`);
    const bobRoom = open(bob.token).channel(`room:${room.slug}`);
    await join(aliceRoom);
    await join(bobRoom);
    const sent = (await reply(aliceRoom.push("new_msg", { content: "vote" }))).response.message;
    const events = [];
    aliceRoom.on("reactions", (e) => events.push(e));

    await reply(bobRoom.push("react", { id: sent.id, emoji: "👍" }));
    await reply(aliceRoom.push("react", { id: sent.id, emoji: "👍" }));
    const repeat = await reply(aliceRoom.push("react", { id: sent.id, emoji: "👍" }));
    await reply(bobRoom.push("unreact", { id: sent.id, emoji: "👍" }));
    await waitFor(() => events.length === 3, 5000, "three reactions events");

    assert.equal(repeat.status, "ok");
    assert.deepEqual(Object.keys(events[0]), ["id", "room_id", "reactions", "rev"]);
    assert.deepEqual(events.map((e) => e.reactions), [{ "👍": [bob.user.id] }, { "👍": [bob.user.id, alice.user.id] }, { "👍": [alice.user.id] }]);
    assert.ok(events[0].rev < events[1].rev && events[1].rev < events[2].rev);
  });

  test("the HTTP twins change messages and reach the sockets like the channel events", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const bobRoom = open(bob.token).channel(`room:${room.slug}`);
    await join(bobRoom);
    const sent = (await postMessage(suite.server, alice.token, room.slug, "via http")).body.message;
    const updated = nextEvent(bobRoom, "msg_updated");
    const reacted = nextEvent(bobRoom, "reactions");
    const deleted = nextEvent(bobRoom, "msg_deleted");

    const edit = await editMessage(suite.server, alice.token, room.slug, sent.id, "edited via http");
    assert.equal(edit.status, 200);
    assert.deepEqual(await updated, edit.body.message);
    assert.equal((await react(suite.server, bob.token, room.slug, sent.id, "🎉")).status, 204);
    assert.deepEqual((await reacted).reactions, { "🎉": [bob.user.id] });
    assert.equal((await deleteMessage(suite.server, bob.token, room.slug, sent.id)).status, 403);
    assert.equal((await deleteMessage(suite.server, alice.token, room.slug, sent.id)).status, 204);
    assert.equal((await deleted).id, sent.id);
  });

  test("after a reconnect, the rejoin with last_seen_id and last_rev catches up on every change", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const sent = [];
    for (const content of ["one", "two", "three"]) sent.push((await postMessage(suite.server, alice.token, room.slug, content)).body.message);

    // Bob's client keeps the highest id and rev it has seen, as the contract asks, and rejoins with them.
    const seen = { lastSeenId: 0, lastRev: 0 };
    const note = (m) => { seen.lastSeenId = Math.max(seen.lastSeenId, m.id); seen.lastRev = Math.max(seen.lastRev, m.rev); };
    const bobSocket = open(bob.token);
    const bobRoom = bobSocket.channel(`room:${room.slug}`, () => (seen.lastSeenId ? { last_seen_id: seen.lastSeenId, last_rev: seen.lastRev } : {}));
    const joins = [];
    bobRoom.join().receive("ok", (response) => {
      joins.push(response);
      response.messages.forEach(note);
      (response.changed ?? []).forEach(note);
    });
    await waitFor(() => joins.length === 1, 5000, "the first join");

    bobSocket.disconnect();
    await editMessage(suite.server, alice.token, room.slug, sent[0].id, "one, edited");
    await react(suite.server, alice.token, room.slug, sent[1].id, "👀");
    await deleteMessage(suite.server, alice.token, room.slug, sent[2].id);
    const newer = (await postMessage(suite.server, alice.token, room.slug, "four")).body.message;
    bobSocket.connect();
    await waitFor(() => joins.length === 2, 10000, "the rejoin");

    const rejoin = joins[1];
    assert.deepEqual(rejoin.messages.map((m) => m.id), [newer.id]);
    assert.deepEqual(rejoin.changed.map((m) => m.id), sent.map((m) => m.id));
    assert.equal(rejoin.changed[0].content, "one, edited");
    assert.deepEqual(rejoin.changed[1].reactions, { "👀": [alice.user.id] });
    assert.equal(rejoin.changed[2].deleted, true);
    assert.equal(rejoin.changed_more, false);
  });
});

describe("mentions, read markers and unread counts", () => {
  const suite = serverSuite();
  const open = (token, options) => suite.open(token, options);

  test("only the user may join user:{id}", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);

    const own = await join(open(alice.token).channel(`user:${alice.user.id}`));
    const other = await join(open(bob.token).channel(`user:${alice.user.id}`));

    assert.deepEqual(own, { status: "ok", response: { rooms: [] } });
    assert.deepEqual(other, { status: "error", response: { reason: "unauthorized" } });
  });

  test("a mention reaches every device of the mentioned user, in the room or not", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, bob.token);
    const phone = open(alice.token).channel(`user:${alice.user.id}`);
    const laptop = open(alice.token).channel(`user:${alice.user.id}`);
    await join(phone);
    await join(laptop);
    const onPhone = nextEvent(phone, "mention");
    const onLaptop = nextEvent(laptop, "mention");

    const sent = (await postMessage(suite.server, bob.token, room.slug, `hi @${alice.user.username.toUpperCase()}!`)).body.message;

    for (const mention of [await onPhone, await onLaptop]) {
      assert.deepEqual(mention.message, sent);
      assert.deepEqual(mention.room, room);
    }
  });

  test("mark_read clears the badge on the user's other devices with read, and unread counts come from the server", async () => {
    const alice = await signUp(suite.server);
    const bob = await signUp(suite.server);
    const room = await createRoom(suite.server, bob.token);
    const sent = [];
    for (const content of ["one", `two @${alice.user.username}`, "three"]) sent.push((await postMessage(suite.server, bob.token, room.slug, content)).body.message);
    await markRead(suite.server, alice.token, room.slug, sent[0].id);

    const phone = open(alice.token).channel(`user:${alice.user.id}`);
    const joined = await join(phone);
    assert.deepEqual(joined.response.rooms, [{ room_id: room.id, slug: room.slug, last_read_id: sent[0].id, unread: 2, mentions: 1 }]);

    const desktop = open(alice.token).channel(`room:${room.slug}`);
    await join(desktop);
    const read = nextEvent(phone, "read");
    const marked = await reply(desktop.push("mark_read", { id: sent[2].id }));

    assert.deepEqual(marked, { status: "ok", response: {} });
    assert.deepEqual(await read, { room_id: room.id, slug: room.slug, last_read_id: sent[2].id, unread: 0, mentions: 0 });
    const backwards = await markRead(suite.server, alice.token, room.slug, sent[0].id);
    assert.equal(backwards.status, 204);
    assert.deepEqual((await unread(suite.server, alice.token)).body.rooms[0].last_read_id, sent[2].id);
  });
});

describe("search", () => {
  const suite = serverSuite();
  const open = (token, options) => suite.open(token, options);

  const search = (query) => fetch(`${suite.server.httpUrl}/api/search?${new URLSearchParams(query)}`).then(async (r) => ({ status: r.status, body: await r.json() }));

  test("finds every word without regard to case or accents, the last as a prefix, newest first, never tombstones", async () => {
    const alice = await signUp(suite.server);
    const room = await createRoom(suite.server, alice.token);
    const marker = `zq${Date.now().toString(36)}`;
    const creme = (await postMessage(suite.server, alice.token, room.slug, `${marker} Crème brûlée`)).body.message;
    const hello = (await postMessage(suite.server, alice.token, room.slug, `${marker} hello world`)).body.message;
    const gone = (await postMessage(suite.server, alice.token, room.slug, `${marker} hello secret`)).body.message;
    await deleteMessage(suite.server, alice.token, room.slug, gone.id);
    await editMessage(suite.server, alice.token, room.slug, creme.id, `${marker} crème caramel`);

    const prefix = await search({ q: `${marker} hel` });
    const accents = await search({ q: `${marker.toUpperCase()} CREME CARA`, room: room.slug });
    const oldWords = await search({ q: `${marker} brulee` });
    const all = await search({ q: marker, limit: "1" });
    const empty = await search({ q: "" });

    assert.deepEqual(prefix.body.messages.map((m) => m.id), [hello.id]);
    assert.equal(prefix.body.messages[0].room_slug, room.slug);
    assert.deepEqual(accents.body.messages.map((m) => m.content), [`${marker} crème caramel`]);
    assert.deepEqual(oldWords.body.messages, []);
    assert.deepEqual([all.body.messages.map((m) => m.id), all.body.has_more], [[hello.id], true]);
    assert.equal(empty.status, 422);
  });
});
