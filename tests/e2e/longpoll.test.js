// /socket/longpoll as Phoenix serves it: statuses in a 200 JSON body, ndjson batches, the
// session token as the last `token` parameter or X-Phoenix-Longpoll-Token, the reaper, and
// phoenix.js falling back to it when WebSockets are blocked.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { TestServer, freePort } from "./support/server.js";
import { mintToken } from "./support/tokens.js";
import { connectSocket, disconnect, join, nextEvent, reply } from "./support/phoenix.js";

describe("the LongPoll protocol", () => {
  let server;
  // A one-second window: empty polls come back quickly and silent sessions are reaped in seconds.
  before(async () => { server = await new TestServer({ env: { Chat__Channels__LongPollWindow: "00:00:01" } }).start(); });
  after(async () => { await server.dispose(); });

  const url = (query) => `${server.httpUrl}/socket/longpoll?${query}`;
  const call = async (method, query, { body, headers = {} } = {}) => {
    const response = await fetch(url(query), { method, body, headers });
    assert.equal(response.status, 200, "LongPoll answers 200 and puts the status in the body");
    assert.equal(response.headers.get("cache-control"), "no-store");
    return response.json();
  };
  const connect = async (sub = 1) => {
    const answer = await call("GET", `token=${mintToken(server.signingKey, { sub, name: `lp${sub}` })}&vsn=2.0.0`);
    assert.equal(answer.status, 410, "a new session is announced as 410, with its token");
    assert.match(answer.token, /^[\w-]{32}$/);
    assert.deepEqual(answer.messages, []);
    return answer.token;
  };

  test("a bad token or a foreign origin is refused with 403 in the body", async () => {
    assert.deepEqual(await call("GET", "token=nonsense&vsn=2.0.0"), { status: 403 });
    const good = mintToken(server.signingKey, { sub: 1, name: "a" });
    assert.deepEqual(await call("GET", `token=${good}&vsn=2.0.0`, { headers: { origin: "https://evil.example" } }), { status: 403 });
    assert.deepEqual(await call("GET", `token=${good}&vsn=9.9.9`), { status: 403 });
  });

  test("ndjson posts join and push; polls return the replies; an empty poll answers 204", async () => {
    const session = await connect(2);
    // As phoenix.js sends it: the user's token first, the session's token appended last.
    const query = `token=${mintToken(server.signingKey, { sub: 2, name: "lp2" })}&vsn=2.0.0&token=${session}`;
    const frames = [
      JSON.stringify(["1", "1", "room:lobby", "phx_join", {}]),
      JSON.stringify(["1", "2", "room:lobby", "new_msg", { content: "over longpoll" }]),
    ];
    const posted = await call("POST", query, { body: frames.join("\n"), headers: { "content-type": "application/x-ndjson" } });
    assert.deepEqual(posted, { status: 200 });

    const seen = [];
    while (!seen.some(([, ref, , event]) => ref === "2" && event === "phx_reply")) {
      const poll = await call("GET", query);
      assert.ok([200, 204].includes(poll.status));
      assert.equal(poll.token, session);
      seen.push(...poll.messages.map((m) => JSON.parse(m)));
    }
    const joinReply = seen.find(([, ref]) => ref === "1");
    assert.equal(joinReply[4].status, "ok");
    const sendReply = seen.find(([, ref]) => ref === "2");
    assert.equal(sendReply[4].response.message.content, "over longpoll");

    // Drain what follows (the broadcast, presence), then an empty poll: 204 after the window.
    let empty;
    do { empty = await call("GET", query); } while (empty.status === 200);
    assert.deepEqual(empty, { status: 204, token: session, messages: [] });
  });

  test("the session token also travels in X-Phoenix-Longpoll-Token", async () => {
    const session = await connect(3);
    const headers = { "x-phoenix-longpoll-token": session, "content-type": "application/x-ndjson" };
    assert.deepEqual(await call("POST", "vsn=2.0.0", { body: JSON.stringify([null, "7", "phoenix", "heartbeat", {}]), headers }), { status: 200 });
    const poll = await call("GET", "vsn=2.0.0", { headers });
    assert.equal(poll.status, 200);
    assert.deepEqual(JSON.parse(poll.messages[0]), [null, "7", "phoenix", "phx_reply", { status: "ok", response: {} }]);
  });

  test("a post without a live session is told 410; a frame that cannot be read ends the session", async () => {
    assert.deepEqual(await call("POST", "vsn=2.0.0&token=no-such-session", { body: "[]" }), { status: 410 });
    const session = await connect(4);
    const bad = await call("POST", `vsn=2.0.0&token=${session}`, { body: "[not json", headers: { "content-type": "application/x-ndjson" } });
    assert.deepEqual(bad, { status: 400 });
    assert.deepEqual(await call("POST", `vsn=2.0.0&token=${session}`, { body: "[]" }), { status: 410 });
  });

  test("a session whose client stops polling is reaped", async () => {
    const session = await connect(5);
    await new Promise((r) => setTimeout(r, 2500)); // 1.5 windows, and a sweep
    assert.deepEqual(await call("POST", `vsn=2.0.0&token=${session}`, { body: "[]" }), { status: 410 });
  });
});

/** A proxy that forwards HTTP but refuses every WebSocket upgrade, as some corporate proxies do. */
async function startUpgradeBlockingProxy(backendPort) {
  const proxy = createServer((req, res) => {
    const upstream = request({ host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on("upgrade", (_req, client) => client.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
  const port = await freePort();
  await new Promise((resolve) => proxy.listen(port, "127.0.0.1", resolve));
  return { port, close: () => new Promise((resolve) => { proxy.closeAllConnections(); proxy.close(resolve); }) };
}

describe("phoenix.js with longPollFallbackMs when WebSockets are blocked", () => {
  test("falls back to LongPoll and chats as over a WebSocket", async () => {
    const server = await new TestServer().start();
    const proxy = await startUpgradeBlockingProxy(server.port);
    const through = `ws://127.0.0.1:${proxy.port}/socket`;
    const token = (sub, name) => mintToken(server.signingKey, { sub, name });
    const alice = connectSocket(through, { params: { token: token(1, "alice") }, longPollFallbackMs: 300 });
    const bob = connectSocket(server.socketUrl, { params: { token: token(2, "bob") } });
    try {
      const aliceRoom = alice.channel("room:lobby");
      const bobRoom = bob.channel("room:lobby");
      assert.equal((await join(aliceRoom, 10000)).status, "ok");
      await join(bobRoom);
      assert.equal(alice.transportName(alice.transport), "LongPoll", "alice fell back");

      const toBob = nextEvent(bobRoom, "new_msg");
      const ownEcho = nextEvent(aliceRoom, "new_msg");
      assert.equal((await reply(aliceRoom.push("new_msg", { content: "from behind the proxy" }))).status, "ok");
      assert.equal((await toBob).content, "from behind the proxy");
      assert.equal((await ownEcho).content, "from behind the proxy");
      const toAlice = nextEvent(aliceRoom, "new_msg");
      await reply(bobRoom.push("new_msg", { content: "and back" }));
      assert.equal((await toAlice).content, "and back");
    } finally {
      await disconnect(alice);
      await disconnect(bob);
      await proxy.close();
      await server.dispose();
    }
  });
});
