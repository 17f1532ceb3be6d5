/**
 * Folder management from the folder tree: the open dialog (new, rename, delete, subscriptions)
 * and the engine calls behind it. For IMAP accounts these changes need the server: they wait for
 * it, and offline they fail with the engine's "you are offline" summary, shown in the dialog. A
 * POP3 account's folders are local: the engine changes them here, offline too. The tree itself
 * follows the `FoldersChanged` event the engine sends afterwards.
 */
import * as api from "./api";
import type { Folder } from "./bindings/Folder";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";
import { validateFolderName, type FolderHome } from "./folderActions";
import { folderLabel, parentPath } from "./folders";

export type FolderDialog =
  | { kind: "create"; accountId: number; parent: Folder | null }
  | { kind: "rename"; folder: Folder }
  | { kind: "delete"; folder: Folder }
  | { kind: "subscriptions"; accountId: number };

export interface FolderManagerHooks {
  /** The account's folders as last listed. */
  folders(accountId: number): readonly Folder[];
  /** A line for the status bar ("Folder “Projects” created"). */
  status(message: string): void;
  /** A failure outside a dialog (a subscription changed from the menu). */
  failed(accountId: number, error: UserError): void;
  /** Re-reads the account's folders (after a change, without waiting for the event). */
  reload(accountId: number): Promise<void>;
  /** Where the account's folders live (on the server when absent). */
  home?(accountId: number): FolderHome;
}

export class FolderManager {
  dialog = $state.raw<FolderDialog | null>(null);
  /** A change is on its way to the server. */
  busy = $state(false);
  /** Why the last change failed, shown in the open dialog. */
  error = $state.raw<UserError | null>(null);

  readonly #hooks: FolderManagerHooks;

  constructor(hooks: FolderManagerHooks) {
    this.#hooks = hooks;
  }

  open(dialog: FolderDialog): void {
    if (this.busy) return;
    this.error = null;
    this.dialog = dialog;
  }

  /** Closes the dialog; not while its change is on its way. */
  close(): void {
    if (this.busy) return;
    this.dialog = null;
    this.error = null;
  }

  /** The user edits after a failure: its explanation goes until the next try. */
  edited(): void {
    if (!this.busy) this.error = null;
  }

  /** The account the open dialog is about. */
  get accountId(): number | null {
    const d = this.dialog;
    if (!d) return null;
    return d.kind === "create" || d.kind === "subscriptions" ? d.accountId : d.folder.account_id;
  }

  /** Where an account's folders live: on its server (IMAP) or here (POP3). */
  homeOf(accountId: number): FolderHome {
    return this.#hooks.home?.(accountId) ?? "server";
  }

  /** Checks a typed name for the open create or rename dialog; null when fine. */
  checkName(name: string): string | null {
    const d = this.dialog;
    if (!d || (d.kind !== "create" && d.kind !== "rename")) return null;
    const accountId = d.kind === "create" ? d.accountId : d.folder.account_id;
    const folders = this.#hooks.folders(accountId);
    const home = this.homeOf(accountId);
    if (d.kind === "create") return validateFolderName(name, { folders, parent: d.parent, home });
    const parentPath = parentOf(d.folder, folders);
    return validateFolderName(name, { folders, parent: parentPath, renaming: d.folder, home });
  }

  /** Creates the folder the open dialog describes. True when done (the dialog is closed). */
  async create(name: string): Promise<boolean> {
    const d = this.dialog;
    if (d?.kind !== "create") return false;
    return this.#run(d.accountId, async () => {
      const folder = await api.createFolder(d.accountId, d.parent?.id ?? null, name.trim());
      return `Folder “${folderLabel(folder)}” created`;
    });
  }

  async rename(name: string): Promise<boolean> {
    const d = this.dialog;
    if (d?.kind !== "rename") return false;
    const before = folderLabel(d.folder);
    if (name.trim() === d.folder.name) {
      this.close();
      return true;
    }
    return this.#run(d.folder.account_id, async () => {
      const folder = await api.renameFolder(d.folder.id, name.trim());
      return `Folder “${before}” renamed to “${folderLabel(folder)}”`;
    });
  }

  async remove(): Promise<boolean> {
    const d = this.dialog;
    if (d?.kind !== "delete") return false;
    return this.#run(d.folder.account_id, async () => {
      await api.deleteFolder(d.folder.id);
      return `Folder “${folderLabel(d.folder)}” deleted`;
    });
  }

  /**
   * Applies the subscription dialog's changes, one folder at a time; stops at the first failure
   * (what was done stays done, and the list shows it).
   */
  async applySubscriptions(changes: ReadonlyMap<number, boolean>): Promise<boolean> {
    const d = this.dialog;
    if (d?.kind !== "subscriptions") return false;
    if (changes.size === 0) {
      this.close();
      return true;
    }
    return this.#run(d.accountId, async () => {
      for (const [id, subscribed] of changes) await api.setFolderSubscribed(id, subscribed);
      return changes.size === 1 ? "Subscription changed" : `${changes.size} subscriptions changed`;
    });
  }

  /** Subscribe or Unsubscribe straight from a folder's menu (no dialog). */
  async setSubscribed(folder: Folder, subscribed: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await api.setFolderSubscribed(folder.id, subscribed);
      const name = folderLabel(folder);
      this.#hooks.status(
        subscribed
          ? `Subscribed to “${name}”`
          : `Unsubscribed from “${name}”: it is hidden now. “Subscribe to folders…” brings it back.`,
      );
      await this.#hooks.reload(folder.account_id);
    } catch (err) {
      this.#hooks.failed(
        folder.account_id,
        toUserError(err, subscribed ? "Petrel could not subscribe to the folder." : "Petrel could not unsubscribe from the folder."),
      );
    } finally {
      this.busy = false;
    }
  }

  async #run(accountId: number, change: () => Promise<string>): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      const done = await change();
      this.busy = false;
      this.dialog = null;
      this.#hooks.status(done);
      await this.#hooks.reload(accountId);
      return true;
    } catch (err) {
      this.error = toUserError(err, "The folder could not be changed.");
      // The server may have done part of it (some subscriptions): show what it has now.
      void this.#hooks.reload(accountId);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

/** The folder's parent among `folders`, or null at the top level. */
function parentOf(folder: Folder, folders: readonly Folder[]): Folder | null {
  const parent = parentPath(folder);
  return parent === null ? null : (folders.find((f) => f.path === parent) ?? null);
}
