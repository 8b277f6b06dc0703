// Running the server: the migrate command, health endpoints, and the default room.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestServer, serverDll } from "./support/server.js";

test("`migrate` applies the migrations and exits without serving", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-migrate-"));
  try {
    const run = spawnSync("dotnet", [serverDll, "migrate", "--urls=http://127.0.0.1:1"], {
      env: { ...process.env, Chat__DataDir: dataDir },
      encoding: "utf8",
      timeout: 60000,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Applied migration \d+_AddMessageClientId\./);
    assert.ok(existsSync(join(dataDir, "chat.db")));
    assert.doesNotMatch(run.stdout + run.stderr, /Now listening/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a bad value, an unknown key or Redis with SQLite stops the server at start, naming every key", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-config-"));
  try {
    const run = spawnSync("dotnet", [serverDll, "--urls", "http://127.0.0.1:1"], {
      env: {
        ...process.env,
        Chat__DataDir: dataDir,
        Chat__Channels__MaxFrameBytes: "12",
        Chat__Channels__IdelTimeout: "00:00:30",
        Chat__Messages__MaxLength: "many",
        ConnectionStrings__Redis: "127.0.0.1:6379",
      },
      encoding: "utf8",
      timeout: 60000,
    });
    assert.equal(run.status, 78, run.stdout + run.stderr);
    assert.match(run.stderr, /Chat:Channels:MaxFrameBytes must be between 1024 and 16777216 bytes; it is 12/);
    assert.match(run.stderr, /Chat:Channels:IdelTimeout is not a setting of this server; did you mean Chat:Channels:IdleTimeout\?/);
    assert.match(run.stderr, /'Chat:Messages:MaxLength'/);
    assert.match(run.stderr, /ConnectionStrings:Redis is set, but Chat:Database:Provider is sqlite/);
    assert.doesNotMatch(run.stdout + run.stderr, /Unhandled exception|Now listening/);
    assert.ok(!existsSync(join(dataDir, "chat.db")), "nothing touched the database");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a fresh server is healthy, ready, and has the lobby", async () => {
  const server = await new TestServer().start();
  try {
    assert.equal((await fetch(`${server.httpUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.httpUrl}/readyz`)).status, 200);
    const lobby = await fetch(`${server.httpUrl}/api/rooms/lobby`).then((r) => r.json());
    assert.equal(lobby.room.name, "Lobby");
  } finally {
    await server.dispose();
  }
});

test("connections past the cap are refused at once, and the server lives on", async () => {
  const { default: WebSocket } = await import("ws");
  const { mintToken } = await import("./support/tokens.js");
  const server = await new TestServer({ env: { Chat__Limits__MaxConnections: "20" } }).start();
  const open = () => new Promise((resolve) => {
    const ws = new WebSocket(`${server.socketUrl}/websocket?vsn=2.0.0&token=${mintToken(server.signingKey, { sub: 1, name: "cap" })}`);
    ws.once("open", () => resolve({ ws, ok: true }));
    ws.once("unexpected-response", (_req, res) => resolve({ ws, ok: false, status: res.statusCode }));
    ws.once("error", () => resolve({ ws, ok: false }));
  });
  try {
    const attempts = [];
    for (let i = 0; i < 25; i++) attempts.push(await open());
    const accepted = attempts.filter((a) => a.ok);
    assert.equal(accepted.length, 18, "20 connections: 2 plain, 18 upgraded");
    assert.ok(attempts.some((a) => !a.ok), "some connections must be refused");

    attempts.forEach((a) => a.ws.terminate());
    await new Promise((r) => setTimeout(r, 500));
    const again = await open();
    assert.equal(again.ok, true);
    again.ws.terminate();
  } finally {
    await server.dispose();
  }
});

test("the data directory, the database and the generated signing key are the owner's alone", async () => {
  const parent = mkdtempSync(join(tmpdir(), "chat-files-"));
  const dataDir = join(parent, "data"); // the server creates it
  // No configured key: the server generates one and keeps it in the data directory.
  const server = new TestServer({ dataDir, env: { Chat__Auth__SigningKey: "" } });
  try {
    await server.start();
    const { signUp } = await import("./support/api.js");
    await signUp(server); // a write, so the WAL exists too
    const mode = (path) => statSync(path).mode & 0o777;
    assert.equal(mode(dataDir), 0o700, "data directory");
    assert.equal(mode(join(dataDir, "chat.db")), 0o600, "database");
    assert.equal(mode(join(dataDir, "chat.db-wal")), 0o600, "write-ahead log");
    assert.equal(mode(join(dataDir, "signing-key")), 0o600, "signing key");
    assert.ok(!existsSync(join(dataDir, "signing-key.tmp")));
  } finally {
    await server.stop();
    rmSync(parent, { recursive: true, force: true });
  }
});

test("an empty signing-key file, as a power loss could leave it, is replaced and the server starts", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-key-"));
  writeFileSync(join(dataDir, "signing-key"), "");
  const server = new TestServer({ dataDir, env: { Chat__Auth__SigningKey: "" } });
  try {
    await server.start();
    const key = readFileSync(join(dataDir, "signing-key"), "utf8").trim();
    assert.ok(Buffer.from(key, "base64").length >= 32, "a new key of at least 32 bytes");
    const { createRoom, signUp } = await import("./support/api.js");
    const user = await signUp(server);
    await createRoom(server, user.token); // the new key signs and verifies tokens
  } finally {
    await server.dispose();
  }
});

test("/readyz answers 503 from the moment a graceful stop begins, while sockets are still closing", async () => {
  const { mintToken } = await import("./support/tokens.js");
  const server = await new TestServer().start();
  // A client that completes the upgrade and then never answers the server's close frame
  // holds the stop open for the close timeout, as a slow or vanished client does.
  const token = mintToken(server.signingKey, { sub: 1, name: "slow" });
  const raw = connect(server.port, "127.0.0.1");
  await new Promise((resolve, reject) => {
    raw.once("error", reject);
    raw.write(`GET /socket/websocket?vsn=2.0.0&token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    raw.once("data", (chunk) => (chunk.toString().startsWith("HTTP/1.1 101") ? resolve() : reject(new Error(chunk.toString()))));
  });
  raw.pause();
  try {
    assert.equal((await fetch(`${server.httpUrl}/readyz`)).status, 200);
    server.process.kill("SIGTERM");
    // The stop waits up to the close timeout (5 s) for the silent client: poll through it.
    const seen = [];
    while (server.process.exitCode === null && !seen.includes(503)) {
      try {
        seen.push((await fetch(`${server.httpUrl}/readyz`)).status);
      } catch {
        seen.push("refused"); // once the listener is gone
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(seen.includes(503), `readyz answered ${seen.join(", ")} while stopping`);
  } finally {
    raw.destroy();
    await server.dispose();
  }
});
