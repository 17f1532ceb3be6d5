import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Account } from "./bindings/Account";
import type { Folder } from "./bindings/Folder";
import { folder, imapAccount, pop3Account } from "./fixtures";
import type { MessagePage } from "./bindings/MessagePage";
import type { MessageSummary } from "./bindings/MessageSummary";
import type { MessageView } from "./bindings/MessageView";

const api = {
  listAccounts: vi.fn<() => Promise<Account[]>>(),
  listFolders: vi.fn<(accountId: number) => Promise<Folder[]>>(),
  listMessages: vi.fn<(f: number, offset: number, limit: number) => Promise<MessagePage>>(),
  getMessage: vi.fn<(id: number) => Promise<MessageView>>(),
  setFlags: vi.fn(async (_ids: number[], _flags: object) => null),
  deleteMessages: vi.fn(async (_ids: number[]) => null),
  archiveMessages: vi.fn(async (_ids: number[]) => null),
  moveMessages: vi.fn(async (_ids: number[], _target: number) => null),
  syncAccount: vi.fn(async (_id: number) => null),
  onEngineEvent: vi.fn(async () => () => {}),
  onOpenRequest: vi.fn(async () => () => {}),
  onComposeRequest: vi.fn(async () => () => {}),
  listOutbox: vi.fn(async (_id: number) => []),
};
vi.mock("./api", () => api);

const { AppState } = await import("./app.svelte");

const account = imapAccount({ id: 7 });

const INBOX = 10;
const TRASH = 12;
const inbox = folder(INBOX, "INBOX", { account_id: 7, role: "inbox", total: 3 });
const trash = folder(TRASH, "Trash", { account_id: 7, role: "trash", total: 3 });
const archive = folder(13, "Archive", { account_id: 7, role: "archive" });

function summary(id: number, folderId = INBOX): MessageSummary {
  return {
    id,
    folder_id: folderId,
    subject: `Message ${id}`,
    from: null,
    date: 1_700_000_000 - id,
    snippet: "",
    seen: true,
    flagged: false,
    answered: false,
    has_attachments: false,
  };
}

const wait = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** The app on a folder of three messages (ids 1, 2, 3), with message `open` selected and shown. */
async function appWith(folders: Folder[], folderId: number, open: number) {
  api.listFolders.mockResolvedValue(folders);
  api.listMessages.mockImplementation(async (f, offset) => ({
    total: 3,
    offset,
    items: [1, 2, 3].map((id) => summary(id, f)),
  }));
  api.getMessage.mockImplementation(async (id) => ({
    summary: summary(id, folderId),
    to: [],
    cc: [],
    reply_to: [],
    message_id: null,
    text: "",
    attachments: [],
  }));
  const app = new AppState();
  await app.start();
  app.selectFolder(folderId);
  await wait();
  app.list.select(open - 1);
  app.reader.show(open);
  await wait(100);
  expect(app.reader.current?.summary.id).toBe(open);
  return app;
}

