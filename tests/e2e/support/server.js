// Starts the real Chat.Server on a free loopback port with its own data directory, and
// stops it again. Tests that restart the server reuse the same port and data directory.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const serverDll = process.env.CHAT_SERVER_DLL
  ?? join(repoRoot, "src/Chat.Server/bin/Debug/net10.0/Chat.Server.dll");

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

export class TestServer {
  constructor({ env = {}, port, dataDir, signingKey } = {}) {
    this.extraEnv = env;
    this.port = port;
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), "chat-e2e-"));
    this.ownsDataDir = !dataDir;
    this.signingKey = signingKey ?? randomBytes(48).toString("base64");
    this.output = [];
  }

  get httpUrl() { return `http://127.0.0.1:${this.port}`; }
  get socketUrl() { return `ws://127.0.0.1:${this.port}/socket`; }

  async start() {
    this.port ??= await freePort();
    this.process = spawn("dotnet", [serverDll, "--urls", this.httpUrl], {
      env: {
        ...process.env,
        ASPNETCORE_ENVIRONMENT: "Development",
        Chat__DataDir: this.dataDir,
        Chat__Auth__SigningKey: this.signingKey,
        Logging__LogLevel__Default: "Warning",
        // The writer's deadlines are tested with their defaults in faults.test.js, which sets
        // them; elsewhere a loaded, shared machine must not turn a slow commit into "unavailable".
        Chat__Writer__SendTimeout: "00:01:00",
        Chat__Writer__CommitTimeout: "00:01:00",
        ...this.extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((done) => this.process.once("exit", (code, signal) => done({ code, signal })));
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.on("data", (chunk) => this.output.push(chunk.toString()));
    }
    await this.waitUntilHealthy();
    return this;
  }

  async waitUntilHealthy(timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) {
        throw new Error(`server exited early:\n${this.output.join("")}`);
      }
      try {
        const response = await fetch(`${this.httpUrl}/healthz`);
        if (response.ok) return;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not become healthy:\n${this.output.join("")}`);
  }

  /** Stops the server the way an orchestrator does: SIGTERM, then wait. */
  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 15000);
    await this.exited;
    clearTimeout(timer);
  }

  async dispose() {
    await this.stop();
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
