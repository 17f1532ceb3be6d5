import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MessagePage } from "./bindings/MessagePage";
import type { MessageSummary } from "./bindings/MessageSummary";

// The list talks to the shell only through api.ts; replace it with a fake folder.
const listMessages = vi.fn<(folderId: number, offset: number, limit: number) => Promise<MessagePage>>();
vi.mock("./api", () => ({ listMessages: (f: number, o: number, l: number) => listMessages(f, o, l) }));

const { MessageListState, PAGE_SIZE } = await import("./messageList.svelte");

function summary(id: number, folderId = 1): MessageSummary {
  return {
    id,
    folder_id: folderId,
    subject: `Message ${id}`,
    from: { name: null, email: "a@example.org" },
    date: 1_700_000_000 - id,
    snippet: "",
    seen: false,
    flagged: false,
    answered: false,
    has_attachments: false,
  };
}

/** A folder of `total` messages whose ids are their positions plus `shift`. */
function folder(total: number, shift = 0) {
  return async (_f: number, offset: number, limit: number): Promise<MessagePage> => {
    const items: MessageSummary[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) items.push(summary(i + shift));
    return { total, offset, items };
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("MessageListState", () => {
  beforeEach(() => listMessages.mockReset());
  afterEach(() => vi.useRealTimers());

  it("fetches the first page when a folder opens", async () => {
    listMessages.mockImplementation(folder(100_000));
    const list = new MessageListState();
    list.open(1);
    await settle();
    expect(listMessages).toHaveBeenCalledWith(1, 0, PAGE_SIZE);
    expect(list.loaded).toBe(true);
    expect(list.total).toBe(100_000);
    expect(list.itemAt(0)?.id).toBe(0);
    expect(list.itemAt(PAGE_SIZE)).toBeUndefined();
  });

  it("fetches only the pages in view, once each", async () => {
    listMessages.mockImplementation(folder(100_000));
    const list = new MessageListState();
    list.open(1);
    await settle();
    listMessages.mockClear();
    // The user dragged far down: the range spans pages 250 and 251.
    list.setRange({ start: 50_190, end: 50_230 });
    list.setRange({ start: 50_190, end: 50_230 });
    expect(listMessages.mock.calls.map((c) => c[1])).toEqual([50_000, 50_200]);
    await settle();
    expect(list.itemAt(50_229)?.id).toBe(50_229);
  });

  it("keeps the selected message selected when new mail pushes it down", async () => {
    listMessages.mockImplementation(folder(1000));
    const list = new MessageListState();
    list.open(1);
    list.setRange({ start: 0, end: 30 });
    await settle();
    list.select(5);
    expect(list.selectedId).toBe(5);
    // Three messages arrived on top: ids shift down by three positions.
    listMessages.mockImplementation(async (_f, offset, limit) => {
      const items: MessageSummary[] = [];
      for (let i = offset; i < Math.min(1003, offset + limit); i++) items.push(summary(i < 3 ? 10_000 + i : i - 3));
      return { total: 1003, offset, items };
    });
    list.reload();
    await settle();
    expect(list.total).toBe(1003);
    expect(list.selectedId).toBe(5);
    expect(list.selectedIndex).toBe(8);
  });

  it("selects a row before its page arrives and learns its id after", async () => {
    listMessages.mockImplementation(folder(1000));
    const list = new MessageListState();
    list.open(1);
    await settle();
    list.select(450);
    expect(list.selectedIndex).toBe(450);
    expect(list.selectedId).toBeNull();
    list.setRange({ start: 440, end: 470 });
    await settle();
    expect(list.selectedId).toBe(450);
  });

  it("ignores answers for a folder no longer shown", async () => {
    let release: (p: MessagePage) => void = () => {};
    listMessages.mockImplementationOnce(() => new Promise((r) => (release = r)));
    listMessages.mockImplementation(folder(3));
    const list = new MessageListState();
    list.open(1);
    list.open(2);
    await settle();
    release({ total: 500, offset: 0, items: [summary(999)] });
    await settle();
    expect(list.folderId).toBe(2);
    expect(list.total).toBe(3);
    expect(list.itemAt(0)?.id).toBe(0);
  });

  it("reports a failure once and retries on reload", async () => {
    listMessages.mockRejectedValue({ kind: "storage", summary: "The mail store could not be read.", detail: "disk I/O error" });
    const list = new MessageListState();
    list.open(1);
    await settle();
    await settle();
    expect(listMessages).toHaveBeenCalledTimes(1);
    expect(list.error?.summary).toBe("The mail store could not be read.");
    listMessages.mockImplementation(folder(2));
    list.reload();
    await settle();
    expect(list.error).toBeNull();
    expect(list.total).toBe(2);
  });

  it("updates a row the reader has loaded", async () => {
    listMessages.mockImplementation(folder(10));
    const list = new MessageListState();
    list.open(1);
    await settle();
    list.updateItem({ ...summary(4), seen: true });
    expect(list.itemAt(4)?.seen).toBe(true);
    list.updateItem({ ...summary(4, 2), seen: false });
    expect(list.itemAt(4)?.seen).toBe(true);
  });
});

describe("MessageListState.selectAfterRemoval", () => {
  beforeEach(() => listMessages.mockReset());

  it("selects the next message, which keeps its selection once the list reloads without the removed one", async () => {
    listMessages.mockImplementation(folder(5));
    const list = new MessageListState();
    list.open(1);
    await settle();
    list.select(2);
    list.selectAfterRemoval(2);
    expect(list.selectedId).toBe(3);
    // The folder now lacks message 2.
    listMessages.mockImplementation(async (_f, offset) => ({ total: 4, offset, items: [0, 1, 3, 4].map((i) => summary(i)) }));
    vi.useFakeTimers();
    list.reload();
    vi.advanceTimersByTime(1000);
    vi.useRealTimers();
    await settle();
    expect(list.selectedId).toBe(3);
    expect(list.selectedIndex).toBe(2);
  });

  it("selects the previous message when the last one is removed, and nothing when none is left", async () => {
    listMessages.mockImplementation(folder(2));
    const list = new MessageListState();
    list.open(1);
    await settle();
    list.selectAfterRemoval(1);
    expect(list.selectedId).toBe(0);
    expect(list.selectedIndex).toBe(0);

    listMessages.mockImplementation(folder(1));
    const single = new MessageListState();
    single.open(1);
    await settle();
    single.select(0);
    single.selectAfterRemoval(0);
    expect(single.selectedId).toBeNull();
    expect(single.selectedIndex).toBe(-1);
  });

  it("finds a fetched message's row", async () => {
    listMessages.mockImplementation(folder(5));
    const list = new MessageListState();
    list.open(1);
    await settle();
    expect(list.indexOf(3)).toBe(3);
    expect(list.indexOf(99)).toBe(-1);
  });
});
