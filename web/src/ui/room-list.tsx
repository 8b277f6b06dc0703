// The rooms in the sidebar, by name, each with its unread count.
import type { ChatClient } from "../chat-client";
import { roomPath } from "../chat-client";

export function RoomList({ client }: { client: ChatClient }) {
  const directory = client.directory;
  const rooms = directory.sorted;
  const status = !directory.loaded ? (directory.error ?? "Loading rooms…") : rooms.length ? "" : "No rooms yet.";
  const active = client.activeSlug;
  return (
    <>
      <p class="room-list-status" hidden={!status}>
        {status}
      </p>
      <ul class="room-list">
        {rooms.map((room) => {
          const current = room.slug === active;
          const unread = current ? 0 : client.unreadIn(room.slug);
          const mentions = current ? 0 : client.mentionsIn(room.slug);
          return (
            <li key={room.slug}>
              <a
                class={unread || mentions ? "room-link has-unread" : "room-link"}
                href={roomPath(room.slug)}
                aria-current={current ? "page" : undefined}
                title={room.description || undefined}
                data-slug={room.slug}
              >
                <span class="hash" aria-hidden="true">
                  #
                </span>
                <span class="room-link-name">{room.name}</span>
                {mentions > 0 ? (
                  <span class="badge mentions" data-unread={unread} data-mentions={mentions}>
                    <span aria-hidden="true">@</span>
                    {mentions > 99 ? "99+" : String(mentions)}
                    <span class="sr-only">{mentions === 1 ? " mention" : " mentions"}</span>
                  </span>
                ) : (
                  unread > 0 && (
                    <span class="badge" data-unread={unread}>
                      {unread > 99 ? "99+" : String(unread)}
                      <span class="sr-only">{unread === 1 ? " unread message" : " unread messages"}</span>
                    </span>
                  )
                )}
              </a>
            </li>
          );
        })}
      </ul>
    </>
  );
}
