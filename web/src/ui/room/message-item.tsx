// One row of the timeline: a stored message, or one of the user's sends still under way.
import { avatarClass, formatFull, formatTime, initial } from "../../format";
import type { PendingMessage, SendState } from "../../room/room-session";
import type { Message, User } from "../../types";
import { mentionedNames } from "../../text/markup";
import { memo } from "../hooks";
import { Icon, type IconName } from "../icon";
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
    <li class={classes.filter(Boolean).join(" ")} data-key={rowKey} data-id={message?.id} tabIndex={message ? -1 : undefined}>
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
              <span aria-hidden="true">{" (edited)"}</span>
              <span class="sr-only">{`, edited ${formatFull(new Date(message.edited_at))}`}</span>
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

/**
 * Shown on hover or focus (and on a tap on touch screens): react, and for one's own messages
 * edit and delete. Out of the tab order, so Tab does not walk through every message: with a
 * message focused (arrow keys in the timeline), R, E and Delete do the same (timeline.tsx).
 */
function MessageToolbar({ message, mine, actions }: { message: Message; mine: boolean; actions: MessageActions }) {
  return (
    <div class="message-actions" role="toolbar" aria-label="Message actions">
      <ToolButton action="react" label="Add reaction" shortcut="R" icon="smile" popup onClick={(button) => actions.openPicker(message, button)} />
      {mine && (
        <>
          <ToolButton action="edit" label="Edit message" shortcut="E" icon="edit" onClick={() => actions.startEdit(message.id)} />
          <ToolButton action="delete" label="Delete message" shortcut="Delete" icon="trash" danger onClick={() => actions.askDelete(message)} />
        </>
      )}
    </div>
  );
}

interface ToolButtonProps {
  action: string;
  label: string;
  shortcut: string;
  icon: IconName;
  popup?: boolean;
  danger?: boolean;
  onClick(button: HTMLButtonElement): void;
}

/** A toolbar button: out of the tab order (its key works on the focused message), named with its key. */
function ToolButton({ action, label, shortcut, icon, popup, danger, onClick }: ToolButtonProps) {
  return (
    <button
      type="button"
      class={danger ? "icon-button danger" : "icon-button"}
      data-action={action}
      tabIndex={-1}
      aria-label={label}
      aria-haspopup={popup ? "dialog" : undefined}
      aria-keyshortcuts={shortcut}
      title={`${label} (${shortcut === "Delete" ? "Del" : shortcut})`}
      onClick={(event) => onClick(event.currentTarget)}
    >
      <Icon name={icon} />
    </button>
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
