/** The composer's state: the fields, sending, and the failure that keeps the text for a retry. */
import * as api from "./api";
import type { ComposeDraft } from "./bindings/ComposeDraft";
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

  /** Opens a message pre-filled by the engine (a reply). */
  openDraft(draft: ComposeDraft): void {
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

  /**
   * Sends the message. On success the composer closes and true is returned; on failure it stays
   * open with its text and shows the reason.
   */
  async send(): Promise<boolean> {
    if (this.sending) return false;
    const problem = this.check();
    if (problem || this.accountId === null) {
      this.error = problem;
      return false;
    }
    this.sending = true;
    this.error = null;
    try {
      await api.sendMessage({
        account_id: this.accountId,
        to: this.to.trim(),
        cc: this.cc.trim(),
        subject: this.subject,
        body: this.body,
        in_reply_to: this.inReplyTo,
      });
      this.sending = false;
      this.close();
      return true;
    } catch (err) {
      this.error = toUserError(err, "The message could not be sent.");
      return false;
    } finally {
      this.sending = false;
    }
  }

  #fill(draft: ComposeDraft): void {
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
