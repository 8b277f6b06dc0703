// A modal question with two answers (a native <dialog>: focus is trapped, Escape says no).
import type { ComponentChildren, RefObject } from "preact";
import { useImperativeHandle, useRef, useState } from "preact/hooks";

export interface Question {
  title: string;
  body: ComponentChildren;
  confirm: string;
  /** A red confirm button, for what cannot be undone. */
  danger?: boolean;
}

export interface ConfirmHandle {
  ask(question: Question): Promise<boolean>;
}

let dialogCounter = 0;

export function ConfirmDialog({ handle }: { handle: RefObject<ConfirmHandle | null> }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const answer = useRef<((yes: boolean) => void) | null>(null);
  const [question, setQuestion] = useState<Question | null>(null);
  const id = useRef(`confirm-${++dialogCounter}`).current;

  useImperativeHandle(handle, () => ({
    ask(next: Question) {
      answer.current?.(false);
      setQuestion(next);
      return new Promise<boolean>((resolve) => {
        answer.current = resolve;
        // Opened once the question is rendered into it.
        queueMicrotask(() => {
          dialog.current!.showModal();
          confirmButton.current!.focus();
        });
      });
    },
  }));

  const close = (yes: boolean) => {
    answer.current?.(yes);
    answer.current = null;
    if (dialog.current?.open) dialog.current.close();
  };

  return (
    <dialog ref={dialog} class="dialog confirm" aria-labelledby={`${id}-title`} aria-describedby={`${id}-body`} onClose={() => close(false)}>
      <div class="dialog-form">
        <header class="dialog-header">
          <h2 id={`${id}-title`}>{question?.title}</h2>
        </header>
        <div class="confirm-body" id={`${id}-body`}>
          {question?.body}
        </div>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={() => close(false)}>
            Cancel
          </button>
          <button ref={confirmButton} type="button" class={question?.danger ? "button danger" : "button primary"} onClick={() => close(true)}>
            {question?.confirm}
          </button>
        </div>
      </div>
    </dialog>
  );
}
