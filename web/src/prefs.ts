// What this browser remembers per user: the rooms it has joined (most recent first), how far
// each was read. Re-read before each change, as other tabs of the same user write it too. Kept in localStorage under the user's id.

const maxJoined = 20;

interface Stored {
  joined: string[];
  lastRead: Record<string, number>;
}

export class Prefs {
  private readonly key: string;
  private data: Stored;

  constructor(userId: number) {
    this.key = `chat.user.${userId}`;
    this.data = this.read();
  }

  private read(): Stored {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.key) ?? "null") as Partial<Stored> | null;
      return {
        joined: Array.isArray(parsed?.joined) ? parsed.joined.filter((s) => typeof s === "string") : [],
        lastRead: parsed?.lastRead && typeof parsed.lastRead === "object" ? parsed.lastRead : {},
      };
    } catch {
      return { joined: [], lastRead: {} };
    }
  }

  private write(): void {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.data));
    } catch {
      /* storage full or disabled: the app works without it */
    }
  }

  get joined(): readonly string[] {
    return this.data.joined;
  }

  /** Remembers a room as joined; returns the rooms that fell off the end of the list. */
  touch(slug: string): string[] {
    this.data = this.read();
    const joined = [slug, ...this.data.joined.filter((s) => s !== slug)];
    const dropped = joined.splice(maxJoined);
    for (const s of dropped) delete this.data.lastRead[s];
    this.data.joined = joined;
    this.write();
    return dropped;
  }

  forget(slug: string): void {
    this.data = this.read();
    this.data.joined = this.data.joined.filter((s) => s !== slug);
    delete this.data.lastRead[slug];
    this.write();
  }

  lastRead(slug: string): number | undefined {
    return this.data.lastRead[slug];
  }

  setLastRead(slug: string, id: number): void {
    this.data = this.read();
    if ((this.data.lastRead[slug] ?? -1) >= id) return;
    this.data.lastRead[slug] = id;
    this.write();
  }
}
