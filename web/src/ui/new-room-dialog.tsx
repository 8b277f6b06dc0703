// "Create a room": a modal <dialog> (focus is trapped and Escape closes it, natively).
import type { RefObject } from "preact";
import { useImperativeHandle, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import type { Room } from "../types";
import { Field } from "./field";
import { Icon } from "./icon";

export interface DialogHandle {
  open(): void;
}

interface Errors {
  name?: string;
  description?: string;
  form?: string;
}

export function NewRoomDialog({ handle, create, created }: { handle: RefObject<DialogHandle | null>; create(name: string, description: string): Promise<Room>; created(room: Room): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const descriptionInput = useRef<HTMLTextAreaElement>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  useImperativeHandle(handle, () => ({
    open() {
      form.current!.reset();
      setErrors({});
      setBusy(false);
      dialog.current!.showModal();
      nameInput.current!.focus();
    },
  }));

  const close = () => dialog.current?.close();

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const name = nameInput.current!.value.trim();
    if (!name) {
      setErrors({ name: "Give the room a name." });
      nameInput.current!.focus();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const room = await create(name, descriptionInput.current!.value.trim());
      close();
      created(room);
    } catch (caught) {
      const failure = caught instanceof ApiError ? caught : new ApiError(0, "The room could not be created.");
      if (failure.fields.name?.length) {
        setErrors({ name: `Name ${failure.fields.name.join(", ")}.` });
        nameInput.current!.focus();
      } else if (failure.fields.description?.length) {
        setErrors({ description: `Description ${failure.fields.description.join(", ")}.` });
        descriptionInput.current!.focus();
      } else {
        setErrors({ form: failure.message });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="new-room-title"
      onClick={(event) => {
        if (event.target === dialog.current) close(); // a click on the backdrop
      }}
    >
      <form ref={form} class="dialog-form" onSubmit={submit}>
        <header class="dialog-header">
          <h2 id="new-room-title">Create a room</h2>
          <button type="button" class="icon-button" aria-label="Close" onClick={close}>
            <Icon name="close" />
          </button>
        </header>
        <Field id="new-room-name" label="Name" error={errors.name}>
          {(control) => <input {...control} ref={nameInput} type="text" required maxLength={80} autocomplete="off" placeholder="e.g. Design reviews" />}
        </Field>
        <Field
          id="new-room-description"
          label={
            <>
              Description <span class="optional">(optional)</span>
            </>
          }
          error={errors.description}
        >
          {(control) => <textarea {...control} ref={descriptionInput} rows={3} maxLength={1000} placeholder="What is this room about?" />}
        </Field>
        <p class="form-error" role="alert">
          {errors.form}
        </p>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            Create room
          </button>
        </div>
      </form>
    </dialog>
  );
}
