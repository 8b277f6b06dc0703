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

interface Entry extends RoomCounts {
  /** Ids counted here since the server's figure, so a message that arrives twice counts once. */
  counted: Set<number>;
  mentionsCounted: Set<number>;
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
        this.entries.clear();
        for (const unread of rooms ?? []) this.entries.set(unread.slug, fresh(unread));
        this.changed.emit();
      })
      .receive("error", () => {
        this.available = false;
        this.channel.leave();
        this.changed.emit();
      });
  }

  get(slug: string): RoomCounts | undefined {
    return this.entries.get(slug);
  }

  get rooms(): RoomCounts[] {
    return [...this.entries.values()];
  }

  /** A message from someone else arrived live in a joined room. */
  arrived(slug: string, message: Message): void {
    const entry = this.entries.get(slug);
    // A room the user has never read is not one they follow: nothing to count.
    if (!entry || message.id <= entry.lastReadId) return;
    let touched = false;
    if (!entry.counted.has(message.id)) {
      entry.counted.add(message.id);
      entry.unread++;
      touched = true;
    }
    if (!entry.mentionsCounted.has(message.id) && mentionedNames(message.content).has(this.me.username.toLowerCase())) {
      entry.mentionsCounted.add(message.id);
      entry.mentions++;
      touched = true;
    }
    if (touched) this.changed.emit();
  }

  /** The user has read a room up to `id` on this device; the server is told by the room (mark_read). */
  read(slug: string, roomId: number, id: number): void {
    const entry = this.entries.get(slug);
    if (entry && id <= entry.lastReadId && entry.unread === 0) return;
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
    if (entry) {
      for (const id of entry.counted) if (id > unread.last_read_id) next.counted.add(id);
      for (const id of entry.mentionsCounted) if (id > unread.last_read_id) next.mentionsCounted.add(id);
      next.unread = Math.max(next.unread, next.counted.size);
      next.mentions = Math.max(next.mentions, next.mentionsCounted.size);
    }
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
      if (!entry.counted.has(message.id)) {
        entry.counted.add(message.id);
        entry.unread++;
      }
      if (!entry.mentionsCounted.has(message.id)) {
        entry.mentionsCounted.add(message.id);
        entry.mentions++;
      }
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
    unread: unread.unread,
    mentions: unread.mentions,
    counted: new Set(),
    mentionsCounted: new Set(),
  };
}
