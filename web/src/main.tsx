// The entry point: signed out, the sign-in form; signed in, the chat.
import "./styles.css";
import { render } from "preact";
import { clearSession, loadSession, onSessionChangedElsewhere, saveSession, type Session } from "./session";
import { AuthView } from "./ui/auth-view";
import { ChatApp } from "./ui/chat-app";

const root = document.getElementById("app")!;
let currentToken: string | null = null;

function start(notice: string | null = null): void {
  const session = loadSession();
  currentToken = session?.token ?? null;
  // A new key for each session, so nothing of the previous user's app survives.
  render(
    session ? <ChatApp key={session.token} session={session} signOut={signOut} /> : <AuthView key={notice ?? ""} onSignedIn={signIn} notice={notice} />,
    root,
  );
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

root.replaceChildren();
start();
