// The signed-in app without its views: the one socket, the room list, the joined rooms, and
// the route (`/` or `/rooms/{slug}`, through the history API so back and forward work).
import { Connection } from "./connection";
import { RoomDirectory } from "./directory";
import { Emitter } from "./emitter";
import { RecentEmoji } from "./recent-emoji";
import { Search } from "./search";
import { RoomSession } from "./room/room-session";
import { UnreadStore } from "./unread";
import { UserNames } from "./users";
import type { Session } from "./session";

const maxJoined = 20;
/** More unread than this, and a room opens at its newest page rather than at the first unread message. */
const catchUpAtMost = 200;

/**
 * `/`; `/?q={words}`, a search; or `/rooms/{slug}`, with `?m={id}` for a message to show
 * (search results link there).
 */
export type Route = { kind: "lobby" } | { kind: "search"; query: string } | { kind: "room"; slug: string; jumpTo: number | null };

export class ChatClient {
  /** The route, the set of joined rooms, or what the sidebar shows changed. */
  readonly changed = new Emitter<void>();
  readonly connection: Connection;
  readonly directory: RoomDirectory;
  readonly sessions = new Map<string, RoomSession>();
  /** Usernames by id, from every room: reactions name their users by id. */
  readonly users = new UserNames();
  readonly recentEmoji: RecentEmoji;
  /** Read markers and counts from the server, for every room and every device (CONTRACT.md §5). */
  readonly unread: UnreadStore;
  readonly search = new Search();
  route: Route = { kind: "lobby" };
  /** Whether the last route change came from the user (a click, a key) rather than from a load or back/forward. */
  routedByUser = false;
  /** Rooms visited, most recent first: the first few stay joined while the app runs. */
  private readonly visited: string[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly session: Session,
    readonly signOut: (notice?: string) => void,
  ) {
    this.recentEmoji = new RecentEmoji(session.user.id);
    // What this browser remembered of read rooms before the server kept read markers.
    localStorage.removeItem(`chat.user.${session.user.id}`);
    this.connection = new Connection(session.token, () => this.signOut("Your session has ended. Please sign in again."));
    this.directory = new RoomDirectory(this.connection.socket, session.token);
    this.unread = new UnreadStore(this.connection.socket, session.user);
    this.cleanups.push(
      this.unread.changed.subscribe(() => {
        if (this.unread.available) this.joinRecentlyRead();
        this.changed.emit();
      }),
      this.directory.changed.subscribe(() => {
        for (const [slug, room] of this.sessions) {
          const known = this.directory.rooms.get(slug);
          if (known) room.describe(known);
        }
        this.changed.emit();
      }),
    );
    const onPop = () => this.resolveRoute(false);
    window.addEventListener("popstate", onPop);
    this.cleanups.push(() => window.removeEventListener("popstate", onPop));

    this.connection.connect();
    this.resolveRoute(false);
  }

  destroy(): void {
    for (const cleanup of this.cleanups) cleanup();
    this.unread.leave();
    for (const room of this.sessions.values()) room.leave();
    this.directory.leave();
    this.connection.close();
  }

  get me() {
    return this.session.user;
  }

  get activeSlug(): string | null {
    return this.route.kind === "room" ? this.route.slug : null;
  }

  get activeRoom(): RoomSession | null {
    const slug = this.activeSlug;
    return slug ? (this.sessions.get(slug) ?? null) : null;
  }

  /** Goes to a path in place of the current history entry (a search being typed). */
  replace(path: string): void {
    history.replaceState(null, "", path);
    this.resolveRoute(false);
  }

  /** Goes to a path of the app (with its query, if any), as a new history entry. */
  navigate(path: string): void {
    if (path !== location.pathname + location.search) history.pushState(null, "", path);
    this.resolveRoute(true);
  }

  /** Unread messages in a room, by the server's count (CONTRACT.md §5). */
  unreadIn(slug: string): number {
    return this.unread.get(slug)?.unread ?? 0;
  }

