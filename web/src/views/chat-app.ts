// The signed-in app: the sidebar with the room list, the room on screen, the connection
// banner, and the routes `/` and `/rooms/{slug}` (history API, so back and forward work).
import { Connection, type ConnectionState } from "../connection";
import { RoomDirectory } from "../directory";
import { h, icon, replaceChildren } from "../dom";
import { avatarClass, initial } from "../format";
import { Prefs } from "../prefs";
import { RoomSession } from "../room";
import type { Session } from "../session";
import type { Room } from "../types";
import { NewRoomDialog } from "./new-room-dialog";
import { RoomView } from "./room-view";

const coarsePointer = window.matchMedia("(pointer: coarse)");

export class ChatApp {
  private readonly connection: Connection;
  private readonly directory: RoomDirectory;
  private readonly prefs: Prefs;
  private readonly sessions = new Map<string, RoomSession>();
  private readonly views = new Map<string, RoomView>();
  private activeSlug: string | null = null;
  private readonly shell: HTMLElement;
  private readonly roomList = h("ul", { class: "room-list" });
  private readonly roomListStatus = h("p", { class: "room-list-status" });
  private readonly main: HTMLElement;
  private readonly banner = h("div", { class: "banner", role: "status", "aria-live": "polite" });
  private readonly dialog: NewRoomDialog;
  private readonly welcome: HTMLElement;
  private sidebarQueued = false;
  private bannerTimer: number | undefined;
  private wasDisconnected = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    root: HTMLElement,
    private readonly session: Session,
    private readonly signOut: (notice?: string) => void,
  ) {
    const me = session.user;
    this.prefs = new Prefs(me.id);
    this.connection = new Connection(session.token, () => this.signOut("Your session has ended. Please sign in again."));
    this.directory = new RoomDirectory(this.connection.socket, session.token);
    this.dialog = new NewRoomDialog(
      (name, description) => this.directory.create(name, description),
      (room) => this.navigate(roomPath(room.slug)),
    );

    const newRoomButton = h(
      "button",
      { type: "button", class: "button primary small new-room", onclick: () => this.dialog.open() },
      icon("plus"),
      "New room",
    );
    this.welcome = h(
      "div",
      { class: "welcome" },
      h("div", { class: "welcome-icon", "aria-hidden": "true" }, icon("hash")),
      h("h2", null, `Welcome, ${me.username}`),
      h("p", null, "Pick a room from the list, or start a new one."),
      h("button", { type: "button", class: "button primary", onclick: () => this.dialog.open() }, icon("plus"), "Create a room"),
    );
    this.main = h("main", { class: "main", id: "main", tabindex: "-1" });
    const sidebar = h(
      "aside",
      { class: "sidebar", "aria-label": "Rooms and account" },
      h(
        "div",
        { class: "sidebar-header" },
        h("a", { class: "brand", href: "/" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, icon("hash")), "Chat"),
        newRoomButton,
      ),
      h(
        "nav",
        { class: "rooms-nav", "aria-labelledby": "rooms-heading" },
        h("h2", { class: "section-label", id: "rooms-heading" }, "Rooms"),
        this.roomListStatus,
        this.roomList,
      ),
      h(
        "div",
        { class: "me" },
        h("span", { class: avatarClass(me.id), "aria-hidden": "true" }, initial(me.username)),
        h("span", { class: "me-name" }, h("span", { class: "sr-only" }, "Signed in as "), me.username),
        h(
          "button",
          { type: "button", class: "icon-button sign-out", "aria-label": "Sign out", title: "Sign out", onclick: () => this.signOut() },
          icon("logout"),
        ),
      ),
    );
    this.shell = h(
      "div",
      { class: "shell" },
      h("a", { class: "skip-link", href: "#main" }, "Skip to content"),
      this.banner,
      sidebar,
      this.main,
      this.dialog.element,
    );
    root.replaceChildren(this.shell);

    this.cleanups.push(
      this.directory.changed.subscribe(() => {
        for (const [slug, session] of this.sessions) {
          const room = this.directory.rooms.get(slug);
          if (room) session.describe(room);
        }
        this.queueSidebar();
      }),
      this.connection.changed.subscribe((state) => this.renderBanner(state)),
    );
    const onClick = (event: MouseEvent) => this.onLinkClick(event);
    const onPop = () => this.route(false);
    const onVisible = () => {
      if (document.visibilityState === "visible" && this.activeSlug) this.views.get(this.activeSlug)?.onDocumentVisible();
    };
    document.addEventListener("click", onClick);
    window.addEventListener("popstate", onPop);
    document.addEventListener("visibilitychange", onVisible);
    this.cleanups.push(
      () => document.removeEventListener("click", onClick),
      () => window.removeEventListener("popstate", onPop),
      () => document.removeEventListener("visibilitychange", onVisible),
    );

    this.connection.connect();
    // Rooms this browser joined before stay joined, for their unread counts.
    for (const slug of this.prefs.joined) this.ensureSession(slug);
    this.route(false);
    this.renderBanner(this.connection.state);
  }

  destroy(): void {
    for (const cleanup of this.cleanups) cleanup();
    for (const session of this.sessions.values()) session.leave();
    this.directory.leave();
    this.connection.close();
    window.clearTimeout(this.bannerTimer);
    this.shell.remove();
  }

  canAutofocus(): boolean {
    return !coarsePointer.matches;
  }

  navigate(path: string): void {
    if (path !== location.pathname) history.pushState(null, "", path);
    this.route(true);
  }

  private onLinkClick(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.("a[href]");
    if (!(link instanceof HTMLAnchorElement) || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || url.hash) return;
    if (url.pathname !== "/" && !url.pathname.startsWith("/rooms/")) return;
    event.preventDefault();
    this.navigate(url.pathname);
  }

  private route(userAction: boolean): void {
    const match = /^\/rooms\/([^/]+)\/?$/.exec(location.pathname);
    let slug: string | null = null;
    if (match) {
      try {
        slug = decodeURIComponent(match[1]!);
      } catch {
        slug = match[1]!;
      }
      const canonical = slug.toLowerCase();
      if (canonical !== slug || location.pathname !== roomPath(canonical)) {
        slug = canonical;
        history.replaceState(null, "", roomPath(slug));
      }
    } else if (location.pathname !== "/") {
      history.replaceState(null, "", "/");
    }
    if (slug) this.showRoom(slug, userAction);
    else this.showLobby(userAction);
  }

  private showLobby(userAction: boolean): void {
    this.hideActive();
    this.shell.dataset.view = "lobby";
    replaceChildren(this.main, this.welcome);
    this.updateTitle();
    this.queueSidebar();
    if (userAction && coarsePointer.matches) {
      (this.roomList.querySelector("a") as HTMLElement | null)?.focus();
    }
  }

  private showRoom(slug: string, userAction: boolean): void {
    if (this.activeSlug !== slug) this.hideActive();
    this.activeSlug = slug;
    this.shell.dataset.view = "room";
    const session = this.ensureSession(slug);
    if (session.status !== "missing") this.remember(slug);
    let view = this.views.get(slug);
    if (!view) {
      view = new RoomView(session, this);
      this.views.set(slug, view);
    }
    if (this.main.firstChild !== view.element) replaceChildren(this.main, view.element);
    view.show(true);
    if (userAction && !this.canAutofocus()) this.main.focus({ preventScroll: true });
    this.updateTitle();
    this.queueSidebar();
  }

  private hideActive(): void {
    if (this.activeSlug) this.views.get(this.activeSlug)?.hide();
    this.activeSlug = null;
  }

  private remember(slug: string): void {
    for (const dropped of this.prefs.touch(slug)) this.dropSession(dropped);
  }

  private ensureSession(slug: string): RoomSession {
    let session = this.sessions.get(slug);
    if (session) return session;
    session = new RoomSession(this.connection.socket, slug, this.session.user, this.prefs.lastRead(slug), (s, id) =>
      this.prefs.setLastRead(s, id),
    );
    this.sessions.set(slug, session);
    // The name and description are known from the room list before the join answers.
    const known = this.directory.rooms.get(slug);
    if (known) session.describe(known);
    const created = session;
    created.changed.subscribe((change) => {
      if (change === "missing") this.prefs.forget(slug);
      if (change === "joined" && created.room) this.directory.upsert([created.room]);
      this.queueSidebar();
      if (slug === this.activeSlug) this.updateTitle();
    });
    return session;
  }

  private dropSession(slug: string): void {
    if (slug === this.activeSlug) return;
    this.sessions.get(slug)?.leave();
    this.sessions.delete(slug);
    this.views.delete(slug);
  }

  private updateTitle(): void {
    let unread = 0;
    for (const [slug, session] of this.sessions) if (slug !== this.activeSlug) unread += session.unread;
    const active = this.activeSlug ? this.sessions.get(this.activeSlug) : null;
    const place = active ? `#${active.room?.name ?? active.slug}` : "Rooms";
    document.title = `${unread ? `(${unread}) ` : ""}${place} · Chat`;
  }

  private queueSidebar(): void {
    if (this.sidebarQueued) return;
    this.sidebarQueued = true;
    queueMicrotask(() => {
      this.sidebarQueued = false;
      this.renderSidebar();
      this.updateTitle();
    });
  }

  private renderSidebar(): void {
    const rooms: Room[] = this.directory.sorted;
    if (!this.directory.loaded) {
      this.roomListStatus.textContent = this.directory.error ?? "Loading rooms…";
    } else {
      this.roomListStatus.textContent = rooms.length ? "" : "No rooms yet.";
    }
    this.roomListStatus.hidden = !this.roomListStatus.textContent;
    const items = rooms.map((room) => {
      const session = this.sessions.get(room.slug);
      const active = room.slug === this.activeSlug;
      const unread = !active && session ? session.unread : 0;
      return h(
        "li",
        null,
        h(
          "a",
          {
            class: `room-link${unread ? " has-unread" : ""}`,
            href: roomPath(room.slug),
            "aria-current": active ? "page" : null,
            title: room.description || null,
            "data-slug": room.slug,
          },
          h("span", { class: "hash", "aria-hidden": "true" }, "#"),
          h("span", { class: "room-link-name" }, room.name),
          unread
            ? h(
                "span",
                { class: "badge", "data-unread": unread },
                unread > 99 ? "99+" : String(unread),
                h("span", { class: "sr-only" }, unread === 1 ? " unread message" : " unread messages"),
              )
            : null,
        ),
      );
    });
    // Keep focus on the same room link across re-renders.
    const focusedSlug = (document.activeElement as HTMLElement | null)?.closest?.(".room-list a")?.getAttribute("data-slug");
    replaceChildren(this.roomList, items);
    if (focusedSlug) (this.roomList.querySelector(`a[data-slug="${CSS.escape(focusedSlug)}"]`) as HTMLElement | null)?.focus();
  }

  private renderBanner(state: ConnectionState): void {
    window.clearTimeout(this.bannerTimer);
    const show = (kind: string, text: string, spinner: boolean) => {
      this.banner.className = `banner visible ${kind}`;
      replaceChildren(
        this.banner,
        spinner ? h("span", { class: "spinner small", "aria-hidden": "true" }) : icon(kind === "ok" ? "check" : "wifiOff"),
        text,
      );
    };
    const hide = () => {
      this.banner.className = "banner";
      this.banner.replaceChildren();
    };
    switch (state) {
      case "online":
        if (this.wasDisconnected) {
          this.wasDisconnected = false;
          show("ok", "Connected again", false);
          this.bannerTimer = window.setTimeout(hide, 2000);
        } else {
          hide();
        }
        break;
      case "reconnecting":
        this.wasDisconnected = true;
        show("warn", "Connection lost. Reconnecting…", true);
        break;
      case "offline":
        this.wasDisconnected = true;
        show("warn", "You're offline. Reconnecting when the network is back…", true);
        break;
      case "connecting":
        hide();
        this.bannerTimer = window.setTimeout(() => {
          if (this.connection.state === "connecting") {
            this.wasDisconnected = true;
            show("warn", "Connecting…", true);
          }
        }, 1500);
        break;
    }
  }
}

function roomPath(slug: string): string {
  return `/rooms/${encodeURIComponent(slug)}`;
}
