// "Create a room": a modal <dialog> (focus is trapped and Escape closes it, natively).
import { ApiError } from "../api";
import { h, icon } from "../dom";
import type { Room } from "../types";

export class NewRoomDialog {
  readonly element: HTMLDialogElement;
  private readonly form: HTMLFormElement;
  private readonly name: HTMLInputElement;
  private readonly description: HTMLTextAreaElement;
  private readonly nameError = h("p", { class: "field-error", id: "new-room-name-error" });
  private readonly descriptionError = h("p", { class: "field-error", id: "new-room-description-error" });
  private readonly error = h("p", { class: "form-error", role: "alert" });
  private readonly submit = h("button", { type: "submit", class: "button primary" }, "Create room");

  constructor(private readonly create: (name: string, description: string) => Promise<Room>, private readonly created: (room: Room) => void) {
    this.name = h("input", {
      id: "new-room-name",
      type: "text",
      required: true,
      maxlength: 80,
      autocomplete: "off",
      placeholder: "e.g. Design reviews",
      "aria-describedby": "new-room-name-error",
    });
    this.description = h("textarea", {
      id: "new-room-description",
      rows: 3,
      maxlength: 1000,
      placeholder: "What is this room about?",
      "aria-describedby": "new-room-description-error",
    });
    this.form = h(
      "form",
      { class: "dialog-form" },
      h(
        "header",
        { class: "dialog-header" },
        h("h2", { id: "new-room-title" }, "Create a room"),
        h("button", { type: "button", class: "icon-button", "aria-label": "Close", onclick: () => this.close() }, icon("close")),
      ),
      h("div", { class: "field" }, h("label", { for: "new-room-name" }, "Name"), this.name, this.nameError),
      h(
        "div",
        { class: "field" },
        h("label", { for: "new-room-description" }, "Description ", h("span", { class: "optional" }, "(optional)")),
        this.description,
        this.descriptionError,
      ),
      this.error,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", class: "button", onclick: () => this.close() }, "Cancel"),
        this.submit,
      ),
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.onSubmit();
    });
    this.element = h("dialog", { class: "dialog", "aria-labelledby": "new-room-title" }, this.form);
    this.element.addEventListener("click", (event) => {
      if (event.target === this.element) this.close(); // a click on the backdrop
    });
  }

  open(): void {
    this.form.reset();
    for (const el of [this.nameError, this.descriptionError, this.error]) el.textContent = "";
    this.name.removeAttribute("aria-invalid");
    this.submit.disabled = false;
    this.element.showModal();
    this.name.focus();
  }

  close(): void {
    this.element.close();
  }

  private async onSubmit(): Promise<void> {
    const name = this.name.value.trim();
    if (!name) {
      this.nameError.textContent = "Give the room a name.";
      this.name.setAttribute("aria-invalid", "true");
      this.name.focus();
      return;
    }
    for (const el of [this.nameError, this.descriptionError, this.error]) el.textContent = "";
    this.submit.disabled = true;
    try {
      const room = await this.create(name, this.description.value.trim());
      this.close();
      this.created(room);
    } catch (caught) {
      const failure = caught instanceof ApiError ? caught : new ApiError(0, "The room could not be created.");
      if (failure.fields.name?.length) {
        this.nameError.textContent = `Name ${failure.fields.name.join(", ")}.`;
        this.name.setAttribute("aria-invalid", "true");
        this.name.focus();
      } else if (failure.fields.description?.length) {
        this.descriptionError.textContent = `Description ${failure.fields.description.join(", ")}.`;
        this.description.focus();
      } else {
        this.error.textContent = failure.message;
      }
    } finally {
      this.submit.disabled = false;
    }
  }
}
