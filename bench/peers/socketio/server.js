// The Socket.IO peer of the side-by-side benchmark (issue 9): the chat job as the Socket.IO
// docs teach it. The token comes in the handshake's auth payload and is checked by a
// middleware; rooms are Socket.IO rooms (socket.join, io.to(room).emit); in the whole-chat
// scenario each message is inserted as the tutorial does (one INSERT per message, a unique
// client offset) before it is broadcast and acknowledged.
//
//   PORT=4001 SIGNING_KEY=<base64> STORE=none|sqlite|postgres [SQLITE_FILE=…] [DATABASE_URL=…] node server.js
//
// With `node --expose-gc`, POST /bench/gc forces a full collection and answers the process's
// memory: a benchmark-only hook for the idle-memory scenario.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 4001);
const key = Buffer.from(process.env.SIGNING_KEY ?? "", "base64");
if (key.length < 32) throw new Error("SIGNING_KEY (base64, at least 32 bytes) is required");
const store = await openStore(process.env.STORE ?? "none");

/** The user an HS256 JWT speaks for (sub, name), or null if it is forged or expired. */
function verify(token) {
  if (typeof token !== "string") return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const expected = createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest();
  const signature = Buffer.from(parts[2], "base64url");
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return null;
  const header = JSON.parse(Buffer.from(parts[0], "base64url"));
  const claims = JSON.parse(Buffer.from(parts[1], "base64url"));
  if (header.alg !== "HS256" || !(claims.exp > Date.now() / 1000)) return null;
  const id = Number(claims.sub);
  return Number.isSafeInteger(id) && id > 0 && claims.name ? { id, name: String(claims.name) } : null;
}

const http = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.end("ok");
  } else if (req.url === "/bench/gc" && req.method === "POST" && typeof global.gc === "function") {
    global.gc();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(process.memoryUsage()));
  } else {
    res.statusCode = 404;
    res.end();
  }
});

const io = new Server(http);

io.use((socket, next) => {
  const user = verify(socket.handshake.auth?.token);
  if (!user) return next(new Error("unauthorized"));
  socket.data.user = user;
  next();
});

io.on("connection", (socket) => {
  const { user } = socket.data;

  socket.on("join", (room, ack) => {
    if (typeof room !== "string" || room.length === 0 || room.length > 100) {
      if (typeof ack === "function") ack({ error: "invalid room" });
      return;
    }
    socket.join(room);
    if (typeof ack === "function") ack({ ok: true });
  });

  socket.on("new_msg", async (room, content, clientId, ack) => {
    if (typeof ack !== "function") return;
    if (!socket.rooms.has(room) || typeof content !== "string" || content.trim().length === 0 || content.length > 4000) {
      ack({ error: "invalid message" });
      return;
    }
    let message;
    try {
      message = await store.save({ room, userId: user.id, username: user.name, content, clientId: String(clientId ?? "") });
    } catch (error) {
      ack({ error: "could not store the message" });
      return;
    }
    io.to(room).emit("new_msg", message);
    ack({ message });
  });
});

http.listen(port, "127.0.0.1");

async function openStore(kind) {
  if (kind === "none") {
    let lastId = 0;
    return { save: (m) => ({ id: ++lastId, ...m, insertedAt: new Date().toISOString() }) };
  }
  if (kind === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(process.env.SQLITE_FILE);
    // "Though not required, it is generally important to set the WAL pragma for performance reasons" (better-sqlite3's README).
    db.pragma("journal_mode = WAL");
    db.exec(`CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, user_id INTEGER NOT NULL, username TEXT NOT NULL,
      content TEXT NOT NULL, client_offset TEXT UNIQUE, inserted_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room, id);`);
    const insert = db.prepare("INSERT INTO messages (room, user_id, username, content, client_offset, inserted_at) VALUES (?, ?, ?, ?, ?, ?)");
    return {
      save(m) {
        const insertedAt = new Date().toISOString();
        const { lastInsertRowid } = insert.run(m.room, m.userId, m.username, m.content, `${m.userId}:${m.clientId}`, insertedAt);
        return { id: Number(lastInsertRowid), ...m, insertedAt };
      },
    };
  }
  if (kind === "postgres") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    await pool.query(`CREATE TABLE IF NOT EXISTS messages (
      id BIGSERIAL PRIMARY KEY, room TEXT NOT NULL, user_id BIGINT NOT NULL, username TEXT NOT NULL,
      content TEXT NOT NULL, client_offset TEXT UNIQUE, inserted_at TIMESTAMPTZ NOT NULL DEFAULT now());
      CREATE INDEX IF NOT EXISTS messages_room_id ON messages (room, id);`);
    return {
      async save(m) {
        const { rows } = await pool.query(
          "INSERT INTO messages (room, user_id, username, content, client_offset) VALUES ($1, $2, $3, $4, $5) RETURNING id, inserted_at",
          [m.room, m.userId, m.username, m.content, `${m.userId}:${m.clientId}`]);
        return { id: Number(rows[0].id), ...m, insertedAt: rows[0].inserted_at };
      },
    };
  }
  throw new Error(`STORE must be none, sqlite or postgres, not ${kind}`);
}
