/** The composer's state: the fields, sending, and the failure that keeps the text for a retry. */
import * as api from "./api";
import type { ComposeDraft } from "./bindings/ComposeDraft";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";
import { invalidRecipients, splitRecipients } from "./recipients";

export class ComposerState {
  isOpen = $state(false);
  accountId = $state<number | null>(null);
  to = $state("");
  cc = $state("");
  subject = $state("");
  body = $state("");
  inReplyTo = $state<number | null>(null);
  sending = $state(false);
  error = $state.raw<UserError | null>(null);

  /** Opens an empty message from `accountId`. */
  openNew(accountId: number): void {
    this.#fill({ account_id: accountId, to: "", cc: "", subject: "", body: "", in_reply_to: null });
  }

  /** Opens a message pre-filled by the engine (a reply, or a message taken back from the outbox). */
  openDraft(draft: ComposeDraft | OutgoingMessage): void {
    this.#fill(draft);
  }

  close(): void {
    if (this.sending) return;
    this.isOpen = false;
    this.error = null;
  }

  /** Checks the fields the way a person would notice; null when they look sendable. */
  check(): UserError | null {
    if (this.accountId === null) return invalid("Choose the account to send from.");
    if (splitRecipients(this.to).length === 0) return invalid("Add at least one recipient in To.");
    const bad = [...invalidRecipients(this.to), ...invalidRecipients(this.cc)];
    if (bad.length > 0) return invalid(`This does not look like an e-mail address: ${bad.join(", ")}`);
    return null;
  }

  /** The fields as the engine takes them. */
  message(accountId: number): OutgoingMessage {
    return {
      account_id: accountId,
      to: this.to.trim(),
      cc: this.cc.trim(),
      subject: this.subject,
      body: this.body,
      in_reply_to: this.inReplyTo,
    };
  }

  /**
   * Sends the message: the engine stores it in the outbox (sent after the undo delay) and the
   * composer closes. Resolves to the outbox id, for undo; on failure (null) the composer stays open
   * with its text and shows the reason.
   */
  async send(): Promise<number | null> {
    if (this.sending) return null;
    const problem = this.check();
    if (problem || this.accountId === null) {
      this.error = problem;
      return null;
    }
    this.sending = true;
    this.error = null;
    try {
      const outboxId = await api.sendMessage(this.message(this.accountId));
      this.sending = false;
      this.close();
      return outboxId;
    } catch (err) {
      this.error = toUserError(err, "The message could not be sent.");
      return null;
    } finally {
      this.sending = false;
    }
  }

  #fill(draft: ComposeDraft | OutgoingMessage): void {
    this.accountId = draft.account_id;
    this.to = draft.to;
    this.cc = draft.cc;
    this.subject = draft.subject;
    this.body = draft.body;
    this.inReplyTo = draft.in_reply_to;
    this.error = null;
    this.sending = false;
    this.isOpen = true;
  }
}

function invalid(summary: string): UserError {
  return { kind: "invalid_input", summary, detail: "", certificate: null, help_url: null };
}
