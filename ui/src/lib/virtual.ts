/**
 * The arithmetic of the virtualised message list: which rows a scroll position shows, where each
 * row goes, which pages to fetch, and how keys move the selection. Nothing here touches the DOM.
 *
 * Browsers cap an element's height (WebKit and Chromium near 33.5 million px, Firefox lower), so
 * past `maxHeight` the scrollable spacer is shortened and scroll positions are scaled onto the
 * "virtual" content: `virtual` = the offset into the full list, `scroll` = the spacer's scrollTop.
 */

/** Rows drawn above and below the viewport so fast scrolling shows no gaps. */
export const OVERSCAN = 8;

/** A spacer height every engine handles. */
export const MAX_SPACER_HEIGHT = 8_000_000;

export interface Geometry {
  total: number;
  rowHeight: number;
  viewportHeight: number;
  /** Tallest spacer to create; `MAX_SPACER_HEIGHT` unless a test says otherwise. */
  maxHeight?: number;
}

export interface Range {
  /** First row index (inclusive). */
  start: number;
  /** One past the last row index (exclusive). */
  end: number;
}

export function contentHeight(g: Geometry): number {
  return Math.max(0, g.total) * g.rowHeight;
}

/** The height to give the scrolling spacer. */
export function spacerHeight(g: Geometry): number {
  return Math.min(contentHeight(g), g.maxHeight ?? MAX_SPACER_HEIGHT);
}

/** How far a scroll position is into the full list. */
export function toVirtual(scrollTop: number, g: Geometry): number {
  const content = contentHeight(g);
  const spacer = spacerHeight(g);
  if (content <= spacer) return clamp(scrollTop, 0, Math.max(0, content - g.viewportHeight));
  const scrollRange = spacer - g.viewportHeight;
  const virtualRange = content - g.viewportHeight;
  if (scrollRange <= 0) return 0;
  return clamp((scrollTop / scrollRange) * virtualRange, 0, virtualRange);
}

/** The scroll position that shows the list from `virtualTop` on. */
export function toScroll(virtualTop: number, g: Geometry): number {
  const content = contentHeight(g);
  const spacer = spacerHeight(g);
  if (content <= spacer) return clamp(virtualTop, 0, Math.max(0, content - g.viewportHeight));
  const scrollRange = spacer - g.viewportHeight;
  const virtualRange = content - g.viewportHeight;
  if (virtualRange <= 0) return 0;
  return clamp((virtualTop / virtualRange) * scrollRange, 0, Math.max(0, scrollRange));
}

/** The rows to draw for a scroll position, overscan included. */
export function visibleRange(scrollTop: number, g: Geometry, overscan = OVERSCAN): Range {
  if (g.total <= 0 || g.rowHeight <= 0) return { start: 0, end: 0 };
  const top = toVirtual(scrollTop, g);
  const first = Math.floor(top / g.rowHeight);
  const last = Math.ceil((top + Math.max(0, g.viewportHeight)) / g.rowHeight);
  return {
    start: clamp(first - overscan, 0, g.total),
    end: clamp(last + overscan, 0, g.total),
  };
}

/** Where row `index` goes inside the spacer, given the current scroll position. */
export function rowTop(index: number, scrollTop: number, g: Geometry): number {
  return scrollTop + index * g.rowHeight - toVirtual(scrollTop, g);
}

/**
 * The scroll position that brings row `index` fully into view with the least movement, or the
 * current one when it already is.
 */
export function revealScrollTop(index: number, scrollTop: number, g: Geometry): number {
  const top = toVirtual(scrollTop, g);
  const rowStart = index * g.rowHeight;
  const rowEnd = rowStart + g.rowHeight;
  let target = top;
  if (rowStart < top) target = rowStart;
  else if (rowEnd > top + g.viewportHeight) target = rowEnd - g.viewportHeight;
  if (target === top) return scrollTop;
  return toScroll(target, g);
}

/** The page numbers (of `pageSize` rows each) that cover a range. */
export function pagesForRange(range: Range, pageSize: number): number[] {
  if (range.end <= range.start || pageSize <= 0) return [];
  const first = Math.floor(range.start / pageSize);
  const last = Math.floor((range.end - 1) / pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}

/** How many whole rows fit in the viewport (at least one): the step of Page Up / Page Down. */
export function rowsPerPage(g: Geometry): number {
  if (g.rowHeight <= 0) return 1;
  return Math.max(1, Math.floor(g.viewportHeight / g.rowHeight));
}

/**
 * The row a navigation key moves the selection to, or null when the key is not a navigation key
 * or the list is empty. With no selection yet (`current` < 0), moving down selects the first row.
 */
export function navigate(key: string, current: number, total: number, pageRows: number): number | null {
  if (total <= 0) return null;
  const cur = current < 0 ? -1 : Math.min(current, total - 1);
  let next: number;
  switch (key) {
    case "ArrowDown":
    case "j":
      next = cur + 1;
      break;
    case "ArrowUp":
    case "k":
      next = cur < 0 ? 0 : cur - 1;
      break;
    case "PageDown":
      next = cur + Math.max(1, pageRows);
      break;
    case "PageUp":
      next = cur - Math.max(1, pageRows);
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = total - 1;
      break;
    default:
      return null;
  }
  return clamp(next, 0, total - 1);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
