// Several real server processes that serve one chat: a fresh PostgreSQL database of their
// own (on the server ./test.sh started, CHAT_TEST_POSTGRES), and a Redis of their own, which
// a test may stop and start again.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { TestServer, freePort } from "./server.js";

/** Why the multi-node tests cannot run here, or null. Under CI a missing service is a failure, not a skip. */
export function missingServices() {
  const missing = [];
  if (!process.env.CHAT_TEST_POSTGRES) missing.push("CHAT_TEST_POSTGRES (run through ./test.sh)");
  if (spawnSync("redis-server", ["--version"]).status !== 0) missing.push("redis-server");
  if (missing.length && process.env.CI) throw new Error(`multi-node tests need ${missing.join(" and ")}`);
  return missing.length ? `needs ${missing.join(" and ")}` : null;
}

/** "Host=…;Port=…;Username=…;Database=…" → its parts. */
function parseConnectionString(value) {
  const parts = {};
  for (const pair of value.split(";")) {
    const at = pair.indexOf("=");
    if (at > 0) parts[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim();
  }
  return parts;
}

function psql(admin, sql) {
  const run = spawnSync("psql", ["-h", admin.host, "-p", admin.port ?? "5432", "-U", admin.username, "-d", admin.database ?? "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: admin.password ?? "" },
    timeout: 30000,
  });
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`);
}

/** A Redis server on a free loopback port, without persistence, that can be stopped and started again. */
export class RedisServer {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "chat-redis-"));
  }

  get connectionString() { return `127.0.0.1:${this.port}`; }

  async start() {
    this.port ??= await freePort();
    this.process = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(this.port), "--save", "", "--appendonly", "no", "--dir", this.dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((done) => this.process.once("exit", done));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10000);
      this.process.stdout.on("data", (chunk) => {
        if (chunk.toString().includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return this;
  }

  /** Stops Redis at once, as a crash or a restart does: everything it held is gone. */
  async stop() {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill("SIGKILL");
    await this.exited;
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Nodes on one PostgreSQL database and one Redis, sharing a signing key. */
export class Cluster {
  constructor({ env = {} } = {}) {
    this.admin = parseConnectionString(process.env.CHAT_TEST_POSTGRES ?? "");
    this.database = `chat_e2e_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    this.signingKey = randomBytes(48).toString("base64");
    this.redis = new RedisServer();
    this.prefix = `e2e-${randomUUID().slice(0, 8)}:`;
    this.env = env;
    this.nodes = [];
  }

  get chatConnectionString() {
    const { host, port, username, password } = this.admin;
    return `Host=${host};Port=${port ?? 5432};Username=${username};${password ? `Password=${password};` : ""}Database=${this.database}`;
  }

  async start(nodeCount) {
    psql(this.admin, `CREATE DATABASE ${this.database}`);
    await this.redis.start();
    // One at a time: the first applies the migrations.
    for (let i = 0; i < nodeCount; i++) await this.addNode();
    return this;
  }

  async addNode() {
    const node = new TestServer({
      signingKey: this.signingKey,
      env: {
        Chat__Database__Provider: "postgres",
        ConnectionStrings__Chat: this.chatConnectionString,
        ConnectionStrings__Redis: this.redis.connectionString,
        Chat__Redis__Prefix: this.prefix,
        ...this.env,
      },
    });
    await node.start();
    this.nodes.push(node);
    return node;
  }

  async dispose() {
    await Promise.all(this.nodes.map((node) => node.dispose()));
    await this.redis.dispose();
    psql(this.admin, `DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
  }
}

/** Kills a node the hard way: no goodbye, no graceful stop. */
export async function killNode(node) {
  node.process.kill("SIGKILL");
  await node.exited;
}
