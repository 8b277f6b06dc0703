// Who is in the room right now (presence). While the channel is down it stays, greyed out.
import { avatarClass, initial } from "../../format";
import type { RoomSession } from "../../room/room-session";

export function MembersPanel({ session, id }: { session: RoomSession; id: string }) {
  const members = session.members;
  const me = session.me.id;
  return (
    <aside class="members" id={id} aria-labelledby={`${id}-h`}>
      <h3 class="members-heading" id={`${id}-h`}>{`Online — ${members.length}`}</h3>
      <ul class="members-list">
        {members.map((member) => (
          <li key={member.id} class="member">
            <span class={avatarClass(member.id)} aria-hidden="true">
              {initial(member.username)}
              <span class="presence-dot" />
            </span>
            <span class="member-name">{member.username}</span>
            {member.id === me && <span class="you-tag">you</span>}
          </li>
        ))}
      </ul>
    </aside>
  );
}
