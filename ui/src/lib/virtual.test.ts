import { describe, expect, it } from "vitest";
import {
  navigate,
  pagesForRange,
  revealScrollTop,
  rowTop,
  rowsPerPage,
  spacerHeight,
  toScroll,
  toVirtual,
  visibleRange,
  type Geometry,
} from "./virtual";

const g = (total: number, maxHeight?: number): Geometry => ({ total, rowHeight: 50, viewportHeight: 500, maxHeight });

describe("visibleRange", () => {
  it("covers the viewport plus the overscan", () => {
    expect(visibleRange(0, g(1000), 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(1000, g(1000), 5)).toEqual({ start: 15, end: 35 });
    expect(visibleRange(1025, g(1000), 0)).toEqual({ start: 20, end: 31 });
  });

  it("stops at the ends of the list", () => {
    expect(visibleRange(0, g(3), 5)).toEqual({ start: 0, end: 3 });
    expect(visibleRange(49_500, g(1000), 5)).toEqual({ start: 985, end: 1000 });
    expect(visibleRange(0, g(0), 5)).toEqual({ start: 0, end: 0 });
  });

  it("draws a bounded number of rows in a huge list", () => {
    const r = visibleRange(2_500_000, g(100_000), 8);
    expect(r.end - r.start).toBeLessThanOrEqual(10 + 1 + 16);
    expect(r.start).toBe(50_000 - 8);
  });
});

describe("scaled scrolling", () => {
  it("is the identity while the list fits", () => {
    expect(spacerHeight(g(1000))).toBe(50_000);
    expect(toVirtual(1234, g(1000))).toBe(1234);
    expect(toScroll(1234, g(1000))).toBe(1234);
    expect(rowTop(10, 200, g(1000))).toBe(500);
  });

  it("caps the spacer and maps both ends onto the ends of the list", () => {
    const big = g(1_000_000, 1_000_000); // 50,000,000 px of rows in a 1,000,000 px spacer
    expect(spacerHeight(big)).toBe(1_000_000);
    expect(toVirtual(0, big)).toBe(0);
    expect(toVirtual(1_000_000 - 500, big)).toBe(50_000_000 - 500);
    const mid = toVirtual(499_750, big);
    expect(mid).toBeCloseTo(24_999_750, 0);
    expect(toScroll(mid, big)).toBeCloseTo(499_750, 6);
  });

  it("places rows so the first visible one is at the top of the viewport", () => {
    const big = g(1_000_000, 1_000_000);
    const scrollTop = 300_000;
    const first = visibleRange(scrollTop, big, 0).start;
    const top = rowTop(first, scrollTop, big);
    expect(top).toBeLessThanOrEqual(scrollTop);
    expect(top).toBeGreaterThan(scrollTop - 50);
  });

  it("shows the last row at the bottom when scrolled to the end", () => {
    const big = g(1_000_000, 1_000_000);
    const end = 1_000_000 - 500;
    const r = visibleRange(end, big, 0);
    expect(r.end).toBe(1_000_000);
    expect(rowTop(999_999, end, big) + 50).toBeCloseTo(end + 500, 6);
  });
});

describe("revealScrollTop", () => {
  it("leaves a visible row alone", () => {
    expect(revealScrollTop(5, 0, g(1000))).toBe(0);
  });

  it("scrolls up to a row above", () => {
    expect(revealScrollTop(3, 1000, g(1000))).toBe(150);
  });

  it("scrolls down just enough for a row below", () => {
    expect(revealScrollTop(10, 0, g(1000))).toBe(50);
    expect(revealScrollTop(999, 0, g(1000))).toBe(49_500);
  });

  it("works in a scaled list", () => {
    const big = g(1_000_000, 1_000_000);
    const s = revealScrollTop(500_000, 0, big);
    const r = visibleRange(s, big, 0);
    expect(r.start).toBeLessThanOrEqual(500_000);
    expect(r.end).toBeGreaterThan(500_000);
  });
});

describe("pagesForRange", () => {
  it("lists the pages a range touches", () => {
    expect(pagesForRange({ start: 0, end: 30 }, 200)).toEqual([0]);
    expect(pagesForRange({ start: 190, end: 210 }, 200)).toEqual([0, 1]);
    expect(pagesForRange({ start: 200, end: 400 }, 200)).toEqual([1]);
    expect(pagesForRange({ start: 5, end: 5 }, 200)).toEqual([]);
  });
});

describe("navigate", () => {
  it("moves by one, by a page, and to the ends", () => {
    expect(navigate("ArrowDown", 4, 100, 10)).toBe(5);
    expect(navigate("ArrowUp", 4, 100, 10)).toBe(3);
    expect(navigate("PageDown", 4, 100, 10)).toBe(14);
    expect(navigate("PageUp", 4, 100, 10)).toBe(0);
    expect(navigate("Home", 50, 100, 10)).toBe(0);
    expect(navigate("End", 50, 100, 10)).toBe(99);
  });

  it("selects the first row when nothing is selected", () => {
    expect(navigate("ArrowDown", -1, 100, 10)).toBe(0);
    expect(navigate("ArrowUp", -1, 100, 10)).toBe(0);
  });

  it("stays inside the list and ignores other keys", () => {
    expect(navigate("ArrowDown", 99, 100, 10)).toBe(99);
    expect(navigate("ArrowUp", 0, 100, 10)).toBe(0);
    expect(navigate("x", 3, 100, 10)).toBeNull();
    expect(navigate("ArrowDown", 0, 0, 10)).toBeNull();
  });

  it("counts whole rows per page", () => {
    expect(rowsPerPage(g(10))).toBe(10);
    expect(rowsPerPage({ total: 1, rowHeight: 50, viewportHeight: 20 })).toBe(1);
  });
});
