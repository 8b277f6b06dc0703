// Fault tests (issue 12): the database frozen under load, and the server killed under load.
// Real server processes, real PostgreSQL and SQLite, the real phoenix client. What they check
// is what users rely on: an acknowledged message is stored, once; every push is answered
// before phoenix.js gives up on it; every stored message reaches every member once, with no
// gap, even across a crash.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestServer } from "./support/server.js";
import { PrivatePostgres, missingPostgres } from "./support/private-postgres.js";
import { providers } from "./support/databases.js";
import { connectSocket, disconnect, waitFor } from "./support/phoenix.js";
import { createRoom, history, signUp } from "./support/api.js";
import { mintToken } from "./support/tokens.js";

/** phoenix.js's default push timeout: a push not answered by then is lost to its sender. */
const PHOENIX_PUSH_TIMEOUT_MS = 10000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves as `promise` does, or rejects with `message` once `ms` have passed. */
async function within(ms, promise, message) {
  let timer;
  const expired = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** One push, answered as { status: "ok" | "error" | "timeout", response, sentAt, ms }. */
function push(channel, event, payload) {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const answer = (status) => (response) => resolve({ status, response, sentAt, ms: Date.now() - sentAt });
    channel.push(event, payload, PHOENIX_PUSH_TIMEOUT_MS)
      .receive("ok", answer("ok"))
      .receive("error", answer("error"))
      .receive("timeout", answer("timeout"));
  });
}

/**
 * A user who sends one message after another, each under its own client_id (also its
 * content), and sends a message again with the same client_id until it is stored, as a
 * careful client does after "unavailable", a timeout or an interrupted channel.
 */
class Sender {
  constructor(server, token, slug, name) {
    this.name = name;
    this.slug = slug;
    this.replies = [];
    this.acked = new Map();
    this.socket = connectSocket(server.socketUrl, { params: { token } });
    this.channel = this.socket.channel(`room:${slug}`, {});
  }

  join() {
    return new Promise((resolve, reject) => {
      this.channel.join(PHOENIX_PUSH_TIMEOUT_MS).receive("ok", resolve).receive("error", reject).receive("timeout", () => reject(new Error("join timed out")));
    });
  }

  async sendUntilStored(clientId) {
    for (;;) {
      const reply = await push(this.channel, "new_msg", { content: clientId, client_id: clientId });
      this.replies.push(reply);
      if (reply.status === "ok") {
        this.acked.set(clientId, reply.response.message);
        return;
      }
      await sleep(250);
    }
  }

  /** Sends until `stopAt()` has passed, then finishes the message it is on. */
  async run(stopAt, pauseMs) {
    for (let n = 0; Date.now() < stopAt(); n++) {
      await this.sendUntilStored(`${this.name}-${n}`);
      await sleep(pauseMs);
    }
  }
}

/**
 * A member who only listens, in every room given, and rejoins with the `last_seen_id` it
 * has, as the web app does. Records every message it is given, repeats included.
 */
class Listener {
  constructor(server, token, slugs) {
    this.received = new Map(slugs.map((slug) => [slug, []]));
    this.lastSeen = new Map();
    this.socket = connectSocket(server.socketUrl, { params: { token } });
    this.channels = slugs.map((slug) => {
      const channel = this.socket.channel(`room:${slug}`, () => (this.lastSeen.has(slug) ? { last_seen_id: this.lastSeen.get(slug) } : {}));
      channel.on("new_msg", (message) => this.receive(slug, [message]));
      return { slug, channel };
    });
  }

  join() {
    return Promise.all(this.channels.map(({ slug, channel }) => new Promise((resolve, reject) => {
      // Rejoins come back through the same receive hook: each catch-up is recorded.
      channel.join(PHOENIX_PUSH_TIMEOUT_MS)
        .receive("ok", (response) => { this.receive(slug, response.messages); resolve(); })
        .receive("error", reject);
    })));
  }

