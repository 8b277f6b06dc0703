// Usernames by user id, learnt from every message and presence entry the app sees: reactions
// name their users by id only (CONTRACT.md §4), and the app shows names.
export class UserNames {
  private readonly names = new Map<number, string>();

  learn(id: number, username: string): void {
    if (username) this.names.set(id, username);
  }

  nameOf(id: number): string | undefined {
    return this.names.get(id);
  }
}
