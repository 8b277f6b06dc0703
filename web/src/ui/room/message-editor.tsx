// Editing a message in place: Enter saves, Shift+Enter adds a line, Escape cancels. Emptied,
// it offers to delete the message instead.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Message } from "../../types";
import type { MessageActions } from "./message-item";

export function MessageEditor({ message, actions }: { message: Message; actions: MessageActions }) {
  const box = useRef<HTMLTextAreaElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useLayoutEffect(() => {
    const el = box.current!;
    el.value = message.content;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  const save = async () => {
    const content = box.current!.value.trim();
    if (content === message.content.trim()) return actions.finishEdit();
    if (!content) return actions.askDelete(message);
    setSaving(true);
    setError(null);
    try {
      await actions.saveEdit(message.id, content);
      actions.finishEdit();
    } catch (caught) {
      setSaving(false);
      setError(caught instanceof Error ? caught.message : "The edit could not be saved.");
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      actions.finishEdit();
    } else if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      void save();
    }
  };

  const hintId = `edit-hint-${message.id}`;
  return (
    <div class="message-editor">
      <textarea ref={box} class="editor-input" aria-label="Edit message" aria-describedby={hintId} rows={1} disabled={saving} onKeyDown={onKeyDown} />
      <p class="editor-hint" id={hintId}>
        {saving ? (
          "Saving…"
        ) : (
          <>
            Escape to{" "}
            <button type="button" class="link-button" onClick={() => actions.finishEdit()}>
              cancel
            </button>{" "}
            · Enter to{" "}
            <button type="button" class="link-button" onClick={() => void save()}>
              save
            </button>
          </>
        )}
      </p>
      {error && (
        <p class="editor-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
