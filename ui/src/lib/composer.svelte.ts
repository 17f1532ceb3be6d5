/**
 * The composer's state: the fields, sending, the failure that keeps the text for a retry, and the
 * draft: saved (`saveDraft`, keeping the returned id for the next save) `AUTOSAVE_MS` after the
 * user stops typing and when the composer is closed without sending; discarded after Send or by
 * "Discard".
 */
import * as api from "./api";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";
import { emptyMessage } from "./outgoing";
import { invalidRecipients, splitRecipients } from "./recipients";

/** How long after the last keystroke the draft is saved. */
export const AUTOSAVE_MS = 2000;

export type DraftState = "none" | "unsaved" | "saving" | "saved" | "failed";

export class ComposerState {
  isOpen = $state(false);
  accountId = $state<number | null>(null);
  identityId = $state<number | null>(null);
  to = $state("");
  cc = $state("");
  bcc = $state("");
  subject = $state("");
  body = $state("");
  html = $state<string | null>(null);
  attachments = $state<ComposeAttachment[]>([]);
  inReplyTo = $state<number | null>(null);
  forwarded = $state<number | null>(null);
  sending = $state(false);
  error = $state.raw<UserError | null>(null);
  /** The engine's draft id once saved. */
  draftId = $state<number | null>(null);
  draft = $state<DraftState>("none");
  /** The message in the Drafts folder this one was reopened from: it goes once replaced. */
  replaces = $state<number | null>(null);

  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The save under way, so that saves never overlap (each needs the id the previous one gave). */
  #saving: Promise<void> | null = null;
  #changedWhileSaving = false;

  /** Opens an empty message from `accountId`. */
  openNew(accountId: number): void {
    this.#fill(emptyMessage(accountId));
  }

  /** Opens a message pre-filled by the engine (a reply, or a message taken back from the outbox). */
  openDraft(draft: OutgoingMessage): void {
    this.#fill(draft);
  }

  /** The user typed: the draft is saved once they pause. */
  edited(): void {
    if (!this.isOpen || this.sending) return;
    if (this.#saving) this.#changedWhileSaving = true;
    this.draft = "unsaved";
    this.#cancelTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.saveDraft();
    }, AUTOSAVE_MS);
  }

  /**
   * Saves the draft now (a new version of the same draft after the first save). A failed autosave
   * (say, an address half typed) only shows "Draft not saved"; `explain` (on Close) shows why.
   */
  async saveDraft(explain = false): Promise<void> {
    this.#cancelTimer();
    if (this.#saving) {
      await this.#saving;
      if (this.draft !== "unsaved" && this.draft !== "failed") return;
    }
    const accountId = this.accountId;
    if (accountId === null) return;
    this.#changedWhileSaving = false;
    this.draft = "saving";
    const run = (async () => {
      try {
        this.draftId = await api.saveDraft(this.draftId, this.message(accountId));
        this.draft = this.#changedWhileSaving ? "unsaved" : "saved";
        this.#dropReplaced();
      } catch (err) {
        this.draft = "failed";
        if (explain) this.error = toUserError(err, "The draft could not be saved.");
      }
    })();
    this.#saving = run;
    await run;
    this.#saving = null;
  }

  /**
   * Closing without sending keeps the draft (saved now if anything changed since the last save),
   * as users expect; "Discard" throws it away.
   */
  async close(): Promise<void> {
    if (this.sending) return;
    if (this.draft === "unsaved" || this.draft === "failed" || this.#timer !== null) await this.saveDraft(true);
    if (this.draft === "failed") return;
    this.#reset();
  }

  /** Throws the message away, with its saved draft. */
  async discard(): Promise<void> {
    if (this.sending) return;
    this.#cancelTimer();
    if (this.#saving) await this.#saving;
    const id = this.draftId;
    // A draft reopened from the Drafts folder: its copy there goes too.
    this.#dropReplaced();
    this.#reset();
    if (id !== null) await api.discardDraft(id).catch(() => {});
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
      identity_id: this.identityId,
      to: this.to.trim(),
      cc: this.cc.trim(),
      bcc: this.bcc.trim(),
      subject: this.subject,
      body: this.body,
      html: this.html,
      attachments: [...this.attachments],
      in_reply_to: this.inReplyTo,
      forwarded: this.forwarded,
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
      this.#cancelTimer();
      if (this.#saving) await this.#saving;
      const outboxId = await api.sendMessage(this.message(this.accountId));
      const draftId = this.draftId;
      this.#dropReplaced();
      this.#reset();
      // Sent: the draft has done its job (a failure here leaves a stale draft, nothing lost).
      if (draftId !== null) void api.discardDraft(draftId).catch(() => {});
      return outboxId;
    } catch (err) {
      this.error = toUserError(err, "The message could not be sent.");
      return null;
    } finally {
      this.sending = false;
    }
  }

  /** Reopens a message saved in the Drafts folder (`messageId`): it is replaced at the first save. */
  openSaved(draft: OutgoingMessage, messageId: number): void {
    this.#fill(draft);
    this.replaces = messageId;
  }

  /** Opens a message taken back from the outbox: not saved anywhere, so closing keeps a draft. */
  openTakenBack(message: OutgoingMessage): void {
    this.#fill(message);
    this.draft = "unsaved";
  }

  #dropReplaced(): void {
    const old = this.replaces;
    if (old === null) return;
    this.replaces = null;
    // The old copy is superseded by the engine's own draft (or the sent message).
    void api.deleteMessages([old]).catch(() => {});
  }

  #cancelTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #reset(): void {
    this.#cancelTimer();
    this.isOpen = false;
    this.error = null;
    this.draftId = null;
    this.draft = "none";
    this.replaces = null;
  }

  #fill(draft: OutgoingMessage): void {
    this.#reset();
    this.accountId = draft.account_id;
    this.identityId = draft.identity_id;
    this.to = draft.to;
    this.cc = draft.cc;
    this.bcc = draft.bcc;
    this.subject = draft.subject;
    this.body = draft.body;
    this.html = draft.html;
    this.attachments = [...draft.attachments];
    this.inReplyTo = draft.in_reply_to;
    this.forwarded = draft.forwarded;
    this.error = null;
    this.sending = false;
    this.isOpen = true;
  }
}

function invalid(summary: string): UserError {
  return { kind: "invalid_input", summary, detail: "", certificate: null, help_url: null };
}
