/**
 * The message list's memory: pages of a folder's rows fetched on demand, a bounded number kept.
 * Pure bookkeeping, no I/O: the caller asks which pages are missing, fetches them, and stores the
 * answers with the generation it got when it asked, so answers to an older question (the folder
 * changed, or the list was reloaded) are dropped instead of overwriting newer rows.
 */
export class PageCache<T extends { id: number }> {
  readonly pageSize: number;
  readonly maxPages: number;
  /** The number of rows in the whole list, as the last answer said. */
  total = 0;
  /** Bumped by `reset` and `invalidate`; answers carry the generation they were asked in. */
  generation = 0;
  private pages = new Map<number, { items: T[]; generation: number }>();
  /** Pages asked for, with the generation they were asked in and whether the fetch failed. */
  private pending = new Map<number, { generation: number; failed: boolean }>();

  constructor(pageSize: number, maxPages: number) {
    this.pageSize = pageSize;
    this.maxPages = maxPages;
  }

  /** Forget everything: a different list. */
  reset(): void {
    this.pages.clear();
    this.pending.clear();
    this.total = 0;
    this.generation += 1;
  }

  /**
   * The list may have changed: keep showing the rows held (stale) until fresh pages replace
   * them, but fetch every page again.
   */
  invalidate(): void {
    this.pending.clear();
    this.generation += 1;
  }

  /** The row at `index`, if its page is held (fresh or stale). */
  get(index: number): T | undefined {
    if (index < 0 || index >= this.total) return undefined;
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.items[index % this.pageSize];
  }

  /** Whether page `page` is held and fresh. */
  isFresh(page: number): boolean {
    return this.pages.get(page)?.generation === this.generation;
  }

  /**
   * Of `pages`, those to fetch: not fresh, not being fetched in this generation, and not failed
   * in it (a failed page is asked for again only after `invalidate`, so errors do not loop).
   */
  missing(pages: readonly number[]): number[] {
    return pages.filter((p) => !this.isFresh(p) && this.pending.get(p)?.generation !== this.generation);
  }

  /** How many fetches of this generation are under way. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.pending.values()) if (s.generation === this.generation && !s.failed) n += 1;
    return n;
  }

  /** Records that page `page` is being fetched; returns the generation to store the answer with. */
  startLoading(page: number): number {
    this.pending.set(page, { generation: this.generation, failed: false });
    return this.generation;
  }

  /** The fetch of a page failed: it is not asked for again in this generation. */
  failed(page: number, generation: number): void {
    if (this.pending.get(page)?.generation === generation) this.pending.set(page, { generation, failed: true });
  }

  /**
   * Stores a fetched page. Returns false (and stores nothing) when the answer belongs to an older
   * generation.
   */
  store(page: number, generation: number, items: T[], total: number): boolean {
    if (generation !== this.generation) return false;
    if (this.pending.get(page)?.generation === generation) this.pending.delete(page);
    if (total !== this.total) {
      this.total = total;
      // Pages past the new end are gone.
      const lastPage = Math.ceil(total / this.pageSize) - 1;
      for (const p of [...this.pages.keys()]) if (p > lastPage) this.pages.delete(p);
    }
    this.pages.set(page, { items, generation });
    return true;
  }

  /** Replaces one row, found by id, in whatever page holds it (e.g. it was just read). */
  update(item: T): boolean {
    for (const page of this.pages.values()) {
      const i = page.items.findIndex((x) => x.id === item.id);
      if (i >= 0) {
        page.items[i] = item;
        return true;
      }
    }
    return false;
  }

  /** The index of the row with `id` among the fresh pages held, or -1. */
  indexOf(id: number): number {
    for (const [p, page] of this.pages) {
      if (page.generation !== this.generation) continue;
      const i = page.items.findIndex((x) => x.id === id);
      if (i >= 0) return p * this.pageSize + i;
    }
    return -1;
  }

  /** Drops the pages farthest from `keep` until at most `maxPages` are held. */
  evict(keep: readonly number[]): void {
    if (this.pages.size <= this.maxPages) return;
    const kept = new Set(keep);
    const centre = keep.length > 0 ? (Math.min(...keep) + Math.max(...keep)) / 2 : 0;
    const candidates = [...this.pages.keys()]
      .filter((p) => !kept.has(p))
      .sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const p of candidates) {
      if (this.pages.size <= this.maxPages) break;
      this.pages.delete(p);
    }
  }

  /** How many pages are held (for tests and diagnostics). */
  get size(): number {
    return this.pages.size;
  }
}
