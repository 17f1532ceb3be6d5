/**
 * Undo send: the toasts shown after Send. "Sending “<subject>”… Undo" stays for the undo delay —
 * until the outbox entry's `send_after`, so the delay is the engine's (`DEFAULT_UNDO_DELAY` in
 * crates/engine/src/sync/outbox.rs) and not repeated here. Undo takes the message back into the
 * composer; once the engine says `too_late` the toast says so. A message the server refused later
 * arrives through `OutboxChanged`: "Not sent: <reason>", with Retry and Edit.
 */
import type { OutboxMessage } from "./bindings/OutboxMessage";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";

export type ToastKind = "sending" | "undoing" | "too-late" | "failed" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  accountId: number;
  outboxId: number;
}

export interface SendToastDeps {
  unsend: (outboxId: number) => Promise<OutgoingMessage>;
  retry: (outboxId: number) => Promise<unknown>;
  listOutbox: (accountId: number) => Promise<OutboxMessage[]>;
  /** Opens the composer with a message taken back. */
  reopen: (message: OutgoingMessage) => void;
  now?: () => number;
}

/** How long "Too late to undo" and other after-the-fact notes stay. */
export const NOTE_MS = 6000;

export const TOO_LATE_TEXT = "Too late to undo: the message is on its way.";

/** The subject as a person recognises it in a toast. */
export function shownSubject(subject: string): string {
  const s = subject.trim();
  return s === "" ? "(no subject)" : s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

export class SendToasts {
  items = $state.raw<Toast[]>([]);

  #deps: SendToastDeps;
  #seq = 0;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Failed outbox messages already announced, so that each refusal is said once. */
  #announced = new Set<number>();

  constructor(deps: SendToastDeps) {
    this.#deps = deps;
  }

  /**
   * Shows "Sending …" for the message just put in the outbox, until its undo time is over
   * (`sendAfter`, ms since the epoch, read from the outbox).
   */
  async sending(accountId: number, outboxId: number, subject: string): Promise<void> {
    const id = this.#add({ kind: "sending", text: `Sending “${shownSubject(subject)}”…`, accountId, outboxId });
    let sendAfter: number | null = null;
    try {
      const entry = (await this.#deps.listOutbox(accountId)).find((m) => m.id === outboxId);
      sendAfter = entry?.send_after ?? null;
    } catch {
      // Without the entry the toast cannot know the delay: it goes when the message is sent.
    }
    const toast = this.items.find((t) => t.id === id);
    if (!toast || toast.kind !== "sending") return;
    const now = (this.#deps.now ?? Date.now)();
    this.#expire(id, sendAfter === null ? 0 : Math.max(0, sendAfter - now));
  }

  /** Undo: the message comes back into the composer, or the toast says it is too late. */
  async undo(toastId: number): Promise<void> {
    const toast = this.items.find((t) => t.id === toastId);
    if (!toast || (toast.kind !== "sending" && toast.kind !== "failed")) return;
    this.#clearTimer(toastId);
    this.#replace(toastId, { kind: "undoing", text: "Taking the message back…" });
    try {
      const message = await this.#deps.unsend(toast.outboxId);
      this.dismiss(toastId);
      this.#deps.reopen(message);
    } catch (err) {
      const e: UserError = toUserError(err, "The message could not be taken back.");
      if (e.kind === "too_late") this.#replace(toastId, { kind: "too-late", text: TOO_LATE_TEXT });
      else this.#replace(toastId, { kind: "error", text: e.summary });
      this.#expire(toastId, NOTE_MS);
    }
  }

  /** Retry now, for a refused message. */
  async retry(toastId: number): Promise<void> {
    const toast = this.items.find((t) => t.id === toastId);
    if (!toast || toast.kind !== "failed") return;
    try {
      await this.#deps.retry(toast.outboxId);
      this.#announced.delete(toast.outboxId);
      this.dismiss(toastId);
    } catch (err) {
      this.#replace(toastId, { kind: "error", text: toUserError(err, "The message could not be sent again.").summary });
      this.#expire(toastId, NOTE_MS);
    }
  }

  /**
   * The account's outbox changed: a message the server refused gets "Not sent: <reason>" (once);
   * the "Sending …" toast of a message no longer waiting goes.
   */
  async outboxChanged(accountId: number): Promise<void> {
    let outbox: OutboxMessage[];
    try {
      outbox = await this.#deps.listOutbox(accountId);
    } catch {
      return;
    }
    for (const m of outbox) {
      if (m.state !== "failed" || this.#announced.has(m.id)) continue;
      this.#announced.add(m.id);
      const text = `Not sent: ${m.reason ?? "the server refused the message."}`;
      const existing = this.items.find((t) => t.outboxId === m.id && t.accountId === accountId);
      if (existing) {
        this.#clearTimer(existing.id);
        this.#replace(existing.id, { kind: "failed", text });
      } else {
        this.#add({ kind: "failed", text, accountId, outboxId: m.id });
      }
    }
    // A message retried, edited or deleted may be refused again later: say it again then.
    const failed = new Set(outbox.filter((m) => m.state === "failed").map((m) => m.id));
    for (const id of [...this.#announced]) if (!failed.has(id)) this.#announced.delete(id);
  }

  dismiss(toastId: number): void {
    this.#clearTimer(toastId);
    this.items = this.items.filter((t) => t.id !== toastId);
  }

  dispose(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #add(t: Omit<Toast, "id">): number {
    const id = ++this.#seq;
    this.items = [...this.items, { id, ...t }];
    return id;
  }

  #replace(id: number, change: Partial<Toast>): void {
    this.items = this.items.map((t) => (t.id === id ? { ...t, ...change } : t));
  }

  #expire(id: number, ms: number): void {
    this.#clearTimer(id);
    this.#timers.set(
      id,
      setTimeout(() => {
        this.#timers.delete(id);
        this.items = this.items.filter((t) => t.id !== id);
      }, ms),
    );
  }

  #clearTimer(id: number): void {
    const t = this.#timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(id);
  }
}
