// History and content: a reload keeps it, scrolling up loads older pages without moving what is
// on screen, content is only ever text, and failed sends say why and retry with the same client_id.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createRoom, createUser, launchBrowser, messagesOf, openRoom, postMessage, screenshot,
  sendMessage, signedInContext, startServer, uniqueName, waitUntil, watchPage,
} from "./support/browser.js";

describe("history and content", { timeout: 600_000 }, () => {
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

  async function pageFor(account, options) {
    const context = await signedInContext(browser, server, account, options);
    contexts.push(context);
    const page = await context.newPage();
    return { context, page, problems: watchPage(page) };
  }

  /** Many messages, from a few users (each stays under the rate limit). */
  async function seed(room, count) {
    const writers = await Promise.all([1, 2, 3, 4].map(() => createUser(server, "seed")));
    for (let i = 1; i <= count; i++) {
      const writer = writers[Math.floor((i - 1) / 3) % writers.length];
      await postMessage(server, writer.token, room.slug, `seeded message ${i}`);
    }
  }

  test("a reload keeps the history", async () => {
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Memory ${uniqueName("")}`);
    const { page } = await pageFor(alice);
    await openRoom(page, room.slug);
    for (const text of ["one", "two", "three"]) await sendMessage(page, text);
    await page.locator(".message[data-id]", { hasText: "three" }).waitFor();
    const before = await messagesOf(page);

    await page.reload();
    await page.locator(".message[data-id]", { hasText: "three" }).waitFor();
    const afterReload = await messagesOf(page);
    assert.deepEqual(afterReload.map((m) => [m.id, m.text, m.author]), before.map((m) => [m.id, m.text, m.author]));
    assert.deepEqual(afterReload.map((m) => m.text), ["one", "two", "three"]);
  });

  test("scrolling up loads older messages and keeps the scroll position steady", async () => {
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Long ${uniqueName("")}`);
    const total = 130;
    await seed(room, total);
    const { page } = await pageFor(alice, { viewport: { width: 1280, height: 720 } });
    await openRoom(page, room.slug);
    await page.locator(".message[data-id]", { hasText: `seeded message ${total}` }).waitFor();

    // Starts at the bottom, with the newest page loaded.
    const timeline = page.locator(".timeline");
    const atStart = await timeline.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(atStart < 5, `starts scrolled to the bottom (${atStart}px above it)`);
    const firstPage = await messagesOf(page);
    assert.ok(firstPage.length < total, "not everything at once");

    // Scroll to the top, page by page, like a reader: the text that was at the top stays
    // exactly where it was while the older page is put above it. (Its row may lose its
    // author line, when the older page ends with the same author: the text still stays.)
    for (let round = 0; round < 10; round++) {
      const before = await timeline.evaluate((el) => {
        const first = el.querySelector(".message[data-id]");
        el.scrollTop = 0;
        const y = first.querySelector(".message-text").getBoundingClientRect().top;
        return { id: first.dataset.id, y, count: el.querySelectorAll(".message[data-id]").length };
      });
      await page.waitForFunction(
        (count) => document.querySelectorAll(".timeline .message[data-id]").length > count || document.querySelector(".room-intro"),
        before.count,
      );
      await page.waitForFunction(() => document.querySelector(".timeline").getAttribute("aria-busy") === "false");
      const y = await page.evaluate((id) => document.querySelector(`.message[data-id="${id}"] .message-text`).getBoundingClientRect().top, before.id);
      assert.ok(Math.abs(y - before.y) <= 2, `the message on screen moved by ${y - before.y}px when older ones loaded`);
      if (await page.locator(".room-intro").count()) break;
    }
    await page.locator(".room-intro").waitFor();
    const all = await messagesOf(page);
    assert.equal(all.length, total);
    assert.deepEqual(all.map((m) => m.text), Array.from({ length: total }, (_, i) => `seeded message ${i + 1}`));
    assert.equal(new Set(all.map((m) => m.id)).size, total, "no duplicates");
  });

  test("content renders as text: XSS strings show literally, and no dialog opens", async () => {
    const alice = await createUser(server, "alice");
    const payloads = [
      "<img src=x onerror=alert(1)>",
      "<script>alert(document.cookie)</script>",
      "\"><svg onload=alert(2)>",
      "<a href=\"javascript:alert(3)\">click me</a>",
      "javascript:alert(4)",
      "<iframe srcdoc=\"<script>parent.alert(5)</script>\"></iframe>",
      "{{constructor.constructor('alert(6)')()}}",
      "&lt;b&gt;entities stay as typed&lt;/b&gt;",
    ];
    const roomName = "<img src=x onerror=alert('room')>";
    const room = await createRoom(server, alice.token, roomName, "<b onmouseover=alert('desc')>description</b>");
    const { page, problems } = await pageFor(alice);
    await openRoom(page, room.slug);
    for (const text of payloads) await sendMessage(page, text);
    await page.locator(".message[data-id]").nth(payloads.length - 1).waitFor();

    const shown = await messagesOf(page);
    assert.deepEqual(shown.map((m) => m.text), payloads);
    assert.equal(await page.locator(".timeline img, .timeline script, .timeline svg:not(.icon), .timeline iframe, .timeline a[href^='javascript']").count(), 0);
    assert.equal(await page.locator(".room-title").textContent(), `#${roomName}`);
    assert.equal(await page.locator(".room-description").textContent(), "<b onmouseover=alert('desc')>description</b>");
    assert.equal(await page.locator(`.room-link[data-slug="${room.slug}"] .room-link-name`).textContent(), roomName);
    await page.locator(".room-description").hover();
    await page.reload();
    await page.locator(".message[data-id]").nth(payloads.length - 1).waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(problems, []);
  });

  test("a message that is too long says so and can be edited", async () => {
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Limits ${uniqueName("")}`);
    const { page } = await pageFor(alice);
    await openRoom(page, room.slug);
    await sendMessage(page, "x".repeat(4001));
    const failed = page.locator(".message.is-failed");
    await failed.getByRole("alert").filter({ hasText: /too long/i }).waitFor();
    await failed.getByRole("button", { name: "Edit" }).click();
    assert.equal((await page.locator("textarea.composer-input").inputValue()).length, 4001);
    assert.equal(await page.locator(".message.is-failed").count(), 0);
  });
});

// A server of its own, with a small rate limit, so a burst from the page runs into it.
describe("failed sends", { timeout: 600_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ Chat__RateLimit__Burst: "4", Chat__RateLimit__MessagesPerSecond: "0.5" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  test("a rate-limited send says why, and its retry reuses the client_id", async () => {
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Burst ${uniqueName("")}`);
    const context = await signedInContext(browser, server, alice);
    const page = await context.newPage();
    const pushes = [];
    page.on("websocket", (ws) => ws.on("framesent", ({ payload }) => {
      const frame = JSON.parse(String(payload));
      if (frame[3] === "new_msg") pushes.push(frame[4]);
    }));
    await openRoom(page, room.slug);

    // Send quickly until the server says no.
    const failed = page.locator(".message.is-failed");
    for (let i = 1; i <= 60 && (await failed.count()) === 0; i++) {
      await sendMessage(page, `burst ${i}`);
    }
    await failed.first().getByRole("alert").filter({ hasText: /too fast/i }).waitFor();
    await screenshot(page, "send-rate-limited");
    const text = await failed.first().locator(".message-text").textContent();
    const firstTry = pushes.filter((p) => p.content === text);
    assert.equal(firstTry.length, 1);

    // Retry until the limit lets it through; every retry carries the same client_id.
    await waitUntil(async () => {
      const row = (await messagesOf(page)).find((m) => m.text === text);
      if (row?.state === "stored") return true;
      if (row?.state === "failed") {
        await failed.filter({ has: page.locator(".message-text", { hasText: new RegExp(`^${text}$`) }) })
          .getByRole("button", { name: "Retry" }).click();
      }
      await page.waitForTimeout(1000);
      return false;
    }, { timeout: 60_000, interval: 10, message: "the retry to go through" });
    const tries = pushes.filter((p) => p.content === text);
    assert.ok(tries.length >= 2);
    assert.equal(new Set(tries.map((p) => p.client_id)).size, 1, "the same client_id on every try");
    assert.equal((await messagesOf(page)).filter((m) => m.text === text).length, 1);
    await context.close();
  });
});
