#!/usr/bin/env node
// Several nodes, one chat. Two measurements, each for one node and for N nodes on one
// PostgreSQL (and, for N > 1, one Redis), all on this machine:
//
//  - fan-out: one room whose members are spread evenly over the nodes, and one sender on
//    the first node pushing `new_msg` at each rate of a ladder (as bench/loadgen/fanout.js
//    does for one node): deliveries per second and latency from send to receipt;
//  - presence fill: --fill sockets join one room (spread over the nodes) while an observer
//    already in it watches presence: how long until every socket has its join reply, and
//    until the observer's presence says the room holds them all.
//
// bench/multinode.sh starts PostgreSQL and Redis and passes --postgres and --redis.
import WebSocket from "ws";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { Load } from "./coordinator.js";
import { BenchServer } from "./lib/server.js";
import { mintToken } from "./lib/token.js";
import { Histogram } from "./lib/histogram.js";
import { parseArgs, sleep, nowMicros } from "./lib/args.js";

const options = parseArgs(process.argv.slice(2), {
  nodes: "1,2",
  members: 2000,
  rates: "100/200/500",
  seconds: 10,
  drain: 15,
  fill: 10000,
  perWorker: 5000,
  postgres: "",             // an admin connection string: Host=…;Port=…;Username=…
  redis: "",                // host:port
  scenarios: "fanout,fill",
  out: "",
});

const print = (type, data) => console.log(JSON.stringify({ type, t: Date.now(), ...data }));
const ms = (micros) => (micros == null ? null : Math.round(micros / 10) / 100);

function adminArgs() {
  const parts = Object.fromEntries(options.postgres.split(";").filter(Boolean).map((p) => {
    const at = p.indexOf("=");
    return [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim()];
  }));
  return { parts, args: ["-h", parts.host, "-p", parts.port ?? "5432", "-U", parts.username, "-d", parts.database ?? "postgres"] };
}

