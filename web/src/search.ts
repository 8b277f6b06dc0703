// A message search (CONTRACT.md §6): the query, the hits so far (newest first), and paging.
import { ApiError, searchMessages } from "./api";
import { Emitter } from "./emitter";
import type { SearchHit } from "./types";

const pageSize = 30;

export class Search {
  readonly changed = new Emitter<void>();
  query = "";
  hits: SearchHit[] = [];
  hasMore = false;
  loading = false;
  error: string | null = null;
  /** Bumped by every new query, so the answer to an older one is dropped. */
  private generation = 0;

  run(query: string): void {
    const q = query.trim();
    if (q === this.query && !this.error) return; // asked already (or being asked)
    this.query = q;
    this.hits = [];
    this.hasMore = false;
    this.error = null;
    if (!q) {
      this.loading = false;
      this.changed.emit();
      return;
    }
    void this.fetch(++this.generation);
  }

  more(): void {
    if (this.loading || !this.hasMore) return;
    void this.fetch(this.generation);
  }

  private async fetch(generation: number): Promise<void> {
    this.loading = true;
    this.changed.emit();
    try {
      const before = this.hits.at(-1)?.id;
      const { messages, has_more } = await searchMessages(this.query, { before, limit: pageSize });
      if (generation !== this.generation) return;
      this.hits = [...this.hits, ...messages.filter((m) => !m.deleted)];
      this.hasMore = has_more;
    } catch (error) {
      if (generation !== this.generation) return;
      this.error =
        error instanceof ApiError && error.status === 404 ? "This server does not offer search." : error instanceof Error ? error.message : "The search failed.";
    }
    this.loading = false;
    this.changed.emit();
  }
}
