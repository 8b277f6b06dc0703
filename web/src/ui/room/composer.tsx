// The message box: Enter sends, Shift+Enter adds a line; the text is the room's draft, kept
// while the user is elsewhere.
import type { RefObject } from "preact";
import { useImperativeHandle, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { RoomSession } from "../../room/room-session";
import { Icon } from "../icon";
import { matchNames, mentionAt, MentionList, type MentionQuery } from "./mention-completion";

export interface ComposerHandle {
  /** Puts text in the box (replacing what is there) and focuses it. */
  fill(text: string): void;
  focus(): void;
}

const autoSized = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");
let composerCounter = 0;

export interface ComposerProps {
  session: RoomSession;
  name: string;
  handle: RefObject<ComposerHandle | null>;
  autofocus: boolean;
  /** ↑ in the empty box: edit the user's last message. Returns whether there was one. */
  onEditLast(): boolean;
}

export function Composer({ session, name, handle, autofocus, onEditLast }: ComposerProps) {
  const box = useRef<HTMLTextAreaElement>(null);
  const ids = useRef<{ input: string; hint: string; list: string } | null>(null);
  ids.current ??= { input: `composer-${++composerCounter}`, hint: `composer-hint-${composerCounter}`, list: `mentions-${composerCounter}` };
  const { input: inputId, hint: hintId, list: listId } = ids.current;
  const [completion, setCompletion] = useState<(MentionQuery & { names: string[]; active: number }) | null>(null);

  /** Looks for `@name` being typed at the caret, and offers who it may be. */
  const complete = () => {
    const el = box.current!;
    const at = el.selectionStart === el.selectionEnd ? mentionAt(el.value, el.selectionStart) : null;
    const names = at ? matchNames(session.mentionCandidates(), at.query) : [];
    // A name typed in full has nothing left to complete: Enter sends.
    const complete = names.length === 1 && names[0]!.toLowerCase() === at?.query.toLowerCase();
    setCompletion(at && names.length && !complete ? { ...at, names, active: 0 } : null);
  };

  const insertMention = (name: string) => {
    const el = box.current!;
    if (!completion) return;
    const text = `${el.value.slice(0, completion.start)}@${name} ${el.value.slice(completion.end)}`;
    const caret = completion.start + name.length + 2;
    setText(text);
    el.setSelectionRange(caret, caret);
    setCompletion(null);
  };

  /** Grows the box with its text where CSS field-sizing is not supported. */
  const fit = () => {
    const el = box.current;
    if (autoSized || !el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  };

  const setText = (text: string) => {
    const el = box.current!;
    el.value = text;
    session.draft = text;
    fit();
  };

  useImperativeHandle(handle, () => ({
    fill(text: string) {
      setText(text);
      box.current?.focus();
    },
    focus() {
      box.current?.focus({ preventScroll: true });
    },
  }));

  useLayoutEffect(() => {
    setText(session.draft);
    if (autofocus) box.current?.focus({ preventScroll: true });
  }, [session]);

  const submit = () => {
    const content = box.current!.value.trim();
    if (!content) return;
    setText("");
    session.send(content);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing && event.keyCode !== 229;
    if (completion && plain) {
      const move = event.key === "ArrowDown" ? 1 : event.key === "ArrowUp" ? -1 : 0;
      if (move) {
        event.preventDefault();
        const count = completion.names.length;
        setCompletion({ ...completion, active: (completion.active + move + count) % count });
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        insertMention(completion.names[completion.active]!);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        setCompletion(null);
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    } else if (event.key === "ArrowUp" && plain && box.current!.value === "" && onEditLast()) {
      event.preventDefault();
    }
  };

  const onInput = () => {
    const value = box.current!.value;
    session.draft = value;
    if (value.trim()) session.typing();
    fit();
    complete();
  };

  return (
    <>
      <form
        class="composer"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <label class="sr-only" for={inputId}>{`Message #${name}`}</label>
        <textarea
          ref={box}
          id={inputId}
          class="composer-input"
          rows={1}
          placeholder={`Message #${name}`}
          enterkeyhint="send"
          aria-describedby={hintId}
          autocomplete="off"
          aria-autocomplete="list"
          aria-controls={completion ? listId : undefined}
          aria-activedescendant={completion ? `${listId}-${completion.active}` : undefined}
          onKeyDown={onKeyDown}
          onInput={onInput}
          onClick={complete}
          onBlur={() => setCompletion(null)}
        />
        {completion && <MentionList id={listId} names={completion.names} active={completion.active} onPick={insertMention} />}
        <button type="submit" class="send" aria-label="Send">
          <Icon name="send" />
        </button>
      </form>
      <p class="composer-hint" id={hintId}>
        <kbd>Enter</kbd> to send, <kbd>Shift</kbd> + <kbd>Enter</kbd> for a new line{session.supportsChanges && (
          <>
            , <kbd>↑</kbd> to edit your last message
          </>
        )}
      </p>
    </>
  );
}
