// The message box: Enter sends, Shift+Enter adds a line; the text is the room's draft, kept
// while the user is elsewhere.
import type { RefObject } from "preact";
import { useImperativeHandle, useLayoutEffect, useRef } from "preact/hooks";
import type { RoomSession } from "../../room";
import { Icon } from "../icon";

export interface ComposerHandle {
  /** Puts text in the box (replacing what is there) and focuses it. */
  fill(text: string): void;
  focus(): void;
}

const autoSized = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");
let composerCounter = 0;

export function Composer({ session, name, handle, autofocus }: { session: RoomSession; name: string; handle: RefObject<ComposerHandle | null>; autofocus: boolean }) {
  const box = useRef<HTMLTextAreaElement>(null);
  const ids = useRef<{ input: string; hint: string } | null>(null);
  ids.current ??= { input: `composer-${++composerCounter}`, hint: `composer-hint-${composerCounter}` };
  const { input: inputId, hint: hintId } = ids.current;

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
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  };

  const onInput = () => {
    const value = box.current!.value;
    session.draft = value;
    if (value.trim()) session.typing();
    fit();
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
          onKeyDown={onKeyDown}
          onInput={onInput}
        />
        <button type="submit" class="send" aria-label="Send">
          <Icon name="send" />
        </button>
      </form>
      <p class="composer-hint" id={hintId}>
        <kbd>Enter</kbd> to send, <kbd>Shift</kbd> + <kbd>Enter</kbd> for a new line
      </p>
    </>
  );
}
