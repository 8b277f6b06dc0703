// One joined `room:{slug}` channel and everything the app knows about it: the messages, the
// sends still under way, presence, typing, and how much is read.
//
// The timeline is kept without gaps or duplicates:
//  - every message is held once, by id, at its newest revision (MessageStore);
//  - the channel's join params are a function, so every rejoin after a dropped connection sends
//    the newest id seen as `last_seen_id` and the highest rev seen as `last_rev`, and the reply
//    fills in exactly what was missed: new messages, and the edits, deletes and reactions of
//    older ones (`changed`);
//  - the user's sends go through the Outbox (pending under a client_id until their reply).
//
// Usually the messages held reach the newest one. After a jump to an old message (a search
// result) they are a window around it instead ("detached"): live messages are then set aside
// until the window has been paged forward to them, or the user jumps back to the present.
import { Presence, type Channel, type Socket } from "phoenix";
import * as api from "../api";
import { Emitter } from "../emitter";
import type { Message, Reactions, Room, User } from "../types";
import type { UserNames } from "../users";
import { MessageStore } from "./message-store";
import { Outbox, type PendingMessage } from "./outbox";
import { TypingTracker } from "./typing";

export type { PendingMessage, SendState } from "./outbox";

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
  | "newer" // a detached window paged forward
  | "jump" // the messages were replaced by a window around another message, or by the present
  | "update" // edits, reactions, states, presence, typing: nothing added at either end
  | "missing"; // the room does not exist

export type RoomStatus = "joining" | "joined" | "missing";

/** A refused edit, delete or reaction: a sentence to show, and the field errors if any. */
export class RoomActionError extends Error {}

const historyPage = 50;
const aroundPage = 25;
const requestTimeoutMs = 10_000;
// A little over the server's own throttle (Chat:RateLimit:TypingInterval, 2 s), which drops
// notices that come sooner.
const typingSendEveryMs = 2_500;

export class RoomSession {
  readonly changed = new Emitter<Change>();
  /** A message from someone else that arrived live (not history, not a catch-up): for unread counts. */
  readonly arrived = new Emitter<Message>();
  /** A join that caught up from an id brought every message after it (no gap): for exact unread counts. */
  readonly caughtUp = new Emitter<{ from: number; messages: Message[] }>();
  /** A message was deleted (by its author, anywhere): it no longer counts as unread. */
  readonly deleted = new Emitter<number>();
  status: RoomStatus = "joining";
  room: Room | null = null;
  /** For messages this tab sent: message id → client id, so their rows keep their identity. */
  readonly clientIdOf = new Map<number, string>();
  /** Whether older messages than the oldest held exist (or may exist). */
  hasOlder: boolean;
  loadingOlder = false;
  olderFailed = false;
  /** True once the newest page or the history before the catch-up point has been loaded. */
  historyLoaded: boolean;
  /** The messages held are a window that does not reach the newest message. */
  detached = false;
  loadingNewer = false;
  newerFailed = false;
  /** True once the first presence_state has arrived. */
  presenceReady = false;
  /** True once the server has shown that it keeps revisions (CONTRACT.md §4): edits, deletes and reactions are offered. */
  supportsChanges = false;
  /** What the composer holds, kept while the user visits other rooms. */
  draft = "";
  /** How far from the bottom the timeline was scrolled when the user left the room; null: at the bottom. */
  savedFromBottom: number | null = null;
  /** The newest message this session has marked read; null until known. */
  lastReadId: number | null;
  private store = new MessageStore();
  /** While detached: what arrived live, held until the window reaches it. */
  private live = new MessageStore();
  private readonly outbox: Outbox;
  private readonly typers: TypingTracker;
  private lastSeenId: number | null;
  /** The highest rev seen in this room: a rejoin asks for every change after it. */
  private maxRev = 0;
  private joinSentLastSeenId: number | null = null;
  /** While a catch-up larger than one reply is paged in: the newest id known to have no gap before it. */
  private fillingFrom: number | null = null;
  private readonly channel: Channel;
  private readonly presence: Presence;
  private lastTypingSent = 0;
  private left = false;
  /** Whether this browser has a read marker for the room (an empty room's is 0). */
  private readRecorded: boolean;

