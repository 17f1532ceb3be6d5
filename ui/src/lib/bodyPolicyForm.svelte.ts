/**
 * The "Offline & downloads" section's state: loads the account's body policy, holds the fields
 * as typed, saves them and says so.
 */
import * as api from "./api";
import type { BodyPolicy } from "./bindings/BodyPolicy";
import {
  fieldsChanged,
  fieldsToPolicy,
  policyToFields,
  validateBodyPolicy,
  type BodyPolicyErrors,
  type BodyPolicyFields,
} from "./bodyPolicy";
import { SettingsForm } from "./settingsForm.svelte";

export class BodyPolicyForm extends SettingsForm<BodyPolicy, BodyPolicyFields, BodyPolicyErrors> {
  readonly accountId: number;

  /** Nothing is shown until `load()` read the account's policy. */
  constructor(accountId: number) {
    super(
      {
        toFields: policyToFields,
        fromFields: fieldsToPolicy,
        validate: validateBodyPolicy,
        changed: fieldsChanged,
        read: () => api.getBodyPolicy(accountId),
        write: (policy) => api.setBodyPolicy(accountId, policy),
        readError: "Petrel could not read this account's download settings.",
        writeError: "Petrel could not save the download settings.",
      },
      null,
      { keepAllOffline: false, days: "", maxMegabytes: "" },
    );
    this.accountId = accountId;
  }
}
