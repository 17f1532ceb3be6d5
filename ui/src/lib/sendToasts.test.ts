import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutboxMessage } from "./bindings/OutboxMessage";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import { NOTE_MS, SendToasts, TOO_LATE_TEXT, shownSubject } from "./sendToasts.svelte";
import { emptyMessage } from "./outgoing";

const NOW = 1_700_000_000_000;

function entry(id: number, change: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id,
    account_id: 7,
    subject: "Hello",
    recipients: ["bo@example.org"],
    state: "queued",
    attempts: 0,
    reason: null,
    detail: null,
    send_after: NOW + 5000,
    next_attempt: null,
    created_at: NOW,
    ...change,
  };
}

const taken: OutgoingMessage = { ...emptyMessage(7), to: "bo@example.org", cc: "", subject: "Hello", body: "Hi Bo" };

function setUp(outbox: OutboxMessage[] = [entry(3)]) {
  const deps = {
    unsend: vi.fn(async (_id: number) => taken),
    retry: vi.fn(async (_id: number) => null),
    listOutbox: vi.fn(async (_a: number) => outbox),
    reopen: vi.fn(),
    now: () => NOW,
  };
  return { deps, toasts: new SendToasts(deps) };
}

describe("SendToasts", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("shows 'Sending …' until the engine's undo time is over", async () => {
    const { toasts } = setUp([entry(3, { send_after: NOW + 5000 })]);
    await toasts.sending(7, 3, "Hello");
    expect(toasts.items.map((t) => [t.kind, t.text])).toEqual([["sending", "Sending “Hello”…"]]);
    vi.advanceTimersByTime(4999);
    expect(toasts.items).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(toasts.items).toHaveLength(0);
  });

  it("takes the delay from the outbox entry, not a constant", async () => {
    const { toasts } = setUp([entry(3, { send_after: NOW + 12_000 })]);
    await toasts.sending(7, 3, "Hello");
    vi.advanceTimersByTime(11_000);
    expect(toasts.items).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(toasts.items).toHaveLength(0);
  });

  it("undo reopens the composer with the fields the engine gave back", async () => {
    const { toasts, deps } = setUp();
    await toasts.sending(7, 3, "Hello");
    await toasts.undo(toasts.items[0]!.id);
    expect(deps.unsend).toHaveBeenCalledWith(3);
    expect(deps.reopen).toHaveBeenCalledWith(taken);
    expect(toasts.items).toHaveLength(0);
    vi.advanceTimersByTime(10_000);
    expect(deps.reopen).toHaveBeenCalledTimes(1);
  });

  it("says it is too late when the engine answers too_late, then goes", async () => {
    const { toasts, deps } = setUp();
    deps.unsend.mockRejectedValueOnce({ kind: "too_late", summary: "Too late", detail: "", certificate: null, help_url: null });
    await toasts.sending(7, 3, "Hello");
    await toasts.undo(toasts.items[0]!.id);
    expect(deps.reopen).not.toHaveBeenCalled();
    expect(toasts.items.map((t) => [t.kind, t.text])).toEqual([["too-late", TOO_LATE_TEXT]]);
    vi.advanceTimersByTime(NOTE_MS);
    expect(toasts.items).toHaveLength(0);
  });

  it("announces a refused message once, with its reason, and retries it", async () => {
    const outbox = [entry(3), entry(4, { state: "failed", reason: "The server refused a recipient." })];
    const { toasts, deps } = setUp(outbox);
    await toasts.outboxChanged(7);
    await toasts.outboxChanged(7);
    expect(toasts.items.map((t) => [t.kind, t.text, t.outboxId])).toEqual([["failed", "Not sent: The server refused a recipient.", 4]]);
    await toasts.retry(toasts.items[0]!.id);
    expect(deps.retry).toHaveBeenCalledWith(4);
    expect(toasts.items).toHaveLength(0);
  });

  it("turns the 'Sending …' toast into 'Not sent' when that message is refused", async () => {
    const outbox = [entry(3)];
    const { toasts } = setUp(outbox);
    await toasts.sending(7, 3, "Hello");
    outbox[0] = entry(3, { state: "failed", reason: "Rejected." });
    await toasts.outboxChanged(7);
    expect(toasts.items.map((t) => [t.kind, t.text])).toEqual([["failed", "Not sent: Rejected."]]);
    vi.advanceTimersByTime(60_000);
    expect(toasts.items).toHaveLength(1);
  });

  it("shortens long subjects and names an empty one", () => {
    expect(shownSubject("  ")).toBe("(no subject)");
    expect(shownSubject("x".repeat(80))).toHaveLength(60);
  });
});
