// The search field in the sidebar (Ctrl/Cmd+K focuses it): results follow the typing (on wide
// screens, where they show beside it), Enter searches at once, ↓ moves into the results,
// Escape clears.
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { searchPath, type ChatClient } from "../chat-client";
import { Icon } from "./icon";

const typingPauseMs = 300;
/** Where the field shares the screen with the results; on a phone it does not, and results wait for the Search key. */
const sideBySide = window.matchMedia("(min-width: 768px)");
const apple = /Mac|iPhone|iPad/.test(navigator.platform);

export function SearchBox({ client, input }: { client: ChatClient; input: RefObject<HTMLInputElement | null> }) {
  const routed = client.route.kind === "search" ? client.route.query : null;
  const [value, setValue] = useState(routed ?? "");
  const timer = useRef<number | undefined>(undefined);

  // Back and forward between searches show their words.
  useEffect(() => {
    if (routed !== null && routed !== value.trim()) setValue(routed);
  }, [routed]);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const go = (text: string) => {
    window.clearTimeout(timer.current);
    const query = text.trim();
    if (!query) {
      if (client.route.kind === "search") client.navigate("/");
      return;
    }
    // While typing, one history entry for the whole search.
    if (client.route.kind === "search") client.replace(searchPath(query));
    else client.navigate(searchPath(query));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Enter") {
      event.preventDefault();
      go(value);
    } else if (event.key === "Escape" && value) {
      event.preventDefault();
      setValue("");
      go("");
    } else if (event.key === "ArrowDown") {
      const first = document.querySelector<HTMLElement>(".search-hit");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <form role="search" class="search-box" onSubmit={(event) => event.preventDefault()}>
      <Icon name="search" />
      <input
        ref={input}
        type="search"
        class="search-input"
        aria-label="Search messages"
        enterkeyhint="search"
        placeholder="Search messages"
        aria-keyshortcuts={apple ? "Meta+K" : "Control+K"}
        value={value}
        onInput={(event) => {
          const text = event.currentTarget.value;
          setValue(text);
          window.clearTimeout(timer.current);
          if (sideBySide.matches) timer.current = window.setTimeout(() => go(text), typingPauseMs);
        }}
        onKeyDown={onKeyDown}
      />
      <kbd class="search-key" aria-hidden="true">
        {apple ? "⌘K" : "Ctrl K"}
      </kbd>
    </form>
  );
}
