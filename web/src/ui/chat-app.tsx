// The signed-in app on screen: the sidebar (rooms, account), the room or the welcome pane, the
// connection banner and the new-room dialog. Links inside the app route without a reload.
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { ChatClient, roomPath } from "../chat-client";
import { avatarClass, initial } from "../format";
import type { Session } from "../session";
import { Banner } from "./banner";
import { useEmitter } from "./hooks";
import { Icon } from "./icon";
import { NewRoomDialog, type DialogHandle } from "./new-room-dialog";
import { RoomList } from "./room-list";
import { RoomView } from "./room/room-view";

const coarsePointer = window.matchMedia("(pointer: coarse)");
/** On touch screens a focused box opens the keyboard: focus moves only where the user asked. */
const canAutofocus = () => !coarsePointer.matches;

export function ChatApp({ session, signOut }: { session: Session; signOut(notice?: string): void }) {
  const client = useClient(session, signOut);
  useEmitter(client.changed);
  const dialog = useRef<DialogHandle>(null);
  const main = useRef<HTMLElement>(null);
  const roomList = useRef<HTMLElement>(null);
  const me = session.user;
  const room = client.activeRoom;

  useEffect(() => {
    const onClick = (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const link = (event.target as Element | null)?.closest?.("a[href]");
      if (!(link instanceof HTMLAnchorElement) || link.target || link.hasAttribute("download")) return;
      const url = new URL(link.href);
      if (url.origin !== location.origin || url.hash) return;
      if (url.pathname !== "/" && !url.pathname.startsWith("/rooms/")) return;
      event.preventDefault();
      client.navigate(url.pathname);
    };
    document.addEventListener("click", onClick);
    return () => document.removeEventListener("click", onClick);
  }, [client]);

  // Focus follows the user's own navigation: into the room (its composer focuses itself where
  // that does not pop up a keyboard), or back to the room list on phones.
  useLayoutEffect(() => {
    if (!client.routedByUser) return;
    client.routedByUser = false;
    if (room && !canAutofocus()) main.current?.focus({ preventScroll: true });
    if (!room && coarsePointer.matches) roomList.current?.querySelector<HTMLElement>("a")?.focus();
  }, [client.route]);

  let unread = 0;
  for (const slug of client.sessions.keys()) if (slug !== client.activeSlug) unread += client.unreadIn(slug);
  const place = room ? `#${room.room?.name ?? room.slug}` : "Rooms";
  document.title = `${unread ? `(${unread}) ` : ""}${place} · Chat`;

  return (
    <div class="shell" data-view={room ? "room" : "lobby"}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Banner connection={client.connection} />
      <aside class="sidebar" aria-label="Rooms and account">
        <div class="sidebar-header">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">
              <Icon name="hash" />
            </span>
            Chat
          </a>
          <button type="button" class="button primary small new-room" onClick={() => dialog.current?.open()}>
            <Icon name="plus" />
            New room
          </button>
        </div>
        <nav ref={roomList} class="rooms-nav" aria-labelledby="rooms-heading">
          <h2 class="section-label" id="rooms-heading">
            Rooms
          </h2>
          <RoomList client={client} />
        </nav>
        <div class="me">
          <span class={avatarClass(me.id)} aria-hidden="true">
            {initial(me.username)}
          </span>
          <span class="me-name">
            <span class="sr-only">Signed in as </span>
            {me.username}
          </span>
          <button type="button" class="icon-button sign-out" aria-label="Sign out" title="Sign out" onClick={() => signOut()}>
            <Icon name="logout" />
          </button>
        </div>
      </aside>
      <main ref={main} class="main" id="main" tabIndex={-1}>
        {room ? (
          <RoomView key={room.slug} session={room} autofocus={canAutofocus()} />
        ) : (
          <div class="welcome">
            <div class="welcome-icon" aria-hidden="true">
              <Icon name="hash" />
            </div>
            <h2>{`Welcome, ${me.username}`}</h2>
            <p>Pick a room from the list, or start a new one.</p>
            <button type="button" class="button primary" onClick={() => dialog.current?.open()}>
              <Icon name="plus" />
              Create a room
            </button>
          </div>
        )}
      </main>
      <NewRoomDialog handle={dialog} create={(name, description) => client.directory.create(name, description)} created={(created) => client.navigate(roomPath(created.slug))} />
    </div>
  );
}

/** One ChatClient for the component's life, closed when it unmounts. */
function useClient(session: Session, signOut: (notice?: string) => void): ChatClient {
  const client = useRef<ChatClient | null>(null);
  client.current ??= new ChatClient(session, signOut);
  useEffect(() => () => client.current?.destroy(), []);
  return client.current;
}
