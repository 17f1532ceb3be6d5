/**
 * What the outbox view shows of a message and which actions it offers. The engine's rules
 * (crates/engine/src/store/outbox.rs): a message being sent cannot be touched; it can be taken
 * back (Edit) before its first attempt or after the server refused it; retried or deleted while
 * queued or failed. "sent" rows only wait for their Sent copy and are not the user's concern.
 */
import type { OutboxMessage } from "./bindings/OutboxMessage";

export interface OutboxRow {
  message: OutboxMessage;
  /** "Waiting to send", "Sending…", "Not sent", … */
  state: string;
  /** Why it failed (failed) or why it waits (queued after a passing problem), in plain words. */
  reason: string | null;
  /** When the next attempt is due, for a waiting message ("Next attempt at 10:42"). */
  next: string | null;
  canRetry: boolean;
  canEdit: boolean;
  canDelete: boolean;
}

/** The messages the user still has to care about, oldest first (the order they were sent in). */
export function pendingOutbox(messages: readonly OutboxMessage[]): OutboxMessage[] {
  return messages.filter((m) => m.state !== "sent").sort((a, b) => a.created_at - b.created_at || a.id - b.id);
}

export function outboxRow(m: OutboxMessage, now: number, time: (ms: number) => string = clock): OutboxRow {
  const queued = m.state === "queued";
  const failed = m.state === "failed";
  let state: string;
  if (failed) state = "Not sent";
  else if (m.state === "sending") state = "Sending…";
  else if (queued && m.attempts === 0 && m.send_after > now) state = "Sending soon (undo still possible)";
  else if (queued && m.attempts > 0) state = "Waiting to try again";
  else state = "Waiting to send";
  const due = queued ? (m.next_attempt ?? (m.attempts === 0 ? m.send_after : null)) : null;
  return {
    message: m,
    state,
    reason: failed ? (m.reason ?? "The server refused the message.") : queued ? m.reason : null,
    next: due !== null && due > now ? `Next attempt at ${time(due)}` : null,
    canRetry: queued || failed,
    canEdit: failed || (queued && m.attempts === 0),
    canDelete: queued || failed,
  };
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" });
}
