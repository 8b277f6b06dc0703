// Forks worker processes until they hold the target number of sockets between them, and
// sums up what they report. Each worker gets its own source address (127.0.0.2, .3, ...),
// so the ~28k ephemeral ports of one loopback address never run out, and its own range of
// user ids, so that every socket is a different user (a different `user_socket:{id}` topic).
import { fork } from "node:child_process";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Histogram } from "./lib/histogram.js";

const here = dirname(fileURLToPath(import.meta.url));
const COUNTERS = ["opened", "joined", "failed", "closed", "retried", "heartbeatsSent", "heartbeatReplies", "received", "cpuMicros"];
const MAXIMA = ["maxLoopLagMs"];

export const DEFAULTS = {
  url: "ws://127.0.0.1:4000",
  connections: 1000,
  perWorker: 10000,       // at most 15,000: a process may hold 20,000 files here
  topic: "room:lobby",    // "none", "room:lobby" or "room:bench-{K}"
  rooms: 10,              // K ranges over 0 .. rooms-1 for "room:bench-{K}"
  concurrency: 100,       // handshakes in flight per worker
  heartbeatMs: 30000,
  signingKey: process.env.Chat__Auth__SigningKey ?? "",
  firstUserId: 1,
  retries: 3,
  firstSourceAddress: 2,  // 127.0.0.2, 127.0.0.3, ...
  timeLatency: false,
};

export class Load {
  constructor(options) {
    this.options = { ...DEFAULTS, ...options };
    const { connections, perWorker, signingKey } = this.options;
    if (!signingKey) throw new Error("a signing key is needed (--signing-key or Chat__Auth__SigningKey)");
    if (perWorker > 15000) throw new Error("--per-worker is at most 15000 (20,000 open files per process)");
    this.workers = [];
    this.listeners = new Set();
    const workerCount = Math.max(1, Math.ceil(connections / perWorker));
    for (let w = 0; w < workerCount; w++) {
      const count = Math.min(perWorker, connections - w * perWorker);
      this.workers.push(this.#start(w, count, this.options.firstUserId + w * perWorker));
    }
  }

  #start(index, count, firstUserId) {
    const o = this.options;
    const config = {
      worker: index,
      url: o.url,
      count,
      firstUserId,
      localAddress: `127.0.0.${o.firstSourceAddress + index}`,
      topic: o.topic,
      rooms: o.rooms,
      concurrency: o.concurrency,
      heartbeatMs: o.heartbeatMs,
      signingKey: o.signingKey,
      retries: o.retries,
      timeLatency: o.timeLatency,
    };
    const child = fork(join(here, "worker.js"), [], {
      env: { ...process.env, LOADGEN_WORKER: JSON.stringify(config) },
      stdio: ["ignore", "pipe", "inherit", "ipc"],
      // Many sockets per process: give V8 room so that GC pauses do not stall the event loop.
      execArgv: ["--max-old-space-size=4096"],
    });
    const state = { child, count, last: null, ready: false, exited: false };
    state.exitedPromise = new Promise((resolve) => child.once("exit", (code) => { state.exited = true; resolve(code); }));
    createInterface({ input: child.stdout }).on("line", (line) => {
      let message;
      try { message = JSON.parse(line); } catch { return; }
      if (message.type !== "latency") state.last = message;
      if (message.type === "ready") state.ready = true;
      for (const listener of this.listeners) listener(message, index);
    });
    return state;
  }

  /** Calls back with every JSON line a worker reports. */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The workers' counters summed up, from their latest reports. */
  totals() {
    const sum = Object.fromEntries(COUNTERS.map((k) => [k, 0]));
    const errors = {};
    for (const w of this.workers) {
      for (const k of COUNTERS) sum[k] += w.last?.[k] ?? 0;
      for (const [reason, n] of Object.entries(w.last?.errors ?? {})) errors[reason] = (errors[reason] ?? 0) + n;
    }
    const lastReceivedAt = Math.max(0, ...this.workers.map((w) => w.last?.lastReceivedAt ?? 0));
    for (const k of MAXIMA) sum[k] = Math.max(0, ...this.workers.map((w) => w.last?.[k] ?? 0));
    return { ...sum, lastReceivedAt, target: this.options.connections, workers: this.workers.length, errors };
  }

  /** Resolves once every worker has tried all its sockets, with the totals. */
  async ready(onProgress) {
    const timer = onProgress ? setInterval(() => onProgress(this.totals()), 1000) : null;
    try {
      await new Promise((resolve, reject) => {
        const check = () => {
          if (this.workers.every((w) => w.ready)) resolve();
          else if (this.workers.some((w) => w.exited)) reject(new Error("a worker exited before it was ready"));
        };
        this.on(check);
        for (const w of this.workers) w.exitedPromise.then(check);
        check();
      });
    } finally {
      if (timer) clearInterval(timer);
    }
    return this.totals();
  }

  /** Asks every worker for fresh counters. */
  async refresh() {
    await this.#ask("stats", "stats");
    return this.totals();
  }

  async #ask(command, answer) {
    const pending = this.workers.filter((w) => !w.exited).map((w, i) => new Promise((resolve) => {
      const off = this.on((message, index) => {
        if (message.type === answer && this.workers[index] === w) { off(); resolve(message); }
      });
      w.child.send({ type: command });
      w.exitedPromise.then(() => { off(); resolve(null); });
    }));
    return Promise.all(pending);
  }

  /** Merges the workers' receive-latency histograms. */
  async latency() {
    const answers = await this.#ask("latency", "latency");
    const h = new Histogram();
    let received = 0;
    for (const a of answers) {
      if (!a) continue;
      h.merge(Histogram.fromSparse(a.histogram));
      received += a.received;
    }
    return { histogram: h, received };
  }

  async resetLatency() {
    await this.#ask("reset-latency", "latency-reset");
  }

  /** Closes every socket (normal closure) and waits for the workers to exit. */
  async close() {
    for (const w of this.workers) {
      if (!w.exited) w.child.send({ type: "close" });
    }
    const timeout = setTimeout(() => { for (const w of this.workers) if (!w.exited) w.child.kill("SIGKILL"); }, 30000);
    await Promise.all(this.workers.map((w) => w.exitedPromise));
    clearTimeout(timeout);
  }

  kill() {
    for (const w of this.workers) if (!w.exited) w.child.kill("SIGKILL");
  }
}
