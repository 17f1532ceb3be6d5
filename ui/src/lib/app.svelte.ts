/**
 * The application's state and what it does on user actions and engine events. Data flows one way:
 * commands read from the store, `petrel://event` says what changed, and the affected parts reload.
 */
import * as api from "./api";
import type { Account } from "./bindings/Account";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { Folder } from "./bindings/Folder";
import type { MessageSummary } from "./bindings/MessageSummary";
import type { OpenTarget } from "./bindings/OpenTarget";
import type { OutboxMessage } from "./bindings/OutboxMessage";
import type { UserError } from "./bindings/UserError";
import type { ComposeMode } from "./bindings/ComposeMode";
import { ComposerState } from "./composer.svelte";
import { toUserError } from "./errors";
import { folderHome, isShown, shownFolders, type AccountAction, type FolderAction } from "./folderActions";
import { FolderManager } from "./folderManager.svelte";
import { findInbox, folderLabel, orderFolders, type FolderRow } from "./folders";
import { formatCount } from "./format";
import { MessageListState } from "./messageList.svelte";
import { ReaderState } from "./reader.svelte";
import { pendingOutbox } from "./outbox";
import { SendToasts, shownSubject } from "./sendToasts.svelte";
import { coalesce, type Coalesced } from "./throttle";
import { WizardState } from "./wizard.svelte";

export interface Banner {
  id: number;
  accountId: number | null;
  error: UserError;
}

export interface SyncProgress {
  folder: string;
  done: number;
  total: number;
}

const FOLDER_RELOAD_INTERVAL_MS = 500;

export class AppState {
  /** "loading" until the account list is known; "failed" when even that could not be read. */
  phase = $state<"loading" | "ready" | "failed">("loading");
  startupError = $state.raw<UserError | null>(null);
  accounts = $state.raw<Account[]>([]);
  foldersByAccount = $state.raw<Record<number, Folder[]>>({});
  selectedFolderId = $state<number | null>(null);
  /** The account set-up: a dialog over the app, or the whole window while there is no account. */
  wizard = $state.raw<WizardState | null>(null);
  banners = $state.raw<Banner[]>([]);
  /** The last thing that happened, for the status bar ("Message sent"). */
  status = $state("");
  progress = $state.raw<Record<number, SyncProgress>>({});
  preparingReply = $state(false);
  /** "Delete for ever" in the Trash waits for the user's confirmation. */
  confirmingDelete = $state(false);
  /** Each account's outbox: what the server has not accepted yet (see lib/outbox.ts). */
  outboxes = $state.raw<Record<number, OutboxMessage[]>>({});
  /** The account whose Outbox is shown in place of a folder's messages. */
  outboxAccountId = $state<number | null>(null);
  /** "Delete" in the outbox waits for the user's confirmation. */
  confirmingOutboxDelete = $state.raw<OutboxMessage | null>(null);
  /** The account settings screen: for which account, opened at which section. */
  settings = $state.raw<{ accountId: number; section: string | undefined } | null>(null);

