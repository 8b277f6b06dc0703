#!/usr/bin/env node
// Idle-connection memory benchmark. For each variant (what every socket joins) and each
// connection count N, on a fresh server each time:
//
//   1. start the Release server with a fresh data dir; open and close a few hundred
//      sockets to warm it up (JIT, thread pool, pools); wait for it to settle
//   2. baseline: sample RSS several times (median)          -> rss0
//      [tools] gcdump (forces a full GC), then sample again -> rss0 after GC, heap0
//   3. open N sockets, each joined to the variant's topic; require that all N joined and
//      that the server holds N more open files
//   4. wait to settle, sample RSS several times (median)    -> rssN
//      [tools] gcdump + counters, sample again              -> rssN after GC, heapN
//   5. per connection = (rssN - rss0) / N   (and the same after a forced GC, and for the
//      managed heap); then close the sockets and sample once more, to see what comes back
//
// Prints JSON lines as it goes and a Markdown table at the end; --out writes every number.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Load } from "./coordinator.js";
import { BenchServer, tcpKernelMemory } from "./lib/server.js";
import { parseArgs, sleep } from "./lib/args.js";
import { mintToken } from "./lib/token.js";

const here = dirname(fileURLToPath(import.meta.url));
const toolsDir = resolve(here, "../.tools");

const options = parseArgs(process.argv.slice(2), {
  counts: "1000,5000,10000,19000",
  variants: "lobby,none",   // lobby: room:lobby · rooms: room:bench-K over --rooms rooms · none: no join
  rooms: 100,
  perWorker: 10000,
  concurrency: 100,
  warmup: 500,
  settle: 15,               // seconds to wait before sampling
  samples: 5,
  sampleInterval: 2,        // seconds between samples
  tools: true,              // use dotnet-gcdump / dotnet-counters from bench/.tools when present
  topTypes: 12,
  out: "",
});

const TOPICS = { lobby: "room:lobby", rooms: "room:bench-{K}", none: "none" };
const MiB = 1024 * 1024;
const print = (type, data) => console.log(JSON.stringify({ type, t: Date.now(), ...data }));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const gcdump = join(toolsDir, "dotnet-gcdump");
const counters = join(toolsDir, "dotnet-counters");
const haveTools = options.tools && existsSync(gcdump) && existsSync(counters);
if (options.tools && !haveTools) print("note", { message: "dotnet-gcdump/dotnet-counters not in bench/.tools: RSS only" });

async function sampleRss(server) {
  const rss = [];
  let last;
  for (let i = 0; i < options.samples; i++) {
    if (i > 0) await sleep(options.sampleInterval * 1000);
    last = server.status();
    rss.push(last.rss);
  }
  return { median: median(rss), min: Math.min(...rss), max: Math.max(...rss), samples: rss, threads: last.threads, anon: last.rssAnon, file: last.rssFile, shmem: last.rssShmem };
}

/** Forces a full blocking GC (gcdump walks the heap after one) and returns the live heap by type. */
function heapDump(pid, scratch, label) {
  const file = join(scratch, `${label}.gcdump`);
  execFileSync(gcdump, ["collect", "-p", String(pid), "-o", file], { stdio: "ignore", timeout: 180000 });
  const report = execFileSync(gcdump, ["report", file], { maxBuffer: 64 * MiB, timeout: 180000 }).toString();
  rmSync(file, { force: true });
  const total = Number(report.match(/([\d,]+)\s+GC Heap bytes/)[1].replace(/,/g, ""));
  const objects = Number(report.match(/([\d,]+)\s+GC Heap objects/)[1].replace(/,/g, ""));
  const types = new Map();
  for (const line of report.split("\n")) {
    // "   Object Bytes   Count  Type": bytes of one object, how many, the type.
    const m = line.match(/^\s*([\d,]+)\s+([\d,]+)\s+(.+?)\s*$/);
    if (!m) continue;
    const type = m[3].replace(/\s+\(Bytes > \d+K\)/, "").replace(/\s+\[[^\]]+\]$/, "");
    const bytes = Number(m[1].replace(/,/g, "")) * Number(m[2].replace(/,/g, ""));
    const count = Number(m[2].replace(/,/g, ""));
    const t = types.get(type) ?? { bytes: 0, count: 0 };
    t.bytes += bytes;
    t.count += count;
    types.set(type, t);
  }
  return { total, objects, types };
}