  constructor(
    socket: Socket,
    readonly slug: string,
    readonly me: User,
    private readonly users: UserNames,
    lastReadId: number | undefined,
    /** The user has seen the room up to this id. */
    private readonly onRead: (id: number) => void,
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
      if (this.lastSeenId === null) return {};
      return this.maxRev > 0 ? { last_seen_id: this.lastSeenId, last_rev: this.maxRev } : { last_seen_id: this.lastSeenId };
    });
    this.outbox = new Outbox(this.channel, (message, clientId) => this.onSendStored(message, clientId), () => this.changed.emit("update"));
    this.typers = new TypingTracker(() => this.changed.emit("update"));
    this.channel.on("new_msg", (message: Message) => this.add([message], "append"));
    this.channel.on("msg_updated", (message: Message) => this.applyChanged([message]));
    this.channel.on("msg_deleted", ({ id, rev }: { id: number; rev: number }) => this.applyDeleted(id, rev));
    this.channel.on("reactions", ({ id, reactions, rev }: { id: number; reactions: Reactions; rev: number }) => this.applyReactions(id, reactions, rev));
    this.channel.on("typing", ({ user_id, username }: { user_id: number; username: string }) => {
      if (user_id !== me.id) this.typers.typing(user_id, username);
    });
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

  /** Stored messages held, oldest first, each once. */
  get messages(): readonly Message[] {
    return this.store.messages;
  }

  /** Sends not stored yet (shown only at the bottom, so not while detached). */
  get pending(): readonly PendingMessage[] {
    return this.detached ? [] : this.outbox.pending;
  }

  get newestId(): number | null {
    return this.store.newest?.id ?? null;
  }

  message(id: number): Message | undefined {
    return this.store.get(id);
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

  private onJoined(
    reply: Partial<{ room: Room; messages: Message[]; has_more: boolean; changed: Message[]; changed_more: boolean }> | null,
    catchUpFrom: number | null,
  ): void {
    const { room, messages = [], has_more = false, changed = [], changed_more = false } = reply ?? {};
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
    this.applyChanged(changed);
    this.add(messages, "joined");
    if (catchUpFrom !== null && !has_more) this.caughtUp.emit({ from: catchUpFrom, messages });
    if (this.lastReadId === null) this.lastReadId = this.newestId ?? 0;
    if (gap) void this.fillForward();
    // More changed while away than one reply holds: what is held may be stale, so start afresh.
    if (changed_more) void this.loadPresent();
    this.outbox.flush();
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
        this.add(messages, "append", false);
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
        this.lastSeenId = level ? Math.max(this.newestHeldId() ?? 0, this.fillingFrom) : this.fillingFrom;
      }
      this.fillingFrom = null;
    }
  }

  /** Name and description, from the room list: shown until (and updated after) the join answers. */
  describe(room: Room): void {
    const current = this.room;
    if (current && current.name === room.name && current.description === room.description) return;
    this.room = room;
    this.changed.emit("update");
  }

  markRead(): void {
    if (this.status !== "joined" || this.detached) return;
    const newest = this.newestId ?? 0;
    if (this.lastReadId !== null && newest <= this.lastReadId && this.readRecorded) return;
    this.readRecorded = true;
    this.lastReadId = newest;
    this.onRead(newest);
    this.changed.emit("update");
  }

  /** Moves the user's read marker on the server (CONTRACT.md §5); the `read` event then reaches every device. */
  pushRead(id: number): void {
    if (this.joined) this.channel.push("mark_read", { id });
  }

  /**
   * Messages from the server into what is held. Live ones (`append`, `joined`) go aside while
   * detached; history and pages of the window go into it. `live` is false for pages that
   * merely fill a gap, so they do not count as arrivals. `ordered` is false for a send's
   * reply: with several nodes it can come before the broadcast of a message another node
   * stored just before it, so only join replies, broadcasts and pages (which are in id order)
   * may move `last_seen_id` on.
   */
  private add(incoming: Message[], change: Change, live = change === "append", ordered = true): void {
    let touched = false;
    const aside = this.detached && (change === "append" || change === "joined");
    for (const message of incoming) {
      if (!message || typeof message.id !== "number") continue;
      this.note(message);
      if (message.client_id && this.confirm(message, message.client_id)) touched = true;
      const result = (aside ? this.live : this.store).put(message);
      if (result === "added") {
        this.typers.sent(message.user_id);
        if (live && message.user_id !== this.me.id) this.arrived.emit(message);
      }
      if (result !== "unchanged") touched = true;
      if (ordered && this.fillingFrom === null && (this.lastSeenId === null || message.id > this.lastSeenId)) this.lastSeenId = message.id;
    }
    if (touched || change === "joined") this.changed.emit(aside ? "update" : change);
  }

  /** What every message tells: its author's name, the revision it is at, that the server keeps revisions. */
  private note(message: Message): void {
    this.users.learn(message.user_id, message.username);
    if (typeof message.rev === "number") {
      this.supportsChanges = true;
      if (message.rev > this.maxRev) this.maxRev = message.rev;
    }
  }

  private noteRev(rev: number): void {
    if (typeof rev === "number" && rev > this.maxRev) this.maxRev = rev;
  }

  private confirm(message: Message, clientId: string): boolean {
    if (!this.outbox.take(clientId)) return false;
    this.clientIdOf.set(message.id, clientId);
    return true;
  }

  private onSendStored(message: Message, clientId: string): void {
    this.confirm(message, clientId);
    this.add([message], "append", false, false);
    this.changed.emit("update");
  }

  /** Edited or deleted messages (`msg_updated`, a rejoin's `changed`): applied where they are held. */
  private applyChanged(messages: Message[]): void {
    let touched = false;
    for (const message of messages) {
      if (!message || typeof message.id !== "number") continue;
      this.note(message);
      // Only messages already held: an older one that is not is read with its history later.
      if (this.store.knows(message.id) && this.store.put(message) !== "unchanged") touched = true;
      if (this.live.knows(message.id) && this.live.put(message) !== "unchanged") touched = true;
    }
    if (touched) this.changed.emit("update");
  }

  private applyDeleted(id: number, rev: number): void {
    this.noteRev(rev);
    const removed = [this.store.markDeleted(id, rev), this.live.markDeleted(id, rev)].some(Boolean);
    this.deleted.emit(id);
    if (removed) this.changed.emit("update");
  }

  private applyReactions(id: number, reactions: Reactions, rev: number): void {
    this.noteRev(rev);
    const changed = [this.store.setReactions(id, reactions, rev), this.live.setReactions(id, reactions, rev)].some(Boolean);
    if (changed) this.changed.emit("update");
  }

  // ---- The user's own messages ------------------------------------------------------------

  send(content: string): void {
    // A message goes at the bottom: a reader far back in the history is taken there.
    if (this.detached) void this.loadPresent();
    this.outbox.send(content);
    this.changed.emit("own");
  }

  retry(clientId: string): void {
    this.outbox.retry(clientId);
  }

  discard(clientId: string): void {
    this.outbox.discard(clientId);
  }

  /** The user's newest stored message held, for ↑ in an empty composer. */
  lastOwnMessage(): Message | undefined {
    const list = this.messages;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.user_id === this.me.id) return list[i];
    return undefined;
  }

  async edit(id: number, content: string): Promise<void> {
    const { message } = await this.request<{ message: Message }>("edit_msg", { id, content });
    this.applyChanged([message]);
  }

  async remove(id: number): Promise<void> {
    await this.request("delete_msg", { id });
    const removed = [this.store.markDeleted(id), this.live.markDeleted(id)].some(Boolean);
    if (removed) this.changed.emit("update");
  }

  /**
   * Adds or takes back the user's reaction. Shown at once; the server's `reactions` event (with
   * a newer rev) then stands, and a refusal puts back what was there.
   */
  async react(id: number, emoji: string, add: boolean): Promise<void> {
    const before = this.store.get(id);
    if (before) {
      const reactions = { ...(before.reactions ?? {}) };
      const users = (reactions[emoji] ?? []).filter((user) => user !== this.me.id);
      if (add) users.push(this.me.id);
      if (users.length) reactions[emoji] = users;
      else delete reactions[emoji];
      this.store.replaceLocally({ ...before, reactions });
      this.changed.emit("update");
    }
    try {
      await this.request(add ? "react" : "unreact", { id, emoji });
    } catch (error) {
      const current = this.store.get(id);
      if (before && current && current.rev === before.rev) {
        this.store.replaceLocally(before);
        this.changed.emit("update");
      }
      throw error;
    }
  }

  private request<T>(event: string, payload: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.channel
        .push(event, payload, requestTimeoutMs)
        .receive("ok", (reply: T) => resolve(reply))
        .receive("error", (reply: any) => reject(new RoomActionError(describeRefusal(reply))))
        .receive("timeout", () => reject(new RoomActionError("The server did not answer. Try again.")));
    });
  }

  // ---- History: older pages, windows around a message, and back to the present -------------

  loadOlder(): void {
    if (this.loadingOlder || !this.hasOlder || !this.joined) return;
    const oldest = this.store.oldest?.id;
    const before = oldest ?? (this.lastSeenId === null ? null : this.lastSeenId + 1);
    if (before === null) return;
    this.loadingOlder = true;
    this.olderFailed = false;
    this.changed.emit("update");
    const done = (failed: boolean) => {
      this.loadingOlder = false;
      this.olderFailed = failed;
      this.changed.emit("update");
    };
    this.channel
      .push("history", { before_id: before, limit: historyPage })
      .receive("ok", ({ messages, has_more }: { messages: Message[]; has_more: boolean }) => {
        this.loadingOlder = false;
        this.hasOlder = has_more;
        this.historyLoaded = true;
        this.add(messages, "prepend");
        done(false);
      })
      .receive("error", () => done(true))
      .receive("timeout", () => done(true));
  }

  /**
   * Shows the message with this id: at once when it is held, else after loading a window
   * around it. Resolves to whether it is there (false: it does not exist or was deleted).
   */
  async jumpTo(id: number): Promise<boolean> {
    if (this.store.get(id)) return true;
    const [before, after] = await Promise.all([
      api.listMessages(this.slug, { before: id + 1, limit: aroundPage }),
      api.listMessages(this.slug, { after: id, limit: aroundPage }),
    ]);
    if (!this.detached) {
      // What is held reaches the present: keep it aside, it is where the user comes back to.
      this.live = this.store;
      this.detached = true;
    }
    this.store = new MessageStore();
    this.hasOlder = before.has_more;
    this.historyLoaded = true;
    for (const message of [...before.messages, ...after.messages]) {
      this.note(message);
      this.store.put(message);
    }
    if (!after.has_more) this.attach();
    this.changed.emit("jump");
    return this.store.get(id) !== undefined;
  }

  /** Pages a detached window forward; once it reaches what arrived live, it is attached again. */
  async loadNewer(): Promise<void> {
    if (!this.detached || this.loadingNewer) return;
    const newest = this.store.newest?.id;
    if (newest === undefined) return void (await this.loadPresent());
    this.loadingNewer = true;
    this.newerFailed = false;
    this.changed.emit("update");
    try {
      const { messages, has_more } = await api.listMessages(this.slug, { after: newest, limit: historyPage });
      for (const message of messages) {
        this.note(message);
        this.store.put(message);
      }
      if (!has_more) this.attach();
    } catch {
      this.newerFailed = true;
    } finally {
      this.loadingNewer = false;
    }
    this.changed.emit("newer");
  }

  /** The newest page again, with what arrived live since: back from a jump, or after too many changes to catch up on. */
  async loadPresent(): Promise<void> {
    try {
      const { messages, has_more } = await api.listMessages(this.slug, { limit: historyPage });
      if (!this.detached) {
        this.live = this.store;
        this.detached = true;
      }
      this.store = new MessageStore();
      for (const message of messages) {
        this.note(message);
        this.store.put(message);
      }
      this.hasOlder = has_more;
      this.historyLoaded = true;
      this.attach();
      this.changed.emit("jump");
    } catch {
      this.newerFailed = true;
      this.changed.emit("update");
    }
  }

  /** The window reaches the present: what arrived live joins it (what is older than the window stays out, so no gap opens). */
  private attach(): void {
    const oldest = this.store.oldest?.id ?? 0;
    for (const message of this.live.messages) if (message.id >= oldest) this.store.put(message);
    this.live = new MessageStore();
    this.detached = false;
  }

  /** The newest id held anywhere, live or not. */
  private newestHeldId(): number | null {
    return Math.max(this.store.newest?.id ?? 0, this.live.newest?.id ?? 0) || null;
  }

  // ---- Presence and typing ------------------------------------------------------------------

  /** Called as the user types: tells the others, at most every few seconds. */
  typing(): void {
    const now = Date.now();
    if (!this.joined || now - this.lastTypingSent < typingSendEveryMs) return;
    this.lastTypingSent = now;
    this.channel.push("typing", {});
  }

  get typingNames(): string[] {
    return this.typers.names;
  }

  get members(): Member[] {
    return this.presence
      .list((key, { metas }) => {
        const member = { id: Number(key), username: String(metas[0]?.username ?? key), tabs: metas.length };
        this.users.learn(member.id, member.username);
        return member;
      })
      .sort((a, b) => (a.id === this.me.id ? -1 : b.id === this.me.id ? 1 : a.username.localeCompare(b.username)));
  }

  /** People to offer after `@`: those here now, then recent authors, newest first; not the user. */
  mentionCandidates(): string[] {
    const names = new Map<string, string>();
    for (const member of this.members) if (member.id !== this.me.id) names.set(member.username.toLowerCase(), member.username);
    const list = this.messages;
    for (let i = list.length - 1; i >= 0 && names.size < 200; i--) {
      const message = list[i]!;
      if (message.user_id !== this.me.id) names.set(message.username.toLowerCase(), message.username);
    }
    return [...names.values()];
  }

  leave(): void {
    this.left = true;
    this.typers.dispose();
    this.channel.leave();
  }
}

/** A sentence for an error reply (CONTRACT.md §4: forbidden, not found, field errors, rate limits). */
function describeRefusal(reply: any): string {
  if (reply?.errors) {
    const content: string[] = reply.errors.content ?? [];
    if (content.length) return `The message ${content.join(", ")}.`;
    return `${api.describeFieldErrors(reply.errors)}.`;
  }
  switch (reply?.reason) {
    case "forbidden":
      return "Only its author can change a message.";
    case "not found":
      return "That message no longer exists.";
    case "rate_limited":
      return "You're doing that too fast. Wait a moment, then try again.";
    default:
      return reply?.reason ? `The server refused it (${String(reply.reason).replace(/_/g, " ")}).` : "The server refused it.";
  }
}
