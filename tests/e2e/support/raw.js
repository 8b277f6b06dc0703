// A WebSocket spoken by hand (the ws package), for what the phoenix client never sends:
// malformed frames, floods, sockets that never read. Every frame received is queued, so a
// test can wait for the one it expects, in any order.
import WebSocket from "ws";

export class RawClient {
  constructor(url, protocols) {
    this.ws = new WebSocket(url, protocols);
    this.queue = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => this.ws.once("close", (code) => resolve(code)));
    this.ws.on("message", (data, isBinary) => {
      const frame = isBinary ? Buffer.from(data) : data.toString();
      this.queue.push(frame);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error("refused"), { status: res.statusCode })));
      this.ws.once("error", reject);
    });
  }

  send(frame) { this.ws.send(typeof frame === "string" ? frame : frame, { binary: Buffer.isBuffer(frame) }); }
  sendJson(value) { this.send(JSON.stringify(value)); }

  async next(match = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.queue.findIndex(match);
      if (index >= 0) return this.queue.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, left); });
    }
  }

  async nextJson(match = () => true, timeoutMs) {
    const frame = await this.next((f) => typeof f === "string" && match(JSON.parse(f)), timeoutMs);
    return frame === undefined ? undefined : JSON.parse(frame);
  }

  close() { this.ws.terminate(); }
}
