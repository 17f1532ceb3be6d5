/**
 * The composer's state: the fields, sending, the failure that keeps the text for a retry, and the
 * draft: saved (`saveDraft`, keeping the returned id for the next save) `AUTOSAVE_MS` after the
 * user stops typing and when the composer is closed without sending; discarded after Send or by
 * "Discard". Also the identity sent as (its signature inserted and replaced here), rich or plain
 * text, staged attachments and the outgoing server's size limit.
 */
import * as api from "./api";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { Identity } from "./bindings/Identity";
import type { OpenedDraft } from "./bindings/OpenedDraft";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import type { UserError } from "./bindings/UserError";
import {
  estimateMessageSize,
  identityFor,
  keepUsedInline,
  plainToHtml,
  replaceHtmlSignature,
  replacePlainSignature,
  sizeWarning,
  withHtmlSignature,
  withPlainSignature,
} from "./compose";
import { toUserError } from "./errors";
import { emptyMessage } from "./outgoing";
import { invalidRecipients, normalizeRecipients, splitRecipients } from "./recipients";

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
  /** Every identity of every account (the From menu), loaded by `loadIdentities`. */
  identities = $state.raw<Identity[]>([]);
  /** Rich text (`html` is the body, `body` its plain text) or plain text only. */
  rich = $state(false);
  /** Bumped whenever `html` is set from outside the editor: the editor reloads it. */
  htmlRevision = $state(0);
  /** `data:` URLs of the inline images, by content id, for the editor. */
  inlineUrls = $state.raw<ReadonlyMap<string, string>>(new Map());
  /** Files being staged. */
  attaching = $state(0);
  /** The outgoing server's size limit (SMTP SIZE) for the account sent from; null when unknown. */
  sizeLimit = $state<number | null>(null);

  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The save under way, so that saves never overlap (each needs the id the previous one gave). */
  #saving: Promise<void> | null = null;
  #changedWhileSaving = false;

  /** Loads every identity of `accountIds` (the From menu); a failure keeps the ones known. */
  async loadIdentities(accountIds: readonly number[]): Promise<void> {
    try {
      const lists = await Promise.all(accountIds.map((id) => api.listIdentities(id)));
      this.identities = lists.flat();
    } catch {
      // Without identities the message goes as the account's default one: nothing is lost.
    }
  }

  /** The identity the message is sent as. */
  get identity(): Identity | null {
    return this.accountId === null ? null : identityFor(this.identities, this.accountId, this.identityId);
  }

  /** Opens an empty message from `accountId`, with the identity's signature and format. */
  openNew(accountId: number): void {
    this.#fill(emptyMessage(accountId));
    this.#addSignature(false);
  }

  /** Opens a reply or forward the engine prepared (`composeFrom`): the signature goes above the quote. */
  openComposed(message: OutgoingMessage): void {
    this.#fill(message);
    this.#addSignature(true);
  }

  /** The identity chosen in From: its account and signature replace the previous ones. */
  chooseIdentity(identityId: number): void {
    const next = this.identities.find((i) => i.id === identityId);
    if (!next) return;
    const previous = this.identity;
    const accountChanged = next.account_id !== this.accountId;
    this.accountId = next.account_id;
    this.identityId = next.id;
    const oldSignature = previous?.signature ?? "";
    if (oldSignature !== next.signature) {
      if (this.rich && this.html !== null) this.#setHtml(replaceHtmlSignature(this.html, next.signature));
      this.body = replacePlainSignature(this.body, oldSignature, next.signature);
    }
    if (accountChanged) void this.#loadSizeLimit();
    this.edited();
  }

  /** Switches between rich and plain text; rich to plain keeps the text, not its formatting. */
  setRich(rich: boolean): void {
    if (rich === this.rich) return;
    this.rich = rich;
    if (rich) this.#setHtml(plainToHtml(this.body));
    else this.html = null;
    this.edited();
  }

  /** The rich editor changed: the HTML to send (images as `cid:`) and its plain text. */
  editorChanged(html: string, text: string): void {
    if (!this.rich) return;
    this.html = html;
    this.body = text;
    this.edited();
  }

  /** Stages `files` as attachments (or inline images); resolves to the ones staged. */
  async attach(files: readonly File[], inline = false): Promise<ComposeAttachment[]> {
    const staged: ComposeAttachment[] = [];
    this.attaching += files.length;
    for (const file of files) {
      try {
        const data = new Uint8Array(await file.arrayBuffer());
        const a = await api.stageAttachment(data, file.name, file.type, inline);
        this.attachments = [...this.attachments, a];
        staged.push(a);
        if (inline && a.content_id !== null) {
          const url = await dataUrl(file);
          this.inlineUrls = new Map([...this.inlineUrls, [a.content_id, url]]);
        }
      } catch (err) {
        this.error = toUserError(err, `“${file.name}” could not be attached.`);
      } finally {
        this.attaching -= 1;
      }
    }
    if (staged.length > 0) this.edited();
    return staged;
  }

  removeAttachment(id: number): void {
    this.attachments = this.attachments.filter((a) => a.id !== id);
    this.edited();
  }

  /** The attachments listed as files (inline images are in the text). */
  get files(): ComposeAttachment[] {
    return this.attachments.filter((a) => a.content_id === null);
  }

  /** About how big the message will be once encoded. */
  get sizeEstimate(): number {
    return estimateMessageSize(this.body, this.html, this.message(this.accountId ?? 0).attachments);
  }

  /** The warning that the server will probably refuse the message for its size, or null. */
  get sizeWarning(): string | null {
    return sizeWarning(this.sizeEstimate, this.sizeLimit);
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
    this.#reset();
    if (id !== null) await api.discardDraft(id).catch(() => {});
  }

  /** Checks the fields the way a person would notice; null when they look sendable. */
  check(): UserError | null {
    if (this.accountId === null) return invalid("Choose the account to send from.");
    if (this.attaching > 0) return invalid("Wait until the files are attached.");
    if (splitRecipients(this.to).length === 0) return invalid("Add at least one recipient in To.");
    const bad = [...invalidRecipients(this.to), ...invalidRecipients(this.cc), ...invalidRecipients(this.bcc)];
    if (bad.length > 0) return invalid(`This does not look like an e-mail address: ${bad.join(", ")}`);
    return null;
  }

  /** The fields as the engine takes them. */
  message(accountId: number): OutgoingMessage {
    return {
      account_id: accountId,
      identity_id: this.identityId,
      to: normalizeRecipients(this.to),
      cc: normalizeRecipients(this.cc),
      bcc: normalizeRecipients(this.bcc),
      subject: this.subject,
      body: this.body,
      html: this.rich ? this.html : null,
      attachments: keepUsedInline(this.attachments, this.rich ? this.html : null),
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

  /**
   * Reopens a message of the Drafts folder (its fields from `openDraft`) under the draft id the
   * engine gives it: the next save replaces that copy, Discard deletes it (the engine does both,
   * on the server too).
   */
  openSaved(opened: OpenedDraft): void {
    this.#fill(opened.message);
    this.draftId = opened.draft_id;
  }

  /** Opens a message taken back from the outbox: not saved anywhere, so closing keeps a draft. */
  openTakenBack(message: OutgoingMessage): void {
    this.#fill(message);
    this.draft = "unsaved";
  }

  #cancelTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #addSignature(quoted: boolean): void {
    const signature = this.identity?.signature ?? "";
    if (this.rich && this.html !== null) this.#setHtml(withHtmlSignature(this.html, signature, quoted));
    this.body = withPlainSignature(this.body, signature, quoted);
  }

  #setHtml(html: string): void {
    this.html = html;
    this.htmlRevision += 1;
  }

  async #loadSizeLimit(): Promise<void> {
    const accountId = this.accountId;
    if (accountId === null) return;
    this.sizeLimit = null;
    try {
      const limit = await api.outgoingSizeLimit(accountId);
      if (this.accountId === accountId) this.sizeLimit = limit;
    } catch {
      // Unknown: no warning rather than a wrong one.
    }
  }

  /** The inline images of a reopened message, shown from `data:` URLs in the editor. */
  async #loadInlineUrls(): Promise<void> {
    const inline = this.attachments.filter((a) => a.content_id !== null);
    if (inline.length === 0) return;
    const urls = new Map(this.inlineUrls);
    await Promise.all(
      inline.map(async (a) => {
        if (a.content_id === null || urls.has(a.content_id)) return;
        try {
          urls.set(a.content_id, await api.stagedImageUrl(a.id));
        } catch {
          // Shown as a broken image; it is still sent.
        }
      }),
    );
    this.inlineUrls = urls;
    this.htmlRevision += 1;
  }

  #reset(): void {
    this.#cancelTimer();
    this.isOpen = false;
    this.error = null;
    this.draftId = null;
    this.draft = "none";
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
    this.attachments = [...draft.attachments];
    this.inReplyTo = draft.in_reply_to;
    this.forwarded = draft.forwarded;
    this.inlineUrls = new Map();
    // Rich text when the message has HTML, else as the identity prefers (a new message or a reply
    // whose identity writes plain text gets none from the engine).
    const identity = this.identity;
    const fresh = draft.html === null && draft.body.trim() === "" && draft.to === "";
    this.rich = draft.html !== null || (fresh && (identity?.rich_text ?? false));
    this.#setHtml(this.rich ? (draft.html ?? plainToHtml(draft.body)) : "");
    if (!this.rich) this.html = null;
    this.error = null;
    this.sending = false;
    this.sizeLimit = null;
    this.isOpen = true;
    void this.#loadSizeLimit();
    void this.#loadInlineUrls();
  }
}

function dataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("The image could not be read."));
    reader.readAsDataURL(file);
  });
}

function invalid(summary: string): UserError {
  return { kind: "invalid_input", summary, detail: "", certificate: null, help_url: null };
}
