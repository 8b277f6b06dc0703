// The admin commands (`Chat.Server <command>`) against the real server, on both databases.
// Every command reads the server's configuration: here the same environment, so the same
// data directory, database and generated signing key.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestServer } from "./support/server.js";
import { runCli } from "./support/cli.js";
import { providers } from "./support/databases.js";
import { connectSocket, disconnect, join as joinChannel, waitFor } from "./support/phoenix.js";
import { call, postMessage, signUp, uniqueName, unread } from "./support/api.js";
import WebSocket from "ws";

/** The HTTP status a WebSocket upgrade with this token gets (101 when it is let in). */
function upgradeStatus(server, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`);
    ws.once("unexpected-response", (_request, response) => { resolve(response.statusCode); ws.terminate(); });
    ws.once("open", () => { resolve(101); ws.terminate(); });
    ws.once("error", reject);
  });
}

/**
 * A socket of `token` joined to the lobby that does not reconnect; `closed` resolves with its
 * close code, or with "still open" after 30 s (the CLI runs meanwhile).
 */
async function watchedSocket(server, token) {
  const socket = connectSocket(server.socketUrl, { params: { token }, reconnectAfterMs: () => 60000 });
  const closed = Promise.race([
    new Promise((resolve) => socket.onClose((event) => resolve(event.code))),
    new Promise((resolve) => setTimeout(() => resolve("still open"), 30000).unref()),
  ]);
  assert.equal((await joinChannel(socket.channel("room:lobby"))).status, "ok");
  return { socket, closed };
}

/** Asserts that the token works now, over HTTP and on connect. */
async function assertAccepted(server, token, what) {
  assert.equal((await unread(server, token)).status, 200, `${what} over HTTP`);
  assert.equal(await upgradeStatus(server, token), 101, `${what} on connect`);
}

/** Asserts that the token is refused, over HTTP (401) and on connect (403). */
async function assertRevoked(server, token, what) {
  assert.equal((await unread(server, token)).status, 401, `${what} over HTTP`);
  assert.equal(await upgradeStatus(server, token), 403, `${what} on connect`);
}

async function signIn(server, username, password) {
  const response = await fetch(`${server.httpUrl}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  return response.status;
}

