import { describe, expect, it } from "vitest";
import {
  domainOf,
  effectivePort,
  effectiveUsername,
  emptyAccount,
  hostHint,
  toNewAccount,
  usualPort,
  validateAccount,
  type AccountFields,
} from "./accountForm";

function filled(): AccountFields {
  const f = emptyAccount();
  f.displayName = " Ada Lovelace ";
  f.email = " ada@example.org ";
  f.password = "secret";
  f.imap.host = "imap.example.org";
  f.smtp.host = "smtp.example.org";
  return f;
}

describe("defaults", () => {
  it("uses the usual ports", () => {
    expect(usualPort("imap", "tls")).toBe(993);
    expect(usualPort("imap", "starttls")).toBe(143);
    expect(usualPort("smtp", "tls")).toBe(465);
    expect(usualPort("smtp", "starttls")).toBe(587);
  });

  it("starts with TLS on 993 and 465", () => {
    const f = emptyAccount();
    expect(f.imap.security).toBe("tls");
    expect(effectivePort("imap", f.imap)).toBe("993");
    expect(effectivePort("smtp", f.smtp)).toBe("465");
  });

  it("follows the security choice until the port is edited", () => {
    const f = emptyAccount();
    f.smtp.security = "starttls";
    expect(effectivePort("smtp", f.smtp)).toBe("587");
    f.smtp.port = "2525";
    f.smtp.security = "tls";
    expect(effectivePort("smtp", f.smtp)).toBe("2525");
  });

  it("takes the address as user name until it is edited", () => {
    const f = emptyAccount();
    f.email = "ada@example.org";
    expect(effectiveUsername(f.imap, f.email)).toBe("ada@example.org");
    f.imap.username = "ada";
    expect(effectiveUsername(f.imap, f.email)).toBe("ada");
    expect(effectiveUsername(f.smtp, f.email)).toBe("ada@example.org");
  });

  it("hints host names from the domain", () => {
    expect(domainOf("Ada@Example.ORG")).toBe("example.org");
    expect(domainOf("ada")).toBe("");
    expect(hostHint("imap", "ada@example.org")).toBe("imap.example.org");
    expect(hostHint("smtp", "")).toBe("smtp.example.org");
  });
});

describe("validateAccount", () => {
  it("accepts a complete form", () => {
    expect(validateAccount(filled())).toEqual({});
  });

  it("accepts IP addresses and localhost as hosts", () => {
    const f = filled();
    f.imap.host = "127.0.0.1";
    f.smtp.host = "localhost";
    expect(validateAccount(f)).toEqual({});
    f.imap.host = "[::1]";
    f.smtp.host = "::1";
    expect(validateAccount(f)).toEqual({});
  });

  it("reports every missing or malformed field", () => {
    const f = emptyAccount();
    f.email = "not an address";
    f.imap.port = "99999";
    f.smtp.host = "smtp.example.org:587";
    f.smtp.username = "";
    const e = validateAccount(f);
    expect(Object.keys(e).sort()).toEqual(["email", "imap.host", "imap.port", "password", "smtp.host", "smtp.username"]);
  });

  it("reports a missing address once, not again for user names that follow it", () => {
    const f = filled();
    f.email = "";
    expect(Object.keys(validateAccount(f))).toEqual(["email"]);
  });
});

describe("toNewAccount", () => {
  it("builds the request with trimmed values and effective defaults", () => {
    const f = filled();
    f.smtp.security = "starttls";
    f.imap.port = " 1993 ";
    expect(toNewAccount(f)).toEqual({
      display_name: "Ada Lovelace",
      email: "ada@example.org",
      password: "secret",
      imap: { host: "imap.example.org", port: 1993, security: "tls", username: "ada@example.org" },
      smtp: { host: "smtp.example.org", port: 587, security: "starttls", username: "ada@example.org" },
    });
  });

  it("keeps the password exactly as typed", () => {
    const f = filled();
    f.password = " pass word ";
    expect(toNewAccount(f).password).toBe(" pass word ");
  });
});
