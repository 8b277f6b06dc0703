// One row of the timeline: a stored message, or one of the user's sends still under way.
import { avatarClass, formatFull, formatTime, initial } from "../../format";
import type { PendingMessage, SendState } from "../../room/room-session";
import type { Message, User } from "../../types";
import { mentionedNames } from "../../text/markup";
import { memo } from "../hooks";
import { Icon } from "../icon";
import { MessageEditor } from "./message-editor";
import { MessageText } from "./message-text";
import { ReactionBar } from "./reaction-bar";

/** What a row can ask of the room. Stable for the room's life, so rows re-render only when their message changes. */
export interface MessageActions {
  retry(clientId: string): void;
  discard(clientId: string): void;
  /** Takes a failed send back into the composer. */
  editFailed(pending: PendingMessage): void;
  startEdit(id: number): void;
  /** The edit was saved or given up: the composer gets focus back. */
  finishEdit(): void;
  /** Rejects with a sentence to show when the server refuses. */
  saveEdit(id: number, content: string): Promise<void>;
  askDelete(message: Message): void;
  toggleReaction(message: Message, emoji: string): void;
  openPicker(message: Message, anchor: HTMLElement): void;
  nameOf(userId: number): string | undefined;
}

export interface MessageItemProps {
  rowKey: string;
  message: Message | null;
  pending: PendingMessage | null;
  /** The pending send's state, passed apart because the pending object changes in place. */
  state: SendState | null;
  error: string | null;
  /** Whether the row opens a group (author and time shown) or continues the one above. */
  start: boolean;
  /** Whether the server keeps revisions, so messages can be edited, deleted and reacted to. */
  changeable: boolean;
  editing: boolean;
  /** The message a search result or a link pointed at. */
  highlighted: boolean;
  /** Tapped on a touch screen: its actions show. */
  selected: boolean;
  me: User;
  actions: MessageActions;
}

export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { rowKey, message, pending, state, error, start, changeable, editing, highlighted, selected, me, actions } = props;
  const userId = message?.user_id ?? me.id;
  const username = message?.username ?? me.username;
  const content = message?.content ?? pending?.content ?? "";
  const date = message ? new Date(message.inserted_at) : pending!.createdAt;
  const mine = userId === me.id;
  const mentionsMe = !mine && mentionedNames(content).has(me.username.toLowerCase());
  const classes = ["message", start && "start", mine && "mine", mentionsMe && "mentions-me", state && `is-${state}`, editing && "is-editing", highlighted && "is-highlighted", selected && "is-selected"];
  const time = (className: string) => (
    <time class={className} dateTime={message?.inserted_at ?? date.toISOString()} title={formatFull(date)}>
      {formatTime(date)}
    </time>
  );
  return (
    <li class={classes.filter(Boolean).join(" ")} data-key={rowKey} data-id={message?.id} tabIndex={highlighted ? -1 : undefined}>
      {start ? (
        <>
          <div class={avatarClass(userId)} aria-hidden="true">
            {initial(username)}
          </div>
          <div class="message-meta">
            <span class="author">{username}</span>
            {mine && <span class="you-tag">you</span>}
            {time("message-time")}
          </div>
        </>
      ) : (
        <>
          <span class="sr-only">{`${username}${mine ? " (you)" : ""}, `}</span>
          {time("gutter-time")}
        </>
      )}
      {message && editing ? (
        <MessageEditor message={message} actions={actions} />
      ) : (
        <MessageText content={content} me={me.username}>
          {message?.edited_at && (
            <span class="edited" title={`Edited ${formatFull(new Date(message.edited_at))}`}>
              {" (edited)"}
            </span>
          )}
        </MessageText>
      )}
      {message && <ReactionBar message={message} me={me} actions={actions} />}
      {message && changeable && !editing && <MessageToolbar message={message} mine={mine} actions={actions} />}
      {pending && state && <SendStatus pending={pending} state={state} error={error} actions={actions} />}
    </li>
  );
});

/** Shown on hover or focus (and on a tap on touch screens): react, and for one's own messages edit and delete. */
function MessageToolbar({ message, mine, actions }: { message: Message; mine: boolean; actions: MessageActions }) {
  return (
    <div class="message-actions" role="toolbar" aria-label="Message actions">
      <button type="button" class="icon-button" aria-label="Add reaction" aria-haspopup="dialog" title="Add reaction" onClick={(event) => actions.openPicker(message, event.currentTarget)}>
        <Icon name="smile" />
      </button>
      {mine && (
        <>
          <button type="button" class="icon-button" aria-label="Edit message" title="Edit" onClick={() => actions.startEdit(message.id)}>
            <Icon name="edit" />
          </button>
          <button type="button" class="icon-button danger" aria-label="Delete message" title="Delete" onClick={() => actions.askDelete(message)}>
            <Icon name="trash" />
          </button>
        </>
      )}
    </div>
  );
}

function SendStatus({ pending, state, error, actions }: { pending: PendingMessage; state: SendState; error: string | null; actions: MessageActions }) {
  if (state === "failed") {
    return (
      <div class="message-status error" role="alert">
        <Icon name="alert" />
        <span>Not sent. {error ?? ""}</span>
        {pending.retryable && (
          <button type="button" class="link-button" onClick={() => actions.retry(pending.clientId)}>
            Retry
          </button>
        )}
        <button type="button" class="link-button" onClick={() => actions.editFailed(pending)}>
          Edit
        </button>
        <button type="button" class="link-button" onClick={() => actions.discard(pending.clientId)}>
          Discard
        </button>
      </div>
    );
  }
  return (
    <div class="message-status">
      <span class="spinner small" aria-hidden="true" />
      {state === "queued" ? "Waiting for connection…" : "Sending…"}
    </div>
  );
}
