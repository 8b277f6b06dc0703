// The HTTP half of the contract, for setting up the end-to-end tests.
import { randomUUID } from "node:crypto";

export function uniqueName(prefix = "u") {
  return `${prefix}${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/**
 * One HTTP call; resolves with { status, retryAfter, body }. `from` is the client address the
 * server should see, sent as X-Forwarded-For (the server believes it from loopback).
 */
export async function call(server, method, path, { token, body, from } = {}) {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(from ? { "x-forwarded-for": from } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: text ? JSON.parse(text) : null };
}

/** Signs a new user up; resolves with { user, token }. */
export async function signUp(server, username = uniqueName()) {
  const { status, body } = await call(server, "POST", "/api/users", { body: { username, password: "password123" } });
  if (status !== 201) throw new Error(`sign up failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function createRoom(server, token, name = uniqueName("Room ")) {
  const { status, body } = await call(server, "POST", "/api/rooms", { token, body: { name } });
  if (status !== 201) throw new Error(`create room failed: ${status} ${JSON.stringify(body)}`);
  return body.room;
}

export async function postMessage(server, token, slug, content, clientId) {
  return call(server, "POST", `/api/rooms/${slug}/messages`, { token, body: { content, client_id: clientId } });
}

export async function history(server, slug, query = "") {
  return call(server, "GET", `/api/rooms/${slug}/messages${query}`);
}

export async function disconnectEverywhere(server, token) {
  return call(server, "DELETE", "/api/session", { token });
}

export async function editMessage(server, token, slug, id, content) {
  return call(server, "PATCH", `/api/rooms/${slug}/messages/${id}`, { token, body: { content } });
}

export async function deleteMessage(server, token, slug, id) {
  return call(server, "DELETE", `/api/rooms/${slug}/messages/${id}`, { token });
}

export async function react(server, token, slug, id, emoji, method = "PUT") {
  return call(server, method, `/api/rooms/${slug}/messages/${id}/reactions/${encodeURIComponent(emoji)}`, { token });
}

export async function unread(server, token) {
  return call(server, "GET", "/api/me/unread", { token });
}

export async function markRead(server, token, slug, id) {
  return call(server, "PUT", `/api/rooms/${slug}/read`, { token, body: { id } });
}