  readonly list = new MessageListState();
  readonly reader = new ReaderState((summary) => this.#messageLoaded(summary));
  readonly composer = new ComposerState();
  /** "Sending … Undo" after Send, and "Not sent: …" when the server refuses a message later. */
  readonly sendToasts = new SendToasts({
    unsend: (id) => api.unsendMessage(id),
    retry: (id) => api.retryOutbox(id),
    listOutbox: (accountId) => api.listOutbox(accountId),
    reopen: (message) => this.composer.openTakenBack(message),
  });
  /** New folder, rename, delete, subscriptions: the dialogs and their engine calls. */
  readonly folders = new FolderManager({
    folders: (accountId) => this.foldersByAccount[accountId] ?? [],
    status: (message) => (this.status = message),
    failed: (accountId, error) => this.addBanner(accountId, error),
    reload: (accountId) => this.loadFolders(accountId),
    home: (accountId) => {
      const account = this.accounts.find((a) => a.id === accountId);
      return account ? folderHome(account) : "server";
    },
  });

  #bannerSeq = 0;
  #folderReloaders = new Map<number, Coalesced>();
  /** An account just added: select its inbox as soon as its folders are known. */
  #selectInboxOf: number | null = null;
  /** The user asked for mail (or added an account): say when the check is done. */
  #announceCheck = false;

  /** The folder shown in the list. */
  get selectedFolder(): Folder | null {
    if (this.selectedFolderId === null) return null;
    for (const folders of Object.values(this.foldersByAccount)) {
      const f = folders.find((x) => x.id === this.selectedFolderId);
      if (f) return f;
    }
    return null;
  }

  /** The account new messages are sent from: the shown folder's, else the first. */
  get currentAccountId(): number | null {
    return this.selectedFolder?.account_id ?? this.accounts[0]?.id ?? null;
  }

  /** Subscribes to engine events and loads the accounts. Returns the clean-up. */
  async start(): Promise<() => void> {
    let unlisten: (() => void) | null = null;
    let listenError: UserError | null = null;
    const shellUnlisten: (() => void)[] = [];
    try {
      unlisten = await api.onEngineEvent((event) => this.handleEvent(event));
      // A clicked notification opens its message; the tray's "Compose" opens the composer.
      shellUnlisten.push(await api.onOpenRequest((target) => this.openTarget(target)));
      shellUnlisten.push(await api.onComposeRequest(() => void this.newMessage()));
    } catch (err) {
      listenError = toUserError(err);
    }
    await this.loadAccounts();
    if (listenError && this.phase === "ready") this.addBanner(null, listenError);
    return () => {
      unlisten?.();
      for (const u of shellUnlisten) u();
      for (const r of this.#folderReloaders.values()) r.cancel();
      this.list.dispose();
      this.sendToasts.dispose();
    };
  }

  async loadAccounts(): Promise<void> {
    try {
      const accounts = await api.listAccounts();
      this.accounts = accounts;
      this.phase = "ready";
      if (accounts.length === 0 && this.wizard === null) this.openWizard();
      this.startupError = null;
      if (this.selectedFolderId === null && accounts[0]) this.#selectInboxOf = accounts[0].id;
      await Promise.all(accounts.flatMap((a) => [this.loadFolders(a.id), this.loadOutbox(a.id)]));
    } catch (err) {
      if (this.phase !== "ready") {
        this.phase = "failed";
        this.startupError = toUserError(err, "Petrel could not read its accounts.");
      } else {
        this.addBanner(null, toUserError(err, "The account list could not be loaded."));
      }
    }
  }

  async loadFolders(accountId: number): Promise<void> {
    try {
      const folders = await api.listFolders(accountId);
      this.foldersByAccount = { ...this.foldersByAccount, [accountId]: folders };
      const selected = this.selectedFolder;
      if (this.#selectInboxOf === accountId) {
        const inbox = findInbox(folders) ?? folders[0];
        if (inbox) {
          this.#selectInboxOf = null;
          this.selectFolder(inbox.id);
        }
      } else if (
        this.selectedFolderId !== null &&
        (selected ? selected.account_id === accountId && !isShown(selected, folders) : this.#ownsSelection(accountId))
      ) {
        // The shown folder is gone (deleted on the server) or hidden (unsubscribed).
        const inbox = findInbox(folders);
        this.selectFolder(inbox ? inbox.id : null);
      }
    } catch (err) {
      this.addBanner(accountId, toUserError(err, "The folder list could not be loaded."));
    }
  }

  /** Reads the account's outbox; its Outbox view closes when it is empty. */
  async loadOutbox(accountId: number): Promise<void> {
    try {
      const pending = pendingOutbox(await api.listOutbox(accountId));
      this.outboxes = { ...this.outboxes, [accountId]: pending };
      if (pending.length === 0 && this.outboxAccountId === accountId) this.outboxAccountId = null;
    } catch (err) {
      this.addBanner(accountId, toUserError(err, "The outbox could not be read."));
    }
  }

  /** Shows the account's Outbox in place of the message list and reader. */
  openOutbox(accountId: number): void {
    this.outboxAccountId = accountId;
    void this.loadOutbox(accountId);
  }

  async retryOutbox(message: OutboxMessage): Promise<void> {
    try {
      await api.retryOutbox(message.id);
      this.status = `Sending “${shownSubject(message.subject)}” again`;
    } catch (err) {
      this.addBanner(message.account_id, toUserError(err, "The message could not be sent again."));
    }
  }

  /** Edit: takes the message out of the outbox into the composer. */
  async editOutbox(message: OutboxMessage): Promise<void> {
    try {
      this.composer.openTakenBack(await api.unsendMessage(message.id));
    } catch (err) {
      this.addBanner(message.account_id, toUserError(err, "The message could not be taken back."));
    }
    void this.loadOutbox(message.account_id);
  }

  /** Deletes a message from the outbox, unsent, after the user confirmed. */
  async deleteOutbox(message: OutboxMessage, confirmed = false): Promise<void> {
    if (!confirmed) {
      this.confirmingOutboxDelete = message;
      return;
    }
    this.confirmingOutboxDelete = null;
    try {
      await api.deleteOutbox(message.id);
      this.status = "Message deleted from the outbox";
    } catch (err) {
      this.addBanner(message.account_id, toUserError(err, "The message could not be deleted."));
    }
    void this.loadOutbox(message.account_id);
  }

  cancelOutboxDelete(): void {
    this.confirmingOutboxDelete = null;
  }

  selectFolder(folderId: number | null): void {
    this.outboxAccountId = null;
    if (folderId === this.selectedFolderId && folderId !== null) return;
    this.selectedFolderId = folderId;
    this.reader.clear();
    this.list.open(folderId);
  }

  /** A notification was clicked: its folder is shown, and its message when it is about one. */
  openTarget(target: OpenTarget): void {
    this.settings = null;
    this.selectFolder(target.folder_id);
    if (target.message_id !== null) this.list.selectId(target.message_id);
  }

  /** Opens the set-up for another account (or the first). */
  openWizard(): void {
    if (this.wizard) return;
    this.wizard = new WizardState({
      fullWindow: this.accounts.length === 0,
      onadded: (account) => this.accountAdded(account),
      onfinish: () => this.closeWizard(),
    });
  }

  /** Closes the set-up; not while it is testing, nor while there is no account to go to. */
  closeWizard(): void {
    const w = this.wizard;
    if (!w || w.testing || this.accounts.length === 0) return;
    w.dispose();
    this.wizard = null;
  }

  /** The set-up saved an account (the engine has started its first sync). */
  accountAdded(account: Account): void {
    this.accounts = [...this.accounts.filter((a) => a.id !== account.id), account];
    this.#selectInboxOf = account.id;
    this.status = `Account ${account.email} added. Fetching mail…`;
    this.#announceCheck = true;
    void this.loadFolders(account.id);
  }

  /** Opens the account settings screen (for the shown folder's account unless told). */
  openAccountSettings(accountId: number | null = this.currentAccountId, section?: string): void {
    if (accountId === null || !this.accounts.some((a) => a.id === accountId)) return;
    this.settings = { accountId, section };
  }

  closeAccountSettings(): void {
    this.settings = null;
  }

  /** The account the settings screen is open for. */
  get settingsAccount(): Account | null {
    const s = this.settings;
    return s ? (this.accounts.find((a) => a.id === s.accountId) ?? null) : null;
  }

  /** A dialog or screen is over the main window: single-key shortcuts are off. */
  get dialogOpen(): boolean {
    return this.wizard !== null || this.confirmingDelete || this.confirmingOutboxDelete !== null || this.settings !== null || this.folders.dialog !== null;
  }

  /** An item chosen in a folder's menu. */
  folderAction(action: FolderAction, folder: Folder): void {
    switch (action) {
      case "new-subfolder":
        this.folders.open({ kind: "create", accountId: folder.account_id, parent: folder });
        break;
      case "rename":
        this.folders.open({ kind: "rename", folder });
        break;
      case "delete":
        this.folders.open({ kind: "delete", folder });
        break;
      case "subscribe":
      case "unsubscribe":
        void this.folders.setSubscribed(folder, action === "subscribe");
        break;
      case "manage-subscriptions":
        this.folders.open({ kind: "subscriptions", accountId: folder.account_id });
        break;
    }
  }

  /** An item chosen in an account's menu. */
  accountAction(action: AccountAction, account: Account): void {
    switch (action) {
      case "get-mail":
        void this.getMail(account.id);
        break;
      case "new-folder":
        this.folders.open({ kind: "create", accountId: account.id, parent: null });
        break;
      case "manage-subscriptions":
        this.folders.open({ kind: "subscriptions", accountId: account.id });
        break;
      case "settings":
        this.openAccountSettings(account.id);
        break;
    }
  }

  /**
   * "Get mail": a sync of every account (or of one, from its menu); for a POP3 account, a check
   * that downloads the new messages. Progress and the end come as events; a failure is shown.
   */
  async getMail(accountId: number | null = null): Promise<void> {
    const accounts = accountId === null ? this.accounts : this.accounts.filter((a) => a.id === accountId);
    if (accounts.length === 0) return;
    this.status = accounts.length === 1 && accountId !== null ? `Checking ${this.accountLabel(accountId)} for new mail…` : "Checking for new mail…";
    this.#announceCheck = true;
    let failed = 0;
    await Promise.all(
      accounts.map(async (a) => {
        try {
          await api.syncAccount(a.id);
        } catch (err) {
          failed++;
          this.addBanner(a.id, toUserError(err, "Mail could not be checked."));
        }
      }),
    );
    // No SyncDone follows a failure: say it here rather than "Checking…" for ever.
    if (failed > 0 && this.#announceCheck) {
      this.#announceCheck = false;
      this.status = failed === accounts.length ? "Mail could not be checked" : "Some accounts could not be checked";
    }
  }

  /** Opens an empty message from the current account (identities loaded first, for From and the signature). */
  async newMessage(): Promise<void> {
    const accountId = this.currentAccountId;
    if (accountId === null) return;
    await this.composer.loadIdentities(this.accounts.map((a) => a.id));
    this.composer.openNew(accountId);
  }

  /** Opens the composer with the engine's reply, reply all or forward of the message in the reader. */
  async reply(mode: ComposeMode = "reply"): Promise<void> {
    const view = this.reader.current;
    if (!view || this.preparingReply) return;
    this.preparingReply = true;
    try {
      const [message] = await Promise.all([
        api.composeFrom(view.summary.id, mode),
        this.composer.loadIdentities(this.accounts.map((a) => a.id)),
      ]);
      this.composer.openComposed(message);
    } catch (err) {
      const what = mode === "reply" || mode === "reply_all" ? "The reply" : "The forwarded message";
      this.addBanner(null, toUserError(err, `${what} could not be prepared.`));
    } finally {
      this.preparingReply = false;
    }
  }

  /**
   * Opens the draft in the reader (a message of the Drafts folder) in the composer with every field
   * the engine reads back from it (`openDraft`: attachments, Bcc, HTML, identity, the replied-to message).
   */
  async editDraft(): Promise<void> {
    const view = this.reader.current;
    const folder = this.currentMessageFolder;
    if (!view || folder?.role !== "drafts" || this.preparingReply) return;
    this.preparingReply = true;
    try {
      const [opened] = await Promise.all([api.openDraft(view.summary.id), this.composer.loadIdentities(this.accounts.map((a) => a.id))]);
      this.composer.openSaved(opened);
    } catch (err) {
      this.addBanner(folder.account_id, toUserError(err, "The draft could not be opened."));
    } finally {
      this.preparingReply = false;
    }
  }

  /** The folder the message in the reader is in. */
  get currentMessageFolder(): Folder | null {
    const view = this.reader.current;
    if (!view) return null;
    for (const folders of Object.values(this.foldersByAccount)) {
      const f = folders.find((x) => x.id === view.summary.folder_id);
      if (f) return f;
    }
    return null;
  }

  /** Archive is offered only when the open message's account has an archive folder. */
  get canArchive(): boolean {
    const folder = this.currentMessageFolder;
    if (!folder || folder.role === "archive") return false;
    return (this.foldersByAccount[folder.account_id] ?? []).some((f) => f.role === "archive");
  }

  /** The folders the open message can be moved to: its account's shown folders but its own. */
  get moveTargets(): FolderRow[] {
    const folder = this.currentMessageFolder;
    if (!folder) return [];
    return orderFolders(shownFolders(this.foldersByAccount[folder.account_id] ?? [])).filter((r) => r.folder.id !== folder.id);
  }

  /** Moves the open message to another folder of its account. */
  async moveCurrent(targetFolderId: number): Promise<void> {
    const view = this.reader.current;
    const target = this.moveTargets.find((r) => r.folder.id === targetFolderId)?.folder;
    if (!view || !target) return;
    await this.#remove(
      view.summary,
      () => api.moveMessages([view.summary.id], target.id),
      "The message could not be moved.",
      `Message moved to ${folderLabel(target)}`,
    );
  }

  /** The open message belongs to a POP3 account: its folders are on this computer only. */
  get currentMessageLocal(): boolean {
    const folder = this.currentMessageFolder;
    const account = folder ? this.accounts.find((a) => a.id === folder.account_id) : undefined;
    return account !== undefined && folderHome(account) === "local";
  }

  /** The open message is in the Trash: deleting it is for good. */
  get inTrash(): boolean {
    return this.currentMessageFolder?.role === "trash";
  }

  /** Deletes the open message: to the Trash, or for good (after confirmation) from the Trash. */
  async deleteCurrent(confirmed = false): Promise<void> {
    const view = this.reader.current;
    if (!view) return;
    const forEver = this.inTrash;
    if (forEver && !confirmed) {
      this.confirmingDelete = true;
      return;
    }
    this.confirmingDelete = false;
    await this.#remove(
      view.summary,
      () => api.deleteMessages([view.summary.id]),
      "The message could not be deleted.",
      forEver ? "Message deleted for ever" : "Message moved to the Trash",
    );
  }

  cancelDelete(): void {
    this.confirmingDelete = false;
  }

  /** Moves the open message to its account's Archive folder. */
  async archiveCurrent(): Promise<void> {
    const view = this.reader.current;
    if (!view || !this.canArchive) return;
    await this.#remove(
      view.summary,
      () => api.archiveMessages([view.summary.id]),
      "The message could not be archived.",
      "Message archived",
    );
  }

