// A bystander: a socket of its own that sends a heartbeat every 100 ms and times each reply,
// to show that what another client does (a flood, a socket that never reads) does not
// starve anyone else.
import { RawClient } from "./raw.js";
import { mintToken } from "./tokens.js";

export class Heartbeats {
  static async start(server, { intervalMs = 100, sub = 999_999 } = {}) {
    const token = mintToken(server.signingKey, { sub, name: "bystander" });
    const client = new RawClient(`${server.socketUrl}/websocket?vsn=2.0.0&token=${token}`);
    await client.opened;
    return new Heartbeats(client, intervalMs);
  }

  constructor(client, intervalMs) {
    this.client = client;
    this.pending = new Map();
    this.latencies = [];
    this.sent = 0;
    client.ws.on("message", (data) => {
      const [, ref] = JSON.parse(data.toString());
      const sentAt = this.pending.get(ref);
      if (sentAt === undefined) return;
      this.pending.delete(ref);
      this.latencies.push(Date.now() - sentAt);
    });
    this.timer = setInterval(() => {
      const ref = `hb${++this.sent}`;
      this.pending.set(ref, Date.now());
      client.sendJson([null, ref, "phoenix", "heartbeat", {}]);
    }, intervalMs);
  }

  /** Stops sending, waits up to 5 s for the replies still due, and says how it went. */
  async stop() {
    clearInterval(this.timer);
    const deadline = Date.now() + 5000;
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.client.close();
    return { sent: this.sent, answered: this.latencies.length, slowestMs: Math.max(0, ...this.latencies) };
  }
}
