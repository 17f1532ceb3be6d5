import { beforeEach, describe, expect, it, vi } from "vitest";
import type { BodyPolicy } from "./bindings/BodyPolicy";
import type { Folder } from "./bindings/Folder";
import { userError } from "./errors";
import { folder } from "./fixtures";

const api = {
  createFolder: vi.fn<(accountId: number, parentId: number | null, name: string) => Promise<Folder>>(),
  renameFolder: vi.fn<(folderId: number, newName: string) => Promise<Folder>>(),
  deleteFolder: vi.fn(async (_id: number) => null),
  setFolderSubscribed: vi.fn(async (_id: number, _s: boolean) => null),
  getBodyPolicy: vi.fn<(accountId: number) => Promise<BodyPolicy>>(),
  setBodyPolicy: vi.fn(async (_a: number, _p: BodyPolicy) => null),
};
vi.mock("./api", () => api);

const { FolderManager } = await import("./folderManager.svelte");
const { BodyPolicyForm } = await import("./bodyPolicyForm.svelte");

const inbox = folder(1, "INBOX", { role: "inbox" });
const work = folder(2, "Work");
const offline = userError(
  "connection_refused",
  "You are offline or the server cannot be reached, so Petrel could not create the folder “Travel”. Nothing was changed; try again when you are connected.",
);

function setup() {
  const hooks = {
    folders: vi.fn(() => [inbox, work, folder(3, "Work/2024")]),
    status: vi.fn(),
    failed: vi.fn(),
    reload: vi.fn(async () => {}),
  };
  return { hooks, manager: new FolderManager(hooks) };
}

describe("FolderManager", () => {
  beforeEach(() => vi.clearAllMocks());

  it("creates a subfolder, closes the dialog and says so", async () => {
    const { hooks, manager } = setup();
    api.createFolder.mockResolvedValue(folder(9, "Work/Travel"));
    manager.open({ kind: "create", accountId: 1, parent: work });
    expect(await manager.create(" Travel ")).toBe(true);
    expect(api.createFolder).toHaveBeenCalledWith(1, 2, "Travel");
    expect(manager.dialog).toBeNull();
    expect(hooks.status).toHaveBeenCalledWith("Folder “Travel” created");
    expect(hooks.reload).toHaveBeenCalledWith(1);
  });

  it("checks names by where the account's folders live (POP3: local, named freely but for '/')", () => {
    const { manager } = setup();
    manager.open({ kind: "create", accountId: 1, parent: null });
    expect(manager.homeOf(1)).toBe("server");
    expect(manager.checkName("R&D"), "any letters: the engine encodes them for IMAP").toBeNull();
    const local = new FolderManager({ ...setup().hooks, home: () => "local" as const });
    local.open({ kind: "create", accountId: 1, parent: null });
    expect(local.homeOf(1)).toBe("local");
    expect(local.checkName("R&D")).toBeNull();
    expect(local.checkName("a/b")).toMatch(/cannot contain “\/”/);
  });

  it("keeps the dialog open with the engine's words when offline", async () => {
    const { manager } = setup();
    api.createFolder.mockRejectedValue(offline);
    manager.open({ kind: "create", accountId: 1, parent: null });
    expect(await manager.create("Travel")).toBe(false);
    expect(manager.dialog?.kind).toBe("create");
    expect(manager.error?.summary).toBe(offline.summary);
    expect(manager.busy).toBe(false);
  });

  it("checks names against the folder's neighbours", () => {
    const { manager } = setup();
    manager.open({ kind: "create", accountId: 1, parent: work });
    expect(manager.checkName("2024")).toMatch(/already a folder called “2024” in “Work”/);
    manager.open({ kind: "rename", folder: work });
    expect(manager.checkName("Work")).toBeNull();
    expect(manager.checkName("inbox")).toMatch(/taken by the Inbox/);
  });

  it("renames and deletes", async () => {
    const { hooks, manager } = setup();
    api.renameFolder.mockResolvedValue(folder(2, "Jobs"));
    manager.open({ kind: "rename", folder: work });
    expect(await manager.rename("Jobs")).toBe(true);
    expect(api.renameFolder).toHaveBeenCalledWith(2, "Jobs");
    expect(hooks.status).toHaveBeenCalledWith("Folder “Work” renamed to “Jobs”");

    manager.open({ kind: "delete", folder: work });
    expect(await manager.remove()).toBe(true);
    expect(api.deleteFolder).toHaveBeenCalledWith(2);
    expect(hooks.status).toHaveBeenLastCalledWith("Folder “Work” deleted");
  });

  it("renaming to the same name changes nothing", async () => {
    const { manager } = setup();
    manager.open({ kind: "rename", folder: work });
    expect(await manager.rename("Work ")).toBe(true);
    expect(api.renameFolder).not.toHaveBeenCalled();
    expect(manager.dialog).toBeNull();
  });

  it("applies subscription changes one by one", async () => {
    const { hooks, manager } = setup();
    manager.open({ kind: "subscriptions", accountId: 1 });
    expect(await manager.applySubscriptions(new Map([[2, false], [3, true]]))).toBe(true);
    expect(api.setFolderSubscribed.mock.calls).toEqual([[2, false], [3, true]]);
    expect(hooks.status).toHaveBeenCalledWith("2 subscriptions changed");
  });

  it("reports a failed unsubscribe from the menu as a banner", async () => {
    const { hooks, manager } = setup();
    api.setFolderSubscribed.mockRejectedValueOnce(offline);
    await manager.setSubscribed(work, false);
    expect(hooks.failed).toHaveBeenCalledWith(1, offline);
    expect(hooks.status).not.toHaveBeenCalled();
  });
});

describe("BodyPolicyForm", () => {
  const policy: BodyPolicy = { keep_all_offline: false, prefetch_days: 30, max_prefetch_bytes: 5 << 20 };
  beforeEach(() => {
    vi.clearAllMocks();
    api.getBodyPolicy.mockResolvedValue(policy);
  });

  it("loads, edits, saves and confirms", async () => {
    const form = new BodyPolicyForm(4);
    await form.load();
    expect(form.fields).toEqual({ keepAllOffline: false, days: "30", maxMegabytes: "5" });
    expect(form.dirty).toBe(false);
    form.fields.keepAllOffline = true;
    form.fields.maxMegabytes = "12";
    expect(form.dirty).toBe(true);
    expect(await form.save()).toBe(true);
    expect(api.setBodyPolicy).toHaveBeenCalledWith(4, { keep_all_offline: true, prefetch_days: 30, max_prefetch_bytes: 12 << 20 });
    expect(form.justSaved).toBe(true);
    expect(form.dirty).toBe(false);
    form.edited();
    expect(form.justSaved).toBe(false);
  });

  it("does not save fields with errors, and shows them", async () => {
    const form = new BodyPolicyForm(4);
    await form.load();
    expect(form.errors).toEqual({});
    form.fields.days = "a week";
    expect(await form.save()).toBe(false);
    expect(api.setBodyPolicy).not.toHaveBeenCalled();
    expect(form.errors.days).toMatch(/whole number/);
  });

  it("shows the engine's summary when saving fails", async () => {
    const form = new BodyPolicyForm(4);
    await form.load();
    form.fields.days = "7";
    api.setBodyPolicy.mockRejectedValueOnce(userError("storage", "Petrel could not save its data: the disk is full."));
    expect(await form.save()).toBe(false);
    expect(form.error?.summary).toBe("Petrel could not save its data: the disk is full.");
    expect(form.dirty).toBe(true);
  });
});
