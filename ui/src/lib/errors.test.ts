import { describe, expect, it } from "vitest";
import { isUserError, toUserError } from "./errors";

describe("toUserError", () => {
  it("passes a UserError through", () => {
    const e = {
      kind: "auth_failed",
      summary: "The server rejected the password.",
      detail: "NO [AUTHENTICATIONFAILED]",
      certificate: null,
      help_url: "https://example.org/app-passwords",
    };
    expect(isUserError(e)).toBe(true);
    expect(toUserError(e)).toBe(e);
  });

  it("completes one without the extras", () => {
    const e = { kind: "auth_failed", summary: "No.", detail: "" };
    expect(isUserError(e)).toBe(false);
    expect(toUserError(e)).toEqual({ ...e, certificate: null, help_url: null });
  });

  it("wraps strings and exceptions with a plain summary", () => {
    expect(toUserError("command list_accounts not found", "Could not start.")).toEqual({
      kind: "internal",
      summary: "Could not start.",
      detail: "command list_accounts not found",
      certificate: null,
      help_url: null,
    });
    const wrapped = toUserError(new TypeError("x is undefined"));
    expect(wrapped.kind).toBe("internal");
    expect(wrapped.summary).toBe("Something went wrong.");
    expect(wrapped.detail).toContain("x is undefined");
  });

  it("does not take a look-alike with an unknown kind", () => {
    expect(isUserError({ kind: "weird", summary: "a", detail: "b" })).toBe(false);
    expect(toUserError({ kind: "weird" }).detail).toBe('{"kind":"weird"}');
  });
});