  mentionsIn(slug: string): number {
    return this.unread.get(slug)?.mentions ?? 0;
  }

  /** Where a "New" line goes when the room is opened: after the last message read, if anything came since. */
  unreadMarkerFor(slug: string): number | null {
    const counts = this.unread.get(slug);
    return counts && counts.unread > 0 ? counts.lastReadId : null;
  }

  /** Up to 20 of the rooms the user read last, on any device, stay joined: their counts move live. */
  private joinRecentlyRead(): void {
    const recent = this.unread.rooms.sort((a, b) => b.lastReadId - a.lastReadId).slice(0, maxJoined);
    for (const counts of recent) if (!this.sessions.has(counts.slug) && this.sessions.size < maxJoined) this.ensureSession(counts.slug);
  }

  private resolveRoute(userAction: boolean): void {
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
        history.replaceState(null, "", roomPath(slug) + location.search);
      }
    } else if (location.pathname !== "/") {
      history.replaceState(null, "", "/" + location.search);
    }
    const jump = Number(new URLSearchParams(location.search).get("m"));
    this.routedByUser = userAction;
    if (slug) {
      const room = this.ensureSession(slug);
      if (room.status !== "missing") this.remember(slug);
      this.route = { kind: "room", slug, jumpTo: Number.isSafeInteger(jump) && jump > 0 ? jump : null };
    } else {
      const query = new URLSearchParams(location.search).get("q")?.trim();
      this.route = query ? { kind: "search", query } : { kind: "lobby" };
      if (query) this.search.run(query);
    }
    this.changed.emit();
  }

  private remember(slug: string): void {
    const at = this.visited.indexOf(slug);
    if (at >= 0) this.visited.splice(at, 1);
    this.visited.unshift(slug);
    for (const dropped of this.visited.splice(maxJoined)) this.dropSession(dropped);
  }

  private ensureSession(slug: string): RoomSession {
    let room = this.sessions.get(slug);
    if (room) return room;
    room = new RoomSession(this.connection.socket, slug, this.me, this.users, this.catchUpFrom(slug), (id) => this.read(slug, id));
    this.sessions.set(slug, room);
    // The name and description are known from the room list before the join answers.
    const known = this.directory.rooms.get(slug);
    if (known) room.describe(known);
    const created = room;
    created.arrived.subscribe((message) => this.unread.arrived(slug, message));
    created.deleted.subscribe((id) => this.unread.deleted(slug, id));
    created.caughtUp.subscribe(({ from, messages }) => this.unread.caughtUp(slug, from, messages));
    created.changed.subscribe((change) => {
      if (change === "missing" && this.visited.includes(slug)) this.visited.splice(this.visited.indexOf(slug), 1);
      if (change === "joined" && created.room) this.directory.upsert([created.room]);
      this.changed.emit();
    });
    return room;
  }

  /**
   * Where a room's first join catches up from: the user's read marker when few messages came
   * after it (so the "New" line and the unread messages are there), else the newest page.
   */
  private catchUpFrom(slug: string): number | undefined {
    const counts = this.unread.get(slug);
    return counts && counts.lastReadId > 0 && counts.unread <= catchUpAtMost ? counts.lastReadId : undefined;
  }

  /** The user has seen a room's newest message: every device clears its badge. */
  private read(slug: string, id: number): void {
    const room = this.sessions.get(slug);
    if (room?.room) this.unread.read(slug, room.room.id, id);
    room?.pushRead(id);
  }

  private dropSession(slug: string): void {
    if (slug === this.activeSlug) return;
    this.sessions.get(slug)?.leave();
    this.sessions.delete(slug);
  }
}

export function searchPath(query: string): string {
  return query.trim() ? `/?${new URLSearchParams({ q: query.trim() })}` : "/";
}

export function roomPath(slug: string, messageId?: number): string {
  return `/rooms/${encodeURIComponent(slug)}${messageId === undefined ? "" : `?m=${messageId}`}`;
}
