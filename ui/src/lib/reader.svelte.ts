/** The reader pane's state: which message is shown, loading it, and its failure if any. */
import * as api from "./api";
import type { MessageSummary } from "./bindings/MessageSummary";
import type { MessageView } from "./bindings/MessageView";
import type { UserError } from "./bindings/UserError";
import { safeFileName } from "./attachments";
import { toUserError } from "./errors";

/** Where an attachment save of the shown message stands. */
export type SaveState = "saving" | "saved";

/** Key repeat through the list should not start a body download per row passed. */
const OPEN_DELAY_MS = 60;

export class ReaderState {
  /** The message shown or being loaded, or null for an empty reader. */
  messageId = $state<number | null>(null);
  /** The loaded message; may belong to the previous `messageId` while the next one loads. */
  view = $state.raw<MessageView | null>(null);
  loading = $state(false);
  error = $state.raw<UserError | null>(null);
  /** Attachment saves of the shown message, by attachment index. */
  saves = $state.raw<Record<number, SaveState>>({});
  /** Why the last attachment save or open failed. */
  saveError = $state.raw<UserError | null>(null);

  #token = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #onLoaded: (summary: MessageSummary) => void;

  constructor(onLoaded: (summary: MessageSummary) => void) {
    this.#onLoaded = onLoaded;
  }

  /** The view of the shown message, once loaded. */
  get current(): MessageView | null {
    return this.view && this.view.summary.id === this.messageId ? this.view : null;
  }

  /** Shows message `id` (shortly, so a burst of selections loads only the last). */
  show(id: number): void {
    if (id === this.messageId && (this.loading || this.current)) return;
    this.messageId = id;
    this.error = null;
    this.saves = {};
    this.saveError = null;
    this.loading = true;
    const token = ++this.#token;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#load(id, token);
    }, OPEN_DELAY_MS);
  }

  /** Loads the shown message again (e.g. after an error). */
  retry(): void {
    const id = this.messageId;
    if (id === null) return;
    this.view = null;
    this.loading = false;
    this.show(id);
  }

  /** Shows fresher flags (or other row data) of the loaded message, e.g. after "mark as unread". */
  patchSummary(summary: MessageSummary): void {
    if (this.view && this.view.summary.id === summary.id) this.view = { ...this.view, summary };
  }

  clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#token += 1;
    this.messageId = null;
    this.view = null;
    this.loading = false;
    this.error = null;
    this.saves = {};
    this.saveError = null;
  }

  /**
   * Asks where to save attachment `index` of the shown message (the system's save dialog, the
   * sender's file name proposed), then saves it there. Cancelling the dialog changes nothing.
   */
  /** Opens attachment `index` of the shown message with the system's app (not programs). */
  async openAttachment(index: number): Promise<void> {
    const view = this.current;
    if (!view?.attachments[index]) return;
    const messageId = view.summary.id;
    this.saveError = null;
    try {
      await api.openAttachment(messageId, index);
    } catch (err) {
      if (this.messageId === messageId) this.saveError = toUserError(err, "The attachment could not be opened.");
    }
  }

  async saveAttachment(index: number): Promise<void> {
    const view = this.current;
    const attachment = view?.attachments[index];
    if (!view || !attachment || this.saves[index] === "saving") return;
    const messageId = view.summary.id;
    this.saveError = null;
    try {
      const path = await api.chooseSavePath(safeFileName(attachment.filename));
      if (path === null) return;
      if (this.messageId !== messageId) return;
      this.saves = { ...this.saves, [index]: "saving" };
      await api.saveAttachment(messageId, index, path);
      if (this.messageId === messageId) this.saves = { ...this.saves, [index]: "saved" };
    } catch (err) {
      if (this.messageId !== messageId) return;
      const { [index]: _, ...rest } = this.saves;
      this.saves = rest;
      this.saveError = toUserError(err, "The attachment could not be saved.");
    }
  }

  async #load(id: number, token: number): Promise<void> {
    try {
      const view = await api.getMessage(id);
      if (token !== this.#token) return;
      this.view = view;
      this.#onLoaded(view.summary);
    } catch (err) {
      if (token !== this.#token) return;
      this.error = toUserError(err, "This message could not be opened.");
    } finally {
      if (token === this.#token) this.loading = false;
    }
  }
}
