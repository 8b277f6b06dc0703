// The signed-in app without its views: the one socket, the room list, the joined rooms, and
// the route (`/` or `/rooms/{slug}`, through the history API so back and forward work).
import { Connection } from "./connection";
import { RoomDirectory } from "./directory";
import { Emitter } from "./emitter";
import { Prefs } from "./prefs";
import { RoomSession } from "./room";
import type { Session } from "./session";

export type Route = { kind: "lobby" } | { kind: "room"; slug: string };

export class ChatClient {
  /** The route, the set of joined rooms, or what the sidebar shows changed. */
  readonly changed = new Emitter<void>();
  readonly connection: Connection;
  readonly directory: RoomDirectory;
  readonly sessions = new Map<string, RoomSession>();
  route: Route = { kind: "lobby" };
  /** Whether the last route change came from the user (a click, a key) rather than from a load or back/forward. */
  routedByUser = false;
  private readonly prefs: Prefs;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly session: Session,
    readonly signOut: (notice?: string) => void,
  ) {
    this.prefs = new Prefs(session.user.id);
    this.connection = new Connection(session.token, () => this.signOut("Your session has ended. Please sign in again."));
    this.directory = new RoomDirectory(this.connection.socket, session.token);
    this.cleanups.push(
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
    // Rooms this browser joined before stay joined, for their unread counts.
    for (const slug of this.prefs.joined) this.ensureSession(slug);
    this.resolveRoute(false);
  }

  destroy(): void {
    for (const cleanup of this.cleanups) cleanup();
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

  navigate(path: string): void {
    if (path !== location.pathname) history.pushState(null, "", path);
    this.resolveRoute(true);
  }

  /** Unread messages in a room, as far as this browser knows. */
  unreadIn(slug: string): number {
    return this.sessions.get(slug)?.unread ?? 0;
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
        history.replaceState(null, "", roomPath(slug));
      }
    } else if (location.pathname !== "/") {
      history.replaceState(null, "", "/");
    }
    this.routedByUser = userAction;
    if (slug) {
      const room = this.ensureSession(slug);
      if (room.status !== "missing") this.remember(slug);
      this.route = { kind: "room", slug };
    } else {
      this.route = { kind: "lobby" };
    }
    this.changed.emit();
  }

  private remember(slug: string): void {
    for (const dropped of this.prefs.touch(slug)) this.dropSession(dropped);
  }

  private ensureSession(slug: string): RoomSession {
    let room = this.sessions.get(slug);
    if (room) return room;
    room = new RoomSession(this.connection.socket, slug, this.me, this.prefs.lastRead(slug), (s, id) => this.prefs.setLastRead(s, id));
    this.sessions.set(slug, room);
    // The name and description are known from the room list before the join answers.
    const known = this.directory.rooms.get(slug);
    if (known) room.describe(known);
    const created = room;
    created.changed.subscribe((change) => {
      if (change === "missing") this.prefs.forget(slug);
      if (change === "joined" && created.room) this.directory.upsert([created.room]);
      this.changed.emit();
    });
    return room;
  }

  private dropSession(slug: string): void {
    if (slug === this.activeSlug) return;
    this.sessions.get(slug)?.leave();
    this.sessions.delete(slug);
  }
}

export function roomPath(slug: string): string {
  return `/rooms/${encodeURIComponent(slug)}`;
}
