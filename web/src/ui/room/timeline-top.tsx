// What sits above the oldest message: loading, a failed page with a retry, a button for older
// messages, or the room's beginning.
import type { RoomSession } from "../../room/room-session";
import { Icon } from "../icon";

export function TimelineTop({ session: s }: { session: RoomSession }) {
  let content;
  if (s.status === "joining" && s.messages.length === 0) {
    content = <Status>Loading messages…</Status>;
  } else if (s.loadingOlder) {
    content = <Status>Loading earlier messages…</Status>;
  } else if (s.olderFailed) {
    content = (
      <p class="timeline-status">
        Earlier messages could not be loaded.{" "}
        <button type="button" class="link-button" onClick={() => ((s.olderFailed = false), s.loadOlder())}>
          Try again
        </button>
      </p>
    );
  } else if (s.hasOlder) {
    content = (
      <p class="timeline-status">
        <button type="button" class="link-button" onClick={() => s.loadOlder()}>
          Load earlier messages
        </button>
      </p>
    );
  } else {
    const name = s.room?.name ?? s.slug;
    content = (
      <div class="room-intro">
        <div class="room-intro-icon" aria-hidden="true">
          <Icon name="hash" />
        </div>
        <p class="room-intro-title">{`Welcome to #${name}`}</p>
        <p class="room-intro-text">
          {s.room?.description || "This is the very beginning of the room."}
          {s.messages.length === 0 && s.pending.length === 0 ? " No messages yet: say hello!" : ""}
        </p>
      </div>
    );
  }
  return <div class="timeline-top">{content}</div>;
}

function Status({ children }: { children: string }) {
  return (
    <p class="timeline-status">
      <span class="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}
