import { describe, expect, it } from "vitest";
import type { Folder } from "./bindings/Folder";
import type { FolderRole } from "./bindings/FolderRole";
import {
  accountMenu,
  deleteConsequence,
  descendants,
  folderHome,
  folderMenu,
  inferDelimiter,
  isProtected,
  shownFolders,
  validateFolderName,
} from "./folderActions";

let nextId = 1;
function folder(
  path: string,
  opts: { role?: FolderRole | null; subscribed?: boolean; total?: number; delimiter?: string | null } = {},
): Folder {
  const segments = path.split("/");
  return {
    id: nextId++,
    account_id: 1,
    path,
    name: segments[segments.length - 1] ?? path,
    delimiter: opts.delimiter === undefined ? "/" : opts.delimiter,
    role: opts.role ?? null,
    unread: 0,
    total: opts.total ?? 0,
    subscribed: opts.subscribed ?? true,
  };
}

const items = (f: Folder) => folderMenu(f).map((i) => `${i.action}${i.disabled ? " (off)" : ""}`);

describe("folderMenu", () => {
  it("offers everything on an ordinary folder", () => {
    expect(items(folder("Projects"))).toEqual(["new-subfolder", "rename", "delete", "unsubscribe", "manage-subscriptions"]);
  });

  it("never lets INBOX be renamed, deleted or unsubscribed, and says why", () => {
    const inbox = folder("INBOX", { role: "inbox" });
    expect(items(inbox)).toEqual(["new-subfolder", "rename (off)", "delete (off)", "manage-subscriptions"]);
    expect(folderMenu(inbox).find((i) => i.action === "delete")?.reason).toMatch(/new mail arrives/i);
    // By name too, when the server gave no role.
    expect(isProtected(folder("inbox"))).toBe(true);
  });

  it("keeps special folders from being renamed or deleted", () => {
    const trash = folder("Trash", { role: "trash" });
    expect(items(trash)).toEqual(["new-subfolder", "rename (off)", "delete (off)", "unsubscribe", "manage-subscriptions"]);
    expect(folderMenu(trash).find((i) => i.action === "rename")?.reason).toBe(
      "“Trash” is a special folder of this account, so it cannot be renamed or deleted.",
    );
  });

  it("offers Subscribe on an unsubscribed folder; Delete is marked dangerous", () => {
    const menu = folderMenu(folder("Old", { subscribed: false }));
    expect(menu.map((i) => i.action)).toContain("subscribe");
    expect(menu.map((i) => i.action)).not.toContain("unsubscribe");
    expect(menu.find((i) => i.action === "delete")?.danger).toBe(true);
  });

  it("gives accounts get mail, new folder, subscriptions and settings", () => {
    expect(accountMenu().map((i) => i.action)).toEqual(["get-mail", "new-folder", "manage-subscriptions", "settings"]);
  });

  it("offers no subscriptions for local folders (POP3 accounts); the rest works as for IMAP", () => {
    expect(folderHome({ protocol: "pop3" })).toBe("local");
    expect(folderHome({ protocol: "imap" })).toBe("server");
    expect(accountMenu("local").map((i) => i.action)).toEqual(["get-mail", "new-folder", "settings"]);
    const local = (f: Folder) => folderMenu(f, "local").map((i) => `${i.action}${i.disabled ? " (off)" : ""}`);
    expect(local(folder("Projects"))).toEqual(["new-subfolder", "rename", "delete"]);
    expect(local(folder("INBOX", { role: "inbox" }))).toEqual(["new-subfolder", "rename (off)", "delete (off)"]);
    expect(local(folder("Trash", { role: "trash" }))).toEqual(["new-subfolder", "rename (off)", "delete (off)"]);
  });
});

describe("shownFolders", () => {
  it("hides unsubscribed folders but never INBOX or special folders", () => {
    const list = [
      folder("INBOX", { role: "inbox", subscribed: false }),
      folder("Trash", { role: "trash", subscribed: false }),
      folder("Hidden", { subscribed: false }),
      folder("Shown"),
    ];
    expect(shownFolders(list).map((f) => f.path)).toEqual(["INBOX", "Trash", "Shown"]);
  });

  it("keeps an unsubscribed parent of a subscribed folder, so nesting holds", () => {
    const list = [folder("Work", { subscribed: false }), folder("Work/2024"), folder("Work/Old", { subscribed: false })];
    expect(shownFolders(list).map((f) => f.path)).toEqual(["Work", "Work/2024"]);
  });
});