for (const provider of providers) {
  describe(`admin commands on ${provider.name}`, () => {
    let database;
    let server;
    let scratch;
    // No configured key: the server generates one in its data directory, and the commands read it there.
    const env = () => ({ ...database.env, Chat__DataDir: server.dataDir, Chat__Auth__SigningKey: "" });
    const cli = (args, options = {}) => runCli(args, { ...options, env: env() });

    before(async () => {
      database = await provider.create();
      scratch = mkdtempSync(join(tmpdir(), "chat-cli-"));
      server = new TestServer({ env: { ...database.env, Chat__Auth__SigningKey: "" } });
      // `migrate` on the fresh database, before any server has touched it.
      const migrate = runCli(["migrate"], { env: { ...database.env, Chat__DataDir: server.dataDir, Chat__Auth__SigningKey: "" } });
      assert.equal(migrate.status, 0, migrate.output);
      assert.match(migrate.stdout, /Applied migration \d+_AddMessageClientId\./);
      await server.start();
    });

    after(async () => {
      await server.dispose();
      await database.drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    test("migrate again finds nothing to do", () => {
      const again = cli(["migrate"]);
      assert.equal(again.status, 0, again.output);
      assert.match(again.stdout, /up to date/);
    });

    test("migrate --script writes an idempotent script for a DBA (PostgreSQL only)", () => {
      const script = cli(["migrate", "--script"]);
      if (provider.name === "sqlite") {
        assert.equal(script.status, 1);
        assert.match(script.stderr, /SQLite cannot run an idempotent script/);
        return;
      }
      assert.equal(script.status, 0, script.output);
      assert.match(script.stdout, /CREATE TABLE/);
      assert.match(script.stdout, /IF NOT EXISTS\(SELECT 1 FROM "__EFMigrationsHistory"/, "each step guarded by the history table");
    });

    test("users create, reset-password and delete, as sign-in sees them", async () => {
      const name = uniqueName("op");
      const created = cli(["users", "create", name]);
      assert.equal(created.status, 0, created.output);
      assert.match(created.stdout, new RegExp(`Created user ${name} \\(id \\d+\\)`));
      const generated = created.stdout.match(/Password: (\S+)/)[1];
      assert.equal(await signIn(server, name, generated), 200);

      assert.equal(cli(["users", "create", name]).status, 1, "a taken name");
      assert.match(cli(["users", "create", "x"]).stderr, /username should be at least 3 character/);

      const reset = cli(["users", "reset-password", name, "--password-stdin"], { input: "a new password\n" });
      assert.equal(reset.status, 0, reset.output);
      assert.doesNotMatch(reset.stdout, /Password:/, "a password given on stdin is not echoed");
      assert.equal(await signIn(server, name, generated), 401);
      assert.equal(await signIn(server, name, "a new password"), 200);
      assert.match(cli(["users", "reset-password", name, "--password-stdin"], { input: "short\n" }).stderr, /password should be at least 8/);

      const unconfirmed = cli(["users", "delete", name]);
      assert.equal(unconfirmed.status, 1);
      assert.match(unconfirmed.stderr, /--yes/);
      assert.equal(await signIn(server, name, "a new password"), 200);
      assert.equal(cli(["users", "delete", name, "--yes"]).status, 0);
      assert.equal(await signIn(server, name, "a new password"), 401);
      const missing = cli(["users", "delete", name, "--yes"]);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, new RegExp(`no user is named ${name}`));
    });

    test("rooms create, list, rename and delete, as the HTTP API sees them", async () => {
      const name = `Café ${uniqueName("r")}`;
      const created = cli(["rooms", "create", name, "--description", "made by an operator"]);
      assert.equal(created.status, 0, created.output);
      const slug = created.stdout.match(/slug (\S+),/)[1];
      assert.match(slug, /^cafe-r[0-9a-f]+$/);
      const room = (await (await fetch(`${server.httpUrl}/api/rooms/${slug}`)).json()).room;
      assert.equal(room.name, name);
      assert.equal(room.description, "made by an operator");
      assert.match(cli(["rooms", "list"]).stdout, new RegExp(`^${slug}\\t${room.id}\\t`, "m"));

      assert.equal(cli(["rooms", "rename", slug, "Renamed"]).status, 0);
      const renamed = (await (await fetch(`${server.httpUrl}/api/rooms/${slug}`)).json()).room;
      assert.equal(renamed.name, "Renamed", "renamed, under the same slug");
      assert.match(cli(["rooms", "rename", slug, " "]).stderr, /name can't be blank/);
      assert.match(cli(["rooms", "rename", "no-such-room", "X"]).stderr, /no room has the slug no-such-room/);

      assert.equal(cli(["rooms", "delete", slug]).status, 1, "not without --yes");
      assert.equal((await fetch(`${server.httpUrl}/api/rooms/${slug}`)).status, 200);
      assert.equal(cli(["rooms", "delete", slug, "--yes"]).status, 0);
      assert.equal((await fetch(`${server.httpUrl}/api/rooms/${slug}`)).status, 404);
      const lobby = cli(["rooms", "delete", "lobby", "--yes"]);
      assert.equal(lobby.status, 1);
      assert.match(lobby.stderr, /lobby cannot be deleted/);
    });

    test("tokens mint makes tokens this node accepts, and tokens check tells good from bad", async () => {
      const minted = cli(["tokens", "mint", "--user-id", "4242", "--name", "integration", "--ttl", "2h"]);
      assert.equal(minted.status, 0, minted.output);
      const token = minted.stdout.trim();
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "only the token on standard output");

      const response = await fetch(`${server.httpUrl}/api/rooms`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: uniqueName("Minted ") }),
      });
      assert.equal(response.status, 201, "the node accepts a token minted with its generated key");

      const checked = cli(["tokens", "check", token]);
      assert.equal(checked.status, 0, checked.output);
      assert.match(checked.stdout, /^valid: user 4242 \(integration\), expires \d{4}-\d\d-\d\dT/);
      assert.equal(cli(["tokens", "check", "-"], { input: `${token}\n` }).status, 0);

      const forged = `${token.slice(0, -4)}AAAA`;
      const refused = cli(["tokens", "check", forged]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /signature does not match/);
      assert.match(cli(["tokens", "mint", "--user-id", "0", "--name", "x"]).stderr, /--user-id must be a positive integer/);
      assert.match(cli(["tokens", "mint", "--user-id", "1", "--name", "x", "--ttl", "10s"]).stderr, /--ttl must be a duration/);
      assert.equal(cli(["tokens", "mint", "--name", "x"]).status, 2, "a missing required option is a usage error");
    });

    test("disconnect-user revokes the user's tokens and closes every socket of theirs through the running node", async () => {
      const token = cli(["tokens", "mint", "--user-id", "777", "--name", "kicked"]).stdout.trim();
      const other = cli(["tokens", "mint", "--user-id", "778", "--name", "bystander"]).stdout.trim();
      const { socket, closed } = await watchedSocket(server, token);
      try {
        const result = cli(["disconnect-user", "777"]);
        assert.equal(result.status, 0, result.output);
        assert.match(result.stdout, /Revoked every token of user 777/);
        assert.equal(await closed, 1001);
      } finally {
        await disconnect(socket);
      }
      await assertRevoked(server, token, "the kicked user's token (minted, no account here)");
      await assertAccepted(server, other, "another user's token");
    });

    test("users reset-password and users delete revoke every token issued before and close the user's sockets", async () => {
      // Two tokens each: from sign-up and from a sign-in.
      const resetUser = await signUp(server);
      const resetTokens = [resetUser.token, (await call(server, "POST", "/api/session", { body: { username: resetUser.user.username, password: "password123" } })).body.token];
      const deletedUser = await signUp(server);
      const deletedTokens = [deletedUser.token, (await call(server, "POST", "/api/session", { body: { username: deletedUser.user.username, password: "password123" } })).body.token];
      const bystander = await signUp(server);
      for (const token of [...resetTokens, ...deletedTokens]) await assertAccepted(server, token, "a token before the command");

      const resetSocket = await watchedSocket(server, resetTokens[0]);
      const reset = cli(["users", "reset-password", resetUser.user.username, "--password-stdin"], { input: "a fresh password\n" });
      assert.equal(reset.status, 0, reset.output);
      assert.match(reset.stdout, /Every token issued to it until now is revoked, and its sockets were closed/);
      assert.equal(await resetSocket.closed, 1001, "the user's socket closed");
      for (const token of resetTokens) await assertRevoked(server, token, "a token issued before reset-password");
      // The new password signs in at once, and its token works.
      const fresh = await call(server, "POST", "/api/session", { body: { username: resetUser.user.username, password: "a fresh password" } });
      assert.equal(fresh.status, 200);
      await assertAccepted(server, fresh.body.token, "a token issued after reset-password");

      const deletedSocket = await watchedSocket(server, deletedTokens[1]);
      const deleted = cli(["users", "delete", deletedUser.user.username, "--yes"]);
      assert.equal(deleted.status, 0, deleted.output);
      assert.equal(await deletedSocket.closed, 1001, "the deleted user's socket closed");
      for (const token of deletedTokens) await assertRevoked(server, token, "a token of the deleted user");

      await assertAccepted(server, bystander.token, "another user's token");
      await disconnect(resetSocket.socket);
      await disconnect(deletedSocket.socket);

      // Kept in the database: still refused after a restart.
      await server.stop();
      await server.start();
      await assertRevoked(server, resetTokens[0], "a revoked token after a restart");
      await assertRevoked(server, deletedTokens[0], "a deleted user's token after a restart");
      await assertAccepted(server, fresh.body.token, "the new token after a restart");
    });

    test("export-room writes JSON lines that import-room turns into a new room with the same history", async () => {
      const alice = await signUp(server);
      const room = (await fetch(`${server.httpUrl}/api/rooms`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ name: uniqueName("Archive ") }),
      }).then((r) => r.json())).room;
      const contents = ["first", "second ✓ with ünïcode", "third\nwith a newline"];
      for (const content of contents) assert.equal((await postMessage(server, alice.token, room.slug, content)).status, 201);

      const file = join(scratch, `${room.slug}.jsonl`);
      const exported = cli(["export-room", room.slug, "--output", file]);
      assert.equal(exported.status, 0, exported.output);
      const lines = readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line));
      assert.deepEqual(lines[0], { room });
      assert.deepEqual(lines.slice(1).map((l) => l.message.content), contents);
      const original = (await (await fetch(`${server.httpUrl}/api/rooms/${room.slug}/messages`)).json()).messages;
      assert.deepEqual(lines.slice(1).map((l) => l.message), original, "each line is the MESSAGE the API serves");

      const imported = cli(["import-room", file, "--name", "Imported copy"]);
      assert.equal(imported.status, 0, imported.output);
      const slug = imported.stdout.match(/slug (\S+),/)[1];
      const copy = (await (await fetch(`${server.httpUrl}/api/rooms/${slug}/messages`)).json()).messages;
      assert.deepEqual(copy.map(({ content, username, user_id, inserted_at }) => ({ content, username, user_id, inserted_at })),
        original.map(({ content, username, user_id, inserted_at }) => ({ content, username, user_id, inserted_at })));
      assert.ok(copy.every((m, i) => i === 0 || m.id > copy[i - 1].id), "new ids, in the original order");

      // Through standard output and standard input too.
      const piped = cli(["export-room", room.slug]);
      assert.equal(cli(["import-room"], { input: piped.stdout }).status, 0);
    });

    test("import-room checks the whole archive first and stores nothing from a bad one", async () => {
      const before = cli(["rooms", "list"]).stdout;
      const file = join(scratch, "bad.jsonl");
      writeFileSync(file, [
        JSON.stringify({ room: { name: "Bad archive" } }),
        JSON.stringify({ message: { user_id: 1, username: "a", content: "fine", inserted_at: "2026-01-01T00:00:00.000Z" } }),
        JSON.stringify({ message: { user_id: 1, username: "a", content: "  ", inserted_at: "2026-01-01T00:00:01.000Z" } }),
        "not json",
      ].join("\n"));
      const result = cli(["import-room", file]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /line 3: content can't be blank/);
      assert.match(result.stderr, /line 4: expected/);
      assert.equal(cli(["rooms", "list"]).stdout, before, "no room was created");
    });

    test("stats counts what the database holds and reports the running node", async () => {
      const text = cli(["stats"]);
      assert.equal(text.status, 0, text.output);
      assert.match(text.stdout, new RegExp(`^database: ${provider.name}`, "m"));
      assert.match(text.stdout, /^node: running since /m);
      const stats = JSON.parse(cli(["stats", "--json"]).stdout);
      const rooms = (await (await fetch(`${server.httpUrl}/api/rooms?limit=200`)).json()).rooms;
      assert.equal(stats.rooms, rooms.length);
      assert.ok(stats.users >= 1 && stats.messages >= 3);
      assert.equal(stats.node.process_id, server.process.pid);
      assert.equal(typeof stats.node.connected_sockets, "number");
    });
  });
}

