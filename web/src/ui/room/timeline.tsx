// The message list: an ARIA live region that keeps the reader's place. It sticks to the bottom
// while the reader is there, holds what is on screen still while older pages load above or
// rows change elsewhere, loads older history near the top, and tells the room when its bottom
// has been seen (so it counts as read).
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { dayKey, formatDay } from "../../format";
import type { Change, RoomSession } from "../../room/room-session";
import { useEmitter } from "../hooks";
import { Icon } from "../icon";
import { MessageItem, type MessageActions, type MessageItemProps } from "./message-item";
import { TimelineTop } from "./timeline-top";

const groupGapMs = 5 * 60_000;
const coarsePointer = window.matchMedia("(pointer: coarse)");
const bottomSlackPx = 48;
const loadOlderWithinPx = 400;

type Row = { kind: "day"; key: string; label: string } | { kind: "marker"; key: string } | { kind: "message"; key: string; item: MessageItemProps };

/** Where the reader was before a change: how far from the bottom, and where the first row on screen ended. */
interface Place {
  fromBottom: number;
  anchorKey: string | null;
  anchorBottom: number;
}

/** A message to bring into view and mark, once per jump (`seq` tells two jumps to the same message apart). */
export interface Highlight {
  id: number;
  seq: number;
}

export interface TimelineProps {
  session: RoomSession;
  label: string;
  /** The last message read when the room was opened: a "New" line goes after it. */
  unreadMarker: number | null;
  editingId: number | null;
  highlight: Highlight | null;
  actions: MessageActions;
}

