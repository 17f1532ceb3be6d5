import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { coalesce } from "./throttle";

describe("coalesce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs at once, then at most once per interval, and once after the last trigger", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 100);
    c.trigger();
    expect(fn).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 10; i++) c.trigger();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(2);
    c.trigger();
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("cancel drops a pending run", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 100);
    c.trigger();
    c.trigger();
    c.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
