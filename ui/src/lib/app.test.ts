import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Account } from "./bindings/Account";
import type { Folder } from "./bindings/Folder";
import type { OpenTarget } from "./bindings/OpenTarget";
import type { OutboxMessage } from "./bindings/OutboxMessage";
import { folder, imapAccount } from "./fixtures";
import { emptyMessage } from "./outgoing";

const api = {
  listAccounts: vi.fn<() => Promise<Account[]>>(),
  listFolders: vi.fn<(accountId: number) => Promise<Folder[]>>(),
  listMessages: vi.fn(async (_f: number, offset: number) => ({ total: 0, offset, items: [] })),
  syncAccount: vi.fn(async (_a: number) => null),
  sendMessage: vi.fn(async () => 42),
  unsendMessage: vi.fn(),
  retryOutbox: vi.fn(async () => null),
  listOutbox: vi.fn<(accountId: number) => Promise<OutboxMessage[]>>(async () => []),
  deleteOutbox: vi.fn(async () => null),
  composeFrom: vi.fn(async (_id: number, _mode: string) => ({ ...emptyMessage(7), to: "bo@example.org, cy@example.org", subject: "Re: Plan", in_reply_to: 5 })),
  listIdentities: vi.fn(async (_accountId: number) => []),
  openDraft: vi.fn(async (_id: number) => ({ message: { ...emptyMessage(7), to: "bo@example.org", subject: "Plan", bcc: "z@x.org" }, draft_id: 31 })),
  outgoingSizeLimit: vi.fn(async () => null),
  stagedImageUrl: vi.fn(),
  stageAttachment: vi.fn(),
  getMessage: vi.fn(),
  onEngineEvent: vi.fn(async () => () => {}),
  onOpenRequest: vi.fn(async (_h: (t: OpenTarget) => void) => () => {}),
  onComposeRequest: vi.fn(async (_h: () => void) => () => {}),
};
vi.mock("./api", () => api);

const { AppState } = await import("./app.svelte");

const account = imapAccount({ id: 7 });

