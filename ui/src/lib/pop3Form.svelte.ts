/**
 * The "Downloads (POP3)" settings section's state: the account's `Pop3Settings` as fields,
 * saved through `set_pop3_settings`; says when it is saved, or why not.
 */
import * as api from "./api";
import type { Pop3Settings } from "./bindings/Pop3Settings";
import {
  DEFAULT_POP3,
  fieldsToSettings,
  pop3FieldsChanged,
  settingsToFields,
  validatePop3,
  type Pop3Errors,
  type Pop3Fields,
} from "./pop3Settings";
import { SettingsForm } from "./settingsForm.svelte";

export class Pop3Form extends SettingsForm<Pop3Settings, Pop3Fields, Pop3Errors> {
  readonly accountId: number;

  /** `settings`: the account's (null for an account that has none: the defaults are shown). */
  constructor(accountId: number, settings: Pop3Settings | null, onsaved: () => void) {
    const saved = settings ?? DEFAULT_POP3;
    super(
      {
        toFields: settingsToFields,
        fromFields: (fields) => fieldsToSettings(fields),
        validate: validatePop3,
        changed: pop3FieldsChanged,
        write: (s) => api.setPop3Settings(accountId, s),
        writeError: "Petrel could not save the download settings.",
        onsaved,
      },
      saved,
      settingsToFields(saved),
    );
    this.accountId = accountId;
  }
}
