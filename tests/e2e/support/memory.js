// The server's resident memory, read from /proc while a test runs, to show that what a client
// does cannot grow it without bound and that it comes back down afterwards.
import { readFileSync } from "node:fs";

/** The resident set of a process, in MiB. */
export function residentMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)[1]) / 1024;
}

/** Samples a process's resident memory every few milliseconds and keeps the highest. */
export class MemoryWatch {
  constructor(pid, intervalMs = 50) {
    this.pid = pid;
    this.startMiB = residentMiB(pid);
    this.peakMiB = this.startMiB;
    this.timer = setInterval(() => { this.peakMiB = Math.max(this.peakMiB, residentMiB(pid)); }, intervalMs);
  }

  stop() {
    clearInterval(this.timer);
    this.peakMiB = Math.max(this.peakMiB, residentMiB(this.pid));
    return { startMiB: Math.round(this.startMiB), peakMiB: Math.round(this.peakMiB), growthMiB: Math.round(this.peakMiB - this.startMiB) };
  }
}

/** Waits until the process's resident memory is at most `limitMiB`; resolves with the last reading. */
export async function settlesBelow(pid, limitMiB, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let now = residentMiB(pid);
  while (now > limitMiB && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    now = residentMiB(pid);
  }
  // Unrounded: the caller compares it with the same limit this loop waited for.
  return now;
}
