import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import { emptyMessage } from "./outgoing";

const api = {
  saveDraft: vi.fn(async (_id: number | null, _m: OutgoingMessage) => 31),
  discardDraft: vi.fn(async (_id: number) => null),
  sendMessage: vi.fn(async (_m: OutgoingMessage) => 42),
  deleteMessages: vi.fn(async (_ids: number[]) => null),
};
vi.mock("./api", () => api);

const { AUTOSAVE_MS, ComposerState } = await import("./composer.svelte");

function typing(c: InstanceType<typeof ComposerState>, body: string): void {
  c.body = body;
  c.edited();
}

describe("draft autosave", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("saves a few seconds after the typing stops, then again under the same draft id", async () => {
    const c = new ComposerState();
    c.openNew(7);
    typing(c, "H");
    vi.advanceTimersByTime(AUTOSAVE_MS - 1);
    typing(c, "Hello");
    vi.advanceTimersByTime(AUTOSAVE_MS - 1);
    expect(api.saveDraft).not.toHaveBeenCalled();
    expect(c.draft).toBe("unsaved");
    await vi.advanceTimersByTimeAsync(1);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    expect(api.saveDraft).toHaveBeenLastCalledWith(null, expect.objectContaining({ account_id: 7, body: "Hello" }));
    expect(c.draftId).toBe(31);
    expect(c.draft).toBe("saved");
    typing(c, "Hello again");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(api.saveDraft).toHaveBeenLastCalledWith(31, expect.objectContaining({ body: "Hello again" }));
  });

  it("closing keeps the draft: saved at once if changed, nothing saved when untouched", async () => {
    const c = new ComposerState();
    c.openNew(7);
    await c.close();
    expect(api.saveDraft).not.toHaveBeenCalled();
    c.openNew(7);
    typing(c, "Unfinished");
    await c.close();
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    expect(c.isOpen).toBe(false);
    expect(api.discardDraft).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
  });

  it("Discard throws the saved draft away", async () => {
    const c = new ComposerState();
    c.openNew(7);
    typing(c, "No");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    await c.discard();
    expect(api.discardDraft).toHaveBeenCalledWith(31);
    expect(c.isOpen).toBe(false);
  });

  it("after Send the draft is discarded and no save follows", async () => {
    const c = new ComposerState();
    c.openNew(7);
    c.to = "bo@example.org";
    typing(c, "Sent text");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    typing(c, "Sent text, final");
    expect(await c.send()).toBe(42);
    expect(api.discardDraft).toHaveBeenCalledWith(31);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
  });

  it("a draft reopened from the Drafts folder replaces its old copy at the first save", async () => {
    const c = new ComposerState();
    c.openSaved({ ...emptyMessage(7), to: "bo@example.org", cc: "", subject: "Plan", body: "Draft" }, 99);
    expect(c.body).toBe("Draft");
    typing(c, "Draft, more");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(api.deleteMessages).toHaveBeenCalledWith([99]);
    typing(c, "Draft, more still");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(api.deleteMessages).toHaveBeenCalledTimes(1);
  });

  it("Discard of a draft reopened from the Drafts folder deletes its copy there", async () => {
    const c = new ComposerState();
    c.openSaved({ ...emptyMessage(7), to: "", cc: "", subject: "Plan", body: "Draft" }, 99);
    await c.discard();
    expect(api.deleteMessages).toHaveBeenCalledWith([99]);
    expect(api.discardDraft).not.toHaveBeenCalled();
  });

  it("a failed autosave only says so; on Close the reason shows and the composer stays open", async () => {
    const refusal = { kind: "invalid_input", summary: "This does not look like an e-mail address: bo@", detail: "", certificate: null, help_url: null };
    api.saveDraft.mockRejectedValueOnce(refusal).mockRejectedValueOnce(refusal);
    const c = new ComposerState();
    c.openNew(7);
    c.to = "bo@";
    c.edited();
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(c.draft).toBe("failed");
    expect(c.error).toBeNull();
    await c.close();
    expect(c.isOpen).toBe(true);
    expect(c.error?.summary).toBe(refusal.summary);
  });

  it("a message taken back from the outbox is kept as a draft when closed", async () => {
    const c = new ComposerState();
    c.openTakenBack({ ...emptyMessage(7), to: "bo@example.org", cc: "", subject: "Back", body: "Text" });
    await c.close();
    expect(api.saveDraft).toHaveBeenCalledWith(null, expect.objectContaining({ subject: "Back" }));
  });
});
