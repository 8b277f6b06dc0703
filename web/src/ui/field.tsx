// A labelled form field with its hint and its error, tied to the control for screen readers.
import type { ComponentChildren, VNode } from "preact";

export interface FieldControlProps {
  id: string;
  "aria-describedby": string;
  "aria-invalid": "true" | undefined;
}

export interface FieldProps {
  id: string;
  label: ComponentChildren;
  hint?: string | null;
  error?: string | undefined;
  /** The control, given the attributes that tie it to the label, the hint and the error. */
  children: (control: FieldControlProps) => VNode;
}

export function Field({ id, label, hint, error, children }: FieldProps) {
  const describedBy = hint ? `${id}-hint ${id}-error` : `${id}-error`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? "true" : undefined })}
      {hint && (
        <p class="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <p class="field-error" id={`${id}-error`}>
        {error}
      </p>
    </div>
  );
}
