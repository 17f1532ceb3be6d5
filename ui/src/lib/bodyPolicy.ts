/**
 * The "Offline & downloads" settings as a form: the engine's `BodyPolicy` in the words and units
 * people use (days, megabytes), and checking what was typed.
 */
import type { BodyPolicy } from "./bindings/BodyPolicy";
import { formatCount } from "./format";

/** What the form fields hold: text as typed, so a half-typed number is not lost. */
export interface BodyPolicyFields {
  keepAllOffline: boolean;
  days: string;
  maxMegabytes: string;
}

export type BodyPolicyErrors = Partial<Record<"days" | "maxMegabytes", string>>;

/** Sizes are in MiB, as the engine's default (5 << 20) and other mail programs count them. */
export const MEGABYTE = 1024 * 1024;
/** A hundred years: more than any mailbox holds. */
export const MAX_DAYS = 36_500;
/** The engine stores the limit as 32-bit bytes. */
export const MAX_MEGABYTES = Math.floor(0xffff_ffff / MEGABYTE);

/** "5", "0.5", "12.25": at most two decimals, no trailing zeros. */
export function formatMegabytes(bytes: number): string {
  return String(Math.round((bytes / MEGABYTE) * 100) / 100);
}

export function policyToFields(policy: BodyPolicy): BodyPolicyFields {
  return {
    keepAllOffline: policy.keep_all_offline,
    days: String(policy.prefetch_days),
    maxMegabytes: formatMegabytes(policy.max_prefetch_bytes),
  };
}

function parseDays(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  return Number(t);
}

/** A decimal number, with a point or a comma. */
function parseMegabytes(text: string): number | null {
  const t = text.trim().replace(",", ".");
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return null;
  return Number(t);
}

/**
 * Problems with what was typed, in plain words; empty when it can be saved. The number of days is
 * not checked while "keep all mail offline" is on: it is not used then (and its field is off).
 */
export function validateBodyPolicy(fields: BodyPolicyFields): BodyPolicyErrors {
  const errors: BodyPolicyErrors = {};
  if (!fields.keepAllOffline) {
    const days = parseDays(fields.days);
    if (fields.days.trim() === "") errors.days = "Enter a number of days, for example 30.";
    else if (days === null) errors.days = "Enter the number of days as a whole number, for example 30.";
    else if (days > MAX_DAYS) errors.days = `Enter at most ${formatCount(MAX_DAYS)} days, or choose “Keep all mail offline”.`;
  }
  const mb = parseMegabytes(fields.maxMegabytes);
  if (fields.maxMegabytes.trim() === "") errors.maxMegabytes = "Enter a size in MB, for example 5.";
  else if (mb === null) errors.maxMegabytes = "Enter the size as a number of MB, for example 5 or 0.5.";
  else if (Math.round(mb * MEGABYTE) < 1) errors.maxMegabytes = "Enter a size above 0 MB.";
  else if (mb > MAX_MEGABYTES) errors.maxMegabytes = `Enter at most ${formatCount(MAX_MEGABYTES)} MB.`;
  return errors;
}

/**
 * The policy to save, or null when the fields have errors. `previous` supplies the days when
 * "keep all mail offline" is on and the (unused) days field holds something unusable.
 */
export function fieldsToPolicy(fields: BodyPolicyFields, previous: BodyPolicy): BodyPolicy | null {
  if (Object.keys(validateBodyPolicy(fields)).length > 0) return null;
  const days = parseDays(fields.days);
  const mb = parseMegabytes(fields.maxMegabytes) ?? 0;
  return {
    keep_all_offline: fields.keepAllOffline,
    prefetch_days: days !== null && days <= MAX_DAYS ? days : previous.prefetch_days,
    max_prefetch_bytes: Math.round(mb * MEGABYTE),
  };
}

export function samePolicy(a: BodyPolicy, b: BodyPolicy): boolean {
  return (
    a.keep_all_offline === b.keep_all_offline &&
    a.prefetch_days === b.prefetch_days &&
    a.max_prefetch_bytes === b.max_prefetch_bytes
  );
}

/** True when the fields say something else than the saved policy (even if not valid yet). */
export function fieldsChanged(fields: BodyPolicyFields, saved: BodyPolicy): boolean {
  const now = policyToFields(saved);
  if (fields.keepAllOffline !== now.keepAllOffline) return true;
  const policy = fieldsToPolicy(fields, saved);
  if (policy === null) return fields.days.trim() !== now.days || fields.maxMegabytes.trim() !== now.maxMegabytes;
  return !samePolicy(policy, saved);
}

/** One sentence saying what the saved policy does. */
export function describePolicy(policy: BodyPolicy): string {
  const size = `${formatMegabytes(policy.max_prefetch_bytes)} MB`;
  if (policy.keep_all_offline) return `All messages up to ${size} are downloaded, so you can read them offline.`;
  if (policy.prefetch_days === 0) return "Messages are downloaded only when you open them.";
  const window = policy.prefetch_days === 1 ? "the last day" : `the last ${formatCount(policy.prefetch_days)} days`;
  return `Messages from ${window} up to ${size} are downloaded ahead; others when you open them.`;
}
