// One joined `room:{slug}` channel and everything the app knows about it: the timeline of
// stored messages, the sends still under way, presence, typing, and how much is unread.
//
// The timeline is kept without gaps or duplicates:
//  - every message is stored once, by id, in id order;
//  - the channel's join params are a function, so every rejoin after a dropped connection sends
//    the newest id seen as `last_seen_id`, and the reply fills in exactly what was missed;
//  - a send is shown at once as pending under a fresh `client_id`; the reply (or the broadcast,
//    whichever comes first) turns it into the stored message; a retry reuses the `client_id`, so
//    the server stores it at most once.
import { Presence, type Channel, type Socket } from "phoenix";
import * as api from "./api";
import { describeFieldErrors } from "./api";
import { Emitter } from "./emitter";
import type { Message, Room, User } from "./types";

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

export interface Member {
  id: number;
  username: string;
  tabs: number;
}

/** What changed, so the view can keep the scroll position right. */
export type Change =
  | "joined" // join reply: initial page, or a catch-up after a reconnect
  | "append" // messages that arrived live
  | "own" // the user sent something
  | "prepend" // older history
  | "update" // states, presence, typing: nothing added to the timeline
  | "missing"; // the room does not exist

export type RoomStatus = "joining" | "joined" | "missing";

const historyPage = 50;
const sendTimeoutMs = 10_000;
const typingShownMs = 5_000;
// A little over the server's own throttle (Chat:RateLimit:TypingInterval, 2 s), which drops
// notices that come sooner.
const typingSendEveryMs = 2_500;

// Time first, so that the server's unique (client_id, room_id, user_id) index gets each new key
// at its right edge instead of at a random page (docs/benchmarks.md: ~3x the stored messages/s
// on SQLite); then randomness and a counter, so that ids never repeat across tabs and devices.
let clientCounter = 0;
const tabNonce = Math.random().toString(36).slice(2, 10);
function newClientId(): string {
  return `${Date.now().toString(36).padStart(9, "0")}-${tabNonce}-${++clientCounter}`;
}

export class RoomSession {
  readonly changed = new Emitter<Change>();
  status: RoomStatus = "joining";
  room: Room | null = null;
  /** Stored messages, oldest first, each once. */
  readonly messages: Message[] = [];
  readonly pending: PendingMessage[] = [];
  /** For messages this tab sent: message id → client id, so their rows keep their identity. */
  readonly clientIdOf = new Map<number, string>();
  /** Whether older messages than the oldest loaded exist (or may exist). */
  hasOlder: boolean;
  loadingOlder = false;
  /** True once the first presence_state has arrived. */
  presenceReady = false;
  olderFailed = false;
  /** True once the newest page or the history before the catch-up point has been loaded. */
  historyLoaded: boolean;
  /** What the composer holds, kept while the user visits other rooms. */
  draft = "";
  /** How far from the bottom the timeline was scrolled when the user left the room; null: at the bottom. */
  savedFromBottom: number | null = null;
  /** The newest message read in this browser; null until known. */
  lastReadId: number | null;
  private lastSeenId: number | null;
  private joinSentLastSeenId: number | null = null;
  /** While a catch-up larger than one reply is paged in: the newest id known to have no gap before it. */
  private fillingFrom: number | null = null;
  private readonly ids = new Set<number>();
  private readonly channel: Channel;
  private readonly presence: Presence;
  private readonly typers = new Map<number, { username: string; until: number }>();
  private typingTimer: number | undefined;
  private lastTypingSent = 0;
  private left = false;
  /** Whether this browser has a read marker for the room (an empty room's is 0). */
  private readRecorded: boolean;

  constructor(
    socket: Socket,
    readonly slug: string,
    readonly me: User,
    lastReadId: number | undefined,
    private readonly onRead: (slug: string, id: number) => void,
  ) {
    // A room this browser read before catches up from where it was read, so what came since
    // counts as unread; a new one starts from the newest page.
    this.lastSeenId = lastReadId ?? null;
    this.lastReadId = lastReadId ?? null;
    this.readRecorded = lastReadId !== undefined;
    this.hasOlder = lastReadId !== undefined;
    this.historyLoaded = lastReadId === undefined;
    // Read each time the join is sent, so a rejoin asks for what came after the newest message seen.
    this.channel = socket.channel(`room:${slug}`, () => {
      this.joinSentLastSeenId = this.lastSeenId;
      return this.lastSeenId === null ? {} : { last_seen_id: this.lastSeenId };
    });
    this.channel.on("new_msg", (message: Message) => this.add([message], "append"));
    this.channel.on("typing", (payload: { user_id: number; username: string }) => this.onTyping(payload));
    this.presence = new Presence(this.channel);
    this.presence.onSync(() => {
      this.presenceReady = true;
      this.changed.emit("update");
    });
    this.channel.onError(() => {
      if (this.status === "joined") this.changed.emit("update");
    });
    this.join();
  }

  get joined(): boolean {
    return this.channel.state === "joined";
  }

