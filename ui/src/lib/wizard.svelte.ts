/**
 * The guided account set-up: address and password, settings looked up by the engine, a real
 * connection test, then the first sync. The manual form is one of its views, sharing the fields,
 * the test and its failure handling (certificates, passwords) with the guided path.
 */
import { emailError, emptyAccount, guessedFields, toNewAccount, trustCertificate, type AccountFields, type FieldErrors } from "./accountForm";
import * as api from "./api";
import type { Account } from "./bindings/Account";
import type { DiscoveryOutcome } from "./bindings/DiscoveryOutcome";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { UserError } from "./bindings/UserError";
import type { IncomingProtocol } from "./bindings/IncomingProtocol";
import { fieldsFromConfig, incomingChoices, serverFields, withReport, type SourceReports } from "./discovery";
import { toUserError } from "./errors";
import { certificateOf, testBlockers, type FirstSync } from "./setup";

/**
 * identity: step 1. settings: step 2, looking up then the summary (or the form when nothing was
 * found). testing: step 3. manual: the full form. done: saved, the first sync running.
 */
export type WizardView = "identity" | "settings" | "testing" | "manual" | "done";

export interface WizardOptions {
  /** Fills the window (no account yet) rather than a dialog over the app. */
  fullWindow: boolean;
  /** The account is saved (the engine has started its first sync). */
  onadded: (account: Account) => void;
  /** The user is done with the wizard: show the mail. */
  onfinish: () => void;
}

/** The "Done" step stays at least this long, so it is seen even when the first sync is instant. */
export const DONE_MIN_MS = 1500;

export class WizardState {
  readonly fullWindow: boolean;
  view = $state<WizardView>("identity");
  /** Identity and both servers: what the form shows and what is sent. */
  fields: AccountFields = $state(emptyAccount());

  /** Step 1's errors show once Continue was pressed, then follow the edits. */
  identityAttempted = $state(false);
  /** The engine's word that the address is not one. */
  emailRejected = $state<string | null>(null);

  looking = $state(false);
  reports = $state.raw<SourceReports>({});
  outcome = $state.raw<DiscoveryOutcome | null>(null);
  /** Discovery itself failed (not "found nothing"): said above the form. */
  discoveryError = $state.raw<UserError | null>(null);
  /** The fields are shown for editing (Edit, or nothing was found). */
  editing = $state(false);
  /** "Use these settings" for untrusted settings. */
  confirmed = $state(false);
  /** "Send my password unencrypted". */
  consented = $state(false);

  testing = $state(false);
  testError = $state.raw<UserError | null>(null);
  /** The test was asked for while something was missing: say what. */
  testAttempted = $state(false);

  account = $state.raw<Account | null>(null);
  sync = $state.raw<FirstSync | null>(null);
  syncDone = $state(false);
  syncError = $state.raw<UserError | null>(null);

  readonly #options: WizardOptions;
  /** Bumped to disown a discovery still running (Back, manual set-up). */
  #generation = 0;
  #doneAt = 0;
  #finishTimer: ReturnType<typeof setTimeout> | null = null;
  /** Sync events of accounts not known yet: they can arrive before `add_account` answers. */
  #early = new Map<number, { sync: FirstSync | null; done: boolean; error: UserError | null }>();

  constructor(options: WizardOptions) {
    this.#options = options;
    this.fullWindow = options.fullWindow;
  }

  get config() {
    return this.outcome?.config ?? null;
  }

  get identityErrors(): FieldErrors {
    const errors: FieldErrors = {};
    if (this.emailRejected) errors.email = this.emailRejected;
    if (!this.identityAttempted) return errors;
    const email = emailError(this.fields.email);
    if (email) errors.email = email;
    if (this.fields.password === "") errors.password = "Enter your password.";
    return errors;
  }

  /** What stops the guided test (empty when it may run). */
  get blockers(): string[] {
    return testBlockers({
      config: this.config,
      editing: this.editing,
      fields: this.fields,
      confirmed: this.confirmed,
      consented: this.consented,
    });
  }

