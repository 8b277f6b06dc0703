// Unread counts and mentions from the server (CONTRACT.md §5), with two people and a second
// device: badges that move live and clear on every device when read, the tab title and the
// favicon badge, and desktop notifications for mentions (asked for on a click, never on load).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  browserSuite, createRoom, createUser, openRoom, screenshot, sendMessage, uniqueName, waitUntil,
} from "./support/browser.js";

const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Records the page's desktop notifications and permission requests (the real API still runs). */
function recordNotifications() {
  window.__notifications = [];
  window.__permissionRequests = 0;
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: options?.body });
      window.__lastNotification = this;
    }
  }
  Recorded.requestPermission = (...args) => {
    window.__permissionRequests++;
    return Real.requestPermission(...args);
  };
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  window.Notification = Recorded;
}

describe("unread counts and mentions on every device", { timeout: 600_000 }, () => {
  const suite = browserSuite();

  test("badges move live, mentions stand out, and reading on one device clears them on the other", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const quiet = await createRoom(server, alice.token, `Quiet ${uniqueName("")}`);
    const busy = await createRoom(server, alice.token, `Busy ${uniqueName("")}`);
    const a = await suite.pageFor(alice);
    const desk = await suite.pageFor(bob);
    await desk.page.addInitScript(recordNotifications);
    await openRoom(a.page, busy.slug);
    // Bob read Busy once on his desktop, then moved on to Quiet.
    await openRoom(desk.page, busy.slug);
    await desk.page.getByRole("link", { name: quiet.name }).click();
    await desk.page.getByRole("heading", { name: quiet.name }).waitFor();

    for (let i = 1; i <= 3; i++) await sendMessage(a.page, `news ${i}`);
    const busyLink = (page) => page.locator(`.room-link[data-slug="${busy.slug}"]`);
    await busyLink(desk.page).locator(".badge", { hasText: "3" }).waitFor();
    // The title follows the badge in an effect after the render: wait for it, not for a frame.
    await waitUntil(async () => (await desk.page.title()) === `(3) #${quiet.name} · Chat`, { message: "the title to count 3" });
    assert.match(await desk.page.locator('link[rel="icon"]').getAttribute("href"), /^data:image\/svg\+xml,/);

    // A mention: its own badge, and the favicon shows the count.
    await sendMessage(a.page, `@${bob.user.username} can you look at this?`);
    await busyLink(desk.page).locator(".badge.mentions", { hasText: "1" }).waitFor();
    await waitUntil(async () => (await desk.page.title()) === `(4) #${quiet.name} · Chat`, { message: "the title to count 4" });
    const icon = decodeURIComponent((await desk.page.locator('link[rel="icon"]').getAttribute("href")).split(",")[1]);
    assert.match(icon, /<text[^>]*>1<\/text>/);
    await screenshot(desk.page, "unread-mention-badges");
    // Nothing asked for notifications by itself.
    assert.equal(await desk.page.evaluate(() => window.__permissionRequests), 0);

    // His phone, opened now, has the same counts from the server.
    const mobile = await suite.pageFor(bob, { ...phone, colorScheme: "dark" });
    await mobile.page.goto("/");
    await busyLink(mobile.page).locator(".badge.mentions", { hasText: "1" }).waitFor();
    await screenshot(mobile.page, "unread-mobile-dark");

    // He reads Busy on the phone: the desktop's badge clears, and the title with it.
    await busyLink(mobile.page).click();
    await mobile.page.locator(".message[data-id]", { hasText: "can you look" }).waitFor();
    await mobile.page.locator(".new-marker").waitFor();
    await busyLink(desk.page).locator(".badge").waitFor({ state: "detached" });
    await waitUntil(async () => (await desk.page.title()) === `#${quiet.name} · Chat`, { message: "the title to lose its count" });
    const { rooms } = await (await fetch(`${server.httpUrl}/api/me/unread`, { headers: { authorization: `Bearer ${bob.token}` } })).json();
    assert.deepEqual(rooms.filter((r) => r.slug === busy.slug).map((r) => [r.unread, r.mentions]), [[0, 0]]);

    // A reload keeps it cleared; new messages count again (now that the phone is not showing the room).
    await mobile.page.getByRole("link", { name: "All rooms" }).click();
    await mobile.page.getByRole("link", { name: quiet.name }).waitFor();
    await desk.page.reload();
    await desk.page.getByRole("heading", { name: quiet.name }).waitFor();
    await sendMessage(a.page, "news 5");
    await busyLink(desk.page).locator(".badge", { hasText: "1" }).waitFor();
  });

  test("desktop notifications for mentions: asked for on a click, shown for a room not on screen", async () => {
    const { server } = suite;
    const alice = await createUser(server, "alice");
    const bob = await createUser(server, "bob");
    const room = await createRoom(server, alice.token, `Pings ${uniqueName("")}`);
    const elsewhere = await createRoom(server, bob.token, `Elsewhere ${uniqueName("")}`);
    const a = await suite.pageFor(alice);
    const b = await suite.pageFor(bob);
    await b.page.addInitScript(recordNotifications);
    await openRoom(a.page, room.slug);
    await openRoom(b.page, elsewhere.slug);

    // The offer is a button; the browser is asked only when it is clicked.
    const offer = b.page.getByRole("button", { name: "Notify me when someone mentions me" });
    await offer.waitFor();
    assert.equal(await b.page.evaluate(() => window.__permissionRequests), 0);
    await b.context.grantPermissions(["notifications"]);
    await offer.click();
    await offer.waitFor({ state: "detached" });
    assert.equal(await b.page.evaluate(() => window.__permissionRequests), 1);

    await sendMessage(a.page, `ping @${bob.user.username}`);
    const [shown] = await waitUntil(() => b.page.evaluate(() => window.__notifications.length && window.__notifications), { message: "a notification" });
    assert.deepEqual(shown, { title: `${alice.user.username} mentioned you in #${room.name}`, body: `ping @${bob.user.username}` });
    // A click on it opens the message in its room.
    await b.page.evaluate(() => window.__lastNotification.onclick());
    await b.page.locator(".message.is-highlighted", { hasText: "ping" }).waitFor();
    await b.page.getByRole("heading", { name: room.name }).waitFor();

    // A mention in the room on screen, in a visible tab, is seen already: no notification.
    await sendMessage(a.page, `again @${bob.user.username}`);
    await b.page.locator(".message", { hasText: "again" }).waitFor();
    await b.page.waitForTimeout(300);
    assert.equal(await b.page.evaluate(() => window.__notifications.length), 1);
  });
});
