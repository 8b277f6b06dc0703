// After a message is sent (CONTRACT.md §4), with two people in two browser contexts: editing
// (also with ↑ in the empty composer) and deleting one's own messages, reactions through the
// picker and the chips, and none of it missed by someone who was offline meanwhile.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  browserSuite, createRoom, createUser, messagesOf, openRoom, screenshot, sendMessage, uniqueName, waitUntil,
} from "./support/browser.js";

const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe("edits, deletes and reactions", { timeout: 600_000 }, () => {
  const suite = browserSuite();

  async function twoInARoom(bobOptions) {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, `Changes ${uniqueName("")}`);
    const a = await suite.pageFor(alice);
    const b = await suite.pageFor(bob, bobOptions);
    await openRoom(a.page, room.slug);
    await openRoom(b.page, room.slug);
    return { alice, bob, room, a, b };
  }

  const row = (page, text) => page.locator(".message[data-id]", { hasText: text });

  async function storedMessages(slug) {
    const response = await fetch(`${suite.server.httpUrl}/api/rooms/${slug}/messages`);
    return (await response.json()).messages;
  }

  test("edit and delete one's own messages: live for the other, and after a reload", async () => {
    const { room, a, b } = await twoInARoom({ colorScheme: "dark" });
    await sendMessage(a.page, "helo wrld");
    await sendMessage(a.page, "oops, wrong room");
    await row(b.page, "oops, wrong room").waitFor();

    // Bob may react to Alice's messages, never edit or delete them.
    await row(b.page, "helo wrld").hover();
    await row(b.page, "helo wrld").getByRole("button", { name: "Add reaction" }).first().waitFor();
    assert.equal(await row(b.page, "helo wrld").getByRole("button", { name: /Edit message|Delete message/ }).count(), 0);

    // Edit from the message's toolbar: the editor opens with the text, Enter saves.
    await row(a.page, "helo wrld").hover();
    await row(a.page, "helo wrld").getByRole("button", { name: "Edit message" }).click();
    const editor = a.page.getByRole("textbox", { name: "Edit message" });
    assert.equal(await editor.inputValue(), "helo wrld");
    assert.ok(await editor.evaluate((el) => el === document.activeElement), "the editor has focus");
    await screenshot(a.page, "edit-desktop-light");
    await editor.fill("hello world");
    await editor.press("Enter");
    await a.page.locator(".message .edited").waitFor();
    await row(b.page, "hello world").locator(".edited").waitFor();
    assert.match(await row(b.page, "hello world").locator(".edited").getAttribute("title"), /^Edited /);
    assert.ok(await a.page.locator("textarea.composer-input").evaluate((el) => el === document.activeElement), "focus is back in the composer");

    // ↑ in the empty composer edits the user's last message; Escape gives up and changes nothing.
    await a.page.locator("textarea.composer-input").press("ArrowUp");
    assert.equal(await editor.inputValue(), "oops, wrong room");
    await editor.press("Escape");
    await editor.waitFor({ state: "detached" });
    assert.equal((await messagesOf(a.page)).at(-1).text, "oops, wrong room");

    // Delete, after a question.
    await row(a.page, "oops, wrong room").hover();
    await row(a.page, "oops, wrong room").getByRole("button", { name: "Delete message" }).click();
    const dialog = a.page.getByRole("dialog", { name: "Delete message?" });
    await dialog.waitFor();
    await screenshot(a.page, "delete-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await row(a.page, "oops, wrong room").waitFor();
    await row(a.page, "oops, wrong room").hover();
    await row(a.page, "oops, wrong room").getByRole("button", { name: "Delete message" }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await row(a.page, "oops, wrong room").waitFor({ state: "detached" });
    await row(b.page, "oops, wrong room").waitFor({ state: "detached" });
    await screenshot(b.page, "edited-desktop-dark");

    // The server agrees, and a reload shows the same.
    const stored = await storedMessages(room.slug);
    assert.deepEqual(stored.filter((m) => !m.deleted).map((m) => m.content), ["hello world"]);
    assert.ok(stored[0].edited_at);
    await b.page.reload();
    await row(b.page, "hello world").locator(".edited").waitFor();
    assert.deepEqual((await messagesOf(b.page)).map((m) => m.text), ["hello world"]);
  });

  test("reactions: the picker, one click to add or take back, and who reacted", async () => {
    const { alice, bob, room, a, b } = await twoInARoom();
    await sendMessage(b.page, "Ship it?");
    await row(a.page, "Ship it?").waitFor();

    // The picker opens by the message with focus in it; arrows move, Enter picks.
    await row(a.page, "Ship it?").hover();
    await row(a.page, "Ship it?").getByRole("toolbar").getByRole("button", { name: "Add reaction" }).click();
    const picker = a.page.getByRole("dialog", { name: "Add a reaction" });
    await picker.waitFor();
    assert.equal(await a.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "thumbs up");
    await screenshot(a.page, "reaction-picker");
    await a.page.keyboard.press("ArrowRight");
    assert.equal(await a.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "heart");
    await a.page.keyboard.press("ArrowLeft");
    await a.page.keyboard.press("Enter");
    await picker.waitFor({ state: "detached" });

    const chip = (page) => row(page, "Ship it?").locator(".reaction", { hasText: "👍" });
    await chip(b.page).waitFor();
    assert.equal(await chip(a.page).getAttribute("aria-pressed"), "true");
    assert.equal(await chip(b.page).getAttribute("aria-pressed"), "false");
    assert.equal(await chip(b.page).getAttribute("title"), `${alice.user.username} reacted with thumbs up`);

    // Bob adds his with one click on the chip; the count and the names follow on both sides.
    await chip(b.page).click();
    await chip(a.page).locator(".reaction-count", { hasText: "2" }).waitFor();
    assert.equal(await chip(a.page).getAttribute("title"), `you and ${bob.user.username} reacted with thumbs up`);
    assert.equal(await chip(b.page).getAttribute("title"), `${alice.user.username} and you reacted with thumbs up`);
    await screenshot(b.page, "reactions");

    // Alice takes hers back with one click.
    await chip(a.page).click();
    await chip(b.page).locator(".reaction-count", { hasText: "1" }).waitFor();
    assert.equal(await chip(a.page).getAttribute("aria-pressed"), "false");
    const [message] = await storedMessages(room.slug);
    assert.deepEqual(message.reactions, { "👍": [bob.user.id] });

    // Her recent emoji come first next time; Escape closes the picker and focus goes back.
    const addButton = row(a.page, "Ship it?").locator(".reactions").getByRole("button", { name: "Add reaction" });
    await addButton.click();
    await picker.getByRole("group", { name: "Recent" }).getByRole("button", { name: "thumbs up" }).waitFor();
    await a.page.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });
    assert.ok(await addButton.evaluate((el) => el === document.activeElement), "focus went back to the button");
  });

  test("someone offline meanwhile gets every edit, delete and reaction on rejoin", async () => {
    const { room, a, b } = await twoInARoom(phone);
    for (const text of ["first", "second", "third"]) await sendMessage(a.page, text);
    await row(b.page, "third").waitFor();

    await b.context.setOffline(true);
    await b.page.locator(".banner.visible").waitFor();
    const [first, second, third] = await storedMessages(room.slug);
    const api = async (method, path, body) => {
      const response = await fetch(`${suite.server.httpUrl}/api/rooms/${room.slug}/messages/${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${a.token}` },
        body: body ? JSON.stringify(body) : undefined,
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status}`);
    };
    a.token = JSON.parse(await a.page.evaluate(() => localStorage.getItem("chat.session"))).token;
    await api("PATCH", first.id, { content: "first, edited" });
    await api("DELETE", second.id);
    await api("PUT", `${third.id}/reactions/${encodeURIComponent("🎉")}`);

    await b.context.setOffline(false);
    await row(b.page, "first, edited").waitFor({ timeout: 15_000 });
    await row(b.page, "second").waitFor({ state: "detached" });
    await row(b.page, "third").locator(".reaction", { hasText: "🎉" }).waitFor();
    assert.deepEqual((await messagesOf(b.page)).map((m) => m.text), ["first, edited", "third"]);
    await screenshot(b.page, "changes-mobile");
    const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    await waitUntil(async () => (await b.page.locator(".banner.visible").count()) === 0, { message: "the banner to go" });
  });

  test("the keyboard: arrows through messages, and R, E and Delete on one", async () => {
    const { a, b } = await twoInARoom();
    await sendMessage(b.page, "from bob");
    await sendMessage(a.page, "first of mine");
    await sendMessage(a.page, "second of mine");
    await row(a.page, "second of mine").waitFor();
    await row(a.page, "from bob").waitFor();

    // Tab does not walk through every message's buttons: from the timeline, arrows do.
    const timeline = a.page.getByRole("log");
    await timeline.focus();
    await a.page.keyboard.press("ArrowUp");
    const focused = () => a.page.evaluate(() => document.activeElement?.querySelector(".message-text")?.textContent);
    assert.equal(await focused(), "second of mine");
    await a.page.keyboard.press("ArrowUp");
    assert.equal(await focused(), "first of mine");
    await a.page.keyboard.press("Home");
    assert.equal(await focused(), "from bob");
    // E does nothing on someone else's message; R opens the picker there.
    await a.page.keyboard.press("e");
    assert.equal(await a.page.getByRole("textbox", { name: "Edit message" }).count(), 0);
    await a.page.keyboard.press("r");
    await a.page.getByRole("dialog", { name: "Add a reaction" }).waitFor();
    await a.page.keyboard.press("Enter");
    await row(b.page, "from bob").locator(".reaction", { hasText: "👍" }).waitFor();

    // E on one's own message edits it; Delete asks, then deletes.
    await timeline.focus();
    await a.page.keyboard.press("ArrowUp");
    await a.page.keyboard.press("e");
    const editor = a.page.getByRole("textbox", { name: "Edit message" });
    await editor.fill("second of mine, edited");
    await editor.press("Enter");
    await row(b.page, "second of mine, edited").locator(".edited").waitFor();
    await timeline.focus();
    await a.page.keyboard.press("ArrowUp");
    await a.page.keyboard.press("ArrowUp");
    assert.equal(await focused(), "first of mine");
    await a.page.keyboard.press("Delete");
    await a.page.getByRole("dialog", { name: "Delete message?" }).getByRole("button", { name: "Delete" }).click();
    await row(b.page, "first of mine").waitFor({ state: "detached" });
    assert.deepEqual((await messagesOf(b.page)).map((m) => m.text), ["from bob", "second of mine, edited"]);
  });
});
