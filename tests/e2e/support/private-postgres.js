// A PostgreSQL server of the test's own, on a free loopback port in a temporary directory. A
// test may pause it (SIGSTOP of the postmaster and every backend, as a hung disk or a VM
// stall does) without freezing the server ./test.sh shares with every other test.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./server.js";

const pgBin = "/usr/lib/postgresql/15/bin";
const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the user that owns the cluster (PostgreSQL refuses root). */
function asPostgres(program, args, { check = true } = {}) {
  const [command, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", join(pgBin, program), ...args]] : [join(pgBin, program), args];
  const run = spawnSync(command, argv, { encoding: "utf8", timeout: 60000 });
  if (check && run.status !== 0) throw new Error(`${program} failed: ${run.stderr || run.error}`);
  return run.stdout;
}

/** Why a private PostgreSQL cannot run here, or null. Under CI a missing service is a failure, not a skip. */
export function missingPostgres() {
  const missing = existsSync(join(pgBin, "postgres")) ? null : `needs PostgreSQL 15 in ${pgBin}`;
  if (missing && process.env.CI) throw new Error(missing);
  return missing;
}

export class PrivatePostgres {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "chat-pg-"));
  }

  get connectionString() {
    return `Host=127.0.0.1;Port=${this.port};Username=postgres;Database=postgres`;
  }

  async start() {
    this.port = await freePort();
    if (isRoot) spawnSync("chown", ["-R", "postgres", this.dir]);
    asPostgres("initdb", ["-D", join(this.dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]);
    // Durability is not what these tests pause, so fsync is off to keep them quick.
    asPostgres("pg_ctl", ["-D", join(this.dir, "data"), "-l", join(this.dir, "log"), "-w", "-o",
      `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.dir} -c fsync=off -c full_page_writes=off`, "start"]);
    this.postmaster = Number(readFileSync(join(this.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    return this;
  }

  /** The postmaster and every process it has forked: backends, the checkpointer, the WAL writer. */
  processes() {
    const children = spawnSync("pgrep", ["-P", String(this.postmaster)], { encoding: "utf8" }).stdout
      .split("\n").filter(Boolean).map(Number);
    return [this.postmaster, ...children];
  }

  /** Freezes the whole server: connections stay open, nothing answers. */
  pause() {
    for (const pid of this.processes()) process.kill(pid, "SIGSTOP");
  }

  resume() {
    for (const pid of this.processes().reverse()) process.kill(pid, "SIGCONT");
  }

  async dispose() {
    if (this.postmaster) {
      try { this.resume(); } catch { /* already gone */ }
      asPostgres("pg_ctl", ["-D", join(this.dir, "data"), "-m", "immediate", "stop"], { check: false });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
