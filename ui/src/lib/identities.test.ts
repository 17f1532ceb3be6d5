import { describe, expect, it } from "vitest";
import type { Identity } from "./bindings/Identity";
import { aliasProblem, identityFields, identitySpec, newAlias } from "./identities";

const main: Identity = { id: 1, account_id: 7, name: "Ann", email: "ann@a.org", signature: "Ann", rich_text: true, is_default: true };

describe("identities", () => {
  it("edits name, signature and format; saves trimmed", () => {
    const spec = identitySpec(async () => null, () => {});
    const fields = identityFields(main);
    expect(spec.changed(fields, main)).toBe(false);
    const edited = { ...fields, signature: "Ann\nACME  \n", richText: false };
    expect(spec.changed(edited, main)).toBe(true);
    expect(spec.fromFields(edited, main)).toEqual({ ...main, signature: "Ann\nACME", rich_text: false });
    expect(spec.validate({ ...fields, name: "Ann <x>" })).toEqual({ name: "A name cannot hold < or >." });
    expect(spec.fromFields({ ...fields, name: "Ann <x>" }, main)).toBeNull();
  });

  it("checks a new alias's address", () => {
    expect(aliasProblem("Sales", "", [main])).toBe("Type the address the alias sends from.");
    expect(aliasProblem("Sales", "sales", [main])).toBe("This does not look like an e-mail address: sales");
    expect(aliasProblem("", "ANN@a.org", [main])).toBe("ANN@a.org is already one of this account's identities.");
    expect(aliasProblem("Sales", " sales@a.org ", [main])).toBeNull();
    expect(newAlias(7, " Sales ", " sales@a.org ", main)).toEqual({
      id: 0,
      account_id: 7,
      name: "Sales",
      email: "sales@a.org",
      signature: "",
      rich_text: true,
      is_default: false,
    });
  });
});
