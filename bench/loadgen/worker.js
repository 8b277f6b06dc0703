// One load-generator process: opens its share of the WebSocket clients, joins each to its
// topic, keeps them alive with Phoenix heartbeats, and (in fan-out runs) times every
// `new_msg` it receives. Started by coordinator.js with fork(); it reports on stdout as
// JSON lines and takes commands over the IPC channel.
//
// One process holds at most ~15,000 sockets: a process may not open more than 20,000
// files on the benchmark machine.
import WebSocket from "ws";
import { mintToken } from "./lib/token.js";
import { Histogram } from "./lib/histogram.js";
import { nowMicros } from "./lib/args.js";

const config = JSON.parse(process.env.LOADGEN_WORKER);
const {
  worker,            // this worker's index
  url,               // ws://127.0.0.1:PORT
  count,             // sockets to open
  firstUserId,       // user ids firstUserId .. firstUserId + count - 1, one per socket
  localAddress,      // source address (127.0.0.x) so that the coordinator can pass ~28k ephemeral ports per address
  topic,             // "none" | "room:lobby" | "room:bench-{K}" with K = userId % rooms
  rooms,             // number of bench rooms for "room:bench-{K}"
  concurrency,       // handshakes (connect + join) in flight at once
  heartbeatMs,       // Phoenix heartbeat period
  signingKey,
  retries,           // attempts per socket after the first, for transient connect errors
  timeLatency,       // time `new_msg` frames whose content starts with "t=<micros>;"
} = config;

const clients = new Array(count);
const stats = {
  opened: 0,        // sockets whose upgrade succeeded
  joined: 0,        // sockets whose join got an ok reply (equal to opened when no topic)
  failed: 0,        // sockets given up on
  closed: 0,        // sockets that were open and then closed without our asking
  retried: 0,
  heartbeatsSent: 0,
  heartbeatReplies: 0,
  received: 0,      // new_msg frames received
  lastReceivedAt: 0, // CLOCK_MONOTONIC micros of the last new_msg received
  cpuMicros: 0,     // this process's CPU time (user + system)
  maxLoopLagMs: 0,  // the longest the heartbeat timer fired late: a busy client skews every number
  errors: {},       // error/close reason -> count
};
const latency = new Histogram();
let closing = false;

function note(reason) {
  stats.errors[reason] = (stats.errors[reason] ?? 0) + 1;
}

function emit(type, extra = {}) {
  const cpu = process.cpuUsage();
  stats.cpuMicros = cpu.user + cpu.system;
  process.stdout.write(JSON.stringify({ type, worker, t: Date.now(), ...stats, ...extra }) + "\n");
}

function topicFor(userId) {
  if (topic === "none") return null;
  if (topic === "room:bench-{K}") return `room:bench-${userId % rooms}`;
  return topic;
}

// The content of a timed message is "t=<micros>;s=<seq>". Finding the stamp in the raw
// bytes, without JSON.parse, keeps the client's CPU cost per frame low: the clients share
// the machine's two cores with the server.
const NEW_MSG = Buffer.from('"new_msg"');
const STAMP = Buffer.from('"t=');

function onFrame(client, data) {
  if (timeLatency && data.indexOf(NEW_MSG) >= 0) {
    const at = data.indexOf(STAMP);
    if (at >= 0) {
      let value = 0;
      for (let i = at + 3; i < data.length; i++) {
        const c = data[i];
        if (c < 48 || c > 57) break;
        value = value * 10 + (c - 48);
      }
      const now = nowMicros();
      latency.record(now - value);
      stats.received++;
      stats.lastReceivedAt = now;
      return;
    }
  }

  // Only replies matter from here: the join's and the heartbeats'.
  const text = data.toString();
  if (!text.includes('"phx_reply"')) return;
  const [, ref, , , payload] = JSON.parse(text);
  if (ref === client.joinRef) {
    client.resolveJoin?.(payload.status === "ok" ? null : `join ${payload.status}: ${JSON.stringify(payload.response)}`);
  } else if (payload.status === "ok") {
    stats.heartbeatReplies++;
  }
}