function psql(sql) {
  const { args } = adminArgs();
  const run = spawnSync("psql", [...args, "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`psql: ${run.stderr}`);
}

/** N nodes on a fresh database; with more than one, sharing Redis under a fresh prefix. */
async function startCluster(count) {
  const database = `bench_nodes_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  psql(`CREATE DATABASE ${database}`);
  const { parts } = adminArgs();
  const env = {
    Chat__Database__Provider: "postgres",
    ConnectionStrings__Chat: `Host=${parts.host};Port=${parts.port ?? 5432};Username=${parts.username};Database=${database}`,
    Chat__RateLimit__MessagesPerSecond: "1000000",
    Chat__RateLimit__Burst: "1000000",
    Chat__Limits__MaxConnections: "20000",
  };
  if (count > 1) {
    env.ConnectionStrings__Redis = options.redis;
    env.Chat__Redis__Prefix = `bench-${randomUUID().slice(0, 8)}:`;
  }
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const node = new BenchServer({ env });
    if (i > 0) node.signingKey = nodes[0].signingKey;
    nodes.push(await node.start());
  }
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}

async function createRoom(node, name) {
  const token = mintToken(node.signingKey, { sub: 1_000_000_000, name: "bench-admin" });
  const response = await fetch(`${node.httpUrl}/api/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201) throw new Error(`create room: ${response.status} ${await response.text()}`);
  return (await response.json()).room.slug;
}

/** Members spread evenly over the nodes, each node's from its own worker processes and source addresses. */
function spreadLoad(nodes, connections, topic, timeLatency) {
  return nodes.map((node, i) => new Load({
    url: node.wsUrl,
    connections: Math.round(connections / nodes.length),
    topic,
    perWorker: options.perWorker,
    signingKey: node.signingKey,
    firstUserId: 1 + i * 1_000_000,
    firstSourceAddress: 2 + i * 20,
    timeLatency,
  }));
}

const sum = (totals, key) => totals.reduce((n, t) => n + t[key], 0);

/** A raw V2 socket that joins a topic; `onEvent(event, payload)` for every push and broadcast. */
async function openSocket(node, userId, topic, onEvent = () => {}) {
  const token = mintToken(node.signingKey, { sub: userId, name: `u${userId}` });
  const ws = new WebSocket(`${node.wsUrl}/socket/websocket?vsn=2.0.0&token=${token}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  const socket = { ws, ref: 1, joinRef: "1", acked: 0 };
  let joined;
  const joinedReply = new Promise((resolve) => { joined = resolve; });
  ws.on("message", (data) => {
    const [, ref, , event, payload] = JSON.parse(data.toString());
    if (event === "phx_reply") {
      if (ref === socket.joinRef) joined(payload);
      else if (payload.status === "ok") socket.acked++;
      return;
    }
    onEvent(event, payload);
  });
  ws.send(JSON.stringify([socket.joinRef, socket.joinRef, topic, "phx_join", {}]));
  const reply = await joinedReply;
  if (reply.status !== "ok") throw new Error(`join failed: ${JSON.stringify(reply)}`);
  socket.heartbeat = setInterval(() => ws.send(`[null,"${++socket.ref}","phoenix","heartbeat",{}]`), 30000);
  socket.close = () => { clearInterval(socket.heartbeat); ws.close(1000); };
  return socket;
}

async function sendAt(sender, topic, rate, seconds) {
  const total = Math.max(1, Math.round(rate * seconds));
  const start = nowMicros();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1e6) / rate;
    const wait = due - nowMicros();
    if (wait > 1000) await sleep(wait / 1000);
    sender.ws.send(`["${sender.joinRef}","${++sender.ref}","${topic}","new_msg",{"content":"t=${nowMicros()};s=${i}"}]`);
  }
  return { sent: total, startedAt: start, sendSeconds: (nowMicros() - start) / 1e6 };
}

async function fanout(count) {
  const cluster = await startCluster(count);
  const results = [];
  try {
    const topic = `room:${await createRoom(cluster.nodes[0], "fanout")}`;
    const loads = spreadLoad(cluster.nodes, options.members, topic, true);
    const ready = await Promise.all(loads.map((l) => l.ready()));
    const members = sum(ready, "joined");
    print("ready", { nodes: count, members });
    if (members !== options.members) throw new Error(`only ${members} of ${options.members} joined`);
    const sender = await openSocket(cluster.nodes[0], 999_999_999, topic);
    const received = async () => sum(await Promise.all(loads.map((l) => l.refresh())), "received");
    try {
      const { sent: warmups } = await sendAt(sender, topic, 20, 1);
      const warmDeadline = Date.now() + options.drain * 1000;
      while ((await received()) < warmups * members && Date.now() < warmDeadline) await sleep(250);
      await sleep(1000);
      for (const rate of options.rates.split("/").map(Number)) {
        await Promise.all(loads.map((l) => l.resetLatency()));
        const before = await received();
        const cpu0 = cluster.nodes.map((n) => n.cpuSeconds());
        const { sent, startedAt, sendSeconds } = await sendAt(sender, topic, rate, options.seconds);
        const expected = sent * members;
        const deadline = Date.now() + options.drain * 1000;
        let totals = await Promise.all(loads.map((l) => l.refresh()));
        while (sum(totals, "received") - before < expected && Date.now() < deadline) {
          await sleep(250);
          totals = await Promise.all(loads.map((l) => l.refresh()));
        }
        const histogram = new Histogram();
        let got = 0;
        for (const { histogram: h, received: n } of await Promise.all(loads.map((l) => l.latency()))) {
          histogram.merge(h);
          got += n;
        }
        const lastAt = Math.max(...totals.map((t) => t.lastReceivedAt || 0));
        const span = Math.max(sendSeconds, ((lastAt || nowMicros()) - startedAt) / 1e6);
        const result = {
          scenario: "fanout", nodes: count, members, rate, sent, expected, received: got,
          deliveredPerSecond: Math.round(got / span),
          latencyMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.percentile(100)) },
          serverCpuSeconds: Math.round(cluster.nodes.reduce((n, node, i) => n + node.cpuSeconds() - cpu0[i], 0) * 100) / 100,
          socketsClosed: sum(totals, "closed"),
        };
        print("step", result);
        results.push(result);
        if (got < expected) break;
        await sleep(2000);
      }
    } finally {
      sender.close();
      await Promise.all(loads.map((l) => l.close()));
    }
  } finally {
    await cluster.stop();
  }
  return results;
}

async function fill(count) {
  const cluster = await startCluster(count);
  try {
    const topic = `room:${await createRoom(cluster.nodes[0], "fill")}`;
    let present = 1;
    let fullAt = null;
    const observer = await openSocket(cluster.nodes[count - 1], 999_999_998, topic, (event, payload) => {
      // Below the list limit the diffs tell the count; above it, presence_count does.
      if (event === "presence_count") present = payload.count;
      else if (event === "presence_state") present = Math.max(present, Object.keys(payload).length);
      else if (event === "presence_diff") present += Object.keys(payload.joins).length - Object.keys(payload.leaves).length;
      if (fullAt === null && present >= options.fill + 1) fullAt = nowMicros();
    });
    const started = nowMicros();
    const loads = spreadLoad(cluster.nodes, options.fill, topic, false);
    const ready = await Promise.all(loads.map((l) => l.ready()));
    const joinedAt = nowMicros();
    const deadline = Date.now() + 120_000;
    while (fullAt === null && Date.now() < deadline) await sleep(50);
    const result = {
      scenario: "fill", nodes: count, sockets: options.fill, joined: sum(ready, "joined"),
      allJoinedSeconds: Math.round((joinedAt - started) / 1e4) / 100,
      presenceCompleteSeconds: fullAt === null ? null : Math.round((fullAt - started) / 1e4) / 100,
      observerCount: present,
    };
    print("fill", result);
    observer.close();
    await Promise.all(loads.map((l) => l.close()));
    return [result];
  } finally {
    await cluster.stop();
  }
}

if (!options.postgres || !options.redis) throw new Error("--postgres and --redis are required (bench/multinode.sh passes them)");
const all = [];
for (const scenario of options.scenarios.split(",")) {
  for (const count of options.nodes.split(",").map(Number)) {
    all.push(...(scenario === "fanout" ? await fanout(count) : await fill(count)));
  }
}

const lines = ["| nodes | members | sends/s | delivered / expected | delivered msg/s | p50 ms | p99 ms | max ms | servers' CPU s |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"];
for (const r of all.filter((r) => r.scenario === "fanout")) {
  lines.push(`| ${r.nodes} | ${r.members} | ${r.rate} | ${r.received} / ${r.expected} | ${r.deliveredPerSecond} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.serverCpuSeconds} |`);
}
lines.push("", "| nodes | sockets | all joined s | presence complete s |", "|---:|---:|---:|---:|");
for (const r of all.filter((r) => r.scenario === "fill")) {
  lines.push(`| ${r.nodes} | ${r.joined} / ${r.sockets} | ${r.allJoinedSeconds} | ${r.presenceCompleteSeconds ?? "never"} |`);
}
console.log("\n" + lines.join("\n"));
if (options.out) writeFileSync(options.out, JSON.stringify({ options, results: all }, null, 2));
process.exit(0);