/** GC heap size and committed memory as the runtime reports them after the last GC. */
function gcCounters(pid, scratch) {
  const file = join(scratch, "counters.json");
  execFileSync(counters, ["collect", "-p", String(pid), "--format", "json", "-o", file, "--duration", "00:00:00:03",
    "--counters", "System.Runtime[dotnet.gc.last_collection.heap.size,dotnet.gc.last_collection.memory.committed_size,dotnet.gc.last_collection.heap.fragmentation.size,dotnet.process.memory.working_set]"],
  { stdio: "ignore", timeout: 60000 });
  const events = JSON.parse(readFileSync(file, "utf8")).Events;
  rmSync(file, { force: true });
  const latest = new Map();
  for (const e of events) latest.set(`${e.name}|${e.tags}`, e.value);
  const sum = (prefix) => [...latest].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  return {
    heapSize: sum("dotnet.gc.last_collection.heap.size"),
    committed: sum("dotnet.gc.last_collection.memory.committed_size"),
    fragmentation: sum("dotnet.gc.last_collection.heap.fragmentation.size"),
  };
}

/**
 * Records the server's allocation rate and GC counts while something runs: dotnet-counters
 * reports them per second, so their sum over the run is what the run allocated.
 */
async function watchAllocations(pid, scratch) {
  const file = join(scratch, "alloc.json");
  const child = spawn(counters, ["collect", "-p", String(pid), "--format", "json", "-o", file, "--refresh-interval", "1",
    "--duration", "00:00:10:00", "--counters", "System.Runtime[dotnet.gc.heap.total_allocated,dotnet.gc.collections]"], { stdio: ["pipe", "ignore", "ignore"] });
  // Start measuring only once the session reports, or the first sockets go uncounted.
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline && !(existsSync(file) && readFileSync(file, "utf8").includes("total_allocated"))) await sleep(200);
  return async () => {
    await sleep(2500); // the last one-second interval
    // "q" ends the session cleanly, with every interval written; a signal loses the last ones.
    child.stdin.end("q");
    const killer = setTimeout(() => child.kill("SIGINT"), 15000);
    await new Promise((done) => (child.exitCode !== null ? done() : child.once("exit", done)));
    clearTimeout(killer);
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    rmSync(file, { force: true });
    // The file may lack its closing brackets after an interrupt, so read it event by event.
    let allocated = 0;
    const collections = { gen0: 0, gen1: 0, gen2: 0 };
    for (const m of text.matchAll(/"name": "([^"]+)",\s*"tags": "([^"]*)",[^}]*?"value": ([\d.eE+-]+)/g)) {
      if (m[1].startsWith("dotnet.gc.heap.total_allocated")) allocated += Number(m[3]);
      else if (m[1].startsWith("dotnet.gc.collections")) {
        const gen = m[2].match(/gen\d/)?.[0];
        if (gen) collections[gen] += Number(m[3]);
      }
    }
    return { allocated, collections };
  };
}

async function openAll(server, connections, topic, firstUserId) {
  const load = new Load({
    url: server.wsUrl, connections, topic, rooms: options.rooms, perWorker: options.perWorker,
    concurrency: options.concurrency, signingKey: server.signingKey, firstUserId,
  });
  const started = Date.now();
  const totals = await load.ready((t) => print("progress", { opened: t.opened, joined: t.joined, failed: t.failed }));
  return { load, totals, seconds: (Date.now() - started) / 1000 };
}

/** The chat only admits joins to rooms that exist: make room:bench-0 … bench-(count-1). */
async function createBenchRooms(server, count) {
  const token = mintToken(server.signingKey, { sub: 999_999_999, name: "bench-admin" });
  for (let k = 0; k < count; k++) {
    const response = await fetch(`${server.httpUrl}/api/rooms`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: `bench-${k}` }),
    });
    const { room } = await response.json();
    if (response.status !== 201 || room.slug !== `bench-${k}`) {
      throw new Error(`could not create room bench-${k}: ${response.status} ${room?.slug}`);
    }
  }
}

