/**
 * The shown folder's message list: a window onto possibly 100,000 rows. Pages of `PAGE_SIZE` are
 * fetched as the visible range asks for them, at most `MAX_CONCURRENT` at a time, so dragging the
 * scrollbar through a huge folder asks only for where it stops, and at most `MAX_PAGES` are kept.
 */
import { indexAfterRemoval, nextAfterRemoval } from "./actions";
import * as api from "./api";
import type { MessageSummary } from "./bindings/MessageSummary";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";
import { PageCache } from "./pageCache";
import { coalesce } from "./throttle";
import { clamp, pagesForRange, type Range } from "./virtual";

export const PAGE_SIZE = 200;
const MAX_PAGES = 30;
const MAX_CONCURRENT = 2;
/** How often, at most, a folder that keeps changing (first sync) is reloaded. */
const RELOAD_INTERVAL_MS = 500;

export class MessageListState {
  /** The folder shown, or null. */
  folderId = $state<number | null>(null);
  /** Rows in the folder, as the last page said. */
  total = $state(0);
  /** True once the first page of the folder has been answered. */
  loaded = $state(false);
  /** The last failure to fetch a page, if any. */
  error = $state.raw<UserError | null>(null);
  /** Bumped whenever the rows held change, so views re-read them. */
  version = $state(0);
  /** The selected row's index, -1 for none. */
  selectedIndex = $state(-1);
  /** The selected message, or null while none is (or its row is not fetched yet). */
  selectedId = $state<number | null>(null);

  #cache = new PageCache<MessageSummary>(PAGE_SIZE, MAX_PAGES);
  #range: Range = { start: 0, end: 0 };
  #reloader = coalesce(() => this.#reloadNow(), RELOAD_INTERVAL_MS);

  /** Shows another folder (or none), from the top, with nothing selected. */
  open(folderId: number | null): void {
    this.#reloader.cancel();
    this.#cache.reset();
    this.folderId = folderId;
    this.total = 0;
    this.loaded = false;
    this.error = null;
    this.selectedIndex = -1;
    this.selectedId = null;
    this.#range = { start: 0, end: 0 };
    this.version += 1;
    this.#pump();
  }

  /** The view reports which rows it draws. */
  setRange(range: Range): void {
    this.#range = range;
    this.#pump();
  }

  /** The row at `index`, if fetched. Reactive: reading it subscribes to `version`. */
  itemAt(index: number): MessageSummary | undefined {
    void this.version;
    return this.#cache.get(index);
  }

  /** The folder's contents changed: fetch the rows in view again (coalesced). */
  reload(): void {
    if (this.folderId !== null) this.#reloader.trigger();
  }

  /** Selects a row; its message opens once its row is fetched. */
  select(index: number): void {
    if (this.total <= 0) return;
    const i = clamp(index, 0, this.total - 1);
    this.selectedIndex = i;
    this.selectedId = this.#cache.get(i)?.id ?? null;
  }

  /** Selects message `id` (opened from a notification), whether or not its row is fetched yet. */
  selectId(id: number): void {
    this.selectedId = id;
    this.selectedIndex = this.#cache.indexOf(id);
  }

  /** The index of message `id`'s row if it is fetched, else -1. Reactive. */
  indexOf(id: number): number {
    void this.version;
    return this.#cache.indexOf(id);
  }

  /**
   * The message at `index` is leaving the list (deleted, archived): select its neighbour, the
   * next row or the previous one if it was the last, as mail clients do. The reload that follows
   * the engine's `FolderChanged` finds the neighbour again by its id.
   */
  selectAfterRemoval(index: number): void {
    const target = nextAfterRemoval(index, this.total);
    if (target < 0) {
      this.selectedIndex = -1;
      this.selectedId = null;
      return;
    }
    const item = this.#cache.get(target);
    if (item) {
      this.selectedIndex = target;
      this.selectedId = item.id;
    } else {
      // Not fetched: select by position; the reload fills in its message.
      this.selectedIndex = indexAfterRemoval(target, index);
      this.selectedId = null;
    }
  }

  /** Replaces a row with fresher data (e.g. the reader loaded it and it is now read). */
  updateItem(item: MessageSummary): void {
    if (item.folder_id !== this.folderId) return;
    if (this.#cache.update(item)) this.version += 1;
  }

  /** Drops a pending reload, e.g. when the view goes away. */
  dispose(): void {
    this.#reloader.cancel();
  }

  #reloadNow(): void {
    this.#cache.invalidate();
    this.error = null;
    this.#pump();
  }

  /** Starts fetches for the missing pages in view, within the concurrency limit. */
  #pump(): void {
    const folderId = this.folderId;
    if (folderId === null) return;
    const range = this.#range.end > this.#range.start ? this.#range : { start: 0, end: 1 };
    for (const page of this.#cache.missing(pagesForRange(range, PAGE_SIZE))) {
      if (this.#cache.inFlight >= MAX_CONCURRENT) break;
      void this.#fetch(folderId, page);
    }
  }

  async #fetch(folderId: number, page: number): Promise<void> {
    const generation = this.#cache.startLoading(page);
    let ok = false;
    try {
      const result = await api.listMessages(folderId, page * PAGE_SIZE, PAGE_SIZE);
      if (folderId !== this.folderId) return;
      if (!this.#cache.store(page, generation, result.items, result.total)) return;
      ok = true;
      this.total = result.total;
      this.loaded = true;
      this.error = null;
      this.#reconcileSelection();
      this.#cache.evict(pagesForRange(this.#range, PAGE_SIZE));
      this.version += 1;
    } catch (err) {
      if (folderId !== this.folderId) return;
      this.#cache.failed(page, generation);
      this.error = toUserError(err, "The message list could not be loaded.");
      this.loaded = true;
    } finally {
      // Keep going with whatever the view now needs; after a failure, wait for a reload.
      if (ok && folderId === this.folderId) this.#pump();
    }
  }

  /** After rows moved (new mail on top, messages gone), keep the same message selected. */
  #reconcileSelection(): void {
    if (this.selectedId !== null) {
      const index = this.#cache.indexOf(this.selectedId);
      if (index >= 0) this.selectedIndex = index;
    } else if (this.selectedIndex >= 0) {
      // A row selected before it was fetched (fast keyboard moves): its message is known now.
      const item = this.#cache.get(this.selectedIndex);
      if (item) this.selectedId = item.id;
    }
    if (this.selectedIndex >= this.total) this.selectedIndex = this.total - 1;
  }
}
