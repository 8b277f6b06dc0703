// The emoji this user reacted with lately, newest first, remembered in this browser.
const keep = 8;

export class RecentEmoji {
  private readonly key: string;

  constructor(userId: number) {
    this.key = `chat.user.${userId}.emoji`;
  }

  get list(): string[] {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.key) ?? "[]") as unknown;
      return Array.isArray(parsed) ? parsed.filter((e): e is string => typeof e === "string").slice(0, keep) : [];
    } catch {
      return [];
    }
  }

  use(emoji: string): void {
    try {
      localStorage.setItem(this.key, JSON.stringify([emoji, ...this.list.filter((e) => e !== emoji)].slice(0, keep)));
    } catch {
      /* storage full or disabled: nothing is remembered */
    }
  }
}
