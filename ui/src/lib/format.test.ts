import { describe, expect, it } from "vitest";
import {
  formatAddress,
  formatAddressList,
  formatCount,
  formatFullDate,
  formatListDate,
  formatSize,
  senderLabel,
  subjectLabel,
} from "./format";

const UTC = { locale: "en-GB", timeZone: "UTC" };
const at = (iso: string) => Date.parse(iso) / 1000;

describe("formatListDate", () => {
  const now = new Date("2026-11-27T15:00:00Z");

  it("shows the time for today's mail", () => {
    expect(formatListDate(at("2026-11-27T09:05:00Z"), now, UTC)).toBe("09:05");
    expect(formatListDate(at("2026-11-27T00:00:00Z"), now, UTC)).toBe("00:00");
  });

  it("shows day and month for this year's mail", () => {
    expect(formatListDate(at("2026-11-26T23:59:00Z"), now, UTC)).toBe("26 Nov");
    expect(formatListDate(at("2026-01-01T00:00:00Z"), now, UTC)).toBe("1 Jan");
  });

  it("shows the full date for older mail", () => {
    expect(formatListDate(at("2025-12-31T23:59:00Z"), now, UTC)).toBe("31/12/2025");
    expect(formatListDate(at("1999-03-04T10:00:00Z"), now, UTC)).toBe("04/03/1999");
  });

  it("decides 'today' in the given time zone, not in UTC", () => {
    // 23:30 UTC on the 26th is already the 27th in Berlin.
    const berlin = { locale: "en-GB", timeZone: "Europe/Berlin" };
    expect(formatListDate(at("2026-11-26T23:30:00Z"), now, berlin)).toBe("00:30");
    expect(formatListDate(at("2026-11-26T23:30:00Z"), now, UTC)).toBe("26 Nov");
  });

  it("follows the locale's conventions", () => {
    const us = { locale: "en-US", timeZone: "UTC" };
    // Newer ICU puts a narrow no-break space before "PM".
    expect(formatListDate(at("2026-11-27T14:05:00Z"), now, us).replace(/\s/gu, " ")).toBe("2:05 PM");
    expect(formatListDate(at("2026-03-04T10:00:00Z"), now, us)).toBe("Mar 4");
    expect(formatListDate(at("2020-03-04T10:00:00Z"), now, us)).toBe("3/4/2020");
  });

  it("gives nothing for an impossible date", () => {
    expect(formatListDate(Number.NaN, now, UTC)).toBe("");
  });
});

describe("formatFullDate", () => {
  it("names the weekday and the time", () => {
    // ICU versions differ in punctuation ("Friday, 27 …" or "Friday 27 …"); the parts are stable.
    const s = formatFullDate(at("2026-11-27T09:05:00Z"), UTC);
    expect(s).toMatch(/^Friday,? 27 November 2026\b/);
    expect(s).toContain("09:05");
  });
});

describe("addresses", () => {
  it("formats a named address and a bare one", () => {
    expect(formatAddress({ name: "Ada Lovelace", email: "ada@example.org" })).toBe("Ada Lovelace <ada@example.org>");
    expect(formatAddress({ name: null, email: "bo@example.org" })).toBe("bo@example.org");
    expect(formatAddress({ name: "  ", email: "bo@example.org" })).toBe("bo@example.org");
  });

  it("joins lists with commas", () => {
    expect(
      formatAddressList([
        { name: "A", email: "a@x.org" },
        { name: null, email: "b@x.org" },
      ]),
    ).toBe("A <a@x.org>, b@x.org");
    expect(formatAddressList([])).toBe("");
  });

  it("labels the sender by name, else by address", () => {
    expect(senderLabel({ name: "Ada", email: "ada@example.org" })).toBe("Ada");
    expect(senderLabel({ name: null, email: "ada@example.org" })).toBe("ada@example.org");
    expect(senderLabel(null)).toBe("(no sender)");
  });

  it("labels an empty subject", () => {
    expect(subjectLabel("  ")).toBe("(no subject)");
    expect(subjectLabel(" Hi ")).toBe("Hi");
  });
});

describe("numbers", () => {
  it("formats sizes", () => {
    expect(formatSize(0, "en")).toBe("0 B");
    expect(formatSize(1023, "en")).toBe("1023 B");
    expect(formatSize(1536, "en")).toBe("1.5 KB");
    expect(formatSize(20 * 1024, "en")).toBe("20 KB");
    expect(formatSize(3.4 * 1024 * 1024, "en")).toBe("3.4 MB");
    expect(formatSize(-1, "en")).toBe("");
  });

  it("groups counts", () => {
    expect(formatCount(100000, "en")).toBe("100,000");
  });
});
