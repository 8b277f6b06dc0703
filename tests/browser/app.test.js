// The app's pages and flows: serving and security headers, signing up and in and out, creating
// a room, sending, deep links and history navigation, keyboard-only use, and the screenshots.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  contextOptions, createRoom, createUser, launchBrowser, messagesOf, openRoom, screenshot,
  sendMessage, signedInContext, startServer, uniqueName, watchPage,
} from "./support/browser.js";

describe("the web app", { timeout: 600_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  test("is served at / and /rooms/{slug} with a CSP that forbids inline script, and never shadows the API", async () => {
    for (const path of ["/", "/rooms/lobby", "/rooms/no-such-room"]) {
      const response = await fetch(`${server.httpUrl}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get("content-type"), /^text\/html/);
      const csp = response.headers.get("content-security-policy");
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      const html = await response.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script in index.html");
    }
    for (const path of ["/healthz", "/api/rooms", "/api/nothing-here", "/socket/websocket"]) {
      const response = await fetch(`${server.httpUrl}${path}`);
      assert.doesNotMatch(response.headers.get("content-type") ?? "", /text\/html/, path);
    }
  });

  test("sign up, create a room, send a message, sign out", async () => {
    const context = await browser.newContext({ ...contextOptions, baseURL: server.httpUrl });
    const page = await context.newPage();
    const problems = watchPage(page);
    const username = uniqueName("ada");

    await page.goto("/");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Create account" }).click();

    // Signed in: the lobby lists the rooms, Lobby among them.
    await page.getByRole("link", { name: "Lobby" }).waitFor();
    await page.locator(".me-name", { hasText: username }).waitFor();
    await screenshot(page, "lobby-desktop");

    await page.getByRole("button", { name: "New room" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a room" });
    const roomName = `Café Crème ${uniqueName("")}`;
    await dialog.getByLabel("Name").fill(roomName);
    await dialog.getByLabel("Description").fill("Coffee, and the talk that goes with it");
    await dialog.getByRole("button", { name: "Create room" }).click();

    // Lands in the new room, whose slug the server made from the name.
    await page.waitForURL(/\/rooms\/cafe-creme-/);
    await page.getByRole("heading", { name: roomName }).waitFor();
    await page.getByRole("link", { name: roomName }).waitFor();

    // The message list is a live region that screen readers follow.
    const log = page.getByRole("log", { name: `Messages in #${roomName}` });
    assert.equal(await log.getAttribute("aria-live"), "polite");

    await sendMessage(page, "Hello, room!");
    const message = page.locator(".message", { hasText: "Hello, room!" });
    await message.and(page.locator("[data-id]")).waitFor();
    const [shown] = await messagesOf(page);
    assert.equal(shown.text, "Hello, room!");
    assert.equal(shown.author, username);
    assert.equal(shown.mine, true, "own message is marked as own");
    assert.ok(await message.locator("time").getAttribute("datetime"));
    assert.equal(await message.locator(".you-tag").textContent(), "you");

    // A reload stays signed in, in the same room.
    await page.reload();
    await page.locator(".message[data-id]", { hasText: "Hello, room!" }).waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();

    // And signs in again.
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".message[data-id]", { hasText: "Hello, room!" }).waitFor();

    assert.deepEqual(problems, []);
    await context.close();
  });

  test("sign-in and sign-up errors are shown", async () => {
    const taken = await createUser(server, "taken");
    const context = await browser.newContext({ ...contextOptions, baseURL: server.httpUrl });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByLabel("Username").fill(taken.user.username);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: /invalid username or password/i }).waitFor();

    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Username").fill(taken.user.username.toUpperCase());
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("#username-error", { hasText: /taken/ }).waitFor();
    assert.equal(await page.getByLabel("Username").getAttribute("aria-invalid"), "true");
    await context.close();
  });

  test("deep links, and the browser's back and forward buttons", async () => {
    const owner = await createUser(server, "deep");
    const first = await createRoom(server, owner.token, `Deep one ${uniqueName("")}`);
    const second = await createRoom(server, owner.token, `Deep two ${uniqueName("")}`);
    const context = await signedInContext(browser, server, owner);
    const page = await context.newPage();

    await openRoom(page, first.slug);
    await page.getByRole("heading", { name: first.name }).waitFor();
    await page.getByRole("link", { name: second.name }).click();
    await page.getByRole("heading", { name: second.name }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/rooms/${second.slug}`);

    await page.goBack();
    await page.getByRole("heading", { name: first.name }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/rooms/${first.slug}`);
    await page.goForward();
    await page.getByRole("heading", { name: second.name }).waitFor();

    await page.goto("/rooms/there-is-no-such-room");
    await page.getByRole("heading", { name: "This room doesn't exist" }).waitFor();
    await page.getByRole("link", { name: "See all rooms" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await context.close();
  });

  test("keyboard only: sign in, open a room, Shift+Enter for a new line, Enter to send", async () => {
    const account = await createUser(server, "keys");
    const room = await createRoom(server, account.token, `Keys ${uniqueName("")}`);
    const context = await browser.newContext({ ...contextOptions, baseURL: server.httpUrl });
    const page = await context.newPage();
    await page.goto(`/rooms/${room.slug}`);

    // The sign-in form has focus on the username field.
    await page.getByLabel("Username").waitFor();
    await page.keyboard.type(account.user.username);
    await page.keyboard.press("Tab");
    await page.keyboard.type(account.password);
    await page.keyboard.press("Enter");

    // The deep link survives signing in, and the composer has focus.
    await page.getByRole("heading", { name: room.name }).waitFor();
    await page.waitForFunction(() => document.activeElement?.matches("textarea.composer-input"));
    await page.keyboard.type("first line");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second line");
    await page.keyboard.press("Enter");
    await page.locator(".message[data-id]", { hasText: "first line" }).waitFor();
    const [message] = await messagesOf(page);
    assert.equal(message.text, "first line\nsecond line");
    assert.equal(await page.locator("textarea.composer-input").inputValue(), "");

    // Tab from the composer's neighbourhood back to the room list and open the Lobby by keyboard.
    const lobbyLink = page.getByRole("link", { name: "Lobby" });
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Shift+Tab");
      reached = await lobbyLink.evaluate((el) => el === document.activeElement);
    }
    assert.ok(reached, "the Lobby link is reachable with the keyboard");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Lobby" }).waitFor();
    await page.waitForFunction(() => document.activeElement?.matches("textarea.composer-input"));

    // The new-room dialog, by keyboard: it opens with focus in it, and Escape closes it.
    const newRoom = page.getByRole("button", { name: "New room" });
    await newRoom.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.id === "new-room-name");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    await context.close();
  });

  test("screenshots of the main screens, light and dark, desktop and phone", async () => {
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, "Design reviews", "Screens, flows and the small details");
    const contexts = [];
    const open = async (account, options) => {
      const context = await signedInContext(browser, server, account, options);
      contexts.push(context);
      const page = await context.newPage();
      return page;
    };
    const alicePage = await open(alice);
    const bobPage = await open(bob);
    await openRoom(alicePage, room.slug);
    await openRoom(bobPage, room.slug);
    await sendMessage(alicePage, "Morning! The new sign-in screen is up for review.");
    await sendMessage(alicePage, "Two things I'd like eyes on:\n• the error states\n• the dark theme");
    await bobPage.locator(".message[data-id]", { hasText: "dark theme" }).waitFor();
    await sendMessage(bobPage, "Looking now. The spacing feels much calmer than before");
    await alicePage.locator(".message[data-id]", { hasText: "Looking now" }).waitFor();
    // Typing notices go out at most every few seconds: Bob types at a human pace.
    await bobPage.locator("textarea.composer-input").pressSequentially("Found one", { delay: 400 });
    await alicePage.locator(".typing", { hasText: "is typing" }).waitFor();
    await alicePage.locator(".members-count", { hasText: "2 online" }).waitFor();
    await screenshot(alicePage, "room-desktop-light");

    await alicePage.getByRole("button", { name: "New room" }).click();
    await alicePage.getByLabel("Name").fill("Release planning");
    await screenshot(alicePage, "new-room-dialog");
    await alicePage.keyboard.press("Escape");

    // Opening a room with history does not make the layout jump (fonts, history, presence).
    const fresh = await open(alice);
    await fresh.addInitScript(() => {
      window.__layoutShift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__layoutShift += entry.value;
      }).observe({ type: "layout-shift", buffered: true });
    });
    await openRoom(fresh, room.slug);
    await fresh.locator(".message[data-id]", { hasText: "Looking now" }).waitFor();
    await fresh.waitForTimeout(500);
    const shift = await fresh.evaluate(() => window.__layoutShift);
    assert.ok(shift < 0.05, `cumulative layout shift ${shift}`);

    const dark = await open(alice, { colorScheme: "dark" });
    await openRoom(dark, room.slug);
    await dark.locator(".message[data-id]", { hasText: "Looking now" }).waitFor();
    await screenshot(dark, "room-desktop-dark");

    const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
    const phoneLobby = await open(bob, phone);
    await phoneLobby.goto("/");
    await phoneLobby.getByRole("link", { name: "Design reviews" }).waitFor();
    await screenshot(phoneLobby, "lobby-mobile");
    await phoneLobby.getByRole("link", { name: "Design reviews" }).click();
    await phoneLobby.locator(".message[data-id]", { hasText: "Looking now" }).waitFor();
    await phoneLobby.locator(".members-count", { hasText: "online" }).waitFor();
    await screenshot(phoneLobby, "room-mobile");
    // No horizontal scrolling at phone width.
    const overflow = await phoneLobby.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);

    const phoneDark = await open(bob, { ...phone, colorScheme: "dark" });
    await openRoom(phoneDark, room.slug);
    await phoneDark.locator(".message[data-id]", { hasText: "Looking now" }).waitFor();
    await screenshot(phoneDark, "room-mobile-dark");

    const signIn = await browser.newContext({ ...contextOptions, baseURL: server.httpUrl });
    contexts.push(signIn);
    const signInPage = await signIn.newPage();
    await signInPage.goto("/");
    await signInPage.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshot(signInPage, "sign-in");

    for (const context of contexts) await context.close();
  });
});