export function Timeline({ session, label, unreadMarker, editingId, highlight, actions }: TimelineProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const place = useRef<Place | null>(null);
  const changes = useRef(new Set<Change>());
  const newestKey = useRef<string | null>(null);
  const positioned = useRef(false);
  const [jumpShown, setJumpShown] = useState(false);
  // On touch screens, where nothing hovers, a tap on a message shows its actions.
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const onListClick = (event: MouseEvent) => {
    const target = event.target as Element;
    if (!coarsePointer.matches || target.closest("button, a, textarea, input")) return;
    const key = target.closest<HTMLElement>(".message[data-id]")?.dataset.key ?? null;
    setSelectedKey((current) => (current === key ? null : key));
  };

  useEmitter(session.changed, (change) => {
    changes.current.add(change);
    // Measured before the DOM changes: the layout effect puts the reader back.
    if (!place.current && scroller.current) place.current = measure(scroller.current);
  });

  // The keyboard in the timeline: ↑/↓ (and Home/End) move between messages; on a message,
  // R reacts, E edits and Delete deletes (the toolbar's buttons, which Tab skips).
  const onTimelineKey = (event: KeyboardEvent) => {
    const el = scroller.current!;
    const target = event.target as HTMLElement;
    if (target !== el && !target.matches(".message[data-id]")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const messages = [...el.querySelectorAll<HTMLElement>(".message[data-id]")];
    const index = messages.indexOf(target);
    const moves: Record<string, number> = { ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      const from = index < 0 ? messages.length : index;
      const next = messages[Math.min(messages.length - 1, Math.max(0, from + moves[event.key]!))];
      if (next) {
        next.focus({ preventScroll: true });
        next.scrollIntoView({ block: "nearest" });
      }
      return;
    }
    const action = { r: "react", e: "edit", Delete: "delete", Backspace: "delete" }[event.key];
    const button = index >= 0 && action ? target.querySelector<HTMLButtonElement>(`.message-actions [data-action="${action}"]`) : null;
    if (button) {
      event.preventDefault();
      button.click();
    }
  };

  const rows = buildRows(session, { unreadMarker, editingId, highlightId: highlight?.id ?? null, selectedKey, actions });
  const lastKey = rows.at(-1)?.key ?? null;

  const afterScroll = () => {
    const el = scroller.current;
    if (!el) return;
    if (fromBottom(el) < bottomSlackPx) {
      setJumpShown(false);
      if (document.visibilityState === "visible") session.markRead();
    }
    const canLoad = session.hasOlder && !session.loadingOlder && !session.olderFailed;
    // Near the top, or a short history that does not fill the screen yet: fetch the page before.
    if (canLoad && (el.scrollTop < loadOlderWithinPx || !session.historyLoaded || el.scrollHeight <= el.clientHeight + loadOlderWithinPx)) {
      session.loadOlder();
    }
    // A window around an older message: near its bottom, fetch the page after.
    if (session.detached && !session.loadingNewer && !session.newerFailed && fromBottom(el) < loadOlderWithinPx) void session.loadNewer();
  };

  const scrollToBottom = (smooth: boolean) => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTo({ top: el.scrollHeight, behavior: smooth ? "smooth" : "instant" });
    setJumpShown(false);
  };

  useLayoutEffect(() => {
    const el = scroller.current!;
    const seen = changes.current;
    const before = place.current;
    changes.current = new Set();
    place.current = null;
    const grew = lastKey !== newestKey.current;
    newestKey.current = lastKey;

    if (!positioned.current) {
      positioned.current = true;
      const marker = el.querySelector(".new-marker");
      if (marker) {
        centerIn(el, marker);
        if (fromBottom(el) < bottomSlackPx) scrollToBottom(false);
      } else if (session.savedFromBottom !== null) {
        el.scrollTop = el.scrollHeight - el.clientHeight - session.savedFromBottom;
      } else {
        scrollToBottom(false);
      }
    } else if (seen.has("jump")) {
      const target = highlight && el.querySelector(`.message[data-id="${highlight.id}"]`);
      if (target) centerIn(el, target);
      else scrollToBottom(false);
    } else if (before) {
      if (seen.has("own") || (before.fromBottom < bottomSlackPx && !seen.has("newer"))) scrollToBottom(false);
      else {
        restore(el, before);
        if (grew && (seen.has("append") || seen.has("joined"))) setJumpShown(true);
      }
    }
    afterScroll();
  });

  // A jump: bring the message into view and give it focus, so keyboard and screen reader users land on it.
  useLayoutEffect(() => {
    const el = scroller.current!;
    const target = highlight && el.querySelector<HTMLElement>(`.message[data-id="${highlight.id}"]`);
    if (!target) return;
    centerIn(el, target);
    target.focus({ preventScroll: true });
  }, [highlight]);

  useLayoutEffect(() => {
    const el = scroller.current!;
    const onVisible = () => {
      if (document.visibilityState === "visible") afterScroll();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      const distance = fromBottom(el);
      session.savedFromBottom = distance > bottomSlackPx ? distance : null;
    };
  }, [session]);

  return (
    <div class="timeline-wrap">
      <div
        ref={scroller}
        class="timeline"
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label={label}
        aria-busy={session.status === "joining" || session.loadingOlder}
        tabIndex={0}
        onScroll={afterScroll}
        onKeyDown={onTimelineKey}
      >
        <TimelineTop session={session} />
        <ol class="messages" onClick={onListClick}>
          {rows.map((row) =>
            row.kind === "day" ? (
              <li key={row.key} class="day">
                <span class="day-label">{row.label}</span>
              </li>
            ) : row.kind === "marker" ? (
              <li key={row.key} class="new-marker">
                <span>New</span>
              </li>
            ) : (
              <MessageItem key={row.key} {...row.item} />
            ),
          )}
        </ol>
        {session.detached && (
          <p class="timeline-status timeline-bottom">
            {session.newerFailed ? (
              <>
                Later messages could not be loaded.{" "}
                <button type="button" class="link-button" onClick={() => ((session.newerFailed = false), void session.loadNewer())}>
                  Try again
                </button>
              </>
            ) : (
              <>
                <span class="spinner" aria-hidden="true" />
                Loading later messages…
              </>
            )}
          </p>
        )}
      </div>
      {session.detached ? (
        <button type="button" class="jump" onClick={() => void session.loadPresent()}>
          <Icon name="down" />
          Jump to the newest messages
        </button>
      ) : (
        <button type="button" class="jump" hidden={!jumpShown} onClick={() => scrollToBottom(true)}>
          <Icon name="down" />
          New messages
        </button>
      )}
    </div>
  );
}

