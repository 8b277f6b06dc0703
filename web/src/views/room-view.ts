// A room on screen: header with presence, the message timeline (an ARIA live region), the
// typing line and the composer. One view per joined room, kept while the app runs, so a room
// keeps its draft and scroll position when you come back to it.
import { h, icon, replaceChildren } from "../dom";
import { avatarClass, dayKey, formatDay, formatFull, formatTime, initial, plural } from "../format";
import type { Change, PendingMessage, RoomSession } from "../room";
import type { Message } from "../types";

const groupGapMs = 5 * 60_000;
const bottomSlackPx = 48;
const loadOlderWithinPx = 400;

interface Row {
  key: string;
  sig: string;
  build: () => HTMLElement;
}

interface Entry {
  key: string;
  userId: number;
  username: string;
  content: string;
  date: Date;
  iso: string;
  id: number | null;
  pending: PendingMessage | null;
}

export interface RoomViewHost {
  canAutofocus(): boolean;
}

let viewCounter = 0;
const autoSized = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");

export class RoomView {
  readonly element: HTMLElement;
  private readonly title = h("h2", { class: "room-title" });
  private readonly description = h("p", { class: "room-description" });
  private readonly membersButton: HTMLButtonElement;
  private readonly membersCount = h("span", { class: "members-count" });
  private readonly membersPanel: HTMLElement;
  private readonly membersList = h("ul", { class: "members-list" });
  private readonly membersHeading = h("h3", { class: "members-heading" });
  private readonly timeline: HTMLElement;
  private readonly top = h("div", { class: "timeline-top" });
  private readonly list = h("ol", { class: "messages" });
  private readonly jump: HTMLButtonElement;
  private readonly typingLine = h("p", { class: "typing" });
  private readonly textarea: HTMLTextAreaElement;
  private readonly body: HTMLElement;
  private readonly rows = new Map<string, { element: HTMLElement; sig: string }>();
  private visible = false;
  private savedFromBottom = 0;
  private membersOpen = window.matchMedia("(min-width: 1100px)").matches;
  private unreadMarker: number | null = null;
  private renderedMissing = false;

