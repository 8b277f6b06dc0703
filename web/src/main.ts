// The entry point: signed out, the sign-in form; signed in, the chat.
import "./styles.css";
import { clearSession, loadSession, onSessionChangedElsewhere, saveSession, type Session } from "./session";
import { AuthView } from "./views/auth-view";
import { ChatApp } from "./views/chat-app";

const root = document.getElementById("app")!;
let current: { destroy(): void } | null = null;
let currentToken: string | null = null;

function start(notice: string | null = null): void {
  current?.destroy();
  const session = loadSession();
  currentToken = session?.token ?? null;
  current = session ? new ChatApp(root, session, signOut) : new AuthView(root, signIn, notice);
}

function signIn(session: Session): void {
  saveSession(session);
  start();
}

function signOut(notice?: string): void {
  clearSession();
  start(notice ?? null);
}

// Signing in or out in another tab does the same here.
onSessionChangedElsewhere(() => {
  if ((loadSession()?.token ?? null) !== currentToken) start();
});

start();