  private join(): void {
    this.channel
      .join()
      .receive("ok", (reply) => this.onJoined(reply, this.joinSentLastSeenId))
      .receive("error", (reply: { reason?: string }) => {
        if (reply?.reason === "room not found") {
          this.status = "missing";
          this.channel.leave();
          this.changed.emit("missing");
        }
      });
  }

  private onJoined(reply: Partial<{ room: Room; messages: Message[]; has_more: boolean }> | null, catchUpFrom: number | null): void {
    const { room, messages = [], has_more = false } = reply ?? {};
    if (room) this.room = room;
    this.status = "joined";
    this.typers.clear();
    if (catchUpFrom === null) {
      // The newest page.
      this.hasOlder = has_more;
      this.historyLoaded = true;
    }
    const gap = catchUpFrom !== null && has_more;
    // While a gap is being filled, the newest id seen is not what a rejoin may ask after.
    if (gap) this.fillingFrom = Math.max(catchUpFrom, ...messages.map((m) => m.id));
    this.add(messages, "joined");
    if (this.lastReadId === null) this.lastReadId = this.newestId ?? 0;
    if (gap) void this.fillForward();
    this.flushOutbox();
  }

  /**
   * More was missed than one join reply holds: page forward over HTTP from the end of what
   * the reply brought (not from the newest message, as live ones may already have come).
   */
  private async fillForward(): Promise<void> {
    let level = false;
    try {
      for (let i = 0; i < 100 && !this.left && this.fillingFrom !== null; i++) {
        const { messages, has_more } = await api.listMessages(this.slug, { after: this.fillingFrom, limit: 100 });
        if (messages.length) this.fillingFrom = Math.max(this.fillingFrom, ...messages.map((m) => m.id));
        this.add(messages, "append");
        if (!has_more || messages.length === 0) {
          level = true;
          break;
        }
      }
    } catch {
      /* the next rejoin asks again from where the filling got to */
    } finally {
      if (this.fillingFrom !== null) {
        // Level: everything up to the newest message is here, live ones included.
        this.lastSeenId = level ? Math.max(this.newestId ?? 0, this.fillingFrom) : this.fillingFrom;
      }
      this.fillingFrom = null;
    }
  }

  get newestId(): number | null {
    return this.messages.length ? this.messages[this.messages.length - 1]!.id : null;
  }

