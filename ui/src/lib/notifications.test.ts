import { describe, expect, it } from "vitest";
import type { Folder } from "./bindings/Folder";
import { changes, isDirty, notifiableFolders, toFields, toSettings, type SavedNotifications } from "./notifications";

const folder = (id: number, name: string, role: Folder["role"] = null): Folder => ({
  id,
  account_id: 1,
  path: name,
  name,
  delimiter: "/",
  role,
  unread: 0,
  total: 0,
  subscribed: true,
});

const folders = [folder(1, "INBOX", "inbox"), folder(2, "Sent", "sent"), folder(3, "Junk", "junk"), folder(4, "Lists"), folder(5, "Archive", "archive")];

const saved: SavedNotifications = {
  settings: { enabled: true, show_preview: true, sound: true, muted_folders: [3, 5] },
  app: { close_to_tray: false },
  startAtLogin: false,
  folders,
};

describe("notification settings", () => {
  it("lists every folder but Junk, Trash, Sent and Drafts", () => {
    expect(notifiableFolders(folders).map((f) => f.name)).toEqual(["INBOX", "Lists", "Archive"]);
  });

  it("turns the saved settings into fields, muted folders unchecked", () => {
    expect(toFields(saved)).toEqual({
      enabled: true,
      showPreview: true,
      sound: true,
      folders: { 1: true, 4: true, 5: false },
      closeToTray: false,
      startAtLogin: false,
    });
  });

  it("saves the unchecked folders as muted and keeps muted folders it does not list", () => {
    const fields = toFields(saved);
    fields.folders[4] = false;
    fields.folders[5] = true;
    fields.showPreview = false;
    expect(toSettings(fields, saved)).toEqual({ enabled: true, show_preview: false, sound: true, muted_folders: [3, 4] });
  });

  it("says which parts changed", () => {
    const fields = toFields(saved);
    expect(isDirty(fields, saved)).toBe(false);
    fields.closeToTray = true;
    expect(changes(fields, saved)).toEqual({ account: false, app: true, autostart: false });
    fields.closeToTray = false;
    fields.folders[1] = false;
    expect(changes(fields, saved)).toEqual({ account: true, app: false, autostart: false });
    fields.folders[1] = true;
    fields.startAtLogin = true;
    expect(changes(fields, saved)).toEqual({ account: false, app: false, autostart: true });
  });
});