  receive(slug, messages) {
    for (const message of messages) {
      this.received.get(slug).push(message.id);
      if (!this.lastSeen.has(slug) || message.id > this.lastSeen.get(slug)) this.lastSeen.set(slug, message.id);
    }
  }
}

/** Every message of a room through the HTTP API, oldest first. */
async function storedMessages(server, slug) {
  const messages = [];
  for (let afterId = 0; ;) {
    const { status, body } = await history(server, slug, `?after=${afterId}&limit=100`);
    assert.equal(status, 200);
    messages.push(...body.messages);
    if (!body.has_more) return messages;
    afterId = body.messages.at(-1).id;
  }
}

/**
 * What every fault test ends with: every acknowledged message is stored as acknowledged, none
 * twice, nothing stored that its sender was not told of (each sends until stored), and the
 * listener got every stored message of its rooms exactly once, in order.
 */
async function assertNothingLostOrRepeated(server, slugs, senders, listener) {
  const acked = new Map(senders.flatMap((sender) => [...sender.acked]));
  const stored = [];
  for (const slug of slugs) stored.push(...(await storedMessages(server, slug)).map((message) => ({ ...message, slug })));

  const storedById = new Map(stored.map((message) => [message.id, message]));
  const falseAcks = [...acked].filter(([clientId, message]) => storedById.get(message.id)?.content !== clientId);
  assert.deepEqual(falseAcks, [], "every acknowledged message is stored, as acknowledged");
  const seen = new Set();
  const repeats = stored.filter((message) => seen.has(message.content) || !seen.add(message.content));
  assert.deepEqual(repeats, [], "no message is stored twice");
  assert.equal(stored.length, acked.size, "every stored message was acknowledged to its sender");

  for (const slug of slugs) {
    const ids = stored.filter((message) => message.slug === slug).map((message) => message.id);
    await waitFor(() => listener.received.get(slug).length >= ids.length, 15000, `the listener to get ${ids.length} messages in ${slug}`);
    assert.deepEqual(listener.received.get(slug), ids, `the listener got every message of ${slug} once, in order`);
  }
  return { acked: acked.size, stored: stored.length };
}

/** Users that a host application mints, so a test needs no sign-up per sender. */
const minted = (server, id) => mintToken(server.signingKey, { sub: id, name: `u${id}` });

async function openSenders(server, slugs, count, firstUserId) {
  const senders = Array.from({ length: count }, (_, i) =>
    new Sender(server, minted(server, firstUserId + i), slugs[i % slugs.length], `s${i}`));
  for (let i = 0; i < senders.length; i += 50) await Promise.all(senders.slice(i, i + 50).map((sender) => sender.join()));
  return senders;
}

const closeAll = (clients) => Promise.all(clients.map((client) => disconnect(client.socket)));

const skipPaused = missingPostgres();