const folders: Folder[] = [
  folder(11, "Sent", { account_id: 7, role: "sent", total: 3 }),
  folder(10, "INBOX", { account_id: 7, role: "inbox", unread: 2, total: 5 }),
];

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("AppState", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.listAccounts.mockResolvedValue([account]);
    api.listFolders.mockResolvedValue(folders);
  });

  it("starts on the first account's inbox", async () => {
    const app = new AppState();
    await app.start();
    expect(app.phase).toBe("ready");
    expect(app.selectedFolderId).toBe(10);
    expect(app.list.folderId).toBe(10);
  });

  it("opens the message of a clicked notification, and the composer from the tray", async () => {
    let open: ((t: OpenTarget) => void) | undefined;
    let compose: (() => void) | undefined;
    api.onOpenRequest.mockImplementationOnce(async (h) => {
      open = h;
      return () => {};
    });
    api.onComposeRequest.mockImplementationOnce(async (h) => {
      compose = h;
      return () => {};
    });
    const app = new AppState();
    await app.start();
    app.selectFolder(11);
    app.openAccountSettings(7);
    open?.({ account_id: 7, folder_id: 10, message_id: 42 });
    expect(app.settings).toBeNull();
    expect(app.selectedFolderId).toBe(10);
    expect(app.list.selectedId).toBe(42);
    compose?.();
    await settle();
    expect(app.composer.isOpen).toBe(true);
  });

  it("shows a start-up failure in plain words", async () => {
    api.listAccounts.mockRejectedValue("invoke is not available");
    const app = new AppState();
    await app.start();
    expect(app.phase).toBe("failed");
    expect(app.startupError?.summary).toBe("Petrel could not read its accounts.");
    expect(app.startupError?.detail).toBe("invoke is not available");
  });

  it("reloads folders and the shown list when the shown folder changes", async () => {
    const app = new AppState();
    await app.start();
    await settle();
    api.listFolders.mockClear();
    api.listMessages.mockClear();
    app.handleEvent({ type: "FolderChanged", account_id: 7, folder_id: 10 });
    await settle();
    expect(api.listFolders).toHaveBeenCalledWith(7);
    expect(api.listMessages).toHaveBeenCalledTimes(1);
    api.listMessages.mockClear();
    app.handleEvent({ type: "FolderChanged", account_id: 7, folder_id: 11 });
    await new Promise((r) => setTimeout(r, 600));
    expect(api.listMessages).not.toHaveBeenCalled();
  });

  it("tracks sync progress until the sync is done", async () => {
    const app = new AppState();
    await app.start();
    app.handleEvent({ type: "SyncProgress", account_id: 7, folder: "INBOX", done: 200, total: 5000 });
    expect(app.progress[7]).toEqual({ folder: "INBOX", done: 200, total: 5000 });
    app.handleEvent({ type: "SyncDone", account_id: 7 });
    expect(app.progress[7]).toBeUndefined();
  });

  it("opens the set-up over the whole window when there is no account", async () => {
    api.listAccounts.mockResolvedValue([]);
    const app = new AppState();
    await app.start();
    expect(app.wizard?.fullWindow).toBe(true);
    // Nothing to go back to: it stays.
    app.closeWizard();
    expect(app.wizard).not.toBeNull();
    // The first account is added: the wizard shows "Done" until the first sync ends.
    app.accountAdded(account);
    expect(app.wizard).not.toBeNull();
    app.wizard!.finish();
    expect(app.wizard).toBeNull();
    await settle();
    expect(app.selectedFolderId).toBe(10);
  });

  it("opens the set-up as a dialog for another account, and passes it sync events", async () => {
    const app = new AppState();
    await app.start();
    expect(app.wizard).toBeNull();
    app.openWizard();
    const wizard = app.wizard!;
    expect(wizard.fullWindow).toBe(false);
    const seen = vi.spyOn(wizard, "handleEvent");
    app.handleEvent({ type: "SyncDone", account_id: 7 });
    expect(seen).toHaveBeenCalledWith({ type: "SyncDone", account_id: 7 });
    app.closeWizard();
    expect(app.wizard).toBeNull();
  });

  it("says when a requested check is done", async () => {
    const app = new AppState();
    await app.start();
    await app.getMail();
    expect(api.syncAccount).toHaveBeenCalledWith(7);
    expect(app.status).toBe("Checking for new mail…");
    app.handleEvent({ type: "SyncDone", account_id: 7 });
    expect(app.status).toMatch(/^Mail checked at /);
  });

  it("shows account errors once each, dismissably", async () => {
    const app = new AppState();
    await app.start();
    const error = {
      kind: "auth_failed" as const,
      summary: "The server rejected the password.",
      detail: "",
      certificate: null,
      help_url: null,
    };
    app.handleEvent({ type: "AccountError", account_id: 7, error });
    app.handleEvent({ type: "AccountError", account_id: 7, error });
    expect(app.banners).toHaveLength(1);
    expect(app.accountLabel(7)).toBe("Ada");
    app.dismissBanner(app.banners[0]!.id);
    expect(app.banners).toHaveLength(0);
  });

  it("queues the message with an undo toast after Send and keeps the text after a failure", async () => {
    const app = new AppState();
    await app.start();
    await app.newMessage();
    expect(app.composer.accountId).toBe(7);
    app.composer.to = "bo@example.org";
    app.composer.body = "Hello";
    api.sendMessage.mockRejectedValueOnce({ kind: "send_rejected", summary: "The server refused the message.", detail: "554" });
    await app.send();
    expect(app.composer.isOpen).toBe(true);
    expect(app.composer.body).toBe("Hello");
    expect(app.composer.error?.summary).toBe("The server refused the message.");
    await app.send();
    expect(app.composer.isOpen).toBe(false);
    expect(app.status).toBe("Message queued for sending");
    expect(app.sendToasts.items.map((t) => [t.kind, t.text, t.outboxId])).toEqual([["sending", "Sending “(no subject)”…", 42]]);
    expect(api.sendMessage).toHaveBeenLastCalledWith({ ...emptyMessage(7), to: "bo@example.org", body: "Hello" });
  });

  it("keeps each account's outbox, reloads it on OutboxChanged, and closes the Outbox view when it empties", async () => {
    const failed: OutboxMessage = {
      id: 5, account_id: 7, subject: "Hi", recipients: ["bo@example.org"], state: "failed", attempts: 1,
      reason: "The server refused a recipient.", detail: "550", send_after: 0, next_attempt: null, created_at: 0,
    };
    api.listOutbox.mockResolvedValue([failed, { ...failed, id: 6, state: "sent" }]);
    const app = new AppState();
    await app.start();
    expect(app.outboxes[7]?.map((m) => m.id)).toEqual([5]);
    app.openOutbox(7);
    expect(app.outboxAccountId).toBe(7);

    await app.deleteOutbox(failed);
    expect(app.confirmingOutboxDelete).toEqual(failed);
    expect(app.dialogOpen).toBe(true);
    expect(api.deleteOutbox).not.toHaveBeenCalled();
    api.listOutbox.mockResolvedValue([]);
    await app.deleteOutbox(failed, true);
    expect(api.deleteOutbox).toHaveBeenCalledWith(5);
    app.handleEvent({ type: "OutboxChanged", account_id: 7 });
    await settle();
    expect(app.outboxes[7]).toEqual([]);
    expect(app.outboxAccountId).toBeNull();
  });

  it("Edit in the outbox takes the message back into the composer", async () => {
    api.unsendMessage.mockResolvedValueOnce({ ...emptyMessage(7), to: "bo@example.org", cc: "", subject: "Hi", body: "Text" });
    const app = new AppState();
    await app.start();
    await app.editOutbox({
      id: 5, account_id: 7, subject: "Hi", recipients: [], state: "failed", attempts: 1,
      reason: null, detail: null, send_after: 0, next_attempt: null, created_at: 0,
    });
    expect(api.unsendMessage).toHaveBeenCalledWith(5);
    expect(app.composer.isOpen).toBe(true);
    expect(app.composer.body).toBe("Text");
  });

  it("reply all and forward open what the engine composed; Edit draft reopens every field", async () => {
    const app = new AppState();
    await app.start();
    app.reader.messageId = 5;
    app.reader.view = { summary: { id: 5, folder_id: 10, subject: "Plan" } } as never;
    await app.reply("reply_all");
    expect(api.composeFrom).toHaveBeenCalledWith(5, "reply_all");
    expect(app.composer).toMatchObject({ isOpen: true, to: "bo@example.org, cy@example.org", inReplyTo: 5 });
    await app.composer.discard();
    await app.reply("forward");
    expect(api.composeFrom).toHaveBeenLastCalledWith(5, "forward");
    await app.composer.discard();
    app.reader.messageId = 6;
    app.reader.view = { summary: { id: 6, folder_id: 13, subject: "Plan" } } as never;
    app.foldersByAccount = { 7: [...folders, folder(13, "Drafts", { account_id: 7, role: "drafts" })] };
    await app.editDraft();
    expect(api.openDraft).toHaveBeenCalledWith(6);
    expect(app.composer).toMatchObject({ isOpen: true, bcc: "z@x.org", draftId: 31 });
  });

  it("does not send without a recipient", async () => {
    const app = new AppState();
    await app.start();
    await app.newMessage();
    await app.send();
    expect(api.sendMessage).not.toHaveBeenCalled();
    expect(app.composer.error?.summary).toBe("Add at least one recipient in To.");
  });

  it("goes back to the inbox when the shown folder is unsubscribed, and hides it", async () => {
    const work = folder(12, "Work", { account_id: 7, total: 1 });
    api.listFolders.mockResolvedValue([...folders, work]);
    const app = new AppState();
    await app.start();
    app.selectFolder(12);
    api.listFolders.mockResolvedValue([...folders, { ...work, subscribed: false }]);
    await app.loadFolders(7);
    expect(app.selectedFolderId).toBe(10);
  });

  it("opens folder dialogs and the settings from the menus, and no shortcut works meanwhile", async () => {
    const app = new AppState();
    await app.start();
    const sent = folders[0]!;
    app.folderAction("rename", sent);
    expect(app.folders.dialog).toEqual({ kind: "rename", folder: sent });
    expect(app.dialogOpen).toBe(true);
    app.folders.close();
    app.accountAction("new-folder", account);
    expect(app.folders.dialog).toEqual({ kind: "create", accountId: 7, parent: null });
    app.folders.close();
    expect(app.dialogOpen).toBe(false);
    app.accountAction("settings", account);
    expect(app.settingsAccount?.id).toBe(7);
    app.closeAccountSettings();
    // Without an account id: the shown folder's account.
    app.openAccountSettings();
    expect(app.settings).toEqual({ accountId: 7, section: undefined });
    app.openAccountSettings(99);
    expect(app.settings?.accountId).toBe(7);
  });
});
