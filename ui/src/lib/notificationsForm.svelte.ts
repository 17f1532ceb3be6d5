/**
 * The "Notifications" section's state: loads the account's notification settings, its folders,
 * the app's close-to-tray and the system's start-at-login; saves what changed.
 */
import * as api from "./api";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";
import { changes, isDirty, toFields, toSettings, type NotificationFields, type SavedNotifications } from "./notifications";

export class NotificationsForm {
  readonly accountId: number;
  saved = $state.raw<SavedNotifications | null>(null);
  fields = $state<NotificationFields>({
    enabled: true,
    showPreview: true,
    sound: true,
    folders: {},
    closeToTray: false,
    startAtLogin: false,
  });
  loading = $state(false);
  saving = $state(false);
  error = $state.raw<UserError | null>(null);
  justSaved = $state(false);

  constructor(accountId: number) {
    this.accountId = accountId;
  }

  get dirty(): boolean {
    return this.saved !== null && isDirty(this.fields, this.saved);
  }

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const [settings, app, startAtLogin, folders] = await Promise.all([
        api.getNotificationSettings(this.accountId),
        api.getAppSettings(),
        api.getAutostart(),
        api.listFolders(this.accountId),
      ]);
      this.saved = { settings, app, startAtLogin, folders };
      this.fields = toFields(this.saved);
    } catch (err) {
      this.error = toUserError(err, "Petrel could not read the notification settings.");
    } finally {
      this.loading = false;
    }
  }

  edited(): void {
    this.justSaved = false;
  }

  revert(): void {
    if (this.saved) this.fields = toFields(this.saved);
    this.error = null;
    this.justSaved = false;
  }

  /** Saves what changed; true when all of it was saved. */
  async save(): Promise<boolean> {
    const saved = this.saved;
    if (!saved || this.saving) return false;
    const fields = $state.snapshot(this.fields);
    const changed = changes(fields, saved);
    this.saving = true;
    this.error = null;
    let next = saved;
    try {
      if (changed.account) {
        const settings = toSettings(fields, saved);
        await api.setNotificationSettings(this.accountId, settings);
        next = { ...next, settings };
      }
      if (changed.app) {
        const app = { ...saved.app, close_to_tray: fields.closeToTray };
        await api.setAppSettings(app);
        next = { ...next, app };
      }
      if (changed.autostart) {
        await api.setAutostart(fields.startAtLogin);
        next = { ...next, startAtLogin: fields.startAtLogin };
      }
      this.justSaved = true;
      return true;
    } catch (err) {
      this.error = toUserError(err, "Petrel could not save the notification settings.");
      return false;
    } finally {
      // What did get saved is the new baseline; the rest stays as edited (still "not saved").
      this.saved = next;
      this.saving = false;
    }
  }
}
