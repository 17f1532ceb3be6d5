/**
 * Pure folder-management logic: which menu items a folder or an account offers, which folders
 * the tree shows, and checking a folder name before the engine is asked.
 */
import type { Account } from "./bindings/Account";
import type { Folder } from "./bindings/Folder";
import { folderLabel, isInbox, parentPath } from "./folders";
import { formatCount } from "./format";

/** What a folder's menu can do. */
export type FolderAction = "new-subfolder" | "rename" | "delete" | "subscribe" | "unsubscribe" | "manage-subscriptions";
/** What an account's menu can do. */
export type AccountAction = "get-mail" | "new-folder" | "manage-subscriptions" | "settings";

/**
 * Whether an account's folders live on a server (IMAP: subscriptions apply) or only here (POP3:
 * local folders, created, renamed and deleted on this computer, offline too).
 */
export type FolderHome = "server" | "local";

export function folderHome(account: Pick<Account, "protocol">): FolderHome {
  return account.protocol === "pop3" ? "local" : "server";
}

export interface MenuItem<A extends string> {
  action: A;
  label: string;
  /** Shown but not choosable; `reason` says why (as a tooltip and to screen readers). */
  disabled?: boolean;
  reason?: string;
  /** Destroys something: drawn in the danger colour. */
  danger?: boolean;
  /** A divider goes above this item. */
  separated?: boolean;
}

/** INBOX and the special folders (Drafts, Sent, Trash, …) cannot be renamed or deleted. */
export function isProtected(folder: Folder): boolean {
  return isInbox(folder) || folder.role !== null;
}

/** Why a protected folder cannot be renamed or deleted, in the user's words. */
export function protectedReason(folder: Folder): string {
  if (isInbox(folder)) return "New mail arrives in the Inbox, so it cannot be renamed or deleted.";
  return `“${folderLabel(folder)}” is a special folder of this account, so it cannot be renamed or deleted.`;
}

/** The items of a folder's context menu. Local folders have no subscriptions. */
export function folderMenu(folder: Folder, home: FolderHome = "server"): MenuItem<FolderAction>[] {
  const locked = isProtected(folder);
  const reason = locked ? protectedReason(folder) : undefined;
  const items: MenuItem<FolderAction>[] = [
    { action: "new-subfolder", label: "New subfolder…" },
    { action: "rename", label: "Rename…", disabled: locked, reason },
    { action: "delete", label: "Delete…", disabled: locked, reason, danger: true },
  ];
  if (home === "local") return items;
  // The inbox is always subscribed: unsubscribing from it would hide where new mail arrives.
  if (!isInbox(folder)) {
    items.push(
      folder.subscribed
        ? { action: "unsubscribe", label: "Unsubscribe", separated: true }
        : { action: "subscribe", label: "Subscribe", separated: true },
    );
  }
  items.push({ action: "manage-subscriptions", label: "Subscribe to folders…", separated: isInbox(folder) });
  return items;
}

/** The items of an account's context menu. Local folders have no subscriptions. */
export function accountMenu(home: FolderHome = "server"): MenuItem<AccountAction>[] {
  const items: MenuItem<AccountAction>[] = [
    { action: "get-mail", label: "Get mail" },
    { action: "new-folder", label: "New folder…", separated: true },
  ];
  if (home === "server") items.push({ action: "manage-subscriptions", label: "Subscribe to folders…" });
  items.push({ action: "settings", label: "Account settings…", separated: true });
  return items;
}

/**
 * The folders the tree shows: the subscribed ones, INBOX and the special folders (always: mail is
 * moved there), and the parents of shown folders so that nesting holds. Like Thunderbird, other
 * unsubscribed folders are hidden; "Subscribe to folders…" lists them all.
 */
export function shownFolders(folders: readonly Folder[]): Folder[] {
  const byPath = new Map(folders.map((f) => [f.path, f]));
  const shown = new Set<string>();
  for (const f of folders) {
    if (!(f.subscribed || isProtected(f))) continue;
    // The folder and its ancestors (guarded against a malformed cycle).
    let path: string | null = f.path;
    while (path !== null && !shown.has(path)) {
      shown.add(path);
      const node = byPath.get(path);
      path = node ? parentPath(node) : null;
    }
  }
  return folders.filter((f) => shown.has(f.path));
}

/** True when the tree shows this folder (see `shownFolders`). */
export function isShown(folder: Folder, folders: readonly Folder[]): boolean {
  return shownFolders(folders).some((f) => f.id === folder.id);
}

