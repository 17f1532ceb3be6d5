/** Pure folder-list logic: ordering, nesting, labels. */
import type { Folder } from "./bindings/Folder";
import type { FolderRole } from "./bindings/FolderRole";

/** The order roles appear in, after the inbox and before the other folders. */
const ROLE_ORDER: readonly FolderRole[] = ["inbox", "drafts", "sent", "archive", "junk", "trash", "all", "flagged"];

const ROLE_NAMES: Record<FolderRole, string> = {
  inbox: "Inbox",
  drafts: "Drafts",
  sent: "Sent",
  archive: "Archive",
  junk: "Junk",
  trash: "Trash",
  all: "All mail",
  flagged: "Flagged",
};

export interface FolderRow {
  folder: Folder;
  /** How many of its ancestors are in the list: 0 for a top-level folder. */
  depth: number;
  /** The folder's place for people: its ancestors' labels and its own, `Archive / 2024`. */
  trail: string;
}

/** True for the account's inbox, by role or by IMAP's reserved name. */
export function isInbox(folder: Folder): boolean {
  return folder.role === "inbox" || folder.path.toUpperCase() === "INBOX";
}

/** The inbox, if the account has one. */
export function findInbox(folders: readonly Folder[]): Folder | undefined {
  return folders.find((f) => f.role === "inbox") ?? folders.find(isInbox);
}

/** The name to show: the well-known name for the inbox, else the folder's own last segment. */
export function folderLabel(folder: Folder): string {
  if (isInbox(folder)) return ROLE_NAMES.inbox;
  return folder.name || folder.path;
}

export function roleName(role: FolderRole): string {
  return ROLE_NAMES[role];
}

/**
 * The parent's path: the path up to its last hierarchy delimiter (`Archive/2024` → `Archive`,
 * `INBOX.Entw&APw-rfe` → `INBOX`). Paths are the server's spelling and names are decoded, so the
 * name only helps when the server gave no delimiter (then it works out the parent from the path
 * and the last segment).
 */
export function parentPath(folder: Folder): string | null {
  const { path, name, delimiter } = folder;
  if (delimiter) {
    const at = path.lastIndexOf(delimiter);
    return at > 0 ? path.slice(0, at) : null;
  }
  if (!name || name.length >= path.length || !path.endsWith(name)) return null;
  const parent = path.slice(0, path.length - name.length - 1);
  return parent === "" ? null : parent;
}

function rank(folder: Folder): number {
  if (isInbox(folder)) return 0;
  if (folder.role) return 1 + ROLE_ORDER.indexOf(folder.role);
  return 100;
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

function compare(a: Folder, b: Folder): number {
  return rank(a) - rank(b) || collator.compare(folderLabel(a), folderLabel(b)) || collator.compare(a.path, b.path);
}

/**
 * The folder pane's rows: INBOX first, then folders with a role (drafts, sent, archive, junk,
 * trash, …), then the rest alphabetically; each folder's children follow it, indented, ordered by
 * the same rule. A folder whose parent is not in the list (e.g. a non-selectable `[Gmail]`) is
 * shown at the top level.
 */
export function orderFolders(folders: readonly Folder[]): FolderRow[] {
  const byPath = new Map<string, Folder>();
  for (const f of folders) byPath.set(f.path, f);

  const children = new Map<string | null, Folder[]>();
  for (const f of folders) {
    const parent = parentPath(f);
    const key = parent !== null && byPath.has(parent) && parent !== f.path ? parent : null;
    const list = children.get(key);
    if (list) list.push(f);
    else children.set(key, [f]);
  }

  const rows: FolderRow[] = [];
  const seen = new Set<string>();
  const walk = (key: string | null, depth: number, above: string): void => {
    const list = children.get(key);
    if (!list) return;
    list.sort(compare);
    for (const f of list) {
      if (seen.has(f.path)) continue; // guards against a malformed cycle
      seen.add(f.path);
      const trail = above ? `${above} / ${folderLabel(f)}` : folderLabel(f);
      rows.push({ folder: f, depth, trail });
      walk(f.path, depth + 1, trail);
    }
  };
  walk(null, 0, "");
  return rows;
}
