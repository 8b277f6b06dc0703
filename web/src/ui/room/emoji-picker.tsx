// The reaction picker: the user's recent emoji and a row of common ones, in a small popover by
// the button that opened it. Arrow keys move between emoji, Enter picks, Escape or a click
// elsewhere closes it, and focus goes back where it came from.
import { useLayoutEffect, useRef } from "preact/hooks";

/** Common reactions, with the names screen readers say. */
export const commonEmoji: [string, string][] = [
  ["👍", "thumbs up"],
  ["❤️", "heart"],
  ["😂", "laughing"],
  ["🎉", "party"],
  ["😮", "surprised"],
  ["😢", "sad"],
  ["🙏", "thank you"],
  ["👀", "eyes"],
  ["✅", "done"],
  ["🔥", "fire"],
  ["👏", "clapping"],
  ["🚀", "rocket"],
  ["🤔", "thinking"],
  ["💯", "hundred"],
  ["😄", "smiling"],
  ["👌", "OK"],
];
const names = new Map(commonEmoji);
export const emojiName = (emoji: string): string => names.get(emoji) ?? emoji;

const columns = 8;
const gap = 6;

export interface EmojiPickerProps {
  anchor: HTMLElement;
  recent: string[];
  onPick(emoji: string): void;
  onClose(): void;
}

export function EmojiPicker({ anchor, recent, onPick, onClose }: EmojiPickerProps) {
  const panel = useRef<HTMLDivElement>(null);
  const common = commonEmoji.map(([emoji]) => emoji);
  const recentOnly = recent.filter((emoji) => emoji.length > 0).slice(0, columns);

  useLayoutEffect(() => {
    const el = panel.current!;
    // Below the button where it fits, else above; never past the viewport's edges.
    const box = anchor.getBoundingClientRect();
    const { width, height } = el.getBoundingClientRect();
    const below = box.bottom + gap + height <= window.innerHeight;
    el.style.top = `${Math.max(gap, below ? box.bottom + gap : box.top - gap - height)}px`;
    el.style.left = `${Math.min(Math.max(gap, box.right - width), window.innerWidth - width - gap)}px`;
    el.querySelector<HTMLButtonElement>("button")?.focus();

    const onPointer = (event: PointerEvent) => {
      if (!el.contains(event.target as Node) && !anchor.contains(event.target as Node)) onClose();
    };
    const onResize = () => onClose();
    document.addEventListener("pointerdown", onPointer, true);
    window.addEventListener("resize", onResize);
    return () => {
      document.removeEventListener("pointerdown", onPointer, true);
      window.removeEventListener("resize", onResize);
    };
  }, [anchor]);

  const onKeyDown = (event: KeyboardEvent) => {
    const buttons = [...panel.current!.querySelectorAll<HTMLButtonElement>("button[data-emoji]")];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns };
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    } else if (event.key in moves && index >= 0) {
      event.preventDefault();
      buttons[Math.min(buttons.length - 1, Math.max(0, index + moves[event.key]!))]?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      buttons[event.key === "Home" ? 0 : buttons.length - 1]?.focus();
    } else if (event.key === "Tab") {
      // Focus stays in the popover while it is open.
      event.preventDefault();
      buttons[(index + (event.shiftKey ? -1 : 1) + buttons.length) % buttons.length]?.focus();
    }
  };

  const grid = (label: string, emoji: string[]) => (
    <div class="emoji-section" role="group" aria-label={label}>
      <p class="emoji-section-label" aria-hidden="true">
        {label}
      </p>
      <div class="emoji-grid">
        {emoji.map((e) => (
          <button type="button" class="emoji-button" data-emoji={e} aria-label={emojiName(e)} title={emojiName(e)} onClick={() => onPick(e)}>
            {e}
          </button>
        ))}
      </div>
    </div>
  );

  return (
    <div ref={panel} class="emoji-picker" role="dialog" aria-label="Add a reaction" onKeyDown={onKeyDown}>
      {recentOnly.length > 0 && grid("Recent", recentOnly)}
      {grid("Common", common)}
    </div>
  );
}
