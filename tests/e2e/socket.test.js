// The channel layer through the official phoenix client, against the real server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestServer } from "./support/server.js";
import { mintToken } from "./support/tokens.js";
import { connectSocket, disconnect, join, nextEvent, reply, transports, waitFor } from "./support/phoenix.js";

for (const { name: transportName, transport } of transports) {
  describe(`socket and channels with the phoenix client over ${transportName}`, () => {
    let server;
    const sockets = [];
    const token = (sub, name) => mintToken(server.signingKey, { sub, name });
    const open = (options) => {
      const socket = connectSocket(server.socketUrl, { transport, ...options });
      sockets.push(socket);
      return socket;
    };

    before(async () => { server = await new TestServer().start(); });
    after(async () => {
      await Promise.all(sockets.map(disconnect));
      await server.dispose();
    });

    test("connects with a token param and joins a room", async () => {
      const socket = open({ params: { token: token(1, "alice") } });
      const joined = await join(socket.channel("room:lobby"));
      assert.equal(joined.status, "ok");
      assert.equal(socket.isConnected(), true);
    });

    test("connects with authToken (in Sec-WebSocket-Protocol, or X-Phoenix-AuthToken over LongPoll)", async () => {
      const socket = open({ authToken: token(2, "bob") });
      const joined = await join(socket.channel("room:lobby"));
      assert.equal(joined.status, "ok");
      if (transportName === "WebSocket") assert.equal(socket.conn.protocol, "phoenix");
    });

    test("a refused connect never opens", async () => {
      const errors = [];
      const socket = open({ params: { token: "not-a-token" }, reconnectAfterMs: () => 60000 });
      let opened = false;
      socket.onOpen(() => { opened = true; });
      socket.onError((error) => errors.push(error));
      await waitFor(() => errors.length > 0, 5000, "a connection error");
      assert.equal(opened, false);
      socket.disconnect();
    });

    test("a join the channel refuses gets an error reply", async () => {
      const socket = open({ params: { token: token(1, "alice") } });
      const joined = await join(socket.channel("room:No Such Room!"));
      assert.deepEqual(joined, { status: "error", response: { reason: "room not found" } });
    });

    test("a topic no route matches gets unmatched topic", async () => {
      const socket = open({ params: { token: token(1, "alice") } });
      const joined = await join(socket.channel("nowhere:1"));
      assert.deepEqual(joined, { status: "error", response: { reason: "unmatched topic" } });
    });

    test("a push gets its reply, and the broadcast reaches the sender and a second socket", async () => {
      const alice = open({ params: { token: token(11, "alice") } }).channel("room:lobby");
      const bob = open({ params: { token: token(12, "bob") } }).channel("room:lobby");
      await join(alice);
      await join(bob);
      const toAlice = nextEvent(alice, "new_msg");
      const toBob = nextEvent(bob, "new_msg");

      const sent = await reply(alice.push("new_msg", { content: "hello bob" }));

      assert.equal(sent.status, "ok");
      assert.equal(sent.response.message.content, "hello bob");
      assert.equal((await toAlice).content, "hello bob");
      assert.equal((await toBob).content, "hello bob");
      assert.equal((await toBob).username, "alice");
    });

    // LongPoll has no heartbeat: its polls show the client is there.
    if (transportName === "WebSocket") test("heartbeats are answered, so the client keeps its connection", async () => {
      // phoenix.js drops a connection whose heartbeat is not answered before the next one
      // is due, so a short interval proves prompt answers without being flaky on a busy machine.
      const socket = open({ params: { token: token(1, "alice") }, heartbeatIntervalMs: 300 });
      let heartbeatReplies = 0;
      let closes = 0;
      socket.onMessage(({ topic, event }) => { if (topic === "phoenix" && event === "phx_reply") heartbeatReplies++; });
      socket.onClose(() => closes++);
      await waitFor(() => heartbeatReplies >= 3, 5000, "three heartbeat replies");
      assert.equal(closes, 0);
      assert.equal(socket.isConnected(), true);
    });

    test("leave is answered ok and ends the subscription", async () => {
      const socket = open({ params: { token: token(21, "carol") } });
      const channel = socket.channel("room:lobby");
      await join(channel);
      let after = 0;
      channel.on("new_msg", () => after++);

      const left = await reply(channel.leave());
      assert.equal(left.status, "ok");
      assert.equal(channel.state, "closed");

      const other = open({ params: { token: token(22, "dave") } }).channel("room:lobby");
      await join(other);
      const echoed = nextEvent(other, "new_msg");
      await reply(other.push("new_msg", { content: "after carol left" }));
      await echoed;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(after, 0);
    });

    test("joining a topic twice on one socket leaves one live channel", async () => {
      const socket = open({ params: { token: token(31, "erin") } });
      const first = socket.channel("room:lobby");
      await join(first);
      let firstClosed = false;
      first.onClose(() => { firstClosed = true; });

      const second = socket.channel("room:lobby");
      assert.equal((await join(second)).status, "ok");

      await waitFor(() => firstClosed, 5000, "the first channel to close");
      const pushed = await reply(second.push("new_msg", { content: "from the second join" }));
      assert.equal(pushed.status, "ok");
    });
  });

  describe(`a server restart over ${transportName}`, () => {
    test("closes sockets (1012 over WebSocket) and the client rejoins on its own", async () => {
      const server = await new TestServer().start();
      const socket = connectSocket(server.socketUrl, { params: { token: mintToken(server.signingKey, { sub: 41, name: "frank" }) }, transport });
      try {
        const channel = socket.channel("room:lobby");
        let joins = 0;
        channel.join().receive("ok", () => joins++);
        const closeCodes = [];
        socket.onClose((event) => closeCodes.push(event.code));
        await waitFor(() => joins === 1, 5000, "the first join");

        await server.stop();
        await server.start();

        await waitFor(() => joins === 2, 15000, "the rejoin");
        // Over LongPoll the client learns it from its next poll: the session is gone (3410), or,
        // if that poll comes while the node stops, the node refuses it (1011). Either way it rejoins.
        if (transportName === "WebSocket") assert.equal(closeCodes[0], 1012);
        else assert.ok([3410, 1011].includes(closeCodes[0]), `closed with ${closeCodes[0]}`);
        const pushed = await reply(channel.push("new_msg", { content: "back again" }));
        assert.equal(pushed.status, "ok");
      } finally {
        await disconnect(socket);
        await server.dispose();
      }
    });
  });
}
