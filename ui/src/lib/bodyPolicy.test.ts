import { describe, expect, it } from "vitest";
import type { BodyPolicy } from "./bindings/BodyPolicy";
import {
  describePolicy,
  fieldsChanged,
  fieldsToPolicy,
  MAX_MEGABYTES,
  MEGABYTE,
  policyToFields,
  validateBodyPolicy,
  type BodyPolicyFields,
} from "./bodyPolicy";

const defaults: BodyPolicy = { keep_all_offline: false, prefetch_days: 30, max_prefetch_bytes: 5 * MEGABYTE };
const fields = (over: Partial<BodyPolicyFields> = {}): BodyPolicyFields => ({ ...policyToFields(defaults), ...over });

describe("body policy fields", () => {
  it("show the engine's policy in days and MB", () => {
    expect(policyToFields(defaults)).toEqual({ keepAllOffline: false, days: "30", maxMegabytes: "5" });
    expect(policyToFields({ ...defaults, max_prefetch_bytes: MEGABYTE / 2 }).maxMegabytes).toBe("0.5");
  });

  it("turn back into the same policy", () => {
    expect(fieldsToPolicy(fields(), defaults)).toEqual(defaults);
    expect(fieldsToPolicy(fields({ days: " 7 ", maxMegabytes: "2,5" }), defaults)).toEqual({
      keep_all_offline: false,
      prefetch_days: 7,
      max_prefetch_bytes: 2.5 * MEGABYTE,
    });
  });

  it("accept 0 days (nothing downloaded ahead)", () => {
    expect(validateBodyPolicy(fields({ days: "0" }))).toEqual({});
  });

  it("explain what is wrong in plain words", () => {
    expect(validateBodyPolicy(fields({ days: "" })).days).toBe("Enter a number of days, for example 30.");
    expect(validateBodyPolicy(fields({ days: "2.5" })).days).toBe("Enter the number of days as a whole number, for example 30.");
    expect(validateBodyPolicy(fields({ days: "-1" })).days).toMatch(/whole number/);
    expect(validateBodyPolicy(fields({ days: "99999" })).days).toMatch(/at most .* days, or choose “Keep all mail offline”/);
    expect(validateBodyPolicy(fields({ maxMegabytes: "" })).maxMegabytes).toBe("Enter a size in MB, for example 5.");
    expect(validateBodyPolicy(fields({ maxMegabytes: "five" })).maxMegabytes).toBe(
      "Enter the size as a number of MB, for example 5 or 0.5.",
    );
    expect(validateBodyPolicy(fields({ maxMegabytes: "0" })).maxMegabytes).toBe("Enter a size above 0 MB.");
    expect(validateBodyPolicy(fields({ maxMegabytes: String(MAX_MEGABYTES + 1) })).maxMegabytes).toMatch(/at most/);
    expect(fieldsToPolicy(fields({ maxMegabytes: "0" }), defaults)).toBeNull();
  });

  it("ignore the days while all mail is kept offline, keeping the saved number", () => {
    const f = fields({ keepAllOffline: true, days: "soon" });
    expect(validateBodyPolicy(f)).toEqual({});
    expect(fieldsToPolicy(f, defaults)).toEqual({ ...defaults, keep_all_offline: true });
  });

  it("the largest size fits the engine's 32-bit byte count", () => {
    const p = fieldsToPolicy(fields({ maxMegabytes: String(MAX_MEGABYTES) }), defaults);
    expect(p?.max_prefetch_bytes).toBeLessThanOrEqual(0xffff_ffff);
  });

  it("know when they differ from what is saved", () => {
    expect(fieldsChanged(fields(), defaults)).toBe(false);
    expect(fieldsChanged(fields({ days: "030" }), defaults)).toBe(false);
    expect(fieldsChanged(fields({ days: "31" }), defaults)).toBe(true);
    expect(fieldsChanged(fields({ days: "" }), defaults)).toBe(true);
    expect(fieldsChanged(fields({ keepAllOffline: true }), defaults)).toBe(true);
  });
});

describe("describePolicy", () => {
  it("says what will be downloaded", () => {
    expect(describePolicy(defaults)).toBe("Messages from the last 30 days up to 5 MB are downloaded ahead; others when you open them.");
    expect(describePolicy({ ...defaults, prefetch_days: 1 })).toMatch(/the last day/);
    expect(describePolicy({ ...defaults, prefetch_days: 0 })).toBe("Messages are downloaded only when you open them.");
    expect(describePolicy({ ...defaults, keep_all_offline: true })).toBe(
      "All messages up to 5 MB are downloaded, so you can read them offline.",
    );
  });
});
