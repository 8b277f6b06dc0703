// The user's sends in one room that are not stored yet. Each is shown at once as pending under a
// fresh `client_id`, waits while the channel is down, goes out (again, if need be) after every
// rejoin, and a retry reuses its `client_id`, so the server stores it at most once.
//
// A send is confirmed only by its own reply, or by a message that carries its `client_id`;
// never by text: the same words sent from the user's other tab are another message.
import type { Channel } from "phoenix";
import { describeFieldErrors } from "../api";
import type { Message } from "../types";

export type SendState = "queued" | "sending" | "failed";

export interface PendingMessage {
  clientId: string;
  content: string;
  state: SendState;
  error: string | null;
  /** False when sending the same text again cannot work (it is invalid). */
  retryable: boolean;
  createdAt: Date;
  attempt: number;
}

const sendTimeoutMs = 10_000;

// Time first, so that the server's unique (client_id, room_id, user_id) index gets each new key
// at its right edge instead of at a random page (docs/benchmarks.md: ~3x the stored messages/s
// on SQLite); then randomness and a counter, so that ids never repeat across tabs and devices.
let clientCounter = 0;
const tabNonce = Math.random().toString(36).slice(2, 10);
function newClientId(): string {
  return `${Date.now().toString(36).padStart(9, "0")}-${tabNonce}-${++clientCounter}`;
}

export class Outbox {
  readonly pending: PendingMessage[] = [];

  constructor(
    private readonly channel: Channel,
    /** A send's reply: the stored message, and the client id it was sent under. */
    private readonly stored: (message: Message, clientId: string) => void,
    private readonly changed: () => void,
  ) {}

  send(content: string): void {
    const pending: PendingMessage = {
      clientId: newClientId(),
      content,
      state: "queued",
      error: null,
      retryable: true,
      createdAt: new Date(),
      attempt: 0,
    };
    this.pending.push(pending);
    this.push(pending);
  }

  retry(clientId: string): void {
    const pending = this.pending.find((p) => p.clientId === clientId);
    if (!pending) return;
    this.push(pending);
    this.changed();
  }

  discard(clientId: string): void {
    this.take(clientId);
    this.changed();
  }

  /** Removes the send with this client id, which a stored message has just confirmed. */
  take(clientId: string): PendingMessage | undefined {
    const index = this.pending.findIndex((p) => p.clientId === clientId);
    return index < 0 ? undefined : this.pending.splice(index, 1)[0];
  }

  /** After every (re)join: sends what waited, and again what may have been lost with the old connection. */
  flush(): void {
    for (const pending of this.pending) {
      if (pending.state === "queued" || pending.state === "sending") this.push(pending);
    }
    if (this.pending.length) this.changed();
  }

  private push(pending: PendingMessage): void {
    const attempt = ++pending.attempt;
    pending.error = null;
    if (this.channel.state !== "joined") {
      pending.state = "queued"; // sent by flush once the channel is joined again
      return;
    }
    pending.state = "sending";
    this.channel
      .push("new_msg", { content: pending.content, client_id: pending.clientId }, sendTimeoutMs)
      .receive("ok", ({ message }: { message: Message }) => this.stored(message, pending.clientId))
      .receive("error", (reply: any) => {
        if (pending.attempt !== attempt) return;
        this.fail(pending, reply);
      })
      .receive("timeout", () => {
        if (pending.attempt !== attempt || !this.pending.includes(pending)) return;
        if (this.channel.state !== "joined") {
          pending.state = "queued";
        } else {
          pending.state = "failed";
          pending.error = "The server did not answer.";
          pending.retryable = true;
        }
        this.changed();
      });
  }

  private fail(pending: PendingMessage, reply: any): void {
    if (!this.pending.includes(pending)) return;
    if (reply?.reason === "unmatched topic") {
      // The push reached the server just after the channel ended (a phx_error: the server
      // makes channels rejoin when they may have missed messages). Send it again once the
      // channel is back; its client_id keeps it from being stored twice.
      this.push(pending);
      this.changed();
      return;
    }
    pending.state = "failed";
    if (reply?.reason === "rate_limited") {
      pending.error = "You're sending messages too fast. Wait a moment, then retry.";
      pending.retryable = true;
    } else if (reply?.errors) {
      const content: string[] = reply.errors.content ?? [];
      const tooLong = content.find((text) => /at most|too long/i.test(text));
      pending.error = tooLong ? `Too long: a message ${tooLong.replace(/^should be /, "can be ")}.` : `${describeFieldErrors(reply.errors)}.`;
      pending.retryable = !tooLong;
    } else if (reply?.reason === "unavailable") {
      pending.error = "The server couldn't store it just now. Retry in a moment.";
      pending.retryable = true;
    } else {
      pending.error = reply?.reason ? `The server refused it (${String(reply.reason).replace(/_/g, " ")}).` : "The server refused it.";
      pending.retryable = true;
    }
    this.changed();
  }
}
