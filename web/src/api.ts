// The HTTP half of the contract (§1, §2).
import type { FieldErrors, Message, Room, RoomPage, SearchHit, User } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldErrors = {},
  ) {
    super(message);
  }
}

const fieldNames: Record<string, string> = {
  username: "Username",
  password: "Password",
  name: "Name",
  description: "Description",
  content: "Message",
};

export function describeFieldErrors(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, messages]) => `${fieldNames[field] ?? field} ${messages.join(", ")}`)
    .join(". ");
}

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "Can't reach the server. Check your connection and try again.");
  }
  const data = (await response.json().catch(() => null)) as any;
  if (response.ok) return data as T;
  if (data && typeof data.errors === "object" && data.errors !== null) {
    throw new ApiError(response.status, describeFieldErrors(data.errors), data.errors);
  }
  const text = typeof data?.error === "string" ? data.error : typeof data?.reason === "string" ? data.reason : null;
  throw new ApiError(response.status, text ? sentence(text) : `The server answered ${response.status}. Try again.`);
}

const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");

export interface AuthReply {
  user: User;
  token: string;
}

export const signUp = (username: string, password: string) =>
  call<AuthReply>("POST", "/api/users", { username, password });

export const signIn = (username: string, password: string) =>
  call<AuthReply>("POST", "/api/session", { username, password });

/** A page of rooms by name: the first, or the one after the room with the slug `after`. */
export const listRooms = (after?: string) =>
  call<RoomPage>("GET", after === undefined ? "/api/rooms" : `/api/rooms?after=${encodeURIComponent(after)}`);

export const createRoom = (token: string, name: string, description: string) =>
  call<{ room: Room }>("POST", "/api/rooms", { name, description }, token);

export function listMessages(slug: string, query: { before?: number; after?: number; limit?: number }) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  return call<{ messages: Message[]; has_more: boolean }>("GET", `/api/rooms/${encodeURIComponent(slug)}/messages?${params}`);
}

/** §6: messages holding every word of `q`, newest first. */
export function searchMessages(q: string, query: { room?: string; before?: number; limit?: number } = {}) {
  const params = new URLSearchParams({ q });
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  return call<{ messages: SearchHit[]; has_more: boolean }>("GET", `/api/search?${params}`);
}
