// Issue 12, test 7: floods of sign-in, sign-up, room creation and HTTP sends. Each is cut
// off with 429 and Retry-After (or rate_limited on the socket) where its limit says, and a
// bystander's heartbeats are answered all along. Client addresses come from X-Forwarded-For,
// which the server believes from loopback (Chat:ForwardedHeaders:KnownProxies' default), as
// it would from a proxy in front of it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { call, createRoom, signUp, uniqueName } from "./support/api.js";
import { LongPoll, connectSocket, disconnect, join, reply, waitFor } from "./support/phoenix.js";
import { serverSuite } from "./support/suite.js";
import { Heartbeats } from "./support/heartbeats.js";
import WebSocket from "ws";

/** The HTTP status a WebSocket upgrade is refused with (101 if it is not). */
function upgradeStatus(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_request, response) => { resolve(response.statusCode); ws.terminate(); });
    ws.on("open", () => { resolve(101); ws.close(); });
    ws.on("error", (error) => reject(error));
  });
}

const statuses = (responses) => responses.map((r) => r.status);
const count = (responses, status) => responses.filter((r) => r.status === status).length;

function assertRateLimited(response, maxSeconds) {
  assert.equal(response.status, 429);
  assert.deepEqual(response.body, { error: "rate_limited" });
  const seconds = Number(response.retryAfter);
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= maxSeconds, `Retry-After: ${response.retryAfter}`);
}

