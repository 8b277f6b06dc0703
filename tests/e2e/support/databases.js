// A fresh database of each provider, for tests that run against both: SQLite in the server's
// data directory, or a new PostgreSQL database on the server ./test.sh started.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";

const psql = "/usr/lib/postgresql/15/bin/psql";

function adminConnection() {
  const value = process.env.CHAT_TEST_POSTGRES;
  if (!value) throw new Error("CHAT_TEST_POSTGRES is not set: run the tests through ./test.sh, which starts PostgreSQL.");
  return Object.fromEntries(value.split(";").filter(Boolean).map((part) => {
    const [key, ...rest] = part.split("=");
    return [key.trim().toLowerCase(), rest.join("=").trim()];
  }));
}

function runPsql(sql, database) {
  const admin = adminConnection();
  const run = spawnSync(psql, ["-h", admin.host, "-p", admin.port ?? "5432", "-U", admin.username, "-d", database ?? admin.database ?? "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`);
}

/** The providers, each with `create()` → { env, drop() } for a server and its commands. */
export const providers = [
  {
    name: "sqlite",
    create: async () => ({ env: { Chat__Database__Provider: "sqlite" }, drop: async () => {} }),
  },
  {
    name: "postgres",
    create: async () => {
      const admin = adminConnection();
      const name = `chat_e2e_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
      runPsql(`CREATE DATABASE ${name}`);
      const connection = `Host=${admin.host};Port=${admin.port ?? "5432"};Username=${admin.username};Database=${name}`;
      return {
        env: { Chat__Database__Provider: "postgres", ConnectionStrings__Chat: connection },
        lockTable: (table) => lockTable(name, table),
        /** Runs one SQL statement on this database, as its DBA would. */
        sql: (statement) => runPsql(statement, name),
        drop: async () => runPsql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      };
    },
  },
];

/**
 * Takes an ACCESS EXCLUSIVE lock on a table of a PostgreSQL database and holds it until the
 * returned `release()`: every query that touches the table waits meanwhile, as on a database
 * that has stopped answering. Resolves once the lock is held.
 */
export async function lockTable(database, table) {
  const admin = adminConnection();
  const session = spawn(psql, ["-h", admin.host, "-p", admin.port ?? "5432", "-U", admin.username, "-d", database, "-v", "ON_ERROR_STOP=1"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  const locked = new Promise((resolve, reject) => {
    session.stdout.on("data", (chunk) => { output += chunk; if (output.includes("LOCK TABLE")) resolve(); });
    session.once("exit", (code) => reject(new Error(`psql exited (${code}) before the lock was held: ${output}`)));
  });
  session.stdin.write(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE;\n`);
  await locked;
  return {
    release: () => new Promise((resolve) => {
      session.once("exit", resolve);
      session.stdin.end("COMMIT;\n");
    }),
  };
}