  /** Unread messages from others, after the last one read in this browser. */
  get unread(): number {
    if (this.lastReadId === null) return 0;
    let count = 0;
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const message = this.messages[i]!;
      if (message.id <= this.lastReadId) break;
      if (message.user_id !== this.me.id) count++;
    }
    return count;
  }

  /** Name and description, from the room list: shown until (and updated after) the join answers. */
  describe(room: Room): void {
    const current = this.room;
    if (current && current.name === room.name && current.description === room.description) return;
    this.room = room;
    this.changed.emit("update");
  }

  markRead(): void {
    if (this.status !== "joined") return;
    const newest = this.newestId ?? 0;
    if (this.lastReadId !== null && newest <= this.lastReadId && this.readRecorded) return;
    this.readRecorded = true;
    this.lastReadId = newest;
    this.onRead(this.slug, newest);
    this.changed.emit("update");
  }

  private add(incoming: Message[], change: Change): void {
    let added = false;
    let resolved = false;
    for (const message of incoming) {
      if (!message || typeof message.id !== "number") continue;
      if (this.resolvePending(message)) resolved = true;
      if (this.ids.has(message.id)) continue;
      this.ids.add(message.id);
      this.insert(message);
      this.typers.delete(message.user_id);
      added = true;
      if (this.fillingFrom === null && (this.lastSeenId === null || message.id > this.lastSeenId)) this.lastSeenId = message.id;
    }
    if (added || resolved || change === "joined") this.changed.emit(change);
  }

  private insert(message: Message): void {
    const list = this.messages;
    let index = list.length;
    while (index > 0 && list[index - 1]!.id > message.id) index--;
    list.splice(index, 0, message);
  }

  /**
   * Ties a stored message to the pending send it came from: by the reply to that send, or by a
   * `client_id` that the message carries. Never by its text: the same words from the user's
   * other tab are another message, and must not confirm this tab's send.
   */
  private resolvePending(message: Message, clientId?: string): boolean {
    const id = clientId ?? message.client_id ?? undefined;
    if (!id) return false;
    const index = this.pending.findIndex((p) => p.clientId === id);
    if (index < 0) return false;
    const [pending] = this.pending.splice(index, 1);
    this.clientIdOf.set(message.id, pending!.clientId);
    return true;
  }

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
    this.changed.emit("own");
  }

  retry(clientId: string): void {
    const pending = this.pending.find((p) => p.clientId === clientId);
    if (!pending) return;
    this.push(pending);
    this.changed.emit("update");
  }

  discard(clientId: string): void {
    const index = this.pending.findIndex((p) => p.clientId === clientId);
    if (index >= 0) this.pending.splice(index, 1);
    this.changed.emit("update");
  }

  private push(pending: PendingMessage): void {
    const attempt = ++pending.attempt;
    pending.error = null;
    if (!this.joined) {
      pending.state = "queued"; // sent by flushOutbox once the channel is joined again
      return;
    }
    pending.state = "sending";
    this.channel
      .push("new_msg", { content: pending.content, client_id: pending.clientId }, sendTimeoutMs)
      .receive("ok", ({ message }: { message: Message }) => {
        if (this.resolvePending(message, pending.clientId) || this.ids.has(message.id)) {
          this.add([message], "append");
          this.changed.emit("update");
        }
      })
      .receive("error", (reply: any) => {
        if (pending.attempt !== attempt) return;
        this.fail(pending, reply);
      })
      .receive("timeout", () => {
        if (pending.attempt !== attempt || !this.pending.includes(pending)) return;
        if (!this.joined) {
          pending.state = "queued";
        } else {
          pending.state = "failed";
          pending.error = "The server did not answer.";
          pending.retryable = true;
        }
        this.changed.emit("update");
      });
  }

  private fail(pending: PendingMessage, reply: any): void {
    if (!this.pending.includes(pending)) return;
    pending.state = "failed";
    if (reply?.reason === "rate_limited") {
      pending.error = "You're sending messages too fast. Wait a moment, then retry.";
      pending.retryable = true;
    } else if (reply?.errors) {
      const content: string[] = reply.errors.content ?? [];
      const tooLong = content.find((text) => /at most|too long/i.test(text));
      pending.error = tooLong
        ? `Too long: a message ${tooLong.replace(/^should be /, "can be ")}.`
        : `${describeFieldErrors(reply.errors)}.`;
      pending.retryable = !tooLong;
    } else if (reply?.reason === "unavailable") {
      pending.error = "The server couldn't store it just now. Retry in a moment.";
      pending.retryable = true;
    } else {
      pending.error = reply?.reason ? `The server refused it (${String(reply.reason).replace(/_/g, " ")}).` : "The server refused it.";
      pending.retryable = true;
    }
    this.changed.emit("update");
  }

  /** After every (re)join: sends what waited, and again what may have been lost with the old connection. */
  private flushOutbox(): void {
    for (const pending of this.pending) {
      if (pending.state === "queued" || pending.state === "sending") this.push(pending);
    }
    if (this.pending.length) this.changed.emit("update");
  }

  loadOlder(): void {
    if (this.loadingOlder || !this.hasOlder || !this.joined) return;
    const oldest = this.messages[0]?.id;
    const before = oldest ?? (this.lastSeenId === null ? null : this.lastSeenId + 1);
    if (before === null) return;
    this.loadingOlder = true;
    this.olderFailed = false;
    this.changed.emit("update");
    const done = () => {
      this.loadingOlder = false;
    };
    this.channel
      .push("history", { before_id: before, limit: historyPage })
      .receive("ok", ({ messages, has_more }: { messages: Message[]; has_more: boolean }) => {
        done();
        this.hasOlder = has_more;
        this.historyLoaded = true;
        this.add(messages, "prepend");
        this.changed.emit("update");
      })
      .receive("error", () => {
        done();
        this.olderFailed = true;
        this.changed.emit("update");
      })
      .receive("timeout", () => {
        done();
        this.olderFailed = true;
        this.changed.emit("update");
      });
  }

  /** Called as the user types: tells the others, at most every few seconds. */
  typing(): void {
    const now = Date.now();
    if (!this.joined || now - this.lastTypingSent < typingSendEveryMs) return;
    this.lastTypingSent = now;
    this.channel.push("typing", {});
  }

  private onTyping({ user_id, username }: { user_id: number; username: string }): void {
    if (user_id === this.me.id) return;
    this.typers.set(user_id, { username, until: Date.now() + typingShownMs });
    this.scheduleTypingExpiry();
    this.changed.emit("update");
  }

  private scheduleTypingExpiry(): void {
    window.clearTimeout(this.typingTimer);
    if (this.typers.size === 0) return;
    const next = Math.min(...[...this.typers.values()].map((t) => t.until));
    this.typingTimer = window.setTimeout(() => {
      const now = Date.now();
      for (const [id, typer] of this.typers) if (typer.until <= now) this.typers.delete(id);
      this.scheduleTypingExpiry();
      this.changed.emit("update");
    }, Math.max(0, next - Date.now()) + 20);
  }

  get typingNames(): string[] {
    return [...this.typers.values()].map((t) => t.username).sort((a, b) => a.localeCompare(b));
  }

  get members(): Member[] {
    return this.presence
      .list((key, { metas }) => ({
        id: Number(key),
        username: String(metas[0]?.username ?? key),
        tabs: metas.length,
      }))
      .sort((a, b) => (a.id === this.me.id ? -1 : b.id === this.me.id ? 1 : a.username.localeCompare(b.username)));
  }

  leave(): void {
    this.left = true;
    window.clearTimeout(this.typingTimer);
    this.channel.leave();
  }
}