describe("actions on the open message", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.listAccounts.mockResolvedValue([account]);
  });

  it("flags at once in the list and the reader, then asks the engine", async () => {
    const app = await appWith([inbox, trash, archive], INBOX, 2);
    const done = app.toggleFlag();
    expect(app.reader.current?.summary.flagged).toBe(true);
    expect(app.list.itemAt(1)?.flagged).toBe(true);
    await done;
    expect(api.setFlags).toHaveBeenCalledWith([2], { flagged: true });
    await app.toggleRead();
    expect(api.setFlags).toHaveBeenLastCalledWith([2], { seen: false });
    expect(app.list.itemAt(1)?.seen).toBe(false);
  });

  it("undoes the change and says why when the engine refuses", async () => {
    const app = await appWith([inbox, trash], INBOX, 2);
    api.setFlags.mockRejectedValueOnce({ kind: "not_found", summary: "The message is gone.", detail: "", certificate: null, help_url: null });
    await app.toggleFlag();
    expect(app.reader.current?.summary.flagged).toBe(false);
    expect(app.list.itemAt(1)?.flagged).toBe(false);
    expect(app.banners[0]?.error.summary).toBe("The message is gone.");
  });

  it("deletes to the Trash and selects the next message", async () => {
    const app = await appWith([inbox, trash, archive], INBOX, 2);
    expect(app.inTrash).toBe(false);
    await app.deleteCurrent();
    expect(api.deleteMessages).toHaveBeenCalledWith([2]);
    expect(app.list.selectedId).toBe(3);
    expect(app.status).toBe("Message moved to the Trash");
  });

  it("archives the last message and selects the previous one", async () => {
    const app = await appWith([inbox, trash, archive], INBOX, 3);
    expect(app.canArchive).toBe(true);
    await app.archiveCurrent();
    expect(api.archiveMessages).toHaveBeenCalledWith([3]);
    expect(app.list.selectedId).toBe(2);
  });

  it("offers no archiving without an archive folder", async () => {
    const app = await appWith([inbox, trash], INBOX, 1);
    expect(app.canArchive).toBe(false);
    await app.archiveCurrent();
    expect(api.archiveMessages).not.toHaveBeenCalled();
  });

  it("asks before deleting for ever in the Trash", async () => {
    const app = await appWith([inbox, trash], TRASH, 1);
    expect(app.inTrash).toBe(true);
    await app.deleteCurrent();
    expect(app.confirmingDelete).toBe(true);
    expect(api.deleteMessages).not.toHaveBeenCalled();
    app.cancelDelete();
    expect(app.confirmingDelete).toBe(false);
    await app.deleteCurrent();
    await app.deleteCurrent(true);
    expect(app.confirmingDelete).toBe(false);
    expect(api.deleteMessages).toHaveBeenCalledWith([1]);
    expect(app.status).toBe("Message deleted for ever");
  });

  it("selects the message again when deleting fails", async () => {
    const app = await appWith([inbox, trash], INBOX, 2);
    api.deleteMessages.mockRejectedValueOnce({ kind: "not_found", summary: "The Trash is full.", detail: "", certificate: null, help_url: null });
    await app.deleteCurrent();
    expect(app.list.selectedId).toBe(2);
    expect(app.banners[0]?.error.summary).toBe("The Trash is full.");
  });
});

describe("POP3 accounts and moving", () => {
  const pop = pop3Account({ id: 7 });
  const projects = folder(14, "Projects", { account_id: 7 });
  const sub = folder(15, "Projects/2026", { account_id: 7 });

  beforeEach(() => {
    vi.clearAllMocks();
    api.listAccounts.mockResolvedValue([pop]);
  });

  it("moves the open message to another folder of its account", async () => {
    const app = await appWith([inbox, trash, projects, sub], INBOX, 2);
    expect(app.moveTargets.map((r) => [r.folder.path, r.depth])).toEqual([
      ["Trash", 0],
      ["Projects", 0],
      ["Projects/2026", 1],
    ]);
    expect(app.currentMessageLocal).toBe(true);
    await app.moveCurrent(15);
    expect(api.moveMessages).toHaveBeenCalledWith([2], 15);
    expect(app.status).toBe("Message moved to 2026");
    expect(app.list.selectedId).toBe(3);
    await app.moveCurrent(INBOX); // its own folder: not a target
    expect(api.moveMessages).toHaveBeenCalledTimes(1);
  });

  it("gets mail for one account from its menu, and says when the check failed", async () => {
    const app = await appWith([inbox, trash], INBOX, 1);
    app.accountAction("get-mail", pop);
    expect(app.status).toBe("Checking Ada for new mail…");
    await wait();
    expect(api.syncAccount).toHaveBeenCalledWith(7);
    api.syncAccount.mockRejectedValueOnce({ kind: "auth_failed", summary: "The server refused the password.", detail: "", certificate: null, help_url: null });
    await app.getMail(7);
    expect(app.status).toBe("Mail could not be checked");
    expect(app.banners.at(-1)?.error.summary).toBe("The server refused the password.");
  });
});