  /** Marks the open message as unread, or as read. */
  async toggleRead(): Promise<void> {
    const view = this.reader.current;
    if (!view) return;
    const seen = !view.summary.seen;
    await this.#setFlags(view.summary, { seen }, seen ? "The message could not be marked as read." : "The message could not be marked as unread.");
  }

  /** Flags the open message, or removes its flag. */
  async toggleFlag(): Promise<void> {
    const view = this.reader.current;
    if (!view) return;
    const flagged = !view.summary.flagged;
    await this.#setFlags(view.summary, { flagged }, flagged ? "The message could not be flagged." : "The flag could not be removed.");
  }

  /** Send: the composer closes at once and "Sending … Undo" shows for the undo delay. */
  async send(): Promise<void> {
    const accountId = this.composer.accountId;
    const subject = this.composer.subject;
    const outboxId = await this.composer.send();
    if (outboxId === null || accountId === null) return;
    this.status = "Message queued for sending";
    await this.sendToasts.sending(accountId, outboxId, subject);
  }

  addBanner(accountId: number | null, error: UserError): void {
    // The same complaint again replaces the old one instead of stacking up.
    const others = this.banners.filter((b) => !(b.accountId === accountId && b.error.summary === error.summary));
    this.banners = [...others, { id: ++this.#bannerSeq, accountId, error }];
  }

  dismissBanner(id: number): void {
    this.banners = this.banners.filter((b) => b.id !== id);
  }

  accountLabel(accountId: number | null): string {
    if (accountId === null) return "";
    const a = this.accounts.find((x) => x.id === accountId);
    return a ? a.display_name || a.email : "";
  }

  handleEvent(event: EngineEvent): void {
    this.wizard?.handleEvent(event);
    switch (event.type) {
      case "SyncProgress":
        this.progress = {
          ...this.progress,
          [event.account_id]: { folder: event.folder, done: event.done, total: event.total },
        };
        break;
      case "FolderChanged":
        this.#reloadFolders(event.account_id);
        if (event.folder_id === this.list.folderId) this.list.reload();
        break;
      case "FoldersChanged":
        this.#reloadFolders(event.account_id);
        break;
      case "NewMail": {
        const n = event.messages.length;
        if (n > 0) {
          const folder = this.foldersByAccount[event.account_id]?.find((f) => f.id === event.folder_id);
          const where = folder ? ` in ${folderLabel(folder)}` : "";
          this.status = n === 1 ? `1 new message${where}` : `${formatCount(n)} new messages${where}`;
        }
        this.#reloadFolders(event.account_id);
        if (event.folder_id === this.list.folderId) this.list.reload();
        break;
      }
      case "AccountError":
        this.addBanner(event.account_id, event.error);
        break;
      case "OutboxChanged":
        void this.sendToasts.outboxChanged(event.account_id);
        void this.loadOutbox(event.account_id);
        break;
      case "SyncDone": {
        const { [event.account_id]: _done, ...rest } = this.progress;
        this.progress = rest;
        if (this.#announceCheck && Object.keys(rest).length === 0) {
          this.#announceCheck = false;
          this.status = `Mail checked at ${new Date().toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" })}`;
        }
        break;
      }
    }
  }

  #reloadFolders(accountId: number): void {
    let r = this.#folderReloaders.get(accountId);
    if (!r) {
      r = coalesce(() => void this.loadFolders(accountId), FOLDER_RELOAD_INTERVAL_MS);
      this.#folderReloaders.set(accountId, r);
    }
    r.trigger();
  }

  #ownsSelection(accountId: number): boolean {
    // Before the reload the selected folder was this account's if no other account lists it.
    return !Object.entries(this.foldersByAccount).some(
      ([id, folders]) => Number(id) !== accountId && folders.some((f) => f.id === this.selectedFolderId),
    );
  }