interface RowOptions {
  unreadMarker: number | null;
  editingId: number | null;
  highlightId: number | null;
  selectedKey: string | null;
  actions: MessageActions;
}

type ItemFields = Pick<MessageItemProps, "rowKey" | "message" | "pending" | "state" | "error">;

/** The rows: messages in order, grouped by author and time, with day lines and the "New" line. */
function buildRows(session: RoomSession, { unreadMarker, editingId, highlightId, selectedKey, actions }: RowOptions): Row[] {
  const me = session.me;
  const changeable = session.supportsChanges;
  const rows: Row[] = [];
  const now = new Date();
  let previous: { userId: number; time: number; day: string } | null = null;
  let markerPlaced = false;
  const add = (item: ItemFields, userId: number, date: Date, id: number | null) => {
    const day = dayKey(date);
    let start = !previous || previous.userId !== userId || date.getTime() - previous.time > groupGapMs;
    if (!previous || previous.day !== day) {
      rows.push({ kind: "day", key: `d:${day}`, label: formatDay(date, now) });
      start = true;
    }
    if (!markerPlaced && unreadMarker !== null && id !== null && id > unreadMarker && userId !== me.id) {
      markerPlaced = true;
      start = true;
      rows.push({ kind: "marker", key: "new-marker" });
    }
    const editing = id !== null && id === editingId;
    const highlighted = id !== null && id === highlightId;
    const selected = item.rowKey === selectedKey;
    rows.push({ kind: "message", key: item.rowKey, item: { ...item, start, changeable, editing, highlighted, selected, me, actions } });
    previous = { userId, time: date.getTime(), day };
  };
  for (const message of session.messages) {
    const clientId = session.clientIdOf.get(message.id);
    add(
      { rowKey: clientId ? `c:${clientId}` : `m:${message.id}`, message, pending: null, state: null, error: null },
      message.user_id,
      new Date(message.inserted_at),
      message.id,
    );
  }
  for (const pending of session.pending) {
    add({ rowKey: `c:${pending.clientId}`, message: null, pending, state: pending.state, error: pending.error }, me.id, pending.createdAt, null);
  }
  return rows;
}

/**
 * Scrolls the timeline (and nothing else: scrollIntoView would also scroll the app's
 * overflow-hidden ancestors, pushing the layout out of place) to put `target` in its middle.
 */
function centerIn(el: HTMLElement, target: Element): void {
  const box = target.getBoundingClientRect();
  el.scrollTop += box.top - el.getBoundingClientRect().top - (el.clientHeight - box.height) / 2;
}

function fromBottom(el: HTMLElement): number {
  return el.scrollHeight - el.scrollTop - el.clientHeight;
}

function measure(el: HTMLElement): Place {
  const top = el.getBoundingClientRect().top;
  for (const row of el.querySelectorAll<HTMLElement>(".message[data-key]")) {
    const bottom = row.getBoundingClientRect().bottom - top;
    if (bottom > 0) return { fromBottom: fromBottom(el), anchorKey: row.dataset.key ?? null, anchorBottom: bottom };
  }
  return { fromBottom: fromBottom(el), anchorKey: null, anchorBottom: 0 };
}

/** Scrolls so that the row that ended where the reader saw it ends there again; else keeps the distance from the bottom. */
function restore(el: HTMLElement, place: Place): void {
  const row = place.anchorKey ? el.querySelector<HTMLElement>(`.message[data-key="${CSS.escape(place.anchorKey)}"]`) : null;
  if (row) {
    el.scrollTop += row.getBoundingClientRect().bottom - el.getBoundingClientRect().top - place.anchorBottom;
  } else {
    el.scrollTop = el.scrollHeight - el.clientHeight - place.fromBottom;
  }
}
