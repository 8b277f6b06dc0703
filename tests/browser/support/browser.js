// Headless Chromium (the Debian package, driven by playwright-core) against the real server,
// and the few steps every browser test needs: users, rooms, signed-in pages, screenshots.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { TestServer } from "../../e2e/support/server.js";

export { TestServer };

const here = dirname(fileURLToPath(import.meta.url));
export const artifactsDir = join(here, "..", "artifacts");

export const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser() {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/**
 * Starts the real server (its own port and data directory). CHAT_BROWSER_TEST_URL points the
 * tests at a server that is already running instead, e.g. `dotnet run` while working on web/.
 */
export function startServer(env = {}) {
  const external = process.env.CHAT_BROWSER_TEST_URL;
  if (external) return { httpUrl: external.replace(/\/$/, ""), dispose: async () => {} };
  return new TestServer({ env }).start();
}

let counter = 0;
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}${Date.now().toString(36).slice(-4)}${counter}`;
}

async function api(server, method, path, body, token) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let response = await fetch(`${server.httpUrl}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  // Over a rate limit (HTTP posts spend the user's message budget), come back when told, as a bot should.
  for (let retries = 0; response.status === 429 && Number(response.headers.get("retry-after")) <= 5 && retries < 5; retries++) {
    await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get("retry-after")) * 1000));
    response = await fetch(`${server.httpUrl}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(data)}`);
  return data;
}

/** Signs a user up over HTTP; returns { user, token, password }. */
export async function createUser(server, prefix = "user") {
  const username = uniqueName(prefix);
  const password = "correct horse battery";
  const reply = await api(server, "POST", "/api/users", { username, password });
  return { ...reply, password };
}

export async function createRoom(server, token, name, description = "") {
  const { room } = await api(server, "POST", "/api/rooms", { name, description }, token);
  return room;
}

export async function postMessage(server, token, slug, content, clientId) {
  const { message } = await api(server, "POST", `/api/rooms/${slug}/messages`, { content, client_id: clientId }, token);
  return message;
}

export const contextOptions = {
  viewport: { width: 1280, height: 800 },
  locale: "en-GB",
  timezoneId: "UTC",
  colorScheme: "light",
  reducedMotion: "reduce",
};

/** A browser context already signed in as `account` (the token in localStorage, as after sign-in). */
export async function signedInContext(browser, server, account, options = {}) {
  return browser.newContext({
    ...contextOptions,
    ...options,
    baseURL: server.httpUrl,
    storageState: {
      cookies: [],
      origins: [{
        origin: server.httpUrl,
        localStorage: [{ name: "chat.session", value: JSON.stringify({ token: account.token, user: account.user }) }],
      }],
    },
  });
}

/** Fails the test if the page ever opens a JavaScript dialog or logs an uncaught error. */
export function watchPage(page) {
  const problems = [];
  page.on("dialog", async (dialog) => {
    problems.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
    await dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (error) => problems.push(`uncaught error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content.Security.Policy|Trusted Type/i.test(message.text())) {
      problems.push(`CSP violation: ${message.text()}`);
    }
  });
  return problems;
}

export async function openRoom(page, slug) {
  await page.goto(`/rooms/${slug}`);
  await page.locator(".room .members-count", { hasText: "online" }).waitFor();
  return page;
}

/** The messages the page shows, in order: { text, author, id, mine, pending }. */
export function messagesOf(page) {
  return page.locator(".room .messages .message").evaluateAll((items) => {
    let author = null;
    return items.map((li) => {
      const name = li.querySelector(".author")?.textContent;
      if (name) author = name;
      // The text as written: without the "(edited)" mark that follows it.
      const text = li.querySelector(".message-text");
      const written = text ? [...text.childNodes].filter((n) => !n.classList?.contains("edited")).map((n) => n.textContent).join("") : "";
      return {
        text: written,
        author,
        id: li.dataset.id ? Number(li.dataset.id) : null,
        mine: li.classList.contains("mine"),
        start: li.classList.contains("start"),
        state: [...li.classList].find((c) => c.startsWith("is-"))?.slice(3) ?? "stored",
      };
    });
  });
}

export async function sendMessage(page, text) {
  const box = page.getByRole("textbox", { name: /^Message #/ });
  await box.fill(text);
  await box.press("Enter");
}

export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`) });
}

export async function waitUntil(predicate, { timeout = 10000, interval = 50, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message}`);
}

/**
 * The usual suite: one server and one browser for the `describe` it is called in, and signed-in
 * pages that are closed with it. Call it inside `describe`; read `server` and `browser` in tests.
 */
export function browserSuite(env = {}) {
  const suite = {
    server: null,
    browser: null,
    contexts: [],
    /** A new browser context signed in as `account`, its page, and the problems `watchPage` saw. */
    async pageFor(account, options) {
      const context = await signedInContext(suite.browser, suite.server, account, options);
      suite.contexts.push(context);
      const page = await context.newPage();
      return { context, page, problems: watchPage(page) };
    },
  };
  before(async () => {
    suite.server = await startServer(env);
    suite.browser = await launchBrowser();
  });
  after(async () => {
    for (const context of suite.contexts) await context.close().catch(() => {});
    await suite.browser?.close();
    await suite.server?.dispose();
  });
  return suite;
}
