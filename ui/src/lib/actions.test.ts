import { describe, expect, it } from "vitest";
import { indexAfterRemoval, nextAfterRemoval, shortcutFor } from "./actions";

describe("nextAfterRemoval", () => {
  it("selects the next message", () => {
    expect(nextAfterRemoval(0, 5)).toBe(1);
    expect(nextAfterRemoval(2, 5)).toBe(3);
  });
  it("selects the previous message when the last one goes", () => {
    expect(nextAfterRemoval(4, 5)).toBe(3);
    expect(nextAfterRemoval(1, 2)).toBe(0);
  });
  it("selects nothing when the list becomes empty", () => {
    expect(nextAfterRemoval(0, 1)).toBe(-1);
  });
  it("selects nothing for a row that is not in the list", () => {
    expect(nextAfterRemoval(-1, 5)).toBe(-1);
    expect(nextAfterRemoval(5, 5)).toBe(-1);
    expect(nextAfterRemoval(0, 0)).toBe(-1);
  });
});

describe("indexAfterRemoval", () => {
  it("moves rows below the removed one up by one", () => {
    expect(indexAfterRemoval(3, 2)).toBe(2);
  });
  it("keeps rows above it where they are", () => {
    expect(indexAfterRemoval(1, 2)).toBe(1);
  });
});

describe("shortcutFor", () => {
  it("maps the message shortcuts in either case", () => {
    expect(shortcutFor("Delete")).toBe("delete");
    expect(shortcutFor("Backspace")).toBe("delete");
    expect(shortcutFor("a")).toBe("archive");
    expect(shortcutFor("A")).toBe("archive");
    expect(shortcutFor("u")).toBe("toggleRead");
    expect(shortcutFor("U")).toBe("toggleRead");
    for (const k of ["s", "S"]) expect(shortcutFor(k)).toBe("toggleFlag");
    for (const k of ["f", "F"]) expect(shortcutFor(k)).toBe("forward");
  });
  it("keeps N and R", () => {
    expect(shortcutFor("n")).toBe("new");
    expect(shortcutFor("R")).toBe("reply");
    expect(shortcutFor("R", true)).toBe("replyAll");
  });
  it("leaves list navigation and other keys alone", () => {
    for (const k of ["j", "k", "ArrowDown", "Enter", "Escape", " ", "x", "1"]) expect(shortcutFor(k)).toBeNull();
  });
});