  constructor(
    private readonly session: RoomSession,
    private readonly host: RoomViewHost,
  ) {
    const n = ++viewCounter;
    const inputId = `composer-${n}`;
    const hintId = `composer-hint-${n}`;
    const membersId = `members-${n}`;

    this.membersButton = h(
      "button",
      { type: "button", class: "members-toggle", "aria-controls": membersId, onclick: () => this.toggleMembers() },
      icon("users"),
      this.membersCount,
    );
    this.membersPanel = h("aside", { class: "members", id: membersId, "aria-labelledby": `${membersId}-h` }, this.membersHeading, this.membersList);
    this.membersHeading.id = `${membersId}-h`;

    this.timeline = h(
      "div",
      { class: "timeline", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" },
      this.top,
      this.list,
    );
    this.timeline.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.jump = h(
      "button",
      { type: "button", class: "jump", hidden: true, onclick: () => this.scrollToBottom(true) },
      icon("down"),
      "New messages",
    );

    this.textarea = h("textarea", {
      id: inputId,
      class: "composer-input",
      rows: 1,
      placeholder: `Message #${session.slug}`,
      enterkeyhint: "send",
      "aria-describedby": hintId,
      autocomplete: "off",
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener("input", () => {
      if (this.textarea.value.trim()) this.session.typing();
      this.fitComposer();
    });
    const form = h(
      "form",
      { class: "composer", onsubmit: (event: SubmitEvent) => (event.preventDefault(), this.submit()) },
      h("label", { class: "sr-only", for: inputId }, `Message #${session.slug}`),
      this.textarea,
      h("button", { type: "submit", class: "send", "aria-label": "Send" }, icon("send")),
    );
    const hint = h("p", { class: "composer-hint", id: hintId }, h("kbd", null, "Enter"), " to send, ", h("kbd", null, "Shift"), " + ", h("kbd", null, "Enter"), " for a new line");

    const header = h(
      "header",
      { class: "room-header" },
      h("a", { class: "back-link icon-button", href: "/", "aria-label": "All rooms" }, icon("back")),
      h("div", { class: "room-heading" }, this.title, this.description),
      this.membersButton,
    );
    this.body = h("div", { class: "room-body" }, h("div", { class: "timeline-wrap" }, this.timeline, this.jump), this.typingLine, form, hint);
    this.element = h("section", { class: "room", "aria-labelledby": "" }, header, this.body, this.membersPanel);
    this.title.id = `room-title-${n}`;
    this.element.setAttribute("aria-labelledby", this.title.id);

    session.changed.subscribe((change) => this.render(change));
    this.render("update");
  }

  show(focus: boolean): void {
    this.visible = true;
    const s = this.session;
    this.unreadMarker = s.unread > 0 ? s.lastReadId : null;
    this.rows.clear();
    this.list.replaceChildren();
    this.render("update");
    if (this.savedFromBottom > bottomSlackPx && this.unreadMarker === null) {
      this.timeline.scrollTop = this.timeline.scrollHeight - this.timeline.clientHeight - this.savedFromBottom;
    } else if (this.unreadMarker !== null) {
      this.list.querySelector(".new-marker")?.scrollIntoView({ block: "center" });
      if (this.fromBottom() < bottomSlackPx) this.scrollToBottom(false);
    } else {
      this.scrollToBottom(false);
    }
    this.afterScroll();
    if (focus && this.host.canAutofocus()) this.textarea.focus({ preventScroll: true });
  }

  hide(): void {
    if (!this.visible) return;
    this.savedFromBottom = this.fromBottom();
    this.visible = false;
  }

  /** The tab is visible again: what is on screen now counts as read. */
  onDocumentVisible(): void {
    if (this.visible) this.afterScroll();
  }

  private submit(): void {
    const content = this.textarea.value.trim();
    if (!content) return;
    this.textarea.value = "";
    this.fitComposer();
    this.unreadMarker = null;
    this.session.send(content);
  }

  /** Grows the composer with its text where CSS field-sizing is not supported. */
  private fitComposer(): void {
    if (autoSized) return;
    const box = this.textarea;
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  }

  private toggleMembers(): void {
    this.membersOpen = !this.membersOpen;
    this.renderMembers();
  }

  private fromBottom(): number {
    const t = this.timeline;
    return t.scrollHeight - t.scrollTop - t.clientHeight;
  }

  private scrollToBottom(smooth: boolean): void {
    this.timeline.scrollTo({ top: this.timeline.scrollHeight, behavior: smooth ? "smooth" : "instant" });
    this.jump.hidden = true;
  }

  private onScroll(): void {
    if (!this.visible) return;
    this.afterScroll();
  }

  /** Marks what is on screen read, hides the jump button at the bottom, fetches older history near the top. */
  private afterScroll(): void {
    const s = this.session;
    if (this.fromBottom() < bottomSlackPx) {
      this.jump.hidden = true;
      if (document.visibilityState === "visible") s.markRead();
    }
    if (this.timeline.scrollTop < loadOlderWithinPx && s.hasOlder && !s.loadingOlder && !s.olderFailed) s.loadOlder();
  }

  render(change: Change): void {
    const s = this.session;
    const name = s.room?.name ?? s.slug;
    this.title.replaceChildren(h("span", { class: "hash", "aria-hidden": "true" }, "#"), name);
    this.description.textContent = s.room?.description ?? "";
    this.description.hidden = !s.room?.description;
    this.timeline.setAttribute("aria-label", `Messages in #${name}`);
    this.textarea.placeholder = `Message #${name}`;
    this.renderMembers();
    this.renderTyping();

    if (s.status === "missing") {
      if (!this.renderedMissing) this.renderMissing();
      return;
    }
    if (!this.visible) return;

    const fromBottom = this.fromBottom();
    const wasAtBottom = fromBottom < bottomSlackPx;
    this.timeline.setAttribute("aria-busy", String(s.status === "joining" || s.loadingOlder));
    this.renderTop();
    const added = this.renderRows();

    if (change === "prepend") {
      this.timeline.scrollTop = this.timeline.scrollHeight - this.timeline.clientHeight - fromBottom;
    } else if (change === "own" || wasAtBottom) {
      this.scrollToBottom(false);
    } else if (added && (change === "append" || change === "joined")) {
      this.jump.hidden = false;
    }
    this.afterScroll();
    // A short history may not fill the screen: keep loading until it does or there is no more.
    if (!s.historyLoaded || this.timeline.scrollHeight <= this.timeline.clientHeight + loadOlderWithinPx) {
      if (s.hasOlder && !s.loadingOlder && !s.olderFailed) s.loadOlder();
    }
  }

  private renderMissing(): void {
    this.renderedMissing = true;
    this.membersButton.hidden = true;
    this.membersPanel.hidden = true;
    replaceChildren(
      this.body,
      h(
        "div",
        { class: "empty-state" },
        h("h3", null, "This room doesn't exist"),
        h("p", null, "There is no room at ", h("code", null, `/rooms/${this.session.slug}`), ". It may have a different name."),
        h("a", { class: "button primary", href: "/" }, "See all rooms"),
      ),
    );
  }

  private renderTop(): void {
    const s = this.session;
    if (s.status === "joining" && s.messages.length === 0) {
      replaceChildren(this.top, h("p", { class: "timeline-status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading messages…"));
    } else if (s.loadingOlder) {
      replaceChildren(this.top, h("p", { class: "timeline-status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading earlier messages…"));
    } else if (s.olderFailed) {
      replaceChildren(
        this.top,
        h(
          "p",
          { class: "timeline-status" },
          "Earlier messages could not be loaded. ",
          h("button", { type: "button", class: "link-button", onclick: () => ((s.olderFailed = false), s.loadOlder()) }, "Try again"),
        ),
      );
    } else if (s.hasOlder) {
      replaceChildren(
        this.top,
        h("p", { class: "timeline-status" }, h("button", { type: "button", class: "link-button", onclick: () => s.loadOlder() }, "Load earlier messages")),
      );
    } else {
      const name = s.room?.name ?? s.slug;
      replaceChildren(
        this.top,
        h(
          "div",
          { class: "room-intro" },
          h("div", { class: "room-intro-icon", "aria-hidden": "true" }, icon("hash")),
          h("p", { class: "room-intro-title" }, `Welcome to #${name}`),
          h("p", { class: "room-intro-text" }, s.room?.description || "This is the very beginning of the room.", s.messages.length === 0 && s.pending.length === 0 ? " No messages yet: say hello!" : ""),
        ),
      );
    }
  }

  private entries(): Entry[] {
    const s = this.session;
    const stored = s.messages.map((m: Message): Entry => {
      const clientId = s.clientIdOf.get(m.id);
      return {
        key: clientId ? `c:${clientId}` : `m:${m.id}`,
        userId: m.user_id,
        username: m.username,
        content: m.content,
        date: new Date(m.inserted_at),
        iso: m.inserted_at,
        id: m.id,
        pending: null,
      };
    });
    const pending = s.pending.map(
      (p): Entry => ({
        key: `c:${p.clientId}`,
        userId: s.me.id,
        username: s.me.username,
        content: p.content,
        date: p.createdAt,
        iso: p.createdAt.toISOString(),
        id: null,
        pending: p,
      }),
    );
    return [...stored, ...pending];
  }

  /** Brings the list in line with the session, touching only rows that changed. Returns whether rows were added. */
  private renderRows(): boolean {
    const rows: Row[] = [];
    const me = this.session.me.id;
    let previous: Entry | null = null;
    let markerPlaced = false;
    const now = new Date();
    for (const entry of this.entries()) {
      let start = !previous || previous.userId !== entry.userId || entry.date.getTime() - previous.date.getTime() > groupGapMs;
      const day = dayKey(entry.date);
      if (!previous || dayKey(previous.date) !== day) {
        const label = formatDay(entry.date, now);
        rows.push({ key: `d:${day}`, sig: label, build: () => h("li", { class: "day" }, h("span", { class: "day-label" }, label)) });
        start = true;
      }
      if (!markerPlaced && this.unreadMarker !== null && entry.id !== null && entry.id > this.unreadMarker && entry.userId !== me) {
        markerPlaced = true;
        start = true;
        rows.push({ key: "new-marker", sig: "", build: () => h("li", { class: "new-marker" }, h("span", null, "New")) });
      }
      const p = entry.pending;
      const sig = `${start ? 1 : 0}|${p ? `${p.state}|${p.error ?? ""}|${p.retryable}` : "stored"}`;
      const isStart = start;
      rows.push({ key: entry.key, sig, build: () => this.buildMessage(entry, isStart, entry.userId === me) });
      previous = entry;
    }

    let added = false;
    const seen = new Set<string>();
    let cursor: ChildNode | null = this.list.firstChild;
    for (const row of rows) {
      seen.add(row.key);
      let current = this.rows.get(row.key);
      if (!current || current.sig !== row.sig) {
        const element = row.build();
        if (current) {
          if (cursor === current.element) cursor = element;
          current.element.replaceWith(element);
        } else {
          added = true;
        }
        current = { element, sig: row.sig };
        this.rows.set(row.key, current);
      }
      if (current.element !== cursor) this.list.insertBefore(current.element, cursor);
      cursor = current.element.nextSibling;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.element.remove();
        this.rows.delete(key);
      }
    }
    return added;
  }

  private buildMessage(entry: Entry, start: boolean, mine: boolean): HTMLElement {
    const p = entry.pending;
    const time = formatTime(entry.date);
    const classes = ["message", start ? "start" : "", mine ? "mine" : "", p ? `is-${p.state}` : ""].filter(Boolean).join(" ");
    const li = h("li", { class: classes, "data-key": entry.key, "data-id": entry.id ?? undefined });
    const timeEl = (className: string) =>
      h("time", { class: className, datetime: entry.iso, title: formatFull(entry.date) }, time);
    if (start) {
      li.append(
        h("div", { class: avatarClass(entry.userId), "aria-hidden": "true" }, initial(entry.username)),
        h(
          "div",
          { class: "message-meta" },
          h("span", { class: "author" }, entry.username),
          mine ? h("span", { class: "you-tag" }, "you") : null,
          timeEl("message-time"),
        ),
      );
    } else {
      li.append(
        h("span", { class: "sr-only" }, `${entry.username}${mine ? " (you)" : ""}, `),
        timeEl("gutter-time"),
      );
    }
    li.append(h("p", { class: "message-text" }, entry.content));
    if (p) li.append(this.buildStatus(p));
    return li;
  }

  private buildStatus(p: PendingMessage): HTMLElement {
    if (p.state === "failed") {
      return h(
        "div",
        { class: "message-status error", role: "alert" },
        icon("alert"),
        h("span", null, "Not sent. ", p.error ?? ""),
        p.retryable ? h("button", { type: "button", class: "link-button", onclick: () => this.session.retry(p.clientId) }, "Retry") : null,
        h(
          "button",
          {
            type: "button",
            class: "link-button",
            onclick: () => {
              this.session.discard(p.clientId);
              this.textarea.value = p.content;
              this.fitComposer();
              this.textarea.focus();
            },
          },
          "Edit",
        ),
        h("button", { type: "button", class: "link-button", onclick: () => this.session.discard(p.clientId) }, "Discard"),
      );
    }
    return h(
      "div",
      { class: "message-status" },
      h("span", { class: "spinner small", "aria-hidden": "true" }),
      p.state === "queued" ? "Waiting for connection…" : "Sending…",
    );
  }

  private renderTyping(): void {
    const names = this.session.typingNames;
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names.length} people are typing…`;
    if (this.typingLine.textContent !== text) this.typingLine.textContent = text;
  }

  private renderMembers(): void {
    const members = this.session.members;
    const count = members.length;
    this.membersCount.textContent = this.session.presenceReady ? `${count} online` : "";
    this.membersButton.setAttribute("aria-expanded", String(this.membersOpen));
    this.membersButton.title = this.session.presenceReady ? `${plural(count, "person", "people")} in this room right now` : "";
    this.element?.classList.toggle("members-open", this.membersOpen);
    // While the channel is down, who is online is not known: the list stays, greyed out.
    this.element?.classList.toggle("is-disconnected", this.session.status === "joined" && !this.session.joined);
    this.membersHeading.textContent = `Online — ${count}`;
    const me = this.session.me.id;
    replaceChildren(
      this.membersList,
      members.map((m) =>
        h(
          "li",
          { class: "member" },
          h("span", { class: avatarClass(m.id), "aria-hidden": "true" }, initial(m.username), h("span", { class: "presence-dot" })),
          h("span", { class: "member-name" }, m.username),
          m.id === me ? h("span", { class: "you-tag" }, "you") : null,
        ),
      ),
    );
  }
}
