// The signed-in app on screen: the sidebar (rooms, account), the room or the welcome pane, the
// connection banner and the new-room dialog. Links inside the app route without a reload.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { askForNotifications, canAskForNotifications, notifyMention, showCounts } from "../attention";
import { ChatClient, roomPath } from "../chat-client";
import { avatarClass, initial } from "../format";
import type { Session } from "../session";
import { Banner } from "./banner";
import { useEmitter } from "./hooks";
import { Icon } from "./icon";
import { NewRoomDialog, type DialogHandle } from "./new-room-dialog";
import { RoomList } from "./room-list";
import { RoomView } from "./room/room-view";
import { SearchBox } from "./search-box";
import { SearchView } from "./search-view";

const coarsePointer = window.matchMedia("(pointer: coarse)");
/** On touch screens a focused box opens the keyboard: focus moves only where the user asked. */
const canAutofocus = () => !coarsePointer.matches;

export function ChatApp({ session, signOut }: { session: Session; signOut(notice?: string): void }) {
  const client = useClient(session, signOut);
  useEmitter(client.changed);
  const dialog = useRef<DialogHandle>(null);
  const main = useRef<HTMLElement>(null);
  const roomList = useRef<HTMLElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);
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
      client.navigate(url.pathname + url.search);
    };
    // Ctrl+K (Cmd+K on a Mac) goes to the search field from anywhere, as in Slack.
    const onKey = (event: KeyboardEvent) => {
      if (event.key.toLowerCase() !== "k" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      event.preventDefault();
      // On a phone the field is on the room list's screen.
      if (!searchInput.current?.offsetParent && client.route.kind === "room") client.navigate("/");
      queueMicrotask(() => {
        searchInput.current?.focus();
        searchInput.current?.select();
      });
    };
    document.addEventListener("click", onClick);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("click", onClick);
      document.removeEventListener("keydown", onKey);
    };
  }, [client]);

  // Focus follows the user's own navigation: into the room (its composer focuses itself where
  // that does not pop up a keyboard), or back to the room list on phones.
  useLayoutEffect(() => {
    if (!client.routedByUser) return;
    client.routedByUser = false;
    if (room && !canAutofocus()) main.current?.focus({ preventScroll: true });
    if (!room && coarsePointer.matches) roomList.current?.querySelector<HTMLElement>("a")?.focus();
  }, [client.route]);

  // Desktop notifications for mentions, when the user is not looking at that room.
  useEffect(
    () =>
      client.unread.mentioned.subscribe((mention) => {
        if (!document.hidden && client.activeSlug === mention.room.slug) return;
        notifyMention(mention, () => client.navigate(roomPath(mention.room.slug, mention.message.id)));
      }),
    [client],
  );
  const [askNotify, setAskNotify] = useState(canAskForNotifications);

  useEffect(() => {
    const place = room ? `#${room.room?.name ?? room.slug}` : client.route.kind === "search" ? `Search: ${client.route.query}` : "Rooms";
    // What the user is looking at counts as read; in a hidden tab nothing is being read.
    const counted = (slug: string) => document.hidden || slug !== client.activeSlug;
    let unread = 0;
    let mentions = 0;
    const slugs = new Set([...client.sessions.keys(), ...client.unread.rooms.map((r) => r.slug)]);
    for (const slug of slugs) {
      if (!counted(slug)) continue;
      unread += client.unreadIn(slug);
      mentions += client.mentionsIn(slug);
    }
    showCounts(place, unread, mentions);
  });
  useEffect(() => {
    const onVisibility = () => client.changed.emit();
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, [client]);

  return (
    <div class="shell" data-view={client.route.kind}>
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
        <SearchBox client={client} input={searchInput} />
        <nav ref={roomList} class="rooms-nav" aria-labelledby="rooms-heading">
          <h2 class="section-label" id="rooms-heading">
            Rooms
          </h2>
          <RoomList client={client} />
        </nav>
        {askNotify && client.unread.available && (
          <button
            type="button"
            class="notify-prompt"
            onClick={() => {
              setAskNotify(false);
              void askForNotifications();
            }}
          >
            <Icon name="bell" />
            Notify me when someone mentions me
          </button>
        )}
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
          <RoomView
            key={room.slug}
            session={room}
            users={client.users}
            recentEmoji={client.recentEmoji}
            autofocus={canAutofocus()}
            jumpTo={client.route.kind === "room" ? client.route.jumpTo : null}
            unreadMarker={client.unreadMarkerFor(room.slug)}
          />
        ) : client.route.kind === "search" ? (
          <SearchView client={client} />
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
