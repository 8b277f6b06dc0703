// The messages of one room that the client holds: by id, in id order, each at its newest
// revision (CONTRACT.md §4). Edits, deletes and reactions reach a client by several roads (a
// reply, a broadcast, a rejoin's `changed`, a history page read a moment before the change),
// in any order; every one carries the message's `rev`, and the higher rev always wins, so the
// order they come in does not matter. Deleted messages are not listed, but their ids are kept
// with their rev, so no older copy brings them back.
import type { Message, Reactions } from "../types";

/** What a put did to the list. */
export type PutResult = "added" | "changed" | "removed" | "unchanged";

/** A rev above every real one: what a delete the user just made counts as until the server's event comes. */
const final = Number.MAX_SAFE_INTEGER;

export class MessageStore {
  private readonly list: Message[] = [];
  private readonly revs = new Map<number, number>();

  /** Listed messages, oldest first. */
  get messages(): readonly Message[] {
    return this.list;
  }

  get newest(): Message | undefined {
    return this.list.at(-1);
  }

  get oldest(): Message | undefined {
    return this.list[0];
  }

  /** Whether the id was ever seen here, deleted or not. */
  knows(id: number): boolean {
    return this.revs.has(id);
  }

  get(id: number): Message | undefined {
    const index = this.indexOf(id);
    return index >= 0 ? this.list[index] : undefined;
  }

  /** Stores a message as the server sent it (a tombstone removes it), unless a newer revision is here. */
  put(message: Message): PutResult {
    const rev = message.rev ?? 0;
    const known = this.revs.get(message.id);
    if (known !== undefined && rev <= known) return "unchanged";
    this.revs.set(message.id, rev);
    const index = this.indexOf(message.id);
    if (message.deleted) {
      if (index < 0) return "unchanged";
      this.list.splice(index, 1);
      return "removed";
    }
    if (index >= 0) {
      this.list[index] = message;
      return "changed";
    }
    this.list.splice(this.insertionPoint(message.id), 0, message);
    return "added";
  }

  /** A `msg_deleted` event, or the user's own delete (no rev: nothing can bring it back). */
  markDeleted(id: number, rev = final): boolean {
    if ((this.revs.get(id) ?? -1) >= rev) return false;
    this.revs.set(id, rev);
    const index = this.indexOf(id);
    if (index < 0) return false;
    this.list.splice(index, 1);
    return true;
  }

  /** A `reactions` event. */
  setReactions(id: number, reactions: Reactions, rev: number): boolean {
    if ((this.revs.get(id) ?? -1) >= rev) return false;
    this.revs.set(id, rev);
    const index = this.indexOf(id);
    if (index < 0) return false;
    this.list[index] = { ...this.list[index]!, reactions, rev };
    return true;
  }

  /** Replaces a listed message without a new rev: the user's own change, shown before the server confirms it. */
  replaceLocally(message: Message): void {
    const index = this.indexOf(message.id);
    if (index >= 0) this.list[index] = message;
  }

  clear(): void {
    this.list.length = 0;
    this.revs.clear();
  }

  private indexOf(id: number): number {
    const index = this.insertionPoint(id);
    return this.list[index]?.id === id ? index : -1;
  }

  /** The first index whose id is not below `id` (binary search). */
  private insertionPoint(id: number): number {
    let low = 0;
    let high = this.list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.list[mid]!.id < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
