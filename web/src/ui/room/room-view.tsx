// A room on screen: the header, the timeline, the typing line, the composer and the members,
// and what acts on one message at a time (the editor, the reaction picker, the delete
// question). Mounted while the room is shown; what must outlive it (the draft, the scroll
// position) lives in the RoomSession.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { RecentEmoji } from "../../recent-emoji";
import { RoomActionError, type RoomSession } from "../../room/room-session";
import type { Message } from "../../types";
import type { UserNames } from "../../users";
import { ConfirmDialog, type ConfirmHandle } from "../confirm-dialog";
import { useEmitter } from "../hooks";
import { Composer, type ComposerHandle } from "./composer";
import { EmojiPicker } from "./emoji-picker";
import type { MessageActions } from "./message-item";
import { MembersPanel } from "./members-panel";
import { RoomHeader } from "./room-header";
import { Timeline, type Highlight } from "./timeline";
import { TypingLine } from "./typing-line";

let viewCounter = 0;
const wideScreen = window.matchMedia("(min-width: 1100px)");
let membersOpenByChoice: boolean | null = null;
const noticeShownMs = 6_000;

export interface RoomViewProps {
  session: RoomSession;
  users: UserNames;
  recentEmoji: RecentEmoji;
  autofocus: boolean;
  /** A message to show (from a search result or a link), or null. */
  jumpTo: number | null;
  /** The last message read when the room was opened, if more came after it: a "New" line goes there. */
  unreadMarker: number | null;
}

export function RoomView({ session, users, recentEmoji, autofocus, jumpTo, unreadMarker: markerWhenOpened }: RoomViewProps) {
  useEmitter(session.changed);
  const n = useMemo(() => ++viewCounter, []);
  const [membersOpen, setMembersOpen] = useState(() => membersOpenByChoice ?? wideScreen.matches);
  const [editingId, setEditingId] = useState<number | null>(null);
  const [picker, setPicker] = useState<{ message: Message; anchor: HTMLElement } | null>(null);
  const [highlight, setHighlight] = useState<Highlight | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const composer = useRef<ComposerHandle>(null);
  const confirm = useRef<ConfirmHandle>(null);
  const noticeTimer = useRef<number | undefined>(undefined);
  // The "New" line stays where it was when the room was opened, however much is read since.
  const [unreadMarker] = useState(markerWhenOpened);

  const tell = (text: string) => {
    window.clearTimeout(noticeTimer.current);
    setNotice(text);
    noticeTimer.current = window.setTimeout(() => setNotice(null), noticeShownMs);
  };
  useEffect(() => () => window.clearTimeout(noticeTimer.current), []);

  const actions = useMemo<MessageActions>(() => {
    const failed = (what: string) => (error: unknown) => tell(error instanceof RoomActionError ? error.message : `The ${what} failed.`);
    return {
      retry: (clientId) => session.retry(clientId),
      discard: (clientId) => session.discard(clientId),
      editFailed: (pending) => {
        session.discard(pending.clientId);
        composer.current?.fill(pending.content);
      },
      startEdit: (id) => setEditingId(id),
      finishEdit: () => {
        setEditingId(null);
        composer.current?.focus();
      },
      saveEdit: (id, content) => session.edit(id, content),
      askDelete: async (message) => {
        const yes = await confirm.current!.ask({
          title: "Delete message?",
          body: (
            <>
              <p>This removes it for everyone. It can't be undone.</p>
              <blockquote class="confirm-quote">{message.content}</blockquote>
            </>
          ),
          confirm: "Delete",
          danger: true,
        });
        setEditingId((id) => (id === message.id ? null : id));
        composer.current?.focus();
        if (yes) session.remove(message.id).catch(failed("delete"));
      },
      toggleReaction: (message, emoji) => {
        const mine = (message.reactions?.[emoji] ?? []).includes(session.me.id);
        if (!mine) recentEmoji.use(emoji);
        session.react(message.id, emoji, !mine).catch(failed("reaction"));
      },
      openPicker: (message, anchor) =>
        setPicker((open) => {
          open?.anchor.removeAttribute("aria-expanded");
          if (open?.anchor === anchor) return null;
          // Keeps the message's toolbar on screen while its picker is open (styles.css).
          anchor.setAttribute("aria-expanded", "true");
          return { message, anchor };
        }),
      nameOf: (id) => users.nameOf(id),
    };
  }, [session]);

  // A message to jump to: load a window around it if need be, then bring it into view.
  useEffect(() => {
    if (jumpTo === null) return;
    let current = true;
    session
      .jumpTo(jumpTo)
      .then((found) => {
        if (!current) return;
        if (found) setHighlight((previous) => ({ id: jumpTo, seq: (previous?.seq ?? 0) + 1 }));
        else tell("That message is no longer there.");
      })
      .catch(() => current && tell("That message could not be loaded."));
    return () => {
      current = false;
    };
  }, [session, jumpTo]);

  const closePicker = (refocus: boolean) => {
    const anchor = picker?.anchor;
    anchor?.removeAttribute("aria-expanded");
    setPicker(null);
    if (refocus && anchor?.isConnected) anchor.focus();
  };

  const editLast = (): boolean => {
    const last = session.supportsChanges ? session.lastOwnMessage() : undefined;
    if (!last) return false;
    setEditingId(last.id);
    return true;
  };

  const name = session.room?.name ?? session.slug;
  const titleId = `room-title-${n}`;
  const membersId = `members-${n}`;
  const missing = session.status === "missing";
  const classes = ["room", membersOpen && !missing && "members-open", session.status === "joined" && !session.joined && "is-disconnected"];
  return (
    <section class={classes.filter(Boolean).join(" ")} aria-labelledby={titleId}>
      <RoomHeader
        session={session}
        titleId={titleId}
        membersId={membersId}
        membersOpen={membersOpen}
        onToggleMembers={() => setMembersOpen((open) => (membersOpenByChoice = !open))}
      />
      {missing ? (
        <div class="room-body">
          <div class="empty-state">
            <h3>This room doesn't exist</h3>
            <p>
              There is no room at <code>{`/rooms/${session.slug}`}</code>. It may have a different name.
            </p>
            <a class="button primary" href="/">
              See all rooms
            </a>
          </div>
        </div>
      ) : (
        <>
          <div class="room-body">
            <Timeline session={session} label={`Messages in #${name}`} unreadMarker={unreadMarker} editingId={editingId} highlight={highlight} actions={actions} />
            {notice ? (
              <p class="room-notice" role="alert">
                {notice}
              </p>
            ) : (
              <TypingLine names={session.typingNames} />
            )}
            <Composer session={session} name={name} handle={composer} autofocus={autofocus && jumpTo === null} onEditLast={editLast} />
          </div>
          <MembersPanel session={session} id={membersId} />
        </>
      )}
      {picker && (
        <EmojiPicker
          anchor={picker.anchor}
          recent={recentEmoji.list}
          onPick={(emoji) => {
            const message = session.message(picker.message.id);
            closePicker(true);
            const mine = (message?.reactions?.[emoji] ?? []).includes(session.me.id);
            // Picking an emoji the user already holds leaves it as it is.
            if (message && !mine) actions.toggleReaction(message, emoji);
          }}
          onClose={() => closePicker(true)}
        />
      )}
      <ConfirmDialog handle={confirm} />
    </section>
  );
}