describe("PostgreSQL frozen for 10 s under 200 senders", { skip: skipPaused ?? false }, () => {
  const cleanup = [];
  after(async () => { for (const step of cleanup.reverse()) await step(); });

  test("every push is answered before phoenix.js's timeout, nothing is acknowledged falsely, sending recovers without a restart, nothing is stored or delivered twice", async (t) => {
    const postgres = await new PrivatePostgres().start();
    cleanup.push(() => postgres.dispose());
    const server = await new TestServer({
      env: { Chat__Database__Provider: "postgres", ConnectionStrings__Chat: postgres.connectionString },
    }).start();
    cleanup.push(() => server.dispose());

    const owners = [await signUp(server), await signUp(server)];
    const slugs = [];
    for (let i = 0; i < 10; i++) slugs.push((await createRoom(server, owners[i % 2].token)).slug);
    const listener = new Listener(server, minted(server, 900000), slugs);
    await listener.join();
    const senders = await openSenders(server, slugs, 200, 900001);
    cleanup.push(() => closeAll([listener, ...senders]));

    let stopAt = Infinity;
    const runs = Promise.all(senders.map((sender) => sender.run(() => stopAt, 500)));
    await sleep(2000);
    const pausedAt = Date.now();
    postgres.pause();
    await sleep(10000);
    postgres.resume();
    const resumedAt = Date.now();
    stopAt = resumedAt + 4000;
    await within(60000, runs, "senders were still not stored a minute after PostgreSQL resumed");

    const replies = senders.flatMap((sender) => sender.replies);
    const timedOut = replies.filter((reply) => reply.status === "timeout");
    assert.equal(timedOut.length, 0, `${timedOut.length} pushes got no answer within phoenix.js's ${PHOENIX_PUSH_TIMEOUT_MS} ms`);
    const unavailable = replies.filter((reply) => reply.status === "error" && reply.response.reason === "unavailable");
    const otherErrors = replies.filter((reply) => reply.status === "error" && reply.response.reason !== "unavailable");
    assert.deepEqual(otherErrors.map((reply) => reply.response), [], "no error but unavailable");
    assert.ok(unavailable.length > 0, "the pause was felt: some sends were answered unavailable");
    const storedAfterResume = replies.filter((reply) => reply.status === "ok" && reply.sentAt > resumedAt);
    assert.ok(storedAfterResume.length > 0, "sends are stored again after the database resumes, without a restart");

    const totals = await assertNothingLostOrRepeated(server, slugs, senders, listener);
    const firstStoredAfterResume = Math.min(...replies.filter((r) => r.status === "ok" && r.sentAt + r.ms > resumedAt && r.sentAt >= pausedAt).map((r) => r.sentAt + r.ms));
    t.diagnostic(`paused ${resumedAt - pausedAt} ms; ${replies.length} pushes, ${unavailable.length} unavailable, 0 timeouts; slowest answer ${Math.max(...replies.map((r) => r.ms))} ms; first send stored ${firstStoredAfterResume - resumedAt} ms after resume; ${totals.acked} acknowledged, ${totals.stored} stored, 0 lost, 0 twice`);
  });
});

for (const provider of providers) {
  describe(`kill -9 under load, ${provider.name}`, () => {
    const cleanup = [];
    after(async () => { for (const step of cleanup.reverse()) await step(); });

    test("every acknowledged message is stored once, and members rejoin with last_seen_id to no gap", async (t) => {
      const database = await provider.create();
      cleanup.push(() => database.drop());
      const server = await new TestServer({ env: database.env }).start();
      cleanup.push(() => server.dispose());

      const owner = await signUp(server);
      const slugs = [(await createRoom(server, owner.token)).slug];
      const listener = new Listener(server, minted(server, 800000), slugs);
      await listener.join();
      const senders = await openSenders(server, slugs, 20, 800001);
      cleanup.push(() => closeAll([listener, ...senders]));

      let stopAt = Infinity;
      const runs = Promise.all(senders.map((sender) => sender.run(() => stopAt, 20)));
      await sleep(1500);
      server.process.kill("SIGKILL");
      await server.exited;
      const killedAt = Date.now();
      const ackedBeforeKill = senders.reduce((sum, sender) => sum + sender.acked.size, 0);
      await server.start();
      stopAt = Date.now() + 2000;
      await within(60000, runs, "senders were still not stored a minute after the restart");

      assert.ok(ackedBeforeKill > 0, "messages were acknowledged before the kill");
      const ackedAfter = senders.flatMap((sender) => sender.replies).filter((reply) => reply.status === "ok" && reply.sentAt > killedAt);
      assert.ok(ackedAfter.length > 0, "messages were acknowledged after the restart");
      const totals = await assertNothingLostOrRepeated(server, slugs, senders, listener);
      t.diagnostic(`${ackedBeforeKill} acknowledged before the kill; ${totals.acked} acknowledged, ${totals.stored} stored in all, 0 lost, 0 twice, no gap for the listener`);
    });
  });
}
