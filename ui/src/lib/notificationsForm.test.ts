import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AppSettings } from "./bindings/AppSettings";
import type { Folder } from "./bindings/Folder";
import type { NotificationSettings } from "./bindings/NotificationSettings";

const inbox: Folder = { id: 7, account_id: 2, path: "INBOX", name: "INBOX", delimiter: "/", role: "inbox", unread: 0, total: 0, subscribed: true };
const api = {
  getNotificationSettings: vi.fn(async (_id: number): Promise<NotificationSettings> => ({ enabled: true, show_preview: true, sound: true, muted_folders: [] })),
  setNotificationSettings: vi.fn(async (_id: number, _s: NotificationSettings) => null),
  getAppSettings: vi.fn(async (): Promise<AppSettings> => ({ close_to_tray: false })),
  setAppSettings: vi.fn(async (_s: AppSettings) => null),
  getAutostart: vi.fn(async () => false),
  setAutostart: vi.fn(async (_on: boolean) => null),
  listFolders: vi.fn(async (_id: number) => [inbox]),
};
vi.mock("./api", () => api);

const { NotificationsForm } = await import("./notificationsForm.svelte");

describe("NotificationsForm", () => {
  beforeEach(() => vi.clearAllMocks());

  it("loads, and saves only what changed", async () => {
    const form = new NotificationsForm(2);
    await form.load();
    expect(form.fields.folders).toEqual({ 7: true });
    expect(form.dirty).toBe(false);
    form.fields.folders[7] = false;
    form.fields.startAtLogin = true;
    expect(form.dirty).toBe(true);
    expect(await form.save()).toBe(true);
    expect(api.setNotificationSettings).toHaveBeenCalledWith(2, { enabled: true, show_preview: true, sound: true, muted_folders: [7] });
    expect(api.setAutostart).toHaveBeenCalledWith(true);
    expect(api.setAppSettings).not.toHaveBeenCalled();
    expect(form.dirty).toBe(false);
    expect(form.justSaved).toBe(true);
  });

  it("keeps what failed to save as an unsaved edit and says why", async () => {
    const form = new NotificationsForm(2);
    await form.load();
    form.fields.sound = false;
    form.fields.startAtLogin = true;
    api.setAutostart.mockRejectedValueOnce({ kind: "internal", summary: "No autostart here.", detail: "", certificate: null, help_url: null });
    expect(await form.save()).toBe(false);
    expect(form.error?.summary).toBe("No autostart here.");
    // The account's part was saved; start at login is still to do.
    expect(form.saved?.settings.sound).toBe(false);
    expect(form.dirty).toBe(true);
  });
});
