#!/usr/bin/env node
// Opens N WebSocket clients to a running chat server, joins each to a topic, keeps them
// alive with heartbeats for --duration seconds, then closes them. Prints JSON lines:
// {"type":"progress",...} each second while connecting, {"type":"ready",...} once every
// socket was tried, {"type":"stats",...} every --report seconds while holding, and
// {"type":"done",...} at the end.
//
//   node connect.js --url ws://127.0.0.1:4000 --connections 20000 --topic room:lobby \
//     --signing-key "$Chat__Auth__SigningKey" --duration 120
import { Load, DEFAULTS } from "./coordinator.js";
import { parseArgs, sleep } from "./lib/args.js";

const options = parseArgs(process.argv.slice(2), { ...DEFAULTS, duration: 300, report: 10 });
const print = (type, data) => console.log(JSON.stringify({ type, t: Date.now(), ...data }));

// Every run stops by itself: at most an hour, whatever was asked.
const duration = Math.min(options.duration, 3600);
const load = new Load(options);
let stopping = false;
const stop = async (reason) => {
  if (stopping) return;
  stopping = true;
  print("stopping", { reason });
  await load.close();
  print("done", load.totals());
  process.exit(0);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

const started = Date.now();
const totals = await load.ready((t) => print("progress", t));
print("ready", { ...totals, seconds: (Date.now() - started) / 1000 });

const until = Date.now() + duration * 1000;
while (Date.now() < until && !stopping) {
  await sleep(Math.min(options.report * 1000, until - Date.now()));
  if (!stopping) print("stats", await load.refresh());
}
await stop("duration elapsed");