  /** Step 1 → 2: checks the address and password, then looks the settings up. */
  async continue(): Promise<boolean> {
    this.identityAttempted = true;
    this.emailRejected = null;
    if (Object.keys(this.identityErrors).length > 0) return false;
    const generation = ++this.#generation;
    const identity = this.#identity();
    this.view = "settings";
    this.looking = true;
    this.reports = {};
    this.outcome = null;
    this.discoveryError = null;
    this.#resetReview();
    try {
      const outcome = await api.discoverSettings(identity.email, (p) => {
        if (generation === this.#generation) this.reports = withReport(this.reports, p);
      });
      if (generation !== this.#generation) return false;
      let reports = this.reports;
      for (const p of outcome.sources) reports = withReport(reports, p);
      this.reports = reports;
      this.outcome = outcome;
      this.fields = outcome.config ? fieldsFromConfig(outcome.config, identity) : guessedFields(identity);
      this.editing = !outcome.config;
    } catch (err) {
      if (generation !== this.#generation) return false;
      const error = toUserError(err, "Petrel could not look up the settings.");
      if (error.kind === "invalid_input") {
        this.emailRejected = error.summary;
        this.view = "identity";
      } else {
        this.discoveryError = error;
        this.fields = guessedFields(identity);
        this.editing = true;
      }
    } finally {
      if (generation === this.#generation) this.looking = false;
    }
    return true;
  }

  /** Step 2 → 1. */
  back(): void {
    if (this.testing) return;
    this.#generation++;
    this.looking = false;
    this.view = "identity";
  }

  /** The full form, with everything typed so far. */
  manual(): void {
    if (this.testing) return;
    this.#generation++;
    this.looking = false;
    this.testError = null;
    this.view = "manual";
  }

  /** From the full form back to step 1. */
  guided(): void {
    if (this.testing) return;
    this.testError = null;
    this.identityAttempted = false;
    this.view = "identity";
  }

  edit(): void {
    this.editing = true;
  }

  confirm(): void {
    this.confirmed = true;
  }

  /** The incoming server the user picked among those found (IMAP or POP3). */
  get protocol(): IncomingProtocol {
    return this.fields.imap.protocol === "pop3" ? "pop3" : "imap";
  }

  /**
   * Uses the found server of the other protocol (both IMAP and POP3 were found). The POP3
   * options stay as set.
   */
  chooseProtocol(protocol: IncomingProtocol): void {
    const config = this.config;
    if (!config || this.testing || protocol === this.protocol) return;
    const server = incomingChoices(config)[protocol];
    if (!server) return;
    this.fields.imap = serverFields(server, this.fields.email);
    this.testError = null;
  }

  /**
   * Tests the settings for real and saves the account (step 3). From the guided path it first
   * checks what is missing; the manual form checks its own fields before calling this.
   */
  async test(): Promise<boolean> {
    if (this.testing) return false;
    const from = this.view === "manual" ? "manual" : "settings";
    if (from === "settings") {
      this.testAttempted = true;
      if (this.blockers.length > 0) return false;
    }
    this.testing = true;
    this.testError = null;
    if (from === "settings") this.view = "testing";
    try {
      const account = await api.addAccount(toNewAccount(this.fields));
      this.#added(account);
      return true;
    } catch (err) {
      this.testError = toUserError(err, "The account could not be added.");
      this.view = from;
      return false;
    } finally {
      this.testing = false;
    }
  }

  /**
   * The user explicitly trusts the certificate the last test was refused: only exactly that one
   * (by fingerprint) for the server that showed it. Then tests again.
   */
  async trustAndRetry(): Promise<boolean> {
    const cert = certificateOf(this.testError);
    if (!cert || this.testing) return false;
    trustCertificate(this.fields, cert);
    return this.test();
  }

  /** Engine events, for the first sync of the account being added. */
  handleEvent(event: EngineEvent): void {
    if (event.type !== "SyncProgress" && event.type !== "SyncDone" && event.type !== "AccountError") return;
    const id = event.account_id;
    if (this.account === null) {
      // Maybe ours, before add_account answered: keep the latest of each.
      const e = this.#early.get(id) ?? { sync: null, done: false, error: null };
      if (event.type === "SyncProgress") e.sync = { folder: event.folder, done: event.done, total: event.total };
      else if (event.type === "SyncDone") e.done = true;
      else e.error = event.error;
      this.#early.set(id, e);
      return;
    }
    if (id !== this.account.id) return;
    if (event.type === "SyncProgress") {
      this.sync = { folder: event.folder, done: event.done, total: event.total };
    } else if (event.type === "AccountError") {
      this.syncError = event.error;
    } else {
      this.#syncFinished();
    }
  }

  /** Closes the wizard and shows the mail. */
  finish(): void {
    this.dispose();
    this.#options.onfinish();
  }

  dispose(): void {
    this.#generation++;
    if (this.#finishTimer !== null) clearTimeout(this.#finishTimer);
    this.#finishTimer = null;
  }

  #identity(): Pick<AccountFields, "displayName" | "email" | "password"> {
    return { displayName: this.fields.displayName, email: this.fields.email.trim(), password: this.fields.password };
  }

  #resetReview(): void {
    this.editing = false;
    this.confirmed = false;
    this.consented = false;
    this.testError = null;
    this.testAttempted = false;
  }

  #added(account: Account): void {
    this.account = account;
    this.view = "done";
    this.#doneAt = Date.now();
    this.#options.onadded(account);
    const early = this.#early.get(account.id);
    this.#early.clear();
    if (early) {
      this.sync = early.sync;
      this.syncError = early.error;
      if (early.done) this.#syncFinished();
    }
  }

  #syncFinished(): void {
    this.syncDone = true;
    if (this.syncError) return; // the user reads the error, then goes on themselves
    const wait = Math.max(0, this.#doneAt + DONE_MIN_MS - Date.now());
    if (this.#finishTimer !== null) clearTimeout(this.#finishTimer);
    this.#finishTimer = setTimeout(() => {
      this.#finishTimer = null;
      this.finish();
    }, wait);
  }
}