function openOne(index, attempt = 0) {
  const userId = firstUserId + index;
  const token = mintToken(signingKey, { sub: userId, name: `bench${userId}` });
  const socketUrl = `${url}/socket/websocket?vsn=2.0.0&token=${token}`;
  return new Promise((resolve) => {
    const client = { ws: null, joinRef: null, ref: 0, open: false };
    clients[index] = client;
    const ws = new WebSocket(socketUrl, { localAddress, perMessageDeflate: false, handshakeTimeout: 30000 });
    client.ws = ws;
    let settled = false;
    const settle = (error) => {
      if (settled) return;
      settled = true;
      client.resolveJoin = null;
      if (!error) {
        stats.joined++;
        resolve();
        return;
      }
      ws.removeAllListeners("close");
      ws.terminate();
      if (client.open) stats.opened--;
      client.open = false;
      const transient = /ECONNRESET|ECONNREFUSED|EADDRNOTAVAIL|ETIMEDOUT|timed out|socket hang up/.test(error);
      if (transient && attempt < retries && !closing) {
        stats.retried++;
        setTimeout(() => openOne(index, attempt + 1).then(resolve), 200 * (attempt + 1));
        return;
      }
      note(error);
      stats.failed++;
      clients[index] = null;
      resolve();
    };

    ws.on("open", () => {
      client.open = true;
      stats.opened++;
      const joinTopic = topicFor(userId);
      if (!joinTopic) {
        settle(null);
        return;
      }
      client.joinRef = String(++client.ref);
      client.resolveJoin = settle;
      ws.send(JSON.stringify([client.joinRef, client.joinRef, joinTopic, "phx_join", {}]));
    });
    ws.on("message", (data) => onFrame(client, data));
    ws.on("unexpected-response", (_req, res) => settle(`HTTP ${res.statusCode}`));
    ws.on("error", (error) => settle(error.code ?? error.message));
    ws.on("close", (code) => {
      if (!settled) {
        settle(`closed ${code} before join`);
        return;
      }
      if (client.open && !closing) {
        stats.closed++;
        note(`closed ${code}`);
      }
      client.open = false;
    });
  });
}

async function openAll() {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count && !closing) {
      await openOne(next++);
    }
  });
  const progress = setInterval(() => emit("progress"), 1000);
  await Promise.all(lanes);
  clearInterval(progress);
  emit("ready");
}

// One timer for the whole worker: each socket has a slot, and each tick sends the heartbeats
// of the slots whose time has come, so a worker's heartbeats are spread evenly over the
// period. Slots follow the wall clock, not the count of ticks: when the machine is busy the
// timer fires late, and counting ticks would stretch the period past the server's idle
// timeout (60 s) and get sockets closed.
const TICK_MS = 250;
const slots = Math.max(1, Math.round(heartbeatMs / TICK_MS));
const heartbeatStart = Date.now();
let nextSlot = 0; // absolute slot number, slots since heartbeatStart
let lastTickAt = Date.now();
const heartbeatTimer = setInterval(() => {
  const now = Date.now();
  stats.maxLoopLagMs = Math.max(stats.maxLoopLagMs, now - lastTickAt - TICK_MS);
  lastTickAt = now;
  const dueSlot = Math.floor((now - heartbeatStart) / TICK_MS);
  // After a long stall, one round over every socket is enough.
  const from = Math.max(nextSlot, dueSlot - slots + 1);
  for (let absolute = from; absolute <= dueSlot; absolute++) {
    for (let i = absolute % slots; i < count; i += slots) {
      const client = clients[i];
      if (!client?.open || client.ws.readyState !== WebSocket.OPEN) continue;
      const ref = String(++client.ref);
      client.ws.send(`[null,"${ref}","phoenix","heartbeat",{}]`);
      stats.heartbeatsSent++;
    }
  }
  nextSlot = dueSlot + 1;
}, TICK_MS);

async function closeAll() {
  closing = true;
  clearInterval(heartbeatTimer);
  const open = clients.filter((c) => c?.ws && c.ws.readyState === WebSocket.OPEN);
  await Promise.all(open.map((c) => new Promise((resolve) => {
    const timer = setTimeout(() => { c.ws.terminate(); resolve(); }, 10000);
    c.ws.once("close", () => { clearTimeout(timer); resolve(); });
    c.ws.close(1000);
  })));
  emit("closed");
}

process.on("message", async (command) => {
  switch (command.type) {
    case "stats":
      emit("stats");
      break;
    case "latency":
      process.stdout.write(JSON.stringify({ type: "latency", worker, received: stats.received, histogram: latency.toSparse() }) + "\n");
      break;
    case "reset-latency":
      latency.counts.fill(0);
      stats.received = 0;
      emit("latency-reset");
      break;
    case "close":
      await closeAll();
      process.disconnect?.();
      process.exit(0);
  }
});

// The coordinator going away must not leave sockets behind.
process.on("disconnect", () => process.exit(0));

openAll();
