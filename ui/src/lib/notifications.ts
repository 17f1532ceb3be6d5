/**
 * The "Notifications" settings section's pure logic: the engine's settings (per account, plus the
 * app's close-to-tray and the system's start-at-login) as form fields and back.
 */
import type { AppSettings } from "./bindings/AppSettings";
import type { Folder } from "./bindings/Folder";
import type { FolderRole } from "./bindings/FolderRole";
import type { NotificationSettings } from "./bindings/NotificationSettings";

/** Folders whose new mail is never announced (the engine's `notify::policy::is_quiet`). */
const QUIET: readonly FolderRole[] = ["junk", "trash", "sent", "drafts"];

export function isQuiet(folder: Folder): boolean {
  return folder.role !== null && QUIET.includes(folder.role);
}

export interface NotificationFields {
  enabled: boolean;
  showPreview: boolean;
  sound: boolean;
  /** Folder id → announce its new mail. Only folders that can notify are listed. */
  folders: Record<number, boolean>;
  closeToTray: boolean;
  startAtLogin: boolean;
}

/** What the engine and the system have: what the form starts from and compares with. */
export interface SavedNotifications {
  settings: NotificationSettings;
  app: AppSettings;
  startAtLogin: boolean;
  /** The account's folders, in the folder list's order. */
  folders: Folder[];
}

/** The folders listed with a switch: every folder but Junk, Trash, Sent and Drafts. */
export function notifiableFolders(folders: readonly Folder[]): Folder[] {
  return folders.filter((f) => !isQuiet(f));
}

export function toFields(saved: SavedNotifications): NotificationFields {
  const muted = new Set(saved.settings.muted_folders);
  const folders: Record<number, boolean> = {};
  for (const f of notifiableFolders(saved.folders)) folders[f.id] = !muted.has(f.id);
  return {
    enabled: saved.settings.enabled,
    showPreview: saved.settings.show_preview,
    sound: saved.settings.sound,
    folders,
    closeToTray: saved.app.close_to_tray,
    startAtLogin: saved.startAtLogin,
  };
}

/**
 * The account's settings from the fields. Muted folders the form does not list (quiet ones, or
 * any it did not know of) stay as they were saved.
 */
export function toSettings(fields: NotificationFields, saved: SavedNotifications): NotificationSettings {
  const listed = new Set(Object.keys(fields.folders).map(Number));
  const kept = saved.settings.muted_folders.filter((id) => !listed.has(id));
  const muted = Object.entries(fields.folders)
    .filter(([, on]) => !on)
    .map(([id]) => Number(id));
  return {
    enabled: fields.enabled,
    show_preview: fields.showPreview,
    sound: fields.sound,
    muted_folders: [...kept, ...muted].sort((a, b) => a - b),
  };
}

/** Which of the three saved parts the fields change. */
export function changes(fields: NotificationFields, saved: SavedNotifications): { account: boolean; app: boolean; autostart: boolean } {
  const before = toFields(saved);
  const folderChanged = Object.keys(fields.folders).some((id) => fields.folders[Number(id)] !== before.folders[Number(id)]);
  return {
    account:
      fields.enabled !== before.enabled ||
      fields.showPreview !== before.showPreview ||
      fields.sound !== before.sound ||
      folderChanged,
    app: fields.closeToTray !== before.closeToTray,
    autostart: fields.startAtLogin !== before.startAtLogin,
  };
}

export function isDirty(fields: NotificationFields, saved: SavedNotifications): boolean {
  const c = changes(fields, saved);
  return c.account || c.app || c.autostart;
}