  /** Shows the change at once (list row, reader), then asks the engine; undone if it refuses. */
  async #setFlags(
    summary: MessageSummary,
    change: { seen?: boolean; flagged?: boolean },
    failure: string,
  ): Promise<void> {
    this.#showSummary({ ...summary, ...change });
    try {
      await api.setFlags([summary.id], change);
    } catch (err) {
      this.#showSummary(summary);
      this.addBanner(null, toUserError(err, failure));
    }
  }

  #showSummary(summary: MessageSummary): void {
    this.list.updateItem(summary);
    this.reader.patchSummary(summary);
  }

  /**
   * Removes a message from the shown folder (delete, archive): the next message (or the previous
   * one if it was the last) is selected at once, like other mail clients do; if the engine
   * refuses, the message is selected again and the reason shown.
   */
  async #remove(summary: MessageSummary, action: () => Promise<unknown>, failure: string, done: string): Promise<void> {
    const index = summary.folder_id === this.list.folderId ? this.list.indexOf(summary.id) : -1;
    if (index >= 0 && this.list.selectedId === summary.id) {
      this.list.selectAfterRemoval(index);
      if (this.list.selectedId === null) this.reader.clear();
    } else if (this.reader.messageId === summary.id) {
      this.reader.clear();
    }
    try {
      await action();
      this.status = done;
    } catch (err) {
      if (index >= 0 && this.list.folderId === summary.folder_id) this.list.select(index);
      this.addBanner(null, toUserError(err, failure));
    }
  }

  #messageLoaded(summary: MessageSummary): void {
    this.list.updateItem(summary);
  }
}

export const app = new AppState();
