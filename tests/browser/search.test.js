// Search (CONTRACT.md §6) in the app: Ctrl+K to the field, results grouped by room with the words
// marked, the keyboard through them, and a result that opens its message in its room with the
// history around it loaded.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  browserSuite, createRoom, createUser, messagesOf, openRoom, postMessage, screenshot, uniqueName,
} from "./support/browser.js";

const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe("search", { timeout: 600_000 }, () => {
  const suite = browserSuite();

  test("Ctrl+K, results grouped by room with the words marked, and a click that opens the message in its history", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const word = `zebra${uniqueName("").toLowerCase()}`;
    const old = await createRoom(server, alice.token, `Archive ${uniqueName("")}`);
    const other = await createRoom(server, bob.token, `Elsewhere ${uniqueName("")}`);
    // The message to find lies far back in a long history: opening it needs the history around it.
    const target = await postMessage(server, alice.token, old.slug, `The Crème brûlée recipe for ${word}s is pinned`);
    for (let i = 1; i <= 120; i++) await postMessage(server, i % 2 ? bob.token : alice.token, old.slug, `later chatter ${i}`);
    await postMessage(server, bob.token, other.slug, `No ${word.toUpperCase()} here, only a CREME tart`);

    const { page, problems } = await suite.pageFor(alice);
    await openRoom(page, other.slug);
    await page.keyboard.press("Control+k");
    const field = page.getByRole("searchbox", { name: "Search messages" });
    assert.ok(await field.evaluate((el) => el === document.activeElement), "Ctrl+K focuses the search field");
    // Accents and case do not matter, and the last word is a prefix.
    await field.fill(`creme ${word.slice(0, -2)}`);
    await page.locator(".search-status", { hasText: "2 messages in 2 rooms" }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get("q"), `creme ${word.slice(0, -2)}`);

    const groups = await page.locator(".search-group").evaluateAll((sections) => sections.map((section) => ({
      room: section.querySelector(".search-room").textContent,
      hits: [...section.querySelectorAll(".search-hit")].map((hit) => ({
        text: hit.querySelector(".search-snippet").textContent,
        marked: [...hit.querySelectorAll("mark")].map((mark) => mark.textContent),
      })),
    })));
    // Newest first: the other room's message came last.
    assert.deepEqual(groups, [
      { room: `#${other.name}`, hits: [{ text: `No ${word.toUpperCase()} here, only a CREME tart`, marked: [word.toUpperCase(), "CREME"] }] },
      { room: `#${old.name}`, hits: [{ text: `The Crème brûlée recipe for ${word}s is pinned`, marked: ["Crème", `${word}s`] }] },
    ]);
    await screenshot(page, "search-desktop");

    // ↓ from the field into the results, Enter opens one.
    await field.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.id), String(target.id));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: old.name }).waitFor();
    const found = page.locator(`.message[data-id="${target.id}"]`);
    await found.waitFor();
    assert.ok(await found.evaluate((el) => el.classList.contains("is-highlighted") && el === document.activeElement));
    const box = await found.boundingBox();
    const timeline = await page.locator(".timeline").boundingBox();
    assert.ok(box.y >= timeline.y && box.y + box.height <= timeline.y + timeline.height, "the message is on screen");
    // The history around it, not the newest page: and the way back to the present.
    const shown = await messagesOf(page);
    assert.ok(shown.some((m) => m.text === "later chatter 1"));
    assert.ok(!shown.some((m) => m.text === "later chatter 120"));
    await screenshot(page, "search-result-opened");
    await page.getByRole("button", { name: "Jump to the newest messages" }).click();
    await page.locator(".message[data-id]", { hasText: "later chatter 120" }).waitFor();

    // Back returns to the results.
    await page.goBack();
    await page.locator(".search-hit").first().waitFor();
    assert.deepEqual(problems, []);
  });

  test("on a phone, in the dark, and with nothing found", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const room = await createRoom(server, alice.token, `Pocket ${uniqueName("")}`);
    const word = `walrus${uniqueName("").toLowerCase()}`;
    await postMessage(server, alice.token, room.slug, `A ${word} on the beach`);
    const { page } = await suite.pageFor(alice, { ...phone, colorScheme: "dark" });
    await page.goto("/");
    // On a phone the results take the screen, so they wait for the Search key.
    await page.getByRole("searchbox", { name: "Search messages" }).fill(word);
    await page.getByRole("searchbox", { name: "Search messages" }).press("Enter");
    await page.locator(".search-hit").first().waitFor();
    await screenshot(page, "search-mobile-dark");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    await page.locator(".search-hit").first().click();
    await page.locator(".message.is-highlighted", { hasText: word }).waitFor();

    await page.goto(`/?q=${encodeURIComponent(`${word}x nothing`)}`);
    await page.locator(".search-status", { hasText: "No messages match" }).waitFor();
  });
});
