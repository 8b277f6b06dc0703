// The reactions under a message: one chip per emoji with its count, pressed when the user is
// among those who reacted; one click adds or takes back the user's reaction. The tooltip (and
// the label screen readers hear) says who reacted.
import type { Message, User } from "../../types";
import { Icon } from "../icon";
import { emojiName } from "./emoji-picker";
import type { MessageActions } from "./message-item";

export function ReactionBar({ message, me, actions }: { message: Message; me: User; actions: MessageActions }) {
  const entries = Object.entries(message.reactions ?? {}).filter(([, users]) => users.length > 0);
  if (entries.length === 0) return null;
  return (
    <div class="reactions" role="group" aria-label="Reactions">
      {entries.map(([emoji, users]) => {
        const mine = users.includes(me.id);
        const who = listNames(users.map((id) => (id === me.id ? "you" : (actions.nameOf(id) ?? "someone"))));
        const said = `${who} reacted with ${emojiName(emoji)}`;
        return (
          <button
            type="button"
            key={emoji}
            class={mine ? "reaction mine" : "reaction"}
            aria-pressed={mine}
            aria-label={`${emoji} ${users.length}: ${said}`}
            title={said}
            onClick={() => actions.toggleReaction(message, emoji)}
          >
            <span class="reaction-emoji" aria-hidden="true">
              {emoji}
            </span>
            <span class="reaction-count" aria-hidden="true">
              {users.length}
            </span>
          </button>
        );
      })}
      <button type="button" class="reaction add-reaction" aria-label="Add reaction" aria-haspopup="dialog" title="Add reaction" onClick={(event) => actions.openPicker(message, event.currentTarget)}>
        <Icon name="smile" />
      </button>
    </div>
  );
}

/** "you", "you and alice", "alice, bob and 3 others". */
function listNames(names: string[]): string {
  const shown = names.slice(0, 3);
  const others = names.length - shown.length;
  if (others > 0) return `${shown.join(", ")} and ${others} ${others === 1 ? "other" : "others"}`;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
}