describe("admin commands without a running node", () => {
  test("disconnect-user and stats say that no node runs here", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "chat-cli-alone-"));
    try {
      const env = { Chat__DataDir: dataDir };
      const unmigrated = runCli(["stats"], { env });
      assert.equal(unmigrated.status, 1);
      assert.match(unmigrated.stderr, /the database lacks \d+ migration\(s\) of this build; run 'Chat.Server migrate' first/);
      assert.equal(runCli(["migrate"], { env }).status, 0);
      const kicked = runCli(["disconnect-user", "5"], { env });
      assert.equal(kicked.status, 1);
      assert.match(kicked.stderr, /every token of user 5 issued until now is revoked, but no server is running with this data directory/);
      const deleted = runCli(["users", "create", "alone1"], { env });
      assert.equal(deleted.status, 0, deleted.output);
      const gone = runCli(["users", "delete", "alone1", "--yes"], { env });
      assert.equal(gone.status, 0, gone.output);
      assert.match(gone.stdout, /revoked\. No server answers on .*control\.sock, so no socket was closed from here/);
      const stats = runCli(["stats", "--json"], { env });
      assert.equal(stats.status, 0, stats.output);
      assert.equal(JSON.parse(stats.stdout).node, null);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a misspelt option is a usage error, and --help lists every command", () => {
    const typo = runCli(["users", "create", "alice", "--pasword-stdin"]);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /Unrecognized option '--pasword-stdin'/);
    const help = runCli(["--help"]);
    assert.equal(help.status, 0);
    for (const command of ["migrate", "users", "rooms", "tokens", "disconnect-user", "export-room", "import-room", "stats"]) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, "m"));
    }
  });
});
