import { describe, expect, it } from "vitest";
import type { OutboxMessage } from "./bindings/OutboxMessage";
import { outboxRow, pendingOutbox } from "./outbox";

const NOW = 1_700_000_000_000;
const time = (ms: number) => `T+${(ms - NOW) / 1000}s`;

function m(id: number, change: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id,
    account_id: 7,
    subject: `S${id}`,
    recipients: ["bo@example.org"],
    state: "queued",
    attempts: 0,
    reason: null,
    detail: null,
    send_after: NOW - 1000,
    next_attempt: null,
    created_at: NOW - 10_000 + id,
    ...change,
  };
}

describe("outbox rules", () => {
  it("lists what is not sent yet, oldest first", () => {
    const list = pendingOutbox([m(3), m(1), m(2, { state: "sent" }), m(4, { state: "failed" })]);
    expect(list.map((x) => x.id)).toEqual([1, 3, 4]);
  });

  it("a failed message: its reason in plain words, retry, edit and delete", () => {
    const row = outboxRow(m(1, { state: "failed", attempts: 1, reason: "The server refused a recipient." }), NOW, time);
    expect(row).toMatchObject({ state: "Not sent", reason: "The server refused a recipient.", next: null, canRetry: true, canEdit: true, canDelete: true });
  });

  it("a message waiting after a passing problem: when it is tried again; not editable", () => {
    const row = outboxRow(m(1, { attempts: 2, reason: "The server did not answer.", next_attempt: NOW + 30_000 }), NOW, time);
    expect(row).toMatchObject({ state: "Waiting to try again", reason: "The server did not answer.", next: "Next attempt at T+30s", canEdit: false, canRetry: true });
  });

  it("a message within its undo time can still be edited", () => {
    const row = outboxRow(m(1, { send_after: NOW + 4000 }), NOW, time);
    expect(row).toMatchObject({ state: "Sending soon (undo still possible)", next: "Next attempt at T+4s", canEdit: true });
  });

  it("a message being sent offers nothing", () => {
    const row = outboxRow(m(1, { state: "sending", attempts: 1 }), NOW, time);
    expect(row).toMatchObject({ state: "Sending…", canRetry: false, canEdit: false, canDelete: false, next: null, reason: null });
  });
});
