// `@` in the composer: people to mention (those in the room now, then recent authors), as a
// listbox the text box points at with aria-activedescendant, so focus stays in the box.
// ↑/↓ choose, Enter or Tab inserts, Escape closes.

/** What is being completed: `@query` ending at the caret, and where it starts. */
export interface MentionQuery {
  start: number;
  end: number;
  query: string;
}

const atEnd = /(^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]{0,32})$/;
const shown = 8;

/** The mention being typed at the caret, if any. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const match = atEnd.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[2]!;
  return { start: caret - query.length - 1, end: caret, query };
}

/** Names starting with the query first, then names holding it; each list in the order given. */
export function matchNames(names: string[], query: string): string[] {
  const q = query.toLowerCase();
  const starts = names.filter((name) => name.toLowerCase().startsWith(q));
  const holds = q ? names.filter((name) => !name.toLowerCase().startsWith(q) && name.toLowerCase().includes(q)) : [];
  return [...starts, ...holds].slice(0, shown);
}

export interface MentionListProps {
  id: string;
  names: string[];
  active: number;
  onPick(name: string): void;
}

export function MentionList({ id, names, active, onPick }: MentionListProps) {
  return (
    <ul class="mention-list" id={id} role="listbox" aria-label="People to mention">
      {names.map((name, index) => (
        <li
          key={name}
          id={`${id}-${index}`}
          role="option"
          aria-selected={index === active}
          class={index === active ? "mention-option active" : "mention-option"}
          // Chosen on mousedown, before the text box would lose focus.
          onMouseDown={(event) => {
            event.preventDefault();
            onPick(name);
          }}
        >
          <span class="mention-at" aria-hidden="true">
            @
          </span>
          {name}
        </li>
      ))}
    </ul>
  );
}