/**
 * The server's hierarchy delimiter: as the server listed it with the folders, else worked out from
 * a nested folder's path (`Archive/2024` named `2024` → `/`); null for a flat server.
 */
export function inferDelimiter(folders: readonly Folder[]): string | null {
  const listed = folders.find((f) => f.delimiter)?.delimiter;
  if (listed) return listed;
  for (const f of folders) {
    const parent = parentPath(f);
    if (parent !== null) return f.path.charAt(parent.length);
  }
  return null;
}

/** The folders directly inside `parent` (top-level folders for null). */
export function childFolders(folders: readonly Folder[], parent: Folder | null): Folder[] {
  const parentKey = parent?.path ?? null;
  return folders.filter((f) => f.id !== parent?.id && parentPath(f) === parentKey);
}

/** Every folder inside `folder`, however deep. */
export function descendants(folders: readonly Folder[], folder: Folder): Folder[] {
  const delimiter = inferDelimiter(folders);
  const out: Folder[] = [];
  for (const f of folders) {
    if (f.id === folder.id) continue;
    // Walk up through the parents we know.
    let p = parentPath(f);
    while (p !== null) {
      if (p === folder.path) {
        out.push(f);
        break;
      }
      const up = folders.find((x) => x.path === p);
      p = up ? parentPath(up) : null;
    }
    // A child whose parent we only know by its path prefix (names unknown in between).
    if (p === null && delimiter !== null && f.path.startsWith(folder.path + delimiter) && !out.includes(f)) out.push(f);
  }
  return out;
}

/** Control characters (C0, DEL, C1): never in a folder name. Any other letter is fine. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface NameCheck {
  /** The other folders of the account. */
  folders: readonly Folder[];
  /** Where the folder goes: null for the top level. */
  parent: Folder | null;
  /** The folder being renamed, if any. */
  renaming?: Folder | null;
  /** Local folders (POP3 accounts) are named freely, but for their "/" separator. */
  home?: FolderHome;
}

/** The separator of local folder paths (the engine's `LOCAL_DELIMITER`). */
export const LOCAL_DELIMITER = "/";

/**
 * Checks a new folder name the way the engine will (so the user hears it before the server is
 * asked); null when it is fine. The engine checks again.
 */
export function validateFolderName(raw: string, { folders, parent, renaming = null, home = "server" }: NameCheck): string | null {
  const name = raw.trim();
  if (name === "") return "Enter a name for the folder.";
  const local = home === "local";
  const delimiter = local ? LOCAL_DELIMITER : inferDelimiter(folders);
  if (delimiter !== null && name.includes(delimiter)) {
    return `A folder name cannot contain “${delimiter}”${local ? "" : " on this server"}. To put a folder inside another, use “New subfolder…” on that folder.`;
  }
  if (CONTROL.test(name)) {
    return "A folder name cannot contain tabs, line breaks or other control characters.";
  }
  if (name.toUpperCase() === "INBOX") return "“INBOX” is taken by the Inbox. Choose another name.";
  const clash = childFolders(folders, parent).find(
    (f) => f.id !== renaming?.id && f.name.toLowerCase() === name.toLowerCase(),
  );
  if (clash) return `There is already a folder called “${clash.name}” ${parent ? `in “${folderLabel(parent)}”` : "at the top level"}.`;
  return null;
}

/** "1 message", "1,204 messages", "no messages". */
export function messageCount(n: number): string {
  if (n === 0) return "no messages";
  return n === 1 ? "1 message" : `${formatCount(n)} messages`;
}

/** What the delete confirmation says will go, in plain words. */
export function deleteConsequence(folder: Folder, folders: readonly Folder[], home: FolderHome = "server"): string {
  const name = folderLabel(folder);
  const what =
    home === "local"
      ? folder.total === 0
        ? `“${name}” is empty. It will be deleted from this computer.`
        : `“${name}” and the ${messageCount(folder.total)} in it will be deleted from this computer.`
      : folder.total === 0
        ? `“${name}” had no messages when Petrel last checked. It will be deleted from the server.`
        : `“${name}” and the ${messageCount(folder.total)} in it will be deleted from the server.`;
  const inside = descendants(folders, folder);
  // A server keeps the subfolders (IMAP DELETE); here they go with their parent.
  const one = inside.length === 1;
  const kids =
    inside.length === 0
      ? ""
      : ` ${one ? "Its subfolder is" : `Its ${inside.length} subfolders are`} ${home === "local" ? `deleted with it, with ${one ? "its" : "their"} messages` : "not deleted with it"}.`;
  return `${what}${kids} This cannot be undone.`;
}
