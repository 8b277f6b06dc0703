// Search results in the main pane, grouped by room, newest first, the words marked. A result
// links to its message in its room (`/rooms/{slug}?m={id}`), which loads the history around it.
import type { ChatClient } from "../chat-client";
import { roomPath } from "../chat-client";
import { avatarClass, formatFull, formatTime, initial } from "../format";
import { highlightRanges } from "../text/highlight";
import type { SearchHit } from "../types";
import { useEmitter } from "./hooks";
import { Icon } from "./icon";

const snippetLength = 280;

export function SearchView({ client }: { client: ChatClient }) {
  const search = client.search;
  useEmitter(search.changed);
  const query = search.query;
  const groups = groupByRoom(search.hits);
  const count = search.hits.length;
  const status = search.error
    ? search.error
    : search.loading && count === 0
      ? "Searching…"
      : count === 0
        ? `No messages match “${query}”.`
        : `${count}${search.hasMore ? "+" : ""} ${count === 1 ? "message" : "messages"} in ${groups.length} ${groups.length === 1 ? "room" : "rooms"}`;

  // ↑ and ↓ move between results; ↑ from the first goes back to the search field.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const hits = [...document.querySelectorAll<HTMLElement>(".search-hit")];
    const index = hits.indexOf(document.activeElement as HTMLElement);
    if (index < 0) return;
    event.preventDefault();
    const next = index + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) document.querySelector<HTMLElement>(".search-input")?.focus();
    else hits[Math.min(next, hits.length - 1)]?.focus();
  };

  return (
    <section class="search-view" aria-labelledby="search-title">
      <header class="room-header">
        <a class="back-link icon-button" href="/" aria-label="All rooms">
          <Icon name="back" />
        </a>
        <h2 class="room-title" id="search-title">
          {`Search: ${query}`}
        </h2>
      </header>
      <div class="search-results" onKeyDown={onKeyDown}>
        <p class="search-status" role="status" aria-live="polite">
          {search.loading && <span class="spinner small" aria-hidden="true" />}
          {status}
        </p>
        {groups.map(({ slug, hits }) => {
          const name = client.directory.rooms.get(slug)?.name ?? slug;
          return (
            <section key={slug} class="search-group" aria-label={`In #${name}`}>
              <h3 class="search-room">
                <span class="hash" aria-hidden="true">
                  #
                </span>
                {name}
              </h3>
              <ol class="search-hits">
                {hits.map((hit) => (
                  <li key={hit.id}>
                    <SearchResult hit={hit} query={query} />
                  </li>
                ))}
              </ol>
            </section>
          );
        })}
        {search.hasMore && (
          <button type="button" class="button search-more" disabled={search.loading} onClick={() => search.more()}>
            {search.loading ? "Loading…" : "Show more results"}
          </button>
        )}
      </div>
    </section>
  );
}

function SearchResult({ hit, query }: { hit: SearchHit; query: string }) {
  const date = new Date(hit.inserted_at);
  return (
    <a class="search-hit" href={roomPath(hit.room_slug, hit.id)} data-id={hit.id}>
      <span class={avatarClass(hit.user_id)} aria-hidden="true">
        {initial(hit.username)}
      </span>
      <span class="search-hit-body">
        <span class="search-hit-meta">
          <span class="author">{hit.username}</span>
          <time dateTime={hit.inserted_at} title={formatFull(date)}>
            {`${date.toLocaleDateString(undefined, { month: "short", day: "numeric" })}, ${formatTime(date)}`}
          </time>
        </span>
        <span class="search-snippet">
          <Marked text={hit.content} query={query} />
        </span>
      </span>
    </a>
  );
}

/** The text (cut around the first match when long) with the query's words in <mark>. */
function Marked({ text, query }: { text: string; query: string }) {
  let ranges = highlightRanges(text, query);
  let shown = text;
  let offset = 0;
  if (text.length > snippetLength) {
    offset = Math.max(0, (ranges[0]?.start ?? 0) - 60);
    shown = `${offset > 0 ? "…" : ""}${text.slice(offset, offset + snippetLength)}${offset + snippetLength < text.length ? "…" : ""}`;
    const shift = offset > 0 ? 1 - offset : 0;
    ranges = ranges
      .map((r) => ({ start: r.start + shift, end: r.end + shift }))
      .filter((r) => r.start >= (offset > 0 ? 1 : 0) && r.end <= shown.length);
  }
  const parts = [];
  let at = 0;
  for (const range of ranges) {
    if (range.start > at) parts.push(shown.slice(at, range.start));
    parts.push(<mark>{shown.slice(range.start, range.end)}</mark>);
    at = range.end;
  }
  parts.push(shown.slice(at));
  return <>{parts}</>;
}

function groupByRoom(hits: SearchHit[]): { slug: string; hits: SearchHit[] }[] {
  const groups = new Map<string, SearchHit[]>();
  for (const hit of hits) {
    const list = groups.get(hit.room_slug);
    if (list) list.push(hit);
    else groups.set(hit.room_slug, [hit]);
  }
  return [...groups].map(([slug, list]) => ({ slug, hits: list }));
}
