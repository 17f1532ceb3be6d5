import { describe, expect, it } from "vitest";
import { guessedFields } from "./accountForm";
import type { DiscoveredConfig } from "./bindings/DiscoveredConfig";
import type { UserError } from "./bindings/UserError";
import { fieldsFromConfig, OAUTH_ONLY } from "./discovery";
import { userError } from "./errors";
import {
  adviceFor,
  certificateOf,
  CONFIRM_FIRST,
  CONSENT_FIRST,
  fingerprintLines,
  FIX_FIELDS,
  PASSWORD_FIRST,
  stepOf,
  syncFraction,
  syncText,
  testBlockers,
  validityText,
} from "./setup";

const identity = { displayName: "Ada", email: "ada@example.org", password: "pw" };

function config(over: Partial<DiscoveredConfig> = {}): DiscoveredConfig {
  const s = { username: "ada@example.org", auth: "password" as const, pop3: null };
  return {
    source: "srv",
    provider: null,
    incoming: [{ protocol: "imap", host: "imap.example.org", port: 993, security: "tls", ...s }],
    outgoing: [{ protocol: "smtp", host: "smtp.example.org", port: 465, security: "tls", ...s }],
    trusted: true,
    notes: [],
    help_url: null,
    unsupported: null,
    ...over,
  };
}

function ready(c: DiscoveredConfig | null, over: Partial<Parameters<typeof testBlockers>[0]> = {}) {
  const fields = c ? fieldsFromConfig(c, identity) : guessedFields(identity);
  return testBlockers({ config: c, editing: c === null, fields, confirmed: false, consented: false, ...over });
}

describe("testBlockers", () => {
  it("lets trusted, encrypted settings be tested at once", () => {
    expect(ready(config())).toEqual([]);
  });

  it("wants untrusted settings confirmed first", () => {
    const c = config({ source: "autoconfig_http", trusted: false });
    expect(ready(c)).toEqual([CONFIRM_FIRST]);
    expect(ready(c, { confirmed: true })).toEqual([]);
  });

  it("wants consent before sending a password unencrypted, found or edited", () => {
    const c = config();
    const fields = fieldsFromConfig(c, identity);
    fields.smtp.security = "plain";
    expect(ready(c, { fields, editing: true })).toEqual([CONSENT_FIRST]);
    expect(ready(c, { fields, editing: true, consented: true })).toEqual([]);
    const plain = config({
      trusted: false,
      incoming: [{ protocol: "imap", host: "h", port: 143, security: "plain", username: "", auth: "password", pop3: null }],
    });
    expect(ready(plain)).toEqual([CONFIRM_FIRST, CONSENT_FIRST]);
  });

  it("says why found settings cannot be used, until they are edited", () => {
    const pop = config({
      incoming: [{ protocol: "pop3", host: "pop.example.org", port: 995, security: "tls", username: "", auth: "password", pop3: null }],
    });
    const popFields = fieldsFromConfig(pop, identity);
    expect(ready(pop, { fields: popFields })).toEqual([]);
    popFields.pop3.deleteAfter = true;
    popFields.pop3.days = "0";
    expect(ready(pop, { fields: popFields })).toEqual([FIX_FIELDS]);
    expect(ready(pop, { fields: popFields, editing: true })).toEqual([FIX_FIELDS]);
    const oauth = config({
      incoming: [{ protocol: "imap", host: "i", port: 993, security: "tls", username: "", auth: "oauth2", pop3: null }],
    });
    expect(ready(oauth)).toEqual([OAUTH_ONLY]);
    expect(ready(oauth, { editing: true })).toEqual([FIX_FIELDS]);
  });

  it("never lets an unsupported provider through", () => {
    const c = config({ unsupported: "Hey has no IMAP." });
    expect(ready(c)).toEqual(["Hey has no IMAP."]);
    expect(ready(c, { editing: true, confirmed: true, consented: true })).toEqual(["Hey has no IMAP."]);
  });

  it("checks the edited fields and the password", () => {
    const fields = guessedFields({ ...identity, password: "" });
    fields.imap.host = "";
    expect(ready(null, { fields })).toEqual([FIX_FIELDS, PASSWORD_FIRST]);
  });
});

describe("failures", () => {
  it("come with advice for the usual causes", () => {
    expect(adviceFor(userError("auth_failed", "x"))).toMatch(/app password/);
    expect(adviceFor(userError("host_not_found", "x"))).toMatch(/server names/);
    expect(adviceFor(userError("timeout", "x"))).toMatch(/ports/);
    expect(adviceFor(userError("internal", "x"))).toBeNull();
  });

  it("offer a certificate only when it is the certificate that was refused", () => {
    const certificate = {
      host: "mail.example.org",
      sha256: "AB:CD",
      subject: "CN=mail.example.org",
      issuer: "CN=mail.example.org",
      not_before: 0,
      not_after: 1,
      reason: "self-signed",
    };
    const e: UserError = { ...userError("certificate_not_trusted", "Not trusted"), certificate };
    expect(certificateOf(e)).toBe(certificate);
    expect(certificateOf({ ...e, kind: "tls" })).toBeNull();
    expect(certificateOf(null)).toBeNull();
  });

  it("show a fingerprint in lines of eight bytes", () => {
    const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0").toUpperCase()).join(":");
    const lines = fingerprintLines(fp);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe("00:01:02:03:04:05:06:07");
    expect(lines.join(":")).toBe(fp);
  });

  it("say when a certificate is expired or not valid yet", () => {
    const jan2026 = Date.UTC(2026, 0, 1) / 1000;
    const jan2027 = Date.UTC(2027, 0, 1) / 1000;
    const cert = { not_before: jan2026, not_after: jan2027 };
    expect(validityText(cert, new Date(Date.UTC(2026, 5, 1)), "en-GB")).toBe("1 January 2026 to 1 January 2027");
    expect(validityText(cert, new Date(Date.UTC(2028, 0, 1)), "en-GB")).toMatch(/\(expired\)$/);
    expect(validityText(cert, new Date(Date.UTC(2025, 0, 1)), "en-GB")).toMatch(/\(not valid yet\)$/);
  });
});

describe("first sync", () => {
  it("describes the progress and fills the bar", () => {
    expect(syncText(null)).toMatch(/Starting/);
    expect(syncFraction(null)).toBeNull();
    expect(syncText({ folder: "INBOX", done: 0, total: 0 })).toBe("Looking at INBOX…");
    expect(syncFraction({ folder: "INBOX", done: 0, total: 0 })).toBeNull();
    const p = { folder: "INBOX", done: 250, total: 1000 };
    expect(syncText(p)).toBe("Fetching INBOX: 250 of 1,000 messages");
    expect(syncFraction(p)).toBe(0.25);
    expect(syncFraction({ folder: "INBOX", done: 5, total: 1 })).toBe(1);
    expect(syncText({ folder: "INBOX", done: 1, total: 1 })).toBe("Fetching INBOX: 1 of 1 message");
  });
});

describe("steps", () => {
  it("map the views to three steps", () => {
    expect(stepOf("identity")).toBe(1);
    expect(stepOf("settings")).toBe(2);
    expect(stepOf("testing")).toBe(3);
    expect(stepOf("done")).toBe(3);
    expect(stepOf("manual")).toBeNull();
  });
});
