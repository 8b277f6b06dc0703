// The wire shapes of CONTRACT.md.

export interface User {
  id: number;
  username: string;
}

export interface Room {
  id: number;
  name: string;
  slug: string;
  description: string | null;
  inserted_at: string;
  updated_at: string;
}

/** A page of the room list (`GET /api/rooms`, the lobby's join, `list_rooms`): `has_more` says that more rooms follow. */
export interface RoomPage {
  rooms: Room[];
  has_more: boolean;
}

/** Emoji → the ids of the users who reacted with it, in the order they did (CONTRACT.md §4). */
export type Reactions = Record<string, number[]>;

/**
 * MESSAGE. The last four fields are §4's: optional here, because a server without §4 leaves
 * them out (and then the app offers no edits or reactions).
 */
export interface Message {
  id: number;
  room_id: number;
  user_id: number;
  username: string;
  content: string;
  inserted_at: string;
  edited_at?: string | null;
  /** A tombstone: the message was deleted, and clients remove it. */
  deleted?: boolean;
  reactions?: Reactions;
  rev?: number;
  /** Not in the contract's MESSAGE, but used when a server echoes it. */
  client_id?: string | null;
}

/** A search hit (§6): a MESSAGE with the slug of its room. */
export interface SearchHit extends Message {
  room_slug: string;
}

/** UNREAD (§5): where the user's read marker stands in a room, and what came after it. */
export interface Unread {
  room_id: number;
  slug: string;
  last_read_id: number;
  unread: number;
  mentions: number;
}

export type FieldErrors = Record<string, string[]>;