describe("validateFolderName", () => {
  const inbox = folder("INBOX", { role: "inbox" });
  const work = folder("Work");
  const work2024 = folder("Work/2024");
  const folders = [inbox, work, work2024, folder("Receipts")];

  it("works out the delimiter from nested folders", () => {
    expect(inferDelimiter(folders)).toBe("/");
    expect(inferDelimiter([inbox, work]), "as the server listed it").toBe("/");
    const flat = (p: string) => folder(p, { delimiter: null });
    expect(inferDelimiter([flat("INBOX"), flat("Work")])).toBeNull();
    expect(inferDelimiter([flat("Work"), { ...flat("Work.2024"), name: "2024" }])).toBe(".");
  });

  it("checks local folder names for the '/' separator only", () => {
    const local = { folders: [inbox, work], parent: null, home: "local" as const };
    expect(validateFolderName("Reçus & factures", local)).toBeNull();
    expect(validateFolderName("a/b", local)).toMatch(/cannot contain “\/”\. To put/);
    expect(validateFolderName("inbox", local)).toMatch(/taken by the Inbox/);
    expect(validateFolderName("work", local)).toMatch(/already a folder called “Work”/);
  });

  it("accepts a good name, trimmed, in any letters (the engine encodes them for IMAP)", () => {
    expect(validateFolderName("  Travel ", { folders, parent: null })).toBeNull();
    expect(validateFolderName("R&D", { folders, parent: null })).toBeNull();
    expect(validateFolderName("Entwürfe 2026", { folders, parent: null })).toBeNull();
    expect(validateFolderName("日本語", { folders, parent: work })).toBeNull();
    expect(validateFolderName("2025", { folders, parent: work })).toBeNull();
  });

  it("says in plain words what is wrong", () => {
    expect(validateFolderName("   ", { folders, parent: null })).toBe("Enter a name for the folder.");
    expect(validateFolderName("a/b", { folders, parent: null })).toMatch(/cannot contain “\/”/);
    expect(validateFolderName("Tab\there", { folders, parent: null })).toMatch(/control characters/);
    expect(validateFolderName("C1\u0085", { folders, parent: null })).toMatch(/control characters/);
    expect(validateFolderName("inbox", { folders, parent: null })).toMatch(/taken by the Inbox/);
  });

  it("refuses a name already used next to it, whatever the case", () => {
    expect(validateFolderName("receipts", { folders, parent: null })).toBe(
      "There is already a folder called “Receipts” at the top level.",
    );
    expect(validateFolderName("2024", { folders, parent: work })).toBe("There is already a folder called “2024” in “Work”.");
    // The same name elsewhere is fine.
    expect(validateFolderName("2024", { folders, parent: null })).toBeNull();
  });

  it("lets a folder be renamed to itself with another case", () => {
    expect(validateFolderName("RECEIPTS", { folders, parent: null, renaming: folders[3] })).toBeNull();
  });
});

describe("deleteConsequence", () => {
  it("counts the messages and says it cannot be undone", () => {
    const f = folder("Old", { total: 1204 });
    expect(deleteConsequence(f, [f])).toBe(
      `“Old” and the ${(1204).toLocaleString()} messages in it will be deleted from the server. This cannot be undone.`,
    );
    const one = folder("One", { total: 1 });
    expect(deleteConsequence(one, [one])).toMatch(/and the 1 message in it/);
  });

  it("says so when the folder is empty, and that subfolders stay", () => {
    const parent = folder("P");
    const list = [parent, folder("P/a"), folder("P/a/b"), folder("Q")];
    expect(descendants(list, parent).map((f) => f.path)).toEqual(["P/a", "P/a/b"]);
    expect(deleteConsequence(parent, list)).toBe(
      "“P” had no messages when Petrel last checked. It will be deleted from the server. Its 2 subfolders are not deleted with it. This cannot be undone.",
    );
  });

  it("says local folders go from this computer, with their subfolders", () => {
    const parent = folder("P", { total: 2 });
    const list = [parent, folder("P/a")];
    expect(deleteConsequence(parent, list, "local")).toBe(
      "“P” and the 2 messages in it will be deleted from this computer. Its subfolder is deleted with it, with its messages. This cannot be undone.",
    );
    expect(deleteConsequence(folder("E"), [], "local")).toBe("“E” is empty. It will be deleted from this computer. This cannot be undone.");
  });
});
