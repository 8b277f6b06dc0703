#!/usr/bin/env node
// Broadcast fan-out benchmark. For each room size M: a fresh server, M receiving sockets
// joined to room:fanout (spread over worker processes), and one sender socket in the same
// room that pushes `new_msg` at a fixed rate for a few seconds per step of a rate ladder.
// Every message's content carries the sender's CLOCK_MONOTONIC time in microseconds
// ("t=<micros>;s=<seq>"), which every process on the machine shares, so each receiver
// measures send-to-receipt latency itself.
//
// Reports per step: messages sent and acknowledged, deliveries expected (sent × M) and
// received, delivered messages per second, latency p50/p90/p99/max, sockets lost, and the
// CPU seconds that the server and the clients used (they share the same two cores).
import WebSocket from "ws";
import { writeFileSync } from "node:fs";
import { Load } from "./coordinator.js";
import { BenchServer } from "./lib/server.js";
import { mintToken } from "./lib/token.js";
import { parseArgs, sleep, nowMicros } from "./lib/args.js";

const options = parseArgs(process.argv.slice(2), {
  members: "1000,10000",
  // Sends per second, per room size: "M:r1/r2/...;M:...". A ladder stops early when a
  // step loses sockets or cannot deliver everything within --drain seconds.
  rates: "1000:10/100/200/500/1000;10000:1/10/20/50/100",
  seconds: 10,              // sending time per step
  drain: 15,                // seconds to wait for the last deliveries
  perWorker: 5000,
  topic: "room:fanout",
  out: "",
});

const print = (type, data) => console.log(JSON.stringify({ type, t: Date.now(), ...data }));
const ms = (micros) => (micros == null ? null : Math.round(micros / 10) / 100);

function ratesFor(members) {
  for (const part of options.rates.split(";")) {
    const [m, list] = part.split(":");
    if (Number(m) === members) return list.split("/").map(Number);
  }
  return [10];
}

