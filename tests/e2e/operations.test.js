// Running the server: the migrate command, health endpoints, and the default room.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestServer, serverDll } from "./support/server.js";

test("`migrate` applies the migrations and exits without serving", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-migrate-"));
  try {
    const run = spawnSync("dotnet", [serverDll, "migrate", "--urls", "http://127.0.0.1:1"], {
      env: { ...process.env, Chat__DataDir: dataDir },
      encoding: "utf8",
      timeout: 60000,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Applying migration '\d+_AddMessageClientId'/);
    assert.ok(existsSync(join(dataDir, "chat.db")));
    assert.doesNotMatch(run.stdout, /Now listening/);
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
