/**
 * The "Downloads (POP3)" settings section's state: the account's `Pop3Settings` as fields,
 * saved through `set_pop3_settings`; says when it is saved, or why not.
 */
import * as api from "./api";
import type { Pop3Settings } from "./bindings/Pop3Settings";
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";
import {
  DEFAULT_POP3,
  fieldsToSettings,
  pop3FieldsChanged,
  settingsToFields,
  validatePop3,
  type Pop3Errors,
  type Pop3Fields,
} from "./pop3Settings";

export class Pop3Form {
  readonly accountId: number;
  /** What the engine has. */
  saved = $state.raw<Pop3Settings>(DEFAULT_POP3);
  fields = $state<Pop3Fields>(settingsToFields(DEFAULT_POP3));
  saving = $state(false);
  /** Field errors show once a save was tried, then follow the edits. */
  attempted = $state(false);
  error = $state.raw<UserError | null>(null);
  /** Set after a successful save, cleared by the next edit. */
  justSaved = $state(false);
  readonly #onsaved: () => void;

  /** `settings`: the account's (null for an account that has none: the defaults are shown). */
  constructor(accountId: number, settings: Pop3Settings | null, onsaved: () => void) {
    this.accountId = accountId;
    this.saved = settings ?? DEFAULT_POP3;
    this.fields = settingsToFields(this.saved);
    this.#onsaved = onsaved;
  }

  get errors(): Pop3Errors {
    return this.attempted ? validatePop3(this.fields) : {};
  }

  get dirty(): boolean {
    return pop3FieldsChanged(this.fields, this.saved);
  }

  /** What the fields would do, or null while they have errors. */
  get preview(): Pop3Settings | null {
    return fieldsToSettings(this.fields);
  }

  edited(): void {
    this.justSaved = false;
  }

  revert(): void {
    this.fields = settingsToFields(this.saved);
    this.attempted = false;
    this.error = null;
    this.justSaved = false;
  }

  /** Saves the fields; true when saved. False when they have errors (shown) or saving failed. */
  async save(): Promise<boolean> {
    if (this.saving) return false;
    this.attempted = true;
    const settings = fieldsToSettings(this.fields);
    if (settings === null) return false;
    this.saving = true;
    this.error = null;
    try {
      await api.setPop3Settings(this.accountId, settings);
      this.saved = settings;
      this.fields = settingsToFields(settings);
      this.attempted = false;
      this.justSaved = true;
      this.#onsaved();
      return true;
    } catch (err) {
      this.error = toUserError(err, "Petrel could not save the download settings.");
      return false;
    } finally {
      this.saving = false;
    }
  }
}
