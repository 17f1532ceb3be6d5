/** Pure formatting helpers for dates, addresses, sizes and counts. */
import type { Address } from "./bindings/Address";

export interface FormatOptions {
  /** BCP 47 locale; the system's when absent. */
  locale?: string | undefined;
  /** IANA time zone; the system's when absent. */
  timeZone?: string | undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: string, options: Intl.DateTimeFormatOptions, fmt: FormatOptions): Intl.DateTimeFormat {
  const key = `${kind}|${fmt.locale ?? ""}|${fmt.timeZone ?? ""}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(fmt.locale, { ...options, timeZone: fmt.timeZone });
    formatters.set(key, f);
  }
  return f;
}

interface DayParts {
  year: number;
  month: number;
  day: number;
}

/** The calendar day of `date` as seen in the given time zone. */
function dayParts(date: Date, fmt: FormatOptions): DayParts {
  const f = formatter("parts", { year: "numeric", month: "numeric", day: "numeric" }, { locale: "en-US", timeZone: fmt.timeZone });
  const out: DayParts = { year: 0, month: 0, day: 0 };
  for (const part of f.formatToParts(date)) {
    if (part.type === "year" || part.type === "month" || part.type === "day") {
      out[part.type] = Number(part.value);
    }
  }
  return out;
}

let lastNow: { time: number; timeZone: string | undefined; parts: DayParts } | null = null;

/** `dayParts` of "now", remembered: the list formats many dates against the same now. */
function nowParts(now: Date, fmt: FormatOptions): DayParts {
  const time = now.getTime();
  if (lastNow && lastNow.time === time && lastNow.timeZone === fmt.timeZone) return lastNow.parts;
  const parts = dayParts(now, fmt);
  lastNow = { time, timeZone: fmt.timeZone, parts };
  return parts;
}

/**
 * The date column of the message list: the time for today's mail, day and month for this year's,
 * the full date for anything older (or from the future of another year).
 */
export function formatListDate(epochSeconds: number, now: Date = new Date(), fmt: FormatOptions = {}): string {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return "";
  const d = dayParts(date, fmt);
  const n = nowParts(now, fmt);
  if (d.year === n.year && d.month === n.month && d.day === n.day) {
    return formatter("time", { timeStyle: "short" }, fmt).format(date);
  }
  if (d.year === n.year) {
    return formatter("daymonth", { day: "numeric", month: "short" }, fmt).format(date);
  }
  return formatter("date", { day: "numeric", month: "numeric", year: "numeric" }, fmt).format(date);
}

/** The date in the reader's header: weekday, date and time. */
export function formatFullDate(epochSeconds: number, fmt: FormatOptions = {}): string {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return "";
  return formatter("full", { dateStyle: "full", timeStyle: "short" }, fmt).format(date);
}

/** Machine-readable date for `<time datetime>`. */
export function isoDate(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/** `Name <email>`, or the bare address when there is no name. */
export function formatAddress(address: Address): string {
  const name = address.name?.trim();
  return name ? `${name} <${address.email}>` : address.email;
}

export function formatAddressList(addresses: readonly Address[]): string {
  return addresses.map(formatAddress).join(", ");
}

/** What the message list shows as the sender: the name, else the address. */
export function senderLabel(address: Address | null): string {
  if (!address) return "(no sender)";
  const name = address.name?.trim();
  return name || address.email || "(no sender)";
}

/** What the message list and reader show for a message without a subject. */
export function subjectLabel(subject: string): string {
  const s = subject.trim();
  return s === "" ? "(no subject)" : s;
}

/** A byte count in the units people read: 512 B, 12 KB, 3.4 MB. */
export function formatSize(bytes: number, locale?: string): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value < 10 ? 1 : 0;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
  return `${number} ${units[unit]}`;
}

const counts = new Map<string, Intl.NumberFormat>();

/** An integer with the locale's grouping: 100,000. */
export function formatCount(n: number, locale?: string): string {
  const key = locale ?? "";
  let f = counts.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    counts.set(key, f);
  }
  return f.format(n);
}
