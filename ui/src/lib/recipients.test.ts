import { describe, expect, it } from "vitest";
import { invalidRecipients, recipientAddress, splitRecipients, normalizeRecipients } from "./recipients";

describe("splitRecipients", () => {
  it("splits on commas and semicolons", () => {
    expect(splitRecipients("a@x.org, b@x.org; c@x.org")).toEqual(["a@x.org", "b@x.org", "c@x.org"]);
  });

  it("keeps commas inside quotes and angle brackets", () => {
    expect(splitRecipients('"Doe, Jane" <jane@x.org>, bo@x.org')).toEqual(['"Doe, Jane" <jane@x.org>', "bo@x.org"]);
    expect(splitRecipients('"A \\" B, C" <a@x.org>')).toEqual(['"A \\" B, C" <a@x.org>']);
  });

  it("ignores empty entries", () => {
    expect(splitRecipients(" , ,a@x.org,, ")).toEqual(["a@x.org"]);
    expect(splitRecipients("")).toEqual([]);
  });
});

describe("invalidRecipients", () => {
  it("accepts bare and named addresses", () => {
    expect(invalidRecipients('a@x.org, "Bo" <bo@x.org>, Cy <cy@x.org>')).toEqual([]);
    expect(recipientAddress("Cy <cy@x.org>")).toBe("cy@x.org");
  });

  it("reports what is not an address", () => {
    expect(invalidRecipients("bob, a@x.org, <>")).toEqual(["bob", "<>"]);
    expect(invalidRecipients("a b@x.org")).toEqual(["a b@x.org"]);
  });

  it("normalizes what is sent: no empty recipient after a trailing comma", () => {
    expect(normalizeRecipients('Zoë Ünal <z@x.org>, ')).toBe("Zoë Ünal <z@x.org>");
    expect(normalizeRecipients(' a@x.org;b@x.org ,, "B, C" <c@x.org>,')).toBe('a@x.org, b@x.org, "B, C" <c@x.org>');
  });
});
