// One row of the timeline: a stored message, or one of the user's sends still under way.
import { avatarClass, formatFull, formatTime, initial } from "../../format";
import type { PendingMessage, SendState } from "../../room";
import type { Message, User } from "../../types";
import { mentionedNames } from "../../text/markup";
import { memo } from "../hooks";
import { Icon } from "../icon";
import { MessageText } from "./message-text";

/** What a row can ask of the room. Stable for the room's life, so rows re-render only when their message changes. */
export interface MessageActions {
  retry(clientId: string): void;
  discard(clientId: string): void;
  /** Takes a failed send back into the composer. */
  editFailed(pending: PendingMessage): void;
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
  me: User;
  actions: MessageActions;
}

export const MessageItem = memo(function MessageItem({ rowKey, message, pending, state, error, start, me, actions }: MessageItemProps) {
  const userId = message?.user_id ?? me.id;
  const username = message?.username ?? me.username;
  const content = message?.content ?? pending?.content ?? "";
  const date = message ? new Date(message.inserted_at) : pending!.createdAt;
  const mine = userId === me.id;
  const mentionsMe = !mine && mentionedNames(content).has(me.username.toLowerCase());
  const classes = ["message", start && "start", mine && "mine", mentionsMe && "mentions-me", state && `is-${state}`].filter(Boolean).join(" ");
  const time = (className: string) => (
    <time class={className} dateTime={message?.inserted_at ?? date.toISOString()} title={formatFull(date)}>
      {formatTime(date)}
    </time>
  );
  return (
    <li class={classes} data-key={rowKey} data-id={message?.id}>
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
      <MessageText content={content} me={me.username} />
      {pending && state && <SendStatus pending={pending} state={state} error={error} actions={actions} />}
    </li>
  );
});

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
