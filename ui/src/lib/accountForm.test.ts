import { describe, expect, it } from "vitest";
import {
  domainOf,
  guessedFields,
  needsPlaintextConsent,
  plaintextServers,
  serversForHost,
  trustCertificate,
  trustedCertFor,
  validateServers,
  effectivePort,
  effectiveUsername,
  emptyAccount,
  FIELD_ORDER,
  hostHint,
  isPop3,
  setIncomingProtocol,
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
    expect(usualPort("pop3", "tls")).toBe(995);
    expect(usualPort("pop3", "starttls")).toBe(110);
  });

  it("follows the protocol too", () => {
    const f = emptyAccount();
    f.imap.protocol = "pop3";
    expect(effectivePort(f.imap)).toBe("995");
  });

  it("guesses imap.<domain> and smtp.<domain>, user name = address", () => {
    const f = guessedFields({ displayName: "Ada", email: "ada@Example.org", password: "pw" });
    expect(f.imap.host).toBe("imap.example.org");
    expect(f.smtp.host).toBe("smtp.example.org");
    expect(effectiveUsername(f.imap, f.email)).toBe("ada@Example.org");
    expect(validateAccount(f)).toEqual({});
    expect(guessedFields({ displayName: "", email: "ada", password: "" }).imap.host).toBe("");
  });

  it("starts with TLS on 993 and 465", () => {
    const f = emptyAccount();
    expect(f.imap.security).toBe("tls");
    expect(effectivePort(f.imap)).toBe("993");
    expect(effectivePort(f.smtp)).toBe("465");
  });

  it("follows the security choice until the port is edited", () => {
    const f = emptyAccount();
    f.smtp.security = "starttls";
    expect(effectivePort(f.smtp)).toBe("587");
    f.smtp.port = "2525";
    f.smtp.security = "tls";
    expect(effectivePort(f.smtp)).toBe("2525");
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

describe("what Petrel cannot do yet", () => {
  it("refuses OAuth with an explanation, and takes POP3", () => {
    const f = filled();
    f.imap.protocol = "pop3";
    f.smtp.auth = "oauth2";
    const e = validateServers(f);
    expect(Object.keys(e)).toEqual(["smtp.auth"]);
    expect(e["smtp.auth"]).toMatch(/Password/);
  });
});

describe("POP3", () => {
  it("switches the guessed host and a usual port with the protocol, and leaves typed ones", () => {
    const f = filled();
    setIncomingProtocol(f, "pop3");
    expect(f.imap.protocol).toBe("pop3");
    expect(f.imap.host).toBe("pop.example.org");
    expect(effectivePort(f.imap)).toBe("995");
    f.imap.security = "starttls";
    expect(effectivePort(f.imap)).toBe("110");
    setIncomingProtocol(f, "imap");
    expect(f.imap.host).toBe("imap.example.org");
    expect(effectivePort(f.imap)).toBe("143");

    const typed = filled();
    typed.imap.host = "mail.example.net";
    typed.imap.port = "993";
    setIncomingProtocol(typed, "pop3");
    expect(typed.imap.host).toBe("mail.example.net");
    expect(typed.imap.port).toBeNull();
    expect(effectivePort(typed.imap)).toBe("995");
    typed.imap.port = "31995";
    setIncomingProtocol(typed, "imap");
    expect(typed.imap.port).toBe("31995");
    expect(hostHint("imap", "ada@example.org", "pop3")).toBe("pop.example.org");
  });

  it("checks the POP3 options only for POP3 accounts", () => {
    const f = filled();
    f.pop3.deleteAfter = true;
    f.pop3.days = "0";
    expect(validateServers(f)).toEqual({});
    setIncomingProtocol(f, "pop3");
    expect(Object.keys(validateServers(f))).toEqual(["pop3.days"]);
    expect(FIELD_ORDER).toContain("pop3.days");
    f.pop3.leaveOnServer = false;
    expect(validateServers(f)).toEqual({});
  });

  it("sends protocol pop3 with the options, checking every 10 minutes by default", () => {
    const f = filled();
    setIncomingProtocol(f, "pop3");
    f.pop3.deleteAfter = true;
    f.pop3.days = " 30 ";
    f.pop3.deleteWhenDeletedHere = false;
    const req = toNewAccount(f);
    expect(req.protocol).toBe("pop3");
    expect(req.incoming).toEqual({ host: "pop.example.org", port: 995, security: "tls", username: "ada@example.org", trusted_cert: null });
    expect(req.pop3).toEqual({ leave_on_server: true, delete_after_days: 30, delete_when_deleted_locally: false, check_every_minutes: 10 });
    expect(toNewAccount(filled()).pop3).toBeNull();
  });

  it("starts with the engine's defaults: leave on the server, delete when deleted here", () => {
    const f = emptyAccount();
    f.imap.protocol = "pop3";
    expect(toNewAccount({ ...filled(), imap: { ...filled().imap, protocol: "pop3" } }).pop3).toEqual({
      leave_on_server: true,
      delete_after_days: null,
      delete_when_deleted_locally: true,
      check_every_minutes: 10,
    });
    expect(isPop3(f)).toBe(true);
  });
});

describe("unencrypted connections", () => {
  it("need consent when either server is plain", () => {
    const f = filled();
    expect(needsPlaintextConsent(f)).toBe(false);
    expect(plaintextServers(f)).toBe("");
    f.smtp.security = "plain";
    expect(needsPlaintextConsent(f)).toBe(true);
    expect(plaintextServers(f)).toBe("Outgoing mail");
    f.imap.security = "plain";
    expect(plaintextServers(f)).toBe("Incoming and outgoing mail");
  });

  it("STARTTLS and TLS need none", () => {
    const f = filled();
    f.imap.security = "starttls";
    expect(needsPlaintextConsent(f)).toBe(false);
  });
});

describe("trusting a certificate", () => {
  const cert = { host: "mail.example.org", sha256: "AB:CD:EF" };

  it("pins it on the servers with that host only", () => {
    const f = filled();
    f.imap.host = "Mail.Example.org.";
    expect(serversForHost(f, cert.host)).toEqual(["imap"]);
    expect(trustCertificate(f, cert)).toEqual(["imap"]);
    const req = toNewAccount(f);
    expect(req.incoming.trusted_cert).toBe("AB:CD:EF");
    expect(req.smtp.trusted_cert).toBeNull();
  });

  it("pins it on both when both use the host", () => {
    const f = filled();
    f.imap.host = f.smtp.host = "mail.example.org";
    expect(trustCertificate(f, cert)).toEqual(["imap", "smtp"]);
    expect(toNewAccount(f).smtp.trusted_cert).toBe("AB:CD:EF");
  });

  it("drops the pin when the host is changed", () => {
    const f = filled();
    f.imap.host = "mail.example.org";
    trustCertificate(f, cert);
    f.imap.host = "imap.other.org";
    expect(trustedCertFor(f.imap)).toBeNull();
    expect(toNewAccount(f).incoming.trusted_cert).toBeNull();
    f.imap.host = "mail.example.org";
    expect(trustedCertFor(f.imap)).toBe("AB:CD:EF");
  });

  it("falls back to the incoming server for a host neither names", () => {
    const f = filled();
    expect(trustCertificate(f, { host: "alias.example.net", sha256: "01" })).toEqual(["imap"]);
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
      protocol: "imap",
      incoming: { host: "imap.example.org", port: 1993, security: "tls", username: "ada@example.org", trusted_cert: null },
      pop3: null,
      smtp: {
        host: "smtp.example.org",
        port: 587,
        security: "starttls",
        username: "ada@example.org",
        trusted_cert: null,
      },
    });
  });

  it("keeps the password exactly as typed", () => {
    const f = filled();
    f.password = " pass word ";
    expect(toNewAccount(f).password).toBe(" pass word ");
  });
});
