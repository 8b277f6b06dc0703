// Two people in two browser contexts: live messages, presence, typing, the room list, going
// offline and back, and unread counts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createRoom, createUser, launchBrowser, messagesOf, openRoom, postMessage, screenshot, sendMessage,
  signedInContext, startServer, uniqueName, waitUntil, watchPage,
} from "./support/browser.js";

describe("two users, live", { timeout: 600_000 }, () => {
  let server;
  let browser;
  const contexts = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.dispose();
  });

  async function pageFor(account) {
    const context = await signedInContext(browser, server, account);
    contexts.push(context);
    const page = await context.newPage();
    return { context, page, problems: watchPage(page) };
  }

  test("see each other's messages, presence and typing", async () => {
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, `Live ${uniqueName("")}`);
    const a = await pageFor(alice);
    const b = await pageFor(bob);
    await openRoom(a.page, room.slug);
    await openRoom(b.page, room.slug);

    // Presence: both online, with a count, on both sides.
    for (const { page } of [a, b]) {
      await page.locator(".members-count", { hasText: "2 online" }).waitFor();
      const names = await page.locator(".members .member-name").allTextContents();
      assert.deepEqual(names.sort(), [alice.user.username, bob.user.username].sort());
    }

    // Typing shows on the other side only, and goes when the message arrives; its line is
    // reserved, so the composer does not move when it appears.
    const composerTop = () => b.page.locator("form.composer").evaluate((el) => el.getBoundingClientRect().top);
    const before = await composerTop();
    await a.page.locator("textarea.composer-input").pressSequentially("hi bob");
    await b.page.locator(".typing", { hasText: `${alice.user.username} is typing…` }).waitFor();
    assert.equal(await composerTop(), before, "the composer stays put when 'is typing' appears");
    assert.equal(await a.page.locator(".typing").textContent(), "");
    await a.page.locator("textarea.composer-input").press("Enter");
    await b.page.locator(".message[data-id]", { hasText: "hi bob" }).waitFor();
    await b.page.locator(".typing", { hasText: "is typing" }).waitFor({ state: "detached" }).catch(() => {});
    assert.equal(await b.page.locator(".typing").textContent(), "");

    await sendMessage(b.page, "hello alice");
    await sendMessage(b.page, "how are things?");
    await a.page.locator(".message[data-id]", { hasText: "how are things?" }).waitFor();

    // Both see the same conversation: authors, grouping, and which messages are their own.
    const seenByA = await messagesOf(a.page);
    const seenByB = await messagesOf(b.page);
    assert.deepEqual(seenByA.map((m) => [m.text, m.author, m.start]), [
      ["hi bob", alice.user.username, true],
      ["hello alice", bob.user.username, true],
      ["how are things?", bob.user.username, false],
    ]);
    assert.deepEqual(seenByA.map((m) => m.id), seenByB.map((m) => m.id));
    assert.deepEqual(seenByA.map((m) => m.mine), [true, false, false]);
    assert.deepEqual(seenByB.map((m) => m.mine), [false, true, true]);

    // Bob leaves: Alice sees one online.
    await b.page.close();
    await a.page.locator(".members-count", { hasText: "1 online" }).waitFor();
    assert.deepEqual(a.problems, []);
  });

  test("the room list updates live when someone creates a room", async () => {
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const a = await pageFor(alice);
    const b = await pageFor(bob);
    await a.page.goto("/");
    await b.page.goto("/");
    await b.page.getByRole("link", { name: "Lobby" }).waitFor();

    const name = `Fresh ${uniqueName("")}`;
    await a.page.getByRole("button", { name: "New room" }).click();
    await a.page.getByLabel("Name").fill(name);
    await a.page.getByRole("button", { name: "Create room" }).click();
    await a.page.getByRole("heading", { name }).waitFor();

    await b.page.getByRole("link", { name }).waitFor();
    const names = await b.page.locator(".room-list .room-link-name").allTextContents();
    assert.deepEqual(names, [...names].sort((x, y) => x.localeCompare(y, undefined, { sensitivity: "base" })), "ordered by name");
  });

  test("a message appears at once as sending, then stored, never twice", async () => {
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Echo ${uniqueName("")}`);
    const a = await pageFor(alice);
    const sent = [];
    const received = [];
    a.page.on("websocket", (ws) => {
      ws.on("framesent", ({ payload }) => sent.push(JSON.parse(String(payload))));
      ws.on("framereceived", ({ payload }) => received.push(JSON.parse(String(payload))));
    });
    await openRoom(a.page, room.slug);

    // Pressing Enter shows the message in the same instant, as sending: the view renders in a
    // microtask, so before the next task (any reply from the server) and before the next paint.
    const shown = await a.page.evaluate(async () => {
      const box = document.querySelector("textarea.composer-input");
      box.value = "one at a time";
      box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
      for (let i = 0; i < 3; i++) await Promise.resolve();
      const last = [...document.querySelectorAll(".messages .message")].at(-1);
      return { text: last?.querySelector(".message-text")?.textContent, className: last?.className, status: last?.querySelector(".message-status")?.textContent };
    });
    assert.equal(shown.text, "one at a time");
    assert.match(shown.className, /\bis-sending\b/);
    assert.match(shown.status, /Sending/);

    // Then the reply and the broadcast both come, and the one row becomes the stored message.
    await a.page.locator(".message[data-id]", { hasText: "one at a time" }).waitFor();
    await waitUntil(() => received.some(([, ref, , event]) => event === "new_msg" && ref === null), { message: "the broadcast" });
    await a.page.waitForTimeout(200);
    const rows = await messagesOf(a.page);
    assert.equal(rows.length, 1, "the broadcast did not add a second copy");
    assert.equal(rows[0].state, "stored");
    const pushes = sent.filter(([, , , event]) => event === "new_msg");
    assert.equal(pushes.length, 1);
    assert.match(pushes[0][4].client_id, /\S/);
  });

  test("offline and back: the 5 messages sent meanwhile appear once, in order", async () => {
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, `Flaky ${uniqueName("")}`);
    const a = await pageFor(alice);
    const b = await pageFor(bob);
    await openRoom(a.page, room.slug);
    await openRoom(b.page, room.slug);
    await sendMessage(a.page, "before");
    await b.page.locator(".message[data-id]", { hasText: "before" }).waitFor();

    await b.context.setOffline(true);
    await b.page.locator(".banner.visible", { hasText: /offline|reconnecting/i }).waitFor();
    // Bob writes while offline: it waits, and goes out once he is back.
    await sendMessage(b.page, "written offline");
    await b.page.locator(".message.is-queued", { hasText: "written offline" }).waitFor();
    await screenshot(b.page, "room-offline");

    for (let i = 1; i <= 5; i++) {
      await sendMessage(a.page, `missed ${i}`);
      await a.page.locator(".message[data-id]", { hasText: `missed ${i}` }).waitFor();
    }

    await b.context.setOffline(false);
    await b.page.locator(".message[data-id]", { hasText: "missed 5" }).waitFor({ timeout: 15_000 });
    await b.page.locator(".message[data-id]", { hasText: "written offline" }).waitFor();
    await b.page.locator(".banner.visible", { hasText: /offline|reconnecting/i }).waitFor({ state: "detached" });

    const expected = ["before", "missed 1", "missed 2", "missed 3", "missed 4", "missed 5", "written offline"];
    const seen = (await messagesOf(b.page)).map((m) => m.text);
    assert.deepEqual(seen, expected);
    await a.page.locator(".message[data-id]", { hasText: "written offline" }).waitFor();
    assert.deepEqual((await messagesOf(a.page)).map((m) => m.text), expected);

    // The server stored Bob's offline message once.
    const response = await fetch(`${server.httpUrl}/api/rooms/${room.slug}/messages`);
    const { messages } = await response.json();
    assert.deepEqual(messages.map((m) => m.content), expected);
    assert.deepEqual(b.problems, []);
  });

  test("a long absence: more missed than one catch-up holds still arrives once, in order", async () => {
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, `Away ${uniqueName("")}`);
    const b = await pageFor(bob);
    await openRoom(b.page, room.slug);
    await postMessage(server, alice.token, room.slug, "first");
    await b.page.locator(".message[data-id]", { hasText: "first" }).waitFor();

    await b.context.setOffline(true);
    await b.page.locator(".banner.visible").waitFor();
    // The join's catch-up brings at most 500; the rest comes after it.
    const missed = 530;
    for (let i = 1; i <= missed; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, missed - i + 1) }, (_, k) => k + i)
        .map((n) => postMessage(server, alice.token, room.slug, `away ${n}`, `away-${n}`)));
    }
    await b.context.setOffline(false);
    await b.page.locator(".message[data-id]", { hasText: `away ${missed}` }).waitFor({ timeout: 30_000 });
    await postMessage(server, alice.token, room.slug, "welcome back");
    await b.page.locator(".message[data-id]", { hasText: "welcome back" }).waitFor();

    const shown = await messagesOf(b.page);
    const { messages: stored } = await (await fetch(`${server.httpUrl}/api/rooms/${room.slug}/messages?limit=100`)).json();
    assert.equal(shown.length, missed + 2);
    assert.equal(new Set(shown.map((m) => m.id)).size, shown.length, "no duplicates");
    const ids = shown.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), "in id order");
    assert.deepEqual(shown.slice(-100).map((m) => m.id), stored.map((m) => m.id), "no gaps at the end");
    assert.equal(shown.at(-1).text, "welcome back");
  });

  test("unread counts from the server: live on rooms read before, kept over a reload, cleared by reading", async () => {
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const quiet = await createRoom(server, alice.token, `Quiet ${uniqueName("")}`);
    const busy = await createRoom(server, alice.token, `Busy ${uniqueName("")}`);
    // A room is followed from its first read message on (an empty room has none to mark).
    await postMessage(server, alice.token, busy.slug, "welcome to Busy");
    const a = await pageFor(alice);
    const b = await pageFor(bob);
    await openRoom(a.page, busy.slug);

    // Bob has read Busy, then moved to Quiet.
    await openRoom(b.page, busy.slug);
    await b.page.getByRole("link", { name: quiet.name }).click();
    await b.page.getByRole("heading", { name: quiet.name }).waitFor();

    for (let i = 1; i <= 3; i++) await sendMessage(a.page, `news ${i}`);
    const busyLink = b.page.locator(`.room-link[data-slug="${busy.slug}"]`);
    await busyLink.locator(".badge", { hasText: "3" }).waitFor();
    await screenshot(b.page, "unread-badge");
    // The title follows the badge in an effect after the render: wait for it, not for a frame.
    await waitUntil(async () => (await b.page.title()) === `(3) #${quiet.name} · Chat`, { message: "the title to count 3" });
    // A room never read shows no count.
    assert.equal(await b.page.locator(".room-link", { hasText: "Lobby" }).locator(".badge").count(), 0);

    // The count survives a reload (the server keeps the read marker)...
    await b.page.reload();
    await busyLink.locator(".badge", { hasText: "3" }).waitFor();
    // ...and reading the room clears it, for good.
    await busyLink.click();
    await b.page.locator(".message[data-id]", { hasText: "news 3" }).waitFor();
    await b.page.locator(".new-marker").waitFor();
    await b.page.getByRole("link", { name: quiet.name }).click();
    await b.page.getByRole("heading", { name: quiet.name }).waitFor();
    assert.equal(await busyLink.locator(".badge").count(), 0);
    await sendMessage(a.page, "news 4");
    await busyLink.locator(".badge", { hasText: "1" }).waitFor();
    await b.page.reload();
    await busyLink.locator(".badge", { hasText: "1" }).waitFor();
  });
});
