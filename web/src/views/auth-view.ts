// Sign in and sign up (CONTRACT.md §1): one form, two modes.
import * as api from "../api";
import { ApiError } from "../api";
import { h, icon, replaceChildren } from "../dom";
import type { Session } from "../session";

type Mode = "sign-in" | "sign-up";

export class AuthView {
  private mode: Mode = "sign-in";
  private readonly element: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly onSignedIn: (session: Session) => void,
    private readonly notice: string | null = null,
  ) {
    this.element = h("main", { class: "auth", id: "main" });
    root.replaceChildren(this.element);
    document.title = "Sign in · Chat";
    this.render();
  }

  destroy(): void {
    this.element.remove();
  }

  private render(focusField = true): void {
    const signUp = this.mode === "sign-up";
    const error = h("p", { class: "form-error", role: "alert", id: "auth-error" });
    const username = h("input", {
      id: "username",
      name: "username",
      type: "text",
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
      required: true,
      minlength: 3,
      maxlength: 32,
      pattern: "[A-Za-z0-9_.\\-]+",
      "aria-describedby": signUp ? "username-hint username-error" : "username-error",
    });
    const password = h("input", {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: signUp ? "new-password" : "current-password",
      required: true,
      minlength: signUp ? 8 : 1,
      maxlength: 200,
      "aria-describedby": signUp ? "password-hint password-error" : "password-error",
    });
    const usernameError = h("p", { class: "field-error", id: "username-error" });
    const passwordError = h("p", { class: "field-error", id: "password-error" });
    const submit = h("button", { type: "submit", class: "button primary wide" }, signUp ? "Create account" : "Sign in");

    const form = h(
      "form",
      { class: "auth-form", "aria-labelledby": "auth-title", novalidate: false },
      h(
        "div",
        { class: "field" },
        h("label", { for: "username" }, "Username"),
        username,
        signUp ? h("p", { class: "field-hint", id: "username-hint" }, "3–32 letters, digits, dots, dashes or underscores.") : null,
        usernameError,
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "password" }, "Password"),
        password,
        signUp ? h("p", { class: "field-hint", id: "password-hint" }, "At least 8 characters.") : null,
        passwordError,
      ),
      error,
      submit,
    );

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const el of [error, usernameError, passwordError]) el.textContent = "";
      username.removeAttribute("aria-invalid");
      password.removeAttribute("aria-invalid");
      submit.disabled = true;
      submit.classList.add("busy");
      try {
        const call = signUp ? api.signUp : api.signIn;
        const reply = await call(username.value.trim(), password.value);
        this.onSignedIn({ token: reply.token, user: reply.user });
      } catch (caught) {
        const failure = caught instanceof ApiError ? caught : new ApiError(0, "Something went wrong. Try again.");
        const fieldErrors: [string, HTMLInputElement, HTMLElement][] = [
          ["username", username, usernameError],
          ["password", password, passwordError],
        ];
        let shown = false;
        for (const [field, input, target] of fieldErrors) {
          const messages = failure.fields[field];
          if (messages?.length) {
            target.textContent = `${field === "username" ? "Username" : "Password"} ${messages.join(", ")}.`;
            input.setAttribute("aria-invalid", "true");
            if (!shown) input.focus();
            shown = true;
          }
        }
        if (!shown) error.textContent = failure.message;
        submit.disabled = false;
        submit.classList.remove("busy");
      }
    });

    const switchButton = h(
      "button",
      {
        type: "button",
        class: "link-button",
        onclick: () => {
          this.mode = signUp ? "sign-in" : "sign-up";
          this.render();
        },
      },
      signUp ? "Sign in" : "Create an account",
    );

    replaceChildren(
      this.element,
      h(
        "div",
        { class: "auth-card" },
        h("div", { class: "brand brand-large" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, icon("hash")), "Chat"),
        h("h1", { id: "auth-title" }, signUp ? "Create your account" : "Sign in"),
        h("p", { class: "auth-lede" }, signUp ? "Pick a name people will see next to your messages." : "Welcome back. Sign in to pick up where you left off."),
        this.notice && !signUp ? h("p", { class: "notice", role: "status" }, this.notice) : null,
        form,
        h("p", { class: "auth-switch" }, signUp ? "Already have an account? " : "New here? ", switchButton),
      ),
    );
    document.title = `${signUp ? "Create account" : "Sign in"} · Chat`;
    if (focusField) username.focus();
  }
}
