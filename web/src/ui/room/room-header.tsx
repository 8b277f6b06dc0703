// The room's name and description, the way back to the list on phones, and the members toggle.
import type { RoomSession } from "../../room/room-session";
import { plural } from "../../format";
import { Icon } from "../icon";

export interface RoomHeaderProps {
  session: RoomSession;
  titleId: string;
  membersId: string;
  membersOpen: boolean;
  onToggleMembers(): void;
}

export function RoomHeader({ session, titleId, membersId, membersOpen, onToggleMembers }: RoomHeaderProps) {
  const name = session.room?.name ?? session.slug;
  const description = session.room?.description ?? "";
  const count = session.members.length;
  const ready = session.presenceReady;
  return (
    <header class="room-header">
      <a class="back-link icon-button" href="/" aria-label="All rooms">
        <Icon name="back" />
      </a>
      <div class="room-heading">
        <h2 class="room-title" id={titleId}>
          <span class="hash" aria-hidden="true">
            #
          </span>
          {name}
        </h2>
        <p class="room-description" hidden={!description}>
          {description}
        </p>
      </div>
      <button
        type="button"
        class="members-toggle"
        aria-controls={membersId}
        aria-expanded={membersOpen}
        title={ready ? `${plural(count, "person", "people")} in this room right now` : ""}
        hidden={session.status === "missing"}
        onClick={onToggleMembers}
      >
        <Icon name="users" />
        <span class="members-count">{ready ? `${count} online` : ""}</span>
      </button>
    </header>
  );
}
