import { describe, expect, it } from "vitest";
import type { Folder } from "./bindings/Folder";
import type { FolderRole } from "./bindings/FolderRole";
import { findInbox, folderLabel, orderFolders, parentPath } from "./folders";

let nextId = 1;
function folder(path: string, role: FolderRole | null = null, name?: string, delimiter?: string | null): Folder {
  const segments = path.split(/[/.]/);
  return {
    delimiter: delimiter ?? null,
    id: nextId++,
    account_id: 1,
    path,
    name: name ?? segments[segments.length - 1] ?? path,
    role,
    unread: 0,
    total: 0,
    subscribed: true,
  };
}

const paths = (folders: Folder[]) => orderFolders(folders).map((r) => `${"  ".repeat(r.depth)}${r.folder.path}`);

describe("orderFolders", () => {
  it("puts INBOX first, then roles, then the rest alphabetically", () => {
    const list = [
      folder("Zebra"),
      folder("Trash", "trash"),
      folder("apples"),
      folder("Sent", "sent"),
      folder("INBOX", "inbox"),
      folder("Junk", "junk"),
      folder("Drafts", "drafts"),
      folder("Archive", "archive"),
      folder("Bananas"),
    ];
    expect(paths(list)).toEqual(["INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash", "apples", "Bananas", "Zebra"]);
  });

  it("recognises INBOX by name when the server gave it no role", () => {
    expect(paths([folder("Notes"), folder("inbox")])).toEqual(["inbox", "Notes"]);
  });

  it("nests children under their parents, whatever the delimiter", () => {
    const list = [
      folder("Projects/Petrel"),
      folder("Projects"),
      folder("Projects/Alpha"),
      folder("Projects/Alpha/2024"),
      folder("INBOX", "inbox"),
      folder("INBOX.Receipts"),
    ];
    expect(paths(list)).toEqual([
      "INBOX",
      "  INBOX.Receipts",
      "Projects",
      "  Projects/Alpha",
      "    Projects/Alpha/2024",
      "  Projects/Petrel",
    ]);
  });

  it("shows a folder whose parent is not listed at the top level", () => {
    const list = [folder("[Gmail]/Sent Mail", "sent"), folder("[Gmail]/All Mail", "all"), folder("INBOX", "inbox"), folder("Work")];
    expect(paths(list)).toEqual(["INBOX", "[Gmail]/Sent Mail", "[Gmail]/All Mail", "Work"]);
  });

  it("orders numbers naturally", () => {
    expect(paths([folder("Year 10"), folder("Year 9")])).toEqual(["Year 9", "Year 10"]);
  });

  it("nests by the server's delimiter and shows decoded names (IMAP modified UTF-7 paths)", () => {
    const list = [
      folder("INBOX", "inbox", "INBOX", "."),
      folder("INBOX.Entw&APw-rfe 2026", null, "Entwürfe 2026", "."),
      folder("INBOX.Entw&APw-rfe 2026.&ZeVnLIqe-", null, "日本語", "."),
      folder("&ZeVnLIqe-", null, "日本語", "."),
    ];
    const rows = orderFolders(list);
    expect(rows.map((r) => `${"  ".repeat(r.depth)}${folderLabel(r.folder)}`)).toEqual([
      "Inbox",
      "  Entwürfe 2026",
      "    日本語",
      "日本語",
    ]);
    expect(rows[2]?.trail).toBe("Inbox / Entwürfe 2026 / 日本語");
    expect(parentPath(list[1]!)).toBe("INBOX");
    expect(parentPath(list[3]!)).toBeNull();
  });

  it("returns nothing for no folders", () => {
    expect(orderFolders([])).toEqual([]);
  });
});

describe("helpers", () => {
  it("finds the parent path from path and name", () => {
    expect(parentPath(folder("Archive/2024"))).toBe("Archive");
    expect(parentPath(folder("INBOX.Sent"))).toBe("INBOX");
    expect(parentPath(folder("INBOX"))).toBeNull();
    expect(parentPath(folder("Odd", null, "Other"))).toBeNull();
  });

  it("finds the inbox and names it", () => {
    const inbox = folder("INBOX", "inbox", "INBOX");
    expect(findInbox([folder("Sent", "sent"), inbox])).toBe(inbox);
    expect(findInbox([folder("Sent", "sent")])).toBeUndefined();
    expect(folderLabel(inbox)).toBe("Inbox");
    expect(folderLabel(folder("Archive/2024"))).toBe("2024");
  });
});
