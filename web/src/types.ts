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

export interface Message {
  id: number;
  room_id: number;
  user_id: number;
  username: string;
  content: string;
  inserted_at: string;
  /** Not in the contract's MESSAGE, but used when a server echoes it. */
  client_id?: string | null;
}

export type FieldErrors = Record<string, string[]>;