async function run(variant, n) {
  const topic = TOPICS[variant];
  if (!topic) throw new Error(`unknown variant ${variant}`);
  const server = await new BenchServer().start();
  const scratch = mkdtempSync(join(tmpdir(), "chat-idle-"));
  const result = { variant, topic, connections: n };
  try {
    if (variant === "rooms") await createBenchRooms(server, options.rooms);
    // Warm-up: the first sockets pay for JIT and for growing the pools; that is start-up
    // cost, not per-connection cost. Different user ids from the measured ones.
    if (options.warmup > 0) {
      const warm = await openAll(server, options.warmup, topic, 1_000_000);
      await warm.load.close();
    }
    await sleep(options.settle * 1000);
    const fds0 = server.openFiles();
    const cpu0 = server.cpuSeconds();
    result.baseline = await sampleRss(server);
    if (haveTools) {
      const dump = heapDump(server.pid, scratch, "baseline");
      result.baseline.heap = dump.total;
      result.baseline.heapTypes = dump.types;
      result.baseline.afterGc = await sampleRss(server);
    }
    print("baseline", { variant, n, rssMiB: result.baseline.median / MiB, heapMiB: (result.baseline.heap ?? 0) / MiB, fds: fds0 });

    const stopWatching = haveTools ? await watchAllocations(server.pid, scratch) : null;
    const { load, totals, seconds } = await openAll(server, n, topic, 1);
    result.open = { ...totals, seconds };
    if (stopWatching) {
      const { allocated, collections } = await stopWatching();
      result.open.allocatedPerConnection = allocated / n;
      result.open.gcCollections = collections;
    }
    print("opened", { variant, n, ...totals, seconds });
    try {
      await sleep(options.settle * 1000);
      const idleStart = { cpu: server.cpuSeconds(), at: Date.now() };
      result.loaded = await sampleRss(server);
      result.idleCpuPercent = 100 * (server.cpuSeconds() - idleStart.cpu) / ((Date.now() - idleStart.at) / 1000);
      result.fds = server.openFiles() - fds0;
      result.tcpKernel = tcpKernelMemory();
      if (haveTools) {
        const dump = heapDump(server.pid, scratch, "loaded");
        result.loaded.heap = dump.total;
        result.loaded.afterGc = await sampleRss(server);
        result.loaded.gc = gcCounters(server.pid, scratch);
        const perConnection = [];
        for (const [type, t] of dump.types) {
          const before = result.baseline.heapTypes.get(type) ?? { bytes: 0, count: 0 };
          const bytes = t.bytes - before.bytes;
          if (bytes > 0) perConnection.push({ type, bytesPerConnection: bytes / n, objectsPerConnection: (t.count - before.count) / n });
        }
        perConnection.sort((a, b) => b.bytesPerConnection - a.bytesPerConnection);
        result.heapTypesPerConnection = perConnection.slice(0, options.topTypes);
      }
      // Every socket must still be open after the measurement.
      result.after = await load.refresh();
    } finally {
      await load.close();
    }
    result.cpuDuringIdleAndSampling = server.cpuSeconds() - cpu0;
    await sleep(options.settle * 1000);
    result.closed = await sampleRss(server);
    result.fdsAfterClose = server.openFiles() - fds0;
    if (haveTools) {
      // What is still reachable once every socket has gone: should be the baseline again.
      const dump = heapDump(server.pid, scratch, "closed");
      result.closed.heap = dump.total;
      const left = [];
      for (const [type, t] of dump.types) {
        const before = result.baseline.heapTypes.get(type) ?? { bytes: 0, count: 0 };
        if (t.count - before.count >= n / 2) left.push({ type, objects: t.count - before.count, bytes: t.bytes - before.bytes });
      }
      result.closed.leftoverTypes = left.sort((a, b) => b.bytes - a.bytes).slice(0, options.topTypes);
    }

    const complete = totals.joined === n && totals.failed === 0 && result.after.closed === 0 && result.after.joined === n
      && result.fds >= n; // the server itself holds every socket
    result.valid = complete;
    result.perConnection = {
      rss: (result.loaded.median - result.baseline.median) / n,
      rssAfterGc: haveTools ? (result.loaded.afterGc.median - result.baseline.afterGc.median) / n : null,
      heap: haveTools ? (result.loaded.heap - result.baseline.heap) / n : null,
    };
    delete result.baseline.heapTypes;
    print("result", result);
    return result;
  } finally {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const results = [];
for (const variant of options.variants.split(",")) {
  for (const n of options.counts.split(",").map(Number)) {
    results.push(await run(variant, n));
  }
}

const kib = (b) => (b == null ? "–" : (b / 1024).toFixed(1));
const mib = (b) => (b == null ? "–" : (b / MiB).toFixed(1));
const lines = [
  "| joined | N | opened/joined | RSS base MiB | RSS with N MiB | **RSS/conn KiB** | after GC: RSS/conn KiB | managed heap/conn KiB | allocated/conn while connecting KiB | gen2 GCs while connecting | server threads | RSS after close MiB | heap after close − base MiB |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const r of results) {
  lines.push(`| ${r.topic === "none" ? "nothing" : r.topic} | ${r.connections} | ${r.open.joined}${r.valid ? "" : " (INCOMPLETE)"} | ${mib(r.baseline.median)} | ${mib(r.loaded.median)} | **${kib(r.perConnection.rss)}** | ${kib(r.perConnection.rssAfterGc)} | ${kib(r.perConnection.heap)} | ${r.open.allocatedPerConnection ? kib(r.open.allocatedPerConnection) : "–"} | ${r.open.gcCollections?.gen2 ?? "–"} | ${r.loaded.threads} | ${mib(r.closed.median)} | ${haveTools ? mib(r.closed.heap - r.baseline.heap) : "–"} |`);
}
console.log("\n" + lines.join("\n"));
if (options.out) {
  writeFileSync(options.out, JSON.stringify({ options, machine: { cpus: 2 }, results }, (k, v) => (v instanceof Map ? Object.fromEntries(v) : v), 2));
}
process.exit(results.every((r) => r.valid) ? 0 : 1);