describe("floods are cut off with 429 and Retry-After, and heartbeats keep answering (issue 12, test 7)", () => {
  // The per-address limits are lowered so that the floods need not hash a hundred passwords
  // each; the per-username and per-user ones are the defaults.
  const suite = serverSuite({ env: { Chat__RateLimit__SignInFailuresPerAddress: "30", Chat__RateLimit__SignUpsPerAddress: "15" } });
  let heartbeats;

  let stats;
  before(async () => { heartbeats = await Heartbeats.start(suite.server); });
  after(async () => { stats ??= await heartbeats?.stop(); });

  test("sign-in: after 10 failures a username is locked for the window, whatever the password", async () => {
    const { server } = suite;
    const username = uniqueName("victim");
    await signUp(server, username);
    const guesses = await Promise.all(Array.from({ length: 25 }, (_, i) =>
      call(server, "POST", "/api/session", { body: { username, password: `guess-${i}-wrong` }, from: `198.51.100.${i + 1}` })));

    assert.equal(count(guesses, 401), 10, statuses(guesses).join(" "));
    assert.equal(count(guesses, 429), 15);
    guesses.filter((r) => r.status === 429).forEach((r) => assertRateLimited(r, 15 * 60));
    const right = await call(server, "POST", "/api/session", { body: { username: username.toUpperCase(), password: "password123" }, from: "203.0.113.200" });
    assertRateLimited(right, 15 * 60);
  });

  test("sign-in: one address is cut off after its failures, whichever usernames it tries", async () => {
    const { server } = suite;
    const from = "198.51.100.77";
    const { user } = await signUp(server);
    const tries = [];
    for (let i = 0; i < 30; i++) tries.push(call(server, "POST", "/api/session", { body: { username: uniqueName("nobody"), password: "password123" }, from }));
    assert.equal(count(await Promise.all(tries), 401), 30);

    assertRateLimited(await call(server, "POST", "/api/session", { body: { username: user.username, password: "password123" }, from }), 15 * 60);
    const elsewhere = await call(server, "POST", "/api/session", { body: { username: user.username, password: "password123" }, from: "198.51.100.78" });
    assert.equal(elsewhere.status, 200);
  });

  test("sign-up: one address may sign up so many times per hour", async () => {
    const { server } = suite;
    const from = "2001:db8:7::1";
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      call(server, "POST", "/api/users", { body: { username: uniqueName("new"), password: "password123" }, from: `2001:db8:7::${i + 1}` })));

    // One /64 is one address.
    assert.equal(count(attempts, 201), 15, statuses(attempts).join(" "));
    attempts.filter((r) => r.status === 429).forEach((r) => assertRateLimited(r, 60 * 60));
    assertRateLimited(await call(server, "POST", "/api/users", { body: { username: uniqueName("new"), password: "password123" }, from }), 60 * 60);
    assert.equal((await call(server, "POST", "/api/users", { body: { username: uniqueName("new"), password: "password123" }, from: "2001:db8:8::1" })).status, 201);
  });

  test("room creation: 10 per user per minute, over HTTP and create_room together", async () => {
    const { server } = suite;
    const { token } = await signUp(server);
    const lobby = suite.open(token).channel("chat:lobby");
    assert.equal((await join(lobby)).status, "ok");

    const overHttp = await Promise.all(Array.from({ length: 6 }, () => call(server, "POST", "/api/rooms", { token, body: { name: uniqueName("Flood ") } })));
    const overSocket = [];
    for (let i = 0; i < 6; i++) overSocket.push(await reply(lobby.push("create_room", { name: uniqueName("Flood ") })));

    assert.deepEqual(statuses(overHttp), [201, 201, 201, 201, 201, 201]);
    assert.deepEqual(overSocket.map((r) => r.status), ["ok", "ok", "ok", "ok", "error", "error"]);
    assert.deepEqual(overSocket[5].response, { reason: "rate_limited" });
    assertRateLimited(await call(server, "POST", "/api/rooms", { token, body: { name: uniqueName("Flood ") } }), 60);
    const other = await signUp(server);
    assert.equal((await call(server, "POST", "/api/rooms", { token: other.token, body: { name: uniqueName("Other ") } })).status, 201);
  });

  test("HTTP sends share the socket's per-user budget: a burst of 20, then 10 a second", async () => {
    const { server } = suite;
    const { token } = await signUp(server);
    const room = await createRoom(server, token);
    const channel = suite.open(token).channel(`room:${room.slug}`);
    assert.equal((await join(channel)).status, "ok");

    // HTTP posts and socket pushes at once: one bucket for both.
    const started = Date.now();
    const [posts, pushes] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, (_, i) =>
        call(server, "POST", `/api/rooms/${room.slug}/messages`, { token, body: { content: `flood ${i}`, client_id: `flood-${i}` } }))),
      Promise.all(Array.from({ length: 20 }, (_, i) => reply(channel.push("new_msg", { content: `push ${i}` })))),
    ]);
    const elapsedSeconds = (Date.now() - started) / 1000;

    const sent = count(posts, 201) + pushes.filter((r) => r.status === "ok").length;
    assert.ok(sent >= 20 && sent <= 20 + Math.ceil(elapsedSeconds * 10) + 1, `${sent} of 80 sent in ${elapsedSeconds} s`);
    assert.equal(count(posts, 201) + count(posts, 429), 60);
    assert.ok(count(posts, 429) > 0 && pushes.some((r) => r.status === "error"));
    posts.filter((r) => r.status === 429).forEach((r) => assertRateLimited(r, 1));
    pushes.filter((r) => r.status === "error").forEach((r) => assert.deepEqual(r.response, { reason: "rate_limited" }));
    const stored = await call(server, "GET", `/api/rooms/${room.slug}/messages?limit=100`);
    assert.equal(stored.body.messages.length, sent);
  });

  test("sockets: at most 50 per user, the 51st refused until one closes", async () => {
    const { server } = suite;
    const { token } = await signUp(server);
    const sockets = Array.from({ length: 50 }, () => suite.open(token));
    await waitFor(() => sockets.every((s) => s.isConnected()), 10_000, "50 sockets open");

    // The official client sees the refusal as a failed connection and keeps retrying.
    const refused = connectSocket(server.socketUrl, { params: { token }, reconnectAfterMs: () => 200 });
    suite.sockets.push(refused);
    let errors = 0;
    refused.onError(() => { errors++; });
    await waitFor(() => errors >= 2, 10_000, "the 51st socket refused");
    assert.equal(refused.isConnected(), false);
    assert.equal(await upgradeStatus(`${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`), 429);
    // LongPoll sessions count as sockets too.
    const overLongPoll = connectSocket(server.socketUrl, { params: { token }, transport: LongPoll, reconnectAfterMs: () => 200 });
    suite.sockets.push(overLongPoll);
    let longPollErrors = 0;
    overLongPoll.onError(() => { longPollErrors++; });
    await waitFor(() => longPollErrors >= 1, 10_000, "the LongPoll socket refused");
    assert.equal(overLongPoll.isConnected(), false);
    await disconnect(overLongPoll);

    // Another user is not held back; and a place freed is taken by the client still retrying.
    const other = suite.open((await signUp(server)).token);
    await waitFor(() => other.isConnected(), 5000, "another user's socket");
    await disconnect(sockets[0]);
    await waitFor(() => refused.isConnected(), 10_000, "the retrying socket let in");
    assert.ok(sockets.slice(1).every((s) => s.isConnected()));
  });

  test("the bystander's heartbeats were answered throughout", async () => {
    stats = await heartbeats.stop();
    const { sent, answered, slowestMs } = stats;
    console.log(`heartbeats during the floods: ${answered}/${sent} answered, the slowest in ${slowestMs} ms`);
    assert.ok(sent > 10);
    assert.equal(answered, sent);
  });
});
