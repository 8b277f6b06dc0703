// Who else is typing in a room: each `typing` notice shows its sender for a few seconds, and a
// message from them ends it at once.
const shownMs = 5_000;

export class TypingTracker {
  private readonly typers = new Map<number, { username: string; until: number }>();
  private timer: number | undefined;

  constructor(private readonly changed: () => void) {}

  /** Names in alphabetical order. */
  get names(): string[] {
    return [...this.typers.values()].map((t) => t.username).sort((a, b) => a.localeCompare(b));
  }

  typing(userId: number, username: string): void {
    this.typers.set(userId, { username, until: Date.now() + shownMs });
    this.schedule();
    this.changed();
  }

  /** Their message arrived: they are done typing it. */
  sent(userId: number): void {
    this.typers.delete(userId);
  }

  clear(): void {
    this.typers.clear();
  }

  dispose(): void {
    window.clearTimeout(this.timer);
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    if (this.typers.size === 0) return;
    const next = Math.min(...[...this.typers.values()].map((t) => t.until));
    this.timer = window.setTimeout(() => {
      const now = Date.now();
      for (const [id, typer] of this.typers) if (typer.until <= now) this.typers.delete(id);
      this.schedule();
      this.changed();
    }, Math.max(0, next - Date.now()) + 20);
  }
}
