import { describe, expect, it } from "vitest";
import { PageCache } from "./pageCache";

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i }));

describe("PageCache", () => {
  it("asks for missing pages once and serves rows after", () => {
    const c = new PageCache<{ id: number }>(10, 5);
    expect(c.missing([0, 1])).toEqual([0, 1]);
    const g0 = c.startLoading(0);
    expect(c.missing([0, 1])).toEqual([1]);
    expect(c.inFlight).toBe(1);
    expect(c.store(0, g0, rows(100, 10), 25)).toBe(true);
    expect(c.inFlight).toBe(0);
    expect(c.total).toBe(25);
    expect(c.get(3)).toEqual({ id: 103 });
    expect(c.get(12)).toBeUndefined();
    expect(c.get(-1)).toBeUndefined();
    expect(c.missing([0, 1])).toEqual([1]);
  });

  it("drops answers from before a reset", () => {
    const c = new PageCache<{ id: number }>(10, 5);
    const old = c.startLoading(0);
    c.reset();
    expect(c.store(0, old, rows(0, 10), 10)).toBe(false);
    expect(c.get(0)).toBeUndefined();
    expect(c.missing([0])).toEqual([0]);
  });

  it("keeps stale rows visible after invalidate until fresh ones arrive", () => {
    const c = new PageCache<{ id: number }>(10, 5);
    c.store(0, c.startLoading(0), rows(0, 10), 10);
    c.invalidate();
    expect(c.get(0)).toEqual({ id: 0 });
    expect(c.isFresh(0)).toBe(false);
    expect(c.missing([0])).toEqual([0]);
    c.store(0, c.startLoading(0), rows(50, 10), 11);
    expect(c.get(0)).toEqual({ id: 50 });
  });

  it("does not ask again for a failed page until invalidated", () => {
    const c = new PageCache<{ id: number }>(10, 5);
    const g = c.startLoading(2);
    c.failed(2, g);
    expect(c.inFlight).toBe(0);
    expect(c.missing([2])).toEqual([]);
    c.invalidate();
    expect(c.missing([2])).toEqual([2]);
  });

  it("forgets pages past a shrunken end", () => {
    const c = new PageCache<{ id: number }>(10, 5);
    c.store(0, c.startLoading(0), rows(0, 10), 30);
    c.store(2, c.startLoading(2), rows(20, 10), 30);
    c.store(0, c.startLoading(0), rows(0, 10), 12);
    expect(c.total).toBe(12);
    expect(c.size).toBe(1);
  });

  it("finds rows by id and updates them in place", () => {
    const c = new PageCache<{ id: number; seen?: boolean }>(10, 5);
    c.store(1, c.startLoading(1), rows(10, 10), 20);
    expect(c.indexOf(15)).toBe(15);
    expect(c.indexOf(99)).toBe(-1);
    expect(c.update({ id: 15, seen: true })).toBe(true);
    expect(c.get(15)).toEqual({ id: 15, seen: true });
    expect(c.update({ id: 99 })).toBe(false);
  });

  it("evicts the pages farthest from view", () => {
    const c = new PageCache<{ id: number }>(10, 3);
    for (let p = 0; p < 6; p++) c.store(p, c.startLoading(p), rows(p * 10, 10), 60);
    c.evict([4]);
    expect(c.size).toBe(3);
    expect(c.isFresh(4)).toBe(true);
    expect(c.isFresh(0)).toBe(false);
    expect(c.isFresh(1)).toBe(false);
  });
});
