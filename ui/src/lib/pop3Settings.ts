/**
 * A POP3 account's download settings as a form (the engine's `Pop3Settings`, Thunderbird's
 * options): shared by the account set-up (before adding) and the "Downloads (POP3)" settings
 * section. Numbers are kept as typed so a half-typed one is not lost; checking is in plain words.
 */
import type { Pop3Options } from "./bindings/Pop3Options";
import type { Pop3Settings } from "./bindings/Pop3Settings";
import { formatCount } from "./format";

export interface Pop3Fields {
  /** Leave a copy on the server after downloading. */
  leaveOnServer: boolean;
  /** With `leaveOnServer`: delete from the server `days` days after the download. */
  deleteAfter: boolean;
  days: string;
  /** With `leaveOnServer`: delete from the server once deleted here. */
  deleteWhenDeletedHere: boolean;
  /** Check for new mail every this many minutes. */
  minutes: string;
}

export type Pop3Errors = Partial<Record<"days" | "minutes", string>>;

/** The engine's defaults (`Pop3Settings::default`). */
export const DEFAULT_POP3: Pop3Settings = {
  leave_on_server: true,
  delete_after_days: null,
  delete_when_deleted_locally: true,
  check_every_minutes: 10,
};

/** Shown in the days field while "delete after" is off, so ticking it offers a sensible number. */
export const DEFAULT_DAYS = 14;
/** A hundred years. */
export const MAX_DAYS = 36_500;
/** Once a day at the least often. */
export const MAX_MINUTES = 1_440;

export function settingsToFields(s: Pop3Settings): Pop3Fields {
  return {
    leaveOnServer: s.leave_on_server,
    deleteAfter: s.delete_after_days !== null,
    days: String(s.delete_after_days ?? DEFAULT_DAYS),
    deleteWhenDeletedHere: s.delete_when_deleted_locally,
    minutes: String(s.check_every_minutes),
  };
}

/**
 * The set-up's starting point: the engine's defaults, with what the provider's configuration
 * file says about leaving mail on the server, when it says something.
 */
export function defaultPop3Fields(options: Pop3Options | null = null): Pop3Fields {
  const f = settingsToFields(DEFAULT_POP3);
  if (options) {
    f.leaveOnServer = options.leave_messages_on_server;
    const days = options.days_to_leave_messages_on_server;
    if (options.leave_messages_on_server && days !== null && days >= 1) {
      f.deleteAfter = true;
      f.days = String(days);
    }
  }
  return f;
}

function wholeNumber(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/**
 * What is wrong with the fields, in plain words; empty when they can be saved. The days are only
 * checked while they are used (mail left on the server, "delete after" ticked).
 */
export function validatePop3(f: Pop3Fields): Pop3Errors {
  const errors: Pop3Errors = {};
  const minutes = wholeNumber(f.minutes);
  if (f.minutes.trim() === "") errors.minutes = "Enter how often to check, in minutes, for example 10.";
  else if (minutes === null) errors.minutes = "Enter the minutes as a whole number, for example 10.";
  else if (minutes < 1) errors.minutes = "Enter at least 1 minute.";
  else if (minutes > MAX_MINUTES) errors.minutes = `Check at least once a day: enter at most ${formatCount(MAX_MINUTES)} minutes.`;
  if (f.leaveOnServer && f.deleteAfter) {
    const days = wholeNumber(f.days);
    if (f.days.trim() === "") errors.days = "Enter a number of days, for example 14.";
    else if (days === null) errors.days = "Enter the days as a whole number, for example 14.";
    else if (days < 1) errors.days = "Keep messages on the server for at least 1 day, or untick this option.";
    else if (days > MAX_DAYS) errors.days = `Enter at most ${formatCount(MAX_DAYS)} days, or untick this option.`;
  }
  return errors;
}

/** The settings to send, or null when the fields have errors. */
export function fieldsToSettings(f: Pop3Fields): Pop3Settings | null {
  if (Object.keys(validatePop3(f)).length > 0) return null;
  const leave = f.leaveOnServer;
  return {
    leave_on_server: leave,
    // Only meaningful while mail is left on the server; off, everything goes once stored.
    delete_after_days: leave && f.deleteAfter ? wholeNumber(f.days) : null,
    delete_when_deleted_locally: leave ? f.deleteWhenDeletedHere : DEFAULT_POP3.delete_when_deleted_locally,
    check_every_minutes: wholeNumber(f.minutes) ?? DEFAULT_POP3.check_every_minutes,
  };
}

export function sameSettings(a: Pop3Settings, b: Pop3Settings): boolean {
  return (
    a.leave_on_server === b.leave_on_server &&
    a.delete_after_days === b.delete_after_days &&
    a.delete_when_deleted_locally === b.delete_when_deleted_locally &&
    a.check_every_minutes === b.check_every_minutes
  );
}

/** True when the fields say something else than `saved` (even while they are not valid yet). */
export function pop3FieldsChanged(f: Pop3Fields, saved: Pop3Settings): boolean {
  const s = fieldsToSettings(f);
  if (s !== null) return !sameSettings(s, saved);
  const now = settingsToFields(saved);
  return (
    f.leaveOnServer !== now.leaveOnServer ||
    f.deleteAfter !== now.deleteAfter ||
    f.deleteWhenDeletedHere !== now.deleteWhenDeletedHere ||
    f.days.trim() !== now.days ||
    f.minutes.trim() !== now.minutes
  );
}

/** One sentence saying what happens to the mail on the server. */
export function describePop3(s: Pop3Settings): string {
  const every = s.check_every_minutes === 1 ? "every minute" : `every ${formatCount(s.check_every_minutes)} minutes`;
  let server: string;
  if (!s.leave_on_server) {
    server = "Each message is deleted from the server as soon as it is safely stored on this computer.";
  } else {
    const rules: string[] = [];
    if (s.delete_after_days !== null) {
      rules.push(s.delete_after_days === 1 ? "a day after it was downloaded" : `${formatCount(s.delete_after_days)} days after it was downloaded`);
    }
    if (s.delete_when_deleted_locally) rules.push("when you delete it here");
    server =
      rules.length === 0
        ? "Messages stay on the server."
        : `Messages stay on the server; each is deleted from it ${rules.join(", or ")}.`;
  }
  return `Petrel checks for new mail ${every}. ${server}`;
}