/** The one socket that sends; it is a member of the room too and ignores its own broadcasts. */
async function openSender(server) {
  const token = mintToken(server.signingKey, { sub: 999999, name: "sender" });
  const ws = new WebSocket(`${server.wsUrl}/socket/websocket?vsn=2.0.0&token=${token}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  const sender = { ws, ref: 1, joinRef: "1", acked: 0, errors: 0, pending: new Map() };
  ws.on("message", (data) => {
    const text = data.toString();
    if (!text.includes("phx_reply")) return;
    const [, ref, , , payload] = JSON.parse(text);
    if (ref === sender.joinRef) { sender.onJoin?.(payload); return; }
    if (ref && sender.pending.delete(ref)) {
      if (payload.status === "ok") sender.acked++; else sender.errors++;
    }
  });
  const joined = new Promise((resolve) => { sender.onJoin = resolve; });
  ws.send(JSON.stringify([sender.joinRef, sender.joinRef, options.topic, "phx_join", {}]));
  const reply = await joined;
  if (reply.status !== "ok") throw new Error(`sender join failed: ${JSON.stringify(reply)}`);
  // The sender sends heartbeats too, or the server closes it after 60 s.
  sender.heartbeat = setInterval(() => ws.send(`[null,"${++sender.ref}","phoenix","heartbeat",{}]`), 30000);
  return sender;
}

function send(sender, seq) {
  const ref = String(++sender.ref);
  sender.pending.set(ref, true);
  sender.ws.send(`["${sender.joinRef}","${ref}","${options.topic}","new_msg",{"content":"t=${nowMicros()};s=${seq}"}]`);
}

/** Sends at `rate` per second for `seconds`, on an open loop: the schedule never waits for replies. */
async function sendAt(sender, rate, seconds) {
  const total = Math.max(1, Math.round(rate * seconds));
  const start = nowMicros();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1e6) / rate;
    const wait = due - nowMicros();
    if (wait > 1000) await sleep(wait / 1000);
    send(sender, i);
  }
  return { sent: total, startedAt: start, sendSeconds: (nowMicros() - start) / 1e6 };
}

async function step(server, load, sender, members, rate) {
  await load.resetLatency();
  const before = await load.refresh();
  const serverCpu0 = server.cpuSeconds();
  const acked0 = sender.acked;
  const { sent, startedAt, sendSeconds } = await sendAt(sender, rate, options.seconds);
  const expected = sent * members;
  // Wait until every delivery arrived, or until nothing moved for a while.
  const deadline = Date.now() + options.drain * 1000;
  let totals = await load.refresh();
  while (totals.received < expected && Date.now() < deadline) {
    await sleep(250);
    totals = await load.refresh();
  }
  const { histogram, received } = await load.latency();
  const after = totals;
  const spanSeconds = Math.max(sendSeconds, ((after.lastReceivedAt || nowMicros()) - startedAt) / 1e6);
  const result = {
    members,
    rate,
    sent,
    acked: sender.acked - acked0,
    expected,
    received,
    lost: expected - received,
    deliveredPerSecond: Math.round(received / spanSeconds),
    offeredPerSecond: rate * members,
    spanSeconds: Math.round(spanSeconds * 100) / 100,
    latencyMs: {
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.percentile(100)),
    },
    socketsClosed: after.closed - before.closed,
    closeReasons: after.errors,
    serverCpuSeconds: Math.round((server.cpuSeconds() - serverCpu0) * 100) / 100,
    clientCpuSeconds: Math.round((after.cpuMicros - before.cpuMicros) / 1e4) / 100,
    serverRssMiB: Math.round(server.status().rss / 1048576),
  };
  print("step", result);
  return result;
}

async function runRoom(members) {
  const server = await new BenchServer().start();
  const results = [];
  try {
    const load = new Load({
      url: server.wsUrl, connections: members, topic: options.topic, perWorker: options.perWorker,
      signingKey: server.signingKey, timeLatency: true,
    });
    const totals = await load.ready();
    print("ready", { members, opened: totals.opened, joined: totals.joined, failed: totals.failed });
    if (totals.joined !== members) throw new Error(`only ${totals.joined} of ${members} joined`);
    const sender = await openSender(server);
    try {
      // Warm-up: JIT the broadcast path before anything is timed, and wait until every
      // warm-up delivery has arrived, or a slow one would be counted in the first step.
      const { sent: warmups } = await sendAt(sender, 20, 1);
      const warmDeadline = Date.now() + options.drain * 1000;
      while ((await load.refresh()).received < warmups * members && Date.now() < warmDeadline) await sleep(250);
      await sleep(1000);
      for (const rate of ratesFor(members)) {
        const r = await step(server, load, sender, members, rate);
        results.push(r);
        if (r.socketsClosed > 0 || r.lost > 0) {
          print("note", { message: `stopping the ladder at ${rate}/s: ${r.lost} deliveries missing, ${r.socketsClosed} sockets closed` });
          break;
        }
        await sleep(2000);
      }
    } finally {
      clearInterval(sender.heartbeat);
      sender.ws.close(1000);
      await load.close();
    }
  } finally {
    await server.stop();
  }
  return results;
}

const all = [];
for (const members of options.members.split(",").map(Number)) {
  all.push(...await runRoom(members));
}

const lines = [
  "| members | sends/s | sent | acked | delivered / expected | delivered msg/s | p50 ms | p90 ms | p99 ms | max ms | sockets lost | server CPU s | clients CPU s |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const r of all) {
  lines.push(`| ${r.members} | ${r.rate} | ${r.sent} | ${r.acked} | ${r.received} / ${r.expected} | ${r.deliveredPerSecond} | ${r.latencyMs.p50} | ${r.latencyMs.p90} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.socketsClosed} | ${r.serverCpuSeconds} | ${r.clientCpuSeconds} |`);
}
console.log("\n" + lines.join("\n"));
if (options.out) writeFileSync(options.out, JSON.stringify({ options, results: all }, null, 2));
process.exit(0);
