/**
 * The "Offline & downloads" section's state: loads the account's body policy, holds the fields
 * as typed, saves them and says so.
 */
import * as api from "./api";
import type { BodyPolicy } from "./bindings/BodyPolicy";
import type { UserError } from "./bindings/UserError";
import {
  fieldsChanged,
  fieldsToPolicy,
  policyToFields,
  validateBodyPolicy,
  type BodyPolicyErrors,
  type BodyPolicyFields,
} from "./bodyPolicy";
import { toUserError } from "./errors";

export class BodyPolicyForm {
  readonly accountId: number;
  /** What the engine has (null until loaded). */
  saved = $state.raw<BodyPolicy | null>(null);
  fields = $state<BodyPolicyFields>({ keepAllOffline: false, days: "", maxMegabytes: "" });
  loading = $state(false);
  saving = $state(false);
  /** Field errors show once a save was tried, then follow the edits. */
  attempted = $state(false);
  /** Loading or saving failed. */
  error = $state.raw<UserError | null>(null);
  /** Set after a successful save, cleared by the next edit. */
  justSaved = $state(false);

  constructor(accountId: number) {
    this.accountId = accountId;
  }

  get errors(): BodyPolicyErrors {
    return this.attempted ? validateBodyPolicy(this.fields) : {};
  }

  get dirty(): boolean {
    return this.saved !== null && fieldsChanged(this.fields, this.saved);
  }

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const policy = await api.getBodyPolicy(this.accountId);
      this.saved = policy;
      this.fields = policyToFields(policy);
      this.attempted = false;
    } catch (err) {
      this.error = toUserError(err, "Petrel could not read this account's download settings.");
    } finally {
      this.loading = false;
    }
  }

  /** Call on every edit: the "Saved" note goes away. */
  edited(): void {
    this.justSaved = false;
  }

  /** Back to what is saved. */
  revert(): void {
    if (this.saved) this.fields = policyToFields(this.saved);
    this.attempted = false;
    this.error = null;
    this.justSaved = false;
  }

  /** Saves the fields; true when saved. False when they have errors (shown) or saving failed. */
  async save(): Promise<boolean> {
    const saved = this.saved;
    if (!saved || this.saving) return false;
    this.attempted = true;
    const policy = fieldsToPolicy(this.fields, saved);
    if (policy === null) return false;
    this.saving = true;
    this.error = null;
    try {
      await api.setBodyPolicy(this.accountId, policy);
      this.saved = policy;
      this.fields = policyToFields(policy);
      this.attempted = false;
      this.justSaved = true;
      return true;
    } catch (err) {
      this.error = toUserError(err, "Petrel could not save the download settings.");
      return false;
    } finally {
      this.saving = false;
    }
  }
}
