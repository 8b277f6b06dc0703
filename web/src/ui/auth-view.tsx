// Sign in and sign up (CONTRACT.md §1): one form, two modes.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { ApiError } from "../api";
import type { Session } from "../session";
import { Field } from "./field";
import { Icon } from "./icon";

type Mode = "sign-in" | "sign-up";

interface Errors {
  username?: string;
  password?: string;
  form?: string;
}

export function AuthView({ onSignedIn, notice }: { onSignedIn(session: Session): void; notice: string | null }) {
  const [mode, setMode] = useState<Mode>("sign-in");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const username = useRef<HTMLInputElement>(null);
  const password = useRef<HTMLInputElement>(null);
  const signUp = mode === "sign-up";

  useEffect(() => {
    document.title = `${signUp ? "Create account" : "Sign in"} · Chat`;
    username.current?.focus();
  }, [mode]);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setErrors({});
    setBusy(true);
    try {
      const call = signUp ? api.signUp : api.signIn;
      const reply = await call(username.current!.value.trim(), password.current!.value);
      onSignedIn({ token: reply.token, user: reply.user });
    } catch (caught) {
      const failure = caught instanceof ApiError ? caught : new ApiError(0, "Something went wrong. Try again.");
      const next: Errors = {};
      if (failure.fields.username?.length) next.username = `Username ${failure.fields.username.join(", ")}.`;
      if (failure.fields.password?.length) next.password = `Password ${failure.fields.password.join(", ")}.`;
      if (!next.username && !next.password) next.form = failure.message;
      setErrors(next);
      setBusy(false);
      if (next.username) username.current?.focus();
      else if (next.password) password.current?.focus();
    }
  };

  const switchMode = () => {
    setErrors({});
    setMode(signUp ? "sign-in" : "sign-up");
  };

  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <div class="brand brand-large">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="hash" />
          </span>
          Chat
        </div>
        <h1 id="auth-title">{signUp ? "Create your account" : "Sign in"}</h1>
        <p class="auth-lede">{signUp ? "Pick a name people will see next to your messages." : "Welcome back. Sign in to pick up where you left off."}</p>
        {notice && !signUp && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <form class="auth-form" aria-labelledby="auth-title" onSubmit={submit} key={mode}>
          <Field id="username" label="Username" hint={signUp ? "3–32 letters, digits, dots, dashes or underscores." : null} error={errors.username}>
            {(control) => (
              <input
                {...control}
                ref={username}
                name="username"
                type="text"
                autocomplete="username"
                autocapitalize="none"
                spellcheck={false}
                required
                minLength={3}
                maxLength={32}
                pattern="[A-Za-z0-9_.\-]+"
              />
            )}
          </Field>
          <Field id="password" label="Password" hint={signUp ? "At least 8 characters." : null} error={errors.password}>
            {(control) => (
              <input
                {...control}
                ref={password}
                name="password"
                type="password"
                autocomplete={signUp ? "new-password" : "current-password"}
                required
                minLength={signUp ? 8 : 1}
                maxLength={200}
              />
            )}
          </Field>
          <p class="form-error" role="alert" id="auth-error">
            {errors.form}
          </p>
          <button type="submit" class={busy ? "button primary wide busy" : "button primary wide"} disabled={busy}>
            {signUp ? "Create account" : "Sign in"}
          </button>
        </form>
        <p class="auth-switch">
          {signUp ? "Already have an account? " : "New here? "}
          <button type="button" class="link-button" onClick={switchMode}>
            {signUp ? "Sign in" : "Create an account"}
          </button>
        </p>
      </div>
    </main>
  );
}
