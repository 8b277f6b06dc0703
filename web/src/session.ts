// The signed-in user: the token from POST /api/users or /api/session, kept in localStorage so
// that a reload (and other tabs) stay signed in.
import type { User } from "./types";

export interface Session {
  token: string;
  user: User;
}

const key = "chat.session";

interface Claims {
  sub?: string;
  name?: string;
  exp?: number;
}

export function decodeClaims(token: string): Claims | null {
  try {
    const part = token.split(".")[1];
    if (!part) return null;
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Claims;
  } catch {
    return null;
  }
}

export function isExpired(token: string, skewSeconds = 30): boolean {
  const exp = decodeClaims(token)?.exp;
  return typeof exp === "number" && exp * 1000 < Date.now() + skewSeconds * 1000;
}

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(key);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    if (typeof session?.token !== "string" || typeof session.user?.id !== "number") return null;
    if (isExpired(session.token)) {
      localStorage.removeItem(key);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(key, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(key);
}

/** Calls back when another tab signs in or out. */
export function onSessionChangedElsewhere(callback: () => void): void {
  window.addEventListener("storage", (event) => {
    if (event.key === key || event.key === null) callback();
  });
}
