/**
 * The state of a settings section that saves: what the engine has (`saved`), the fields as typed,
 * field errors once a save was tried, saving, "Saved" until the next edit, undo. Each section
 * supplies its fields and how to check, convert and store them (`SettingsFormSpec`).
 */
import type { UserError } from "./bindings/UserError";
import { toUserError } from "./errors";

export interface SettingsFormSpec<S, F, E> {
  toFields(saved: S): F;
  /** The settings the fields say (based on what is saved), or null while they have errors. */
  fromFields(fields: F, saved: S): S | null;
  validate(fields: F): E;
  changed(fields: F, saved: S): boolean;
  /** Reads what the engine has (for sections that load it themselves). */
  read?: () => Promise<S>;
  write(settings: S): Promise<unknown>;
  /** The summaries shown when reading or writing fails. */
  readError?: string;
  writeError: string;
  /** Called after a successful save. */
  onsaved?: () => void;
}

export class SettingsForm<S, F, E> {
  readonly #spec: SettingsFormSpec<S, F, E>;
  /** What the engine has (null until loaded). */
  saved = $state.raw<S | null>(null);
  fields: F = $state() as F;
  loading = $state(false);
  saving = $state(false);
  /** Field errors show once a save was tried, then follow the edits. */
  attempted = $state(false);
  /** Loading or saving failed. */
  error = $state.raw<UserError | null>(null);
  /** Set after a successful save, cleared by the next edit. */
  justSaved = $state(false);

  /** `saved`: what the engine has, when known; `fields` are shown until then. */
  constructor(spec: SettingsFormSpec<S, F, E>, saved: S | null, fields: F) {
    this.#spec = spec;
    this.saved = saved;
    this.fields = saved === null ? fields : spec.toFields(saved);
  }

  /** The fields' errors by name (none before a save was tried: every name of `E` is optional). */
  get errors(): E {
    return this.attempted ? this.#spec.validate(this.fields) : ({} as E);
  }

  get dirty(): boolean {
    return this.saved !== null && this.#spec.changed(this.fields, this.saved);
  }

  /** What the fields would do, or null while they have errors (or nothing is loaded). */
  get preview(): S | null {
    return this.saved === null ? null : this.#spec.fromFields(this.fields, this.saved);
  }

  async load(): Promise<void> {
    const read = this.#spec.read;
    if (!read) return;
    this.loading = true;
    this.error = null;
    try {
      const settings = await read();
      this.saved = settings;
      this.fields = this.#spec.toFields(settings);
      this.attempted = false;
    } catch (err) {
      this.error = toUserError(err, this.#spec.readError ?? "Petrel could not read these settings.");
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
    if (this.saved !== null) this.fields = this.#spec.toFields(this.saved);
    this.attempted = false;
    this.error = null;
    this.justSaved = false;
  }

  /** Saves the fields; true when saved. False when they have errors (shown) or saving failed. */
  async save(): Promise<boolean> {
    const saved = this.saved;
    if (saved === null || this.saving) return false;
    this.attempted = true;
    const settings = this.#spec.fromFields(this.fields, saved);
    if (settings === null) return false;
    this.saving = true;
    this.error = null;
    try {
      await this.#spec.write(settings);
      this.saved = settings;
      this.fields = this.#spec.toFields(settings);
      this.attempted = false;
      this.justSaved = true;
      this.#spec.onsaved?.();
      return true;
    } catch (err) {
      this.error = toUserError(err, this.#spec.writeError);
      return false;
    } finally {
      this.saving = false;
    }
  }
}
