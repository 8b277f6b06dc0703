// A room on screen: the header, the timeline, the typing line, the composer and the members.
// Mounted while the room is shown; what must outlive it (the draft, the scroll position) lives
// in the RoomSession.
import { useMemo, useRef, useState } from "preact/hooks";
import type { RoomSession } from "../../room";
import { useEmitter } from "../hooks";
import { Composer, type ComposerHandle } from "./composer";
import type { MessageActions } from "./message-item";
import { MembersPanel } from "./members-panel";
import { RoomHeader } from "./room-header";
import { Timeline } from "./timeline";
import { TypingLine } from "./typing-line";

let viewCounter = 0;
const wideScreen = window.matchMedia("(min-width: 1100px)");
let membersOpenByChoice: boolean | null = null;

export interface RoomViewProps {
  session: RoomSession;
  autofocus: boolean;
}

export function RoomView({ session, autofocus }: RoomViewProps) {
  useEmitter(session.changed);
  const n = useMemo(() => ++viewCounter, []);
  const [membersOpen, setMembersOpen] = useState(() => membersOpenByChoice ?? wideScreen.matches);
  const composer = useRef<ComposerHandle>(null);
  // The "New" line stays where it was when the room was opened, however much is read since.
  const unreadMarker = useMemo(() => (session.unread > 0 ? session.lastReadId : null), [session]);

  const actions = useMemo<MessageActions>(
    () => ({
      retry: (clientId) => session.retry(clientId),
      discard: (clientId) => session.discard(clientId),
      editFailed: (pending) => {
        session.discard(pending.clientId);
        composer.current?.fill(pending.content);
      },
    }),
    [session],
  );

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
            <Timeline session={session} label={`Messages in #${name}`} unreadMarker={unreadMarker} actions={actions} />
            <TypingLine names={session.typingNames} />
            <Composer session={session} name={name} handle={composer} autofocus={autofocus} />
          </div>
          <MembersPanel session={session} id={membersId} />
        </>
      )}
    </section>
  );
}
