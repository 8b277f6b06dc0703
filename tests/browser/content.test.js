// Message content on screen: links and light formatting built as DOM nodes (never as HTML), the
// XSS strings that try to slip through them, and pending sends that are confirmed only by
// their own reply.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  browserSuite, createRoom, createUser, messagesOf, openRoom, postMessage, screenshot, sendMessage, uniqueName, waitUntil,
} from "./support/browser.js";

describe("message content", { timeout: 600_000 }, () => {
  const suite = browserSuite();
  const pageFor = (account, options) => suite.pageFor(account, options);

  /** The DOM of a message's text as a plain tree: [tag, attributes, ...children] or a string. */
  function treeOf(page, text) {
    return page.locator(".message[data-id]", { hasText: text }).last().locator(".message-text").evaluate((root) => {
      const walk = (node) => {
        if (node.nodeType === Node.TEXT_NODE) return node.data;
        const attributes = Object.fromEntries([...node.attributes].map((a) => [a.name, a.value]));
        return [node.localName, attributes, ...[...node.childNodes].map(walk)];
      };
      return [...root.childNodes].map(walk);
    });
  }

  test("links and formatting are DOM nodes, in light and dark and on a phone", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, `Formats ${uniqueName("")}`);
    const a = await pageFor(alice);
    const b = await pageFor(bob, { colorScheme: "dark" });
    await openRoom(a.page, room.slug);
    await openRoom(b.page, room.slug);

    const health = `${server.httpUrl}/healthz`;
    await sendMessage(a.page, `Docs at ${health}?a_b=1&c=(d). Thanks!`);
    await sendMessage(a.page, "*bold*, _italic_, *bold with _italic_ inside*, and `code with *stars*`");
    await sendMessage(a.page, "snake_case_name, 2*3*4, a_b_c and *not closed");
    await sendMessage(a.page, "Build it:\n```sh\nnpm ci && npm run build\necho \"<b>done</b>\" *ok*\n```\nthen reload");
    await sendMessage(a.page, `Hey @${bob.user.username}, see (${health}) and @nobody-here`);
    await b.page.locator(".message[data-id]", { hasText: "then reload" }).waitFor();
    await b.page.locator(".message[data-id]", { hasText: "nobody-here" }).waitFor();

    for (const { page } of [a, b]) {
      assert.deepEqual(await treeOf(page, "Docs at"), [
        "Docs at ",
        ["a", { href: `${health}?a_b=1&c=(d)`, target: "_blank", rel: "noopener noreferrer nofollow" }, `${health}?a_b=1&c=(d)`],
        ". Thanks!",
      ]);
      assert.deepEqual(await treeOf(page, "italic inside"), [
        ["strong", {}, "bold"],
        ", ",
        ["em", {}, "italic"],
        ", ",
        ["strong", {}, "bold with ", ["em", {}, "italic"], " inside"],
        ", and ",
        ["code", { class: "inline-code" }, "code with *stars*"],
      ]);
      assert.deepEqual(await treeOf(page, "snake_case_name"), ["snake_case_name, 2*3*4, a_b_c and *not closed"]);
      assert.deepEqual(await treeOf(page, "then reload"), [
        "Build it:",
        ["pre", { class: "code-block" }, ["code", {}, "npm ci && npm run build\necho \"<b>done</b>\" *ok*"]],
        "then reload",
      ]);
    }
    // Bob's name is highlighted as a mention of him on his side; a name that is nobody's is still a mention.
    assert.deepEqual(await treeOf(b.page, "nobody-here"), [
      "Hey ",
      ["span", { class: "mention mention-me" }, `@${bob.user.username}`],
      ", see (",
      ["a", { href: health, target: "_blank", rel: "noopener noreferrer nofollow" }, health],
      ") and ",
      ["span", { class: "mention" }, "@nobody-here"],
    ]);
    assert.equal(await a.page.locator(".message .mention-me").count(), 0);

    // A link opens in a new tab that cannot reach back into the chat.
    const [popup] = await Promise.all([
      b.context.waitForEvent("page"),
      b.page.locator(".message-text a", { hasText: "Docs" }).or(b.page.locator(".message-text a").first()).first().click(),
    ]);
    await popup.waitForLoadState();
    assert.equal(await popup.evaluate(() => window.opener), null);
    await popup.close();

    await screenshot(a.page, "formatting-desktop-light");
    await screenshot(b.page, "formatting-desktop-dark");
    const phone = await pageFor(bob, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await openRoom(phone.page, room.slug);
    await phone.page.locator(".message[data-id]", { hasText: "then reload" }).waitFor();
    await screenshot(phone.page, "formatting-mobile");
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `a code block made the page ${overflow}px wider than the phone`);
    for (const { problems } of [a, b, phone]) assert.deepEqual(problems, []);
  });

  test("XSS through formatting and links: nothing runs, no link but http(s)", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Hostile ${uniqueName("")}`);
    const { page, problems } = await pageFor(alice);
    await openRoom(page, room.slug);
    const payloads = [
      "https://x.test/\"><img src=x onerror=alert(1)>",
      "https://x.test/'onmouseover='alert(2)'",
      "javascript:alert(3)",
      "*javascript:alert(4)*",
      "[click](javascript:alert(5))",
      "JaVaScRiPt:alert(6)//https://x.test",
      "data:text/html,<script>alert(7)</script>",
      "_*<script>alert(8)</script>*_",
      "*_<img src=x onerror=alert(9)>_*",
      "```<svg onload=alert(10)>```",
      "`<iframe src=javascript:alert(11)>`",
      "@<img src=x onerror=alert(12)>",
      "https://x.test/`<script>alert(13)</script>`",
      "*https://x.test/*_<b>_*",
      "http://<script>alert(14)</script>",
    ];
    for (const text of payloads) await sendMessage(page, text);
    await page.locator(".message[data-id]").nth(payloads.length - 1).waitFor();

    // Every payload's characters are all there as text; only markers and fences were taken out.
    const shown = await messagesOf(page);
    const unformatted = (text) => text.replace(/```|[*_`]/g, "");
    assert.deepEqual(shown.map((m) => unformatted(m.text)), payloads.map(unformatted));
    assert.equal(await page.locator(".timeline img, .timeline script, .timeline iframe, .timeline svg:not(.icon), .timeline b").count(), 0);
    const links = await page.locator(".timeline .message-text a").evaluateAll((anchors) =>
      anchors.map((a) => ({ href: a.getAttribute("href"), names: a.getAttributeNames().sort() })));
    assert.ok(links.length >= 4, "the http(s) URLs became links");
    for (const link of links) {
      assert.match(link.href, /^https:\/\/x\.test\//);
      assert.deepEqual(link.names, ["href", "rel", "target"]);
    }
    // Nested markers made elements with the hostile text inside as text.
    assert.deepEqual(await treeOf(page, "alert(8)"), [["em", {}, ["strong", {}, "<script>alert(8)</script>"]]]);
    assert.deepEqual(await treeOf(page, "alert(10)"), [["pre", { class: "code-block" }, ["code", {}, "<svg onload=alert(10)>"]]]);
    await page.locator(".message-text a").first().hover();
    await page.reload();
    await page.locator(".message[data-id]").nth(payloads.length - 1).waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(problems, []);
  });

  test("the same words from the user's other tab never confirm this tab's send", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Twins ${uniqueName("")}`);
    const first = await pageFor(alice);
    const second = await pageFor(alice);

    // The first tab's sends are held on their way to the server until the test lets them go.
    const held = [];
    let upstream = null;
    await first.page.routeWebSocket(/\/socket\/websocket/, (ws) => {
      const server = ws.connectToServer();
      upstream = server;
      ws.onMessage((frame) => {
        if (JSON.parse(String(frame))[3] === "new_msg") held.push(frame);
        else server.send(frame);
      });
    });
    await openRoom(first.page, room.slug);
    await openRoom(second.page, room.slug);

    await sendMessage(first.page, "on my way");
    await first.page.locator(".message.is-sending", { hasText: "on my way" }).waitFor();
    await waitUntil(() => held.length === 1, { message: "the first tab's send to be held" });
    await sendMessage(second.page, "on my way");
    const fromSecond = second.page.locator(".message[data-id]", { hasText: "on my way" });
    await fromSecond.waitFor();
    const secondId = Number(await fromSecond.getAttribute("data-id"));

    // The first tab shows the other tab's message as stored, and its own send as still sending.
    await first.page.locator(`.message[data-id="${secondId}"]`).waitFor();
    assert.deepEqual((await messagesOf(first.page)).map((m) => [m.text, m.state, m.id]), [
      ["on my way", "stored", secondId],
      ["on my way", "sending", null],
    ]);
    await screenshot(first.page, "same-words-other-tab");

    // Let the first tab's send through: it becomes a second message of its own.
    for (const frame of held.splice(0)) upstream.send(frame);
    const rows = await waitUntil(async () => {
      const shown = await messagesOf(first.page);
      return shown.length === 2 && shown.every((m) => m.state === "stored") ? shown : null;
    }, { message: "the first tab's send to be stored" });
    assert.equal(rows[0].id, secondId);
    assert.ok(rows[1].id > secondId);
    const { messages } = await (await fetch(`${server.httpUrl}/api/rooms/${room.slug}/messages`)).json();
    assert.deepEqual(messages.map((m) => m.id), [secondId, rows[1].id]);
    assert.deepEqual(first.problems, []);
  });

  test("@ opens completion from the room's members and recent authors; the mention is highlighted for its target", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const carol = await createUser(server, "carol");
    const room = await createRoom(server, alice.token, `Mentions ${uniqueName("")}`);
    // Carol wrote earlier but is not here now: a recent author.
    await postMessage(server, carol.token, room.slug, "I'll be back later");
    const a = await pageFor(alice);
    const b = await pageFor(bob, { colorScheme: "dark" });
    await openRoom(a.page, room.slug);
    await openRoom(b.page, room.slug);
    await b.page.locator(".members-count", { hasText: "2 online" }).waitFor();

    const box = b.page.getByRole("textbox", { name: /^Message #/ });
    await box.pressSequentially("thanks @");
    const list = b.page.getByRole("listbox", { name: "People to mention" });
    await list.waitFor();
    // Those here now first, then recent authors; never the user.
    assert.deepEqual(await list.getByRole("option").allTextContents(), [`@${alice.user.username}`, `@${carol.user.username}`]);
    assert.equal(await box.getAttribute("aria-activedescendant"), await list.getByRole("option").first().getAttribute("id"));
    await box.press("ArrowDown");
    assert.equal(await list.getByRole("option", { selected: true }).textContent(), `@${carol.user.username}`);
    await box.press("Escape");
    await list.waitFor({ state: "detached" });

    // Typing narrows it; Enter (or Tab) inserts the name and a space.
    await box.pressSequentially(alice.user.username.slice(0, 3));
    await list.waitFor();
    assert.deepEqual(await list.getByRole("option").allTextContents(), [`@${alice.user.username}`]);
    await screenshot(b.page, "mention-completion-dark");
    await box.press("Enter");
    await list.waitFor({ state: "detached" });
    assert.equal(await box.inputValue(), `thanks @${alice.user.username} `);
    await box.pressSequentially("for the review");
    await box.press("Enter");

    const mention = a.page.locator(".message.mentions-me", { hasText: "for the review" });
    await mention.locator(".mention-me", { hasText: `@${alice.user.username}` }).waitFor();
    await screenshot(a.page, "mention-highlight");
    assert.equal(await b.page.locator(".message.mentions-me").count(), 0, "the author's own message is not a mention of them");
  });
});
