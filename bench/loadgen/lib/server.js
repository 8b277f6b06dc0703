// Starts the chat server (the Release build) on a free loopback port with a fresh data
// directory and its own signing key, and reads its memory from /proc.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { sleep } from "./args.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const serverDll = process.env.CHAT_SERVER_DLL
  ?? join(repoRoot, "src/Chat.Server/bin/Release/net10.0/Chat.Server.dll");

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

// Interrupting a benchmark must also stop its server: exit() runs the "exit" listeners below.
let signalsHooked = false;
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));
}

export class BenchServer {
  constructor({ env = {} } = {}) {
    this.extraEnv = env;
    this.signingKey = randomBytes(48).toString("base64");
    this.output = [];
  }

  get httpUrl() { return `http://127.0.0.1:${this.port}`; }
  get wsUrl() { return `ws://127.0.0.1:${this.port}`; }
  get pid() { return this.process.pid; }

  async start() {
    if (!existsSync(serverDll)) {
      throw new Error(`${serverDll} is missing: dotnet build src/Chat.Server -c Release`);
    }
    hookSignals();
    this.port = await freePort();
    this.dataDir = mkdtempSync(join(tmpdir(), "chat-bench-"));
    this.process = spawn("dotnet", [serverDll, "--urls", this.httpUrl], {
      env: {
        ...process.env,
        ASPNETCORE_ENVIRONMENT: "Production",
        DOTNET_CLI_TELEMETRY_OPTOUT: "1",
        Chat__DataDir: this.dataDir,
        Chat__Auth__SigningKey: this.signingKey,
        // A socket per line of Information logging would measure the console, not the server.
        Logging__LogLevel__Default: "Warning",
        ...this.extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((done) => this.process.once("exit", (code, signal) => done({ code, signal })));
    // A benchmark that dies must not leave its server behind.
    const child = this.process;
    process.once("exit", () => { if (child.exitCode === null) child.kill("SIGKILL"); });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.on("data", (chunk) => {
        this.output.push(chunk.toString());
        if (this.output.length > 2000) this.output.splice(0, 1000);
      });
    }
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) throw new Error(`server exited early:\n${this.output.join("")}`);
      try {
        if ((await fetch(`${this.httpUrl}/healthz`)).ok) return this;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`server did not become healthy:\n${this.output.join("")}`);
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 20000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Memory and threads of the server process, from /proc/PID/status (kB → bytes). */
  status() {
    return procStatus(this.pid);
  }

  openFiles() {
    try { return readdirSync(`/proc/${this.pid}/fd`).length; } catch { return null; }
  }

  cpuSeconds() {
    return procCpuSeconds(this.pid);
  }
}

export function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) => {
    const m = text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) * 1024 : null;
  };
  const threads = Number(text.match(/^Threads:\s+(\d+)/m)?.[1]);
  return { rss: kb("VmRSS"), rssAnon: kb("RssAnon"), rssFile: kb("RssFile"), rssShmem: kb("RssShmem"), hwm: kb("VmHWM"), threads };
}

const CLOCK_TICKS = 100;
export function procCpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Kernel TCP memory for the whole machine (client and server ends), from /proc/net/sockstat. */
export function tcpKernelMemory() {
  const text = readFileSync("/proc/net/sockstat", "utf8");
  const m = text.match(/^TCP: inuse (\d+) orphan (\d+) tw (\d+) alloc (\d+) mem (\d+)/m);
  return m ? { inuse: Number(m[1]), timeWait: Number(m[3]), memBytes: Number(m[5]) * 4096 } : null;
}
