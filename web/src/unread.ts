// Unread and mention counts for every room, kept by the server (CONTRACT.md §5) and shared by
// all of the user's devices: the `user:{id}` topic gives them on join, says `read` when any
// device reads a room (so every badge clears), and `mention` when someone names the user.
//
// Between two of the server's figures, messages that arrive live in joined rooms (and mentions
// in any room) are added here, each counted once by id, so badges move without asking the
// server again. A rejoin brings the server's figures afresh.
import type { Channel, Socket } from "phoenix";
import { Emitter } from "./emitter";
import { mentionedNames } from "./text/markup";
import type { Message, Room, Unread, User } from "./types";

export interface RoomCounts {
  roomId: number;
  slug: string;
  lastReadId: number;
  unread: number;
  mentions: number;
}

interface Entry {
  roomId: number;
  slug: string;
  lastReadId: number;
  /** The server's figures, as of its last word on this room. */
  baseUnread: number;
  baseMentions: number;
  /** Ids counted here, so a message that arrives twice counts once. */
  counted: Set<number>;
  mentionsCounted: Set<number>;
  /**
   * Whether `counted` holds every unread message: a joined room caught up from the read marker,
   * so what came before the server's figure is counted here too, and the larger figure is right.
   */
  exact: boolean;
}

function countsOf(entry: Entry): RoomCounts {
  const extra = (base: number, counted: number) => (entry.exact ? Math.max(base, counted) : base + counted);
  return {
    roomId: entry.roomId,
    slug: entry.slug,
    lastReadId: entry.lastReadId,
    unread: extra(entry.baseUnread, entry.counted.size),
    mentions: extra(entry.baseMentions, entry.mentionsCounted.size),
  };
}

export interface Mention {
  message: Message;
  room: Room;
}

export class UnreadStore {
  readonly changed = new Emitter<void>();
  /** Someone mentioned the user (after the counts have taken it in). */
  readonly mentioned = new Emitter<Mention>();
  /** null until the join answers; false when the server has no `user:` topic. */
  available: boolean | null = null;
  private readonly entries = new Map<string, Entry>();
  private readonly channel: Channel;

  constructor(
    socket: Socket,
    private readonly me: User,
  ) {
    this.channel = socket.channel(`user:${me.id}`, {});
    this.channel.on("read", (unread: Unread) => this.onRead(unread));
    this.channel.on("mention", (mention: Mention) => this.onMention(mention));
    this.channel
      .join()
      .receive("ok", ({ rooms }: { rooms: Unread[] }) => {
        this.available = true;
        // The server's figures replace what was known; a room read here that the answer does
        // not hold yet (its mark_read was still on the way) stays.
        const local = new Map(this.entries);
        this.entries.clear();
        for (const unread of rooms ?? []) this.entries.set(unread.slug, fresh(unread));
        for (const [slug, entry] of local) if (!this.entries.has(slug)) this.entries.set(slug, { ...entry, exact: false });
        this.changed.emit();
      })
      .receive("error", () => {
        this.available = false;
        this.channel.leave();
        this.changed.emit();
      });
  }

  get(slug: string): RoomCounts | undefined {
    const entry = this.entries.get(slug);
    return entry && countsOf(entry);
  }

  get rooms(): RoomCounts[] {
    return [...this.entries.values()].map(countsOf);
  }

  /** A message from someone else arrived live in a joined room. */
  arrived(slug: string, message: Message): void {
    const entry = this.entries.get(slug);
    // A room the user has never read is not one they follow: nothing to count.
    if (entry && this.count(entry, message)) this.changed.emit();
  }

  /**
   * A joined room's catch-up from `from`: when that is the read marker and nothing is missing,
   * these are all the unread messages, and the room's count is exact from now on.
   */
  caughtUp(slug: string, from: number, messages: Message[]): void {
    const entry = this.entries.get(slug);
    if (!entry || from !== entry.lastReadId) return;
    entry.exact = true;
    for (const message of messages) if (message.user_id !== this.me.id) this.count(entry, message);
    this.changed.emit();
  }

  private count(entry: Entry, message: Message): boolean {
    if (message.id <= entry.lastReadId || message.deleted) return false;
    let touched = false;
    if (!entry.counted.has(message.id)) {
      entry.counted.add(message.id);
      touched = true;
    }
    if (!entry.mentionsCounted.has(message.id) && mentionedNames(message.content).has(this.me.username.toLowerCase())) {
      entry.mentionsCounted.add(message.id);
      touched = true;
    }
    return touched;
  }

  /** A message was deleted: if it was counted here, it is counted no more. */
  deleted(slug: string, id: number): void {
    const entry = this.entries.get(slug);
    if (!entry?.counted.delete(id)) return;
    entry.mentionsCounted.delete(id);
    this.changed.emit();
  }

  /** The user has read a room up to `id` on this device; the server is told by the room (mark_read). */
  read(slug: string, roomId: number, id: number): void {
    const entry = this.entries.get(slug);
    if (entry && id <= entry.lastReadId && countsOf(entry).unread === 0) return;
    this.onRead({ room_id: roomId, slug, last_read_id: Math.max(id, entry?.lastReadId ?? 0), unread: 0, mentions: 0 });
  }

  leave(): void {
    this.channel.leave();
  }

  /** The server's figure for a room (a `read` event): it stands, with whatever came after the marker that it may not have seen. */
  private onRead(unread: Unread): void {
    const entry = this.entries.get(unread.slug);
    if (entry && unread.last_read_id < entry.lastReadId) return; // markers only move forwards
    const next = fresh(unread);
    if (entry?.exact) {
      // Every message after the marker is counted here; the server's figure may or may not hold
      // the newest of them, and the larger of the two is right.
      for (const id of entry.counted) if (id > unread.last_read_id) next.counted.add(id);
      for (const id of entry.mentionsCounted) if (id > unread.last_read_id) next.mentionsCounted.add(id);
      next.exact = true;
    }
    // Otherwise the figure is fresh: what arrived before it is in it, and counting starts anew.
    this.entries.set(unread.slug, next);
    this.changed.emit();
  }

  private onMention({ message, room }: Mention): void {
    if (!message || !room) return;
    let entry = this.entries.get(room.slug);
    if (!entry) {
      entry = fresh({ room_id: room.id, slug: room.slug, last_read_id: 0, unread: 0, mentions: 0 });
      this.entries.set(room.slug, entry);
    }
    if (message.id > entry.lastReadId) {
      entry.counted.add(message.id);
      entry.mentionsCounted.add(message.id);
    }
    this.changed.emit();
    this.mentioned.emit({ message, room });
  }
}

function fresh(unread: Unread): Entry {
  return {
    roomId: unread.room_id,
    slug: unread.slug,
    lastReadId: unread.last_read_id,
    baseUnread: unread.unread,
    baseMentions: unread.mentions,
    counted: new Set(),
    mentionsCounted: new Set(),
    exact: false,
  };
}
