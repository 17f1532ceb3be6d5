import { describe, expect, it } from "vitest";
import { effectivePort, effectiveUsername, toNewAccount } from "./accountForm";
import type { DiscoveredConfig } from "./bindings/DiscoveredConfig";
import type { ServerConfig } from "./bindings/ServerConfig";
import {
  configBlocker,
  confirmationText,
  fieldsFromConfig,
  fieldsLine,
  foundInText,
  lockDescription,
  lockKind,
  needsConfirmation,
  newAccountFromConfig,
  NO_OUTGOING,
  OAUTH_ONLY,
  defaultProtocol,
  incomingChoices,
  INCOMING_CHOICES,
  offersProtocolChoice,
  pickServers,
  safeUrl,
  serverLine,
  serverLineText,
  SOURCE_ORDER,
  sourceLabel,
  sourceRows,
  stateLabel,
  withReport,
} from "./discovery";

const identity = { displayName: "Ada", email: "ada@example.org", password: "pw" };

function server(over: Partial<ServerConfig>): ServerConfig {
  return {
    protocol: "imap",
    host: "imap.example.org",
    port: 993,
    security: "tls",
    username: "ada@example.org",
    auth: "password",
    pop3: null,
    ...over,
  };
}

function config(over: Partial<DiscoveredConfig> = {}): DiscoveredConfig {
  return {
    source: "srv",
    provider: null,
    incoming: [server({})],
    outgoing: [server({ protocol: "smtp", host: "smtp.example.org", port: 587, security: "starttls" })],
    trusted: true,
    notes: [],
    help_url: null,
    unsupported: null,
    ...over,
  };
}

describe("sources", () => {
  it("are listed in the engine's priority order, every one of them", () => {
    expect(SOURCE_ORDER).toEqual(["provider", "autoconfig", "srv", "mx", "autoconfig_http", "guess"]);
    const rows = sourceRows({});
    expect(rows.map((r) => r.source)).toEqual(SOURCE_ORDER);
    expect(rows.every((r) => r.state === "waiting" && r.stateLabel === "Waiting")).toBe(true);
  });

  it("have plain labels", () => {
    expect(sourceLabel("provider")).toBe("Petrel's list of providers");
    expect(sourceLabel("srv")).toMatch(/DNS/);
    expect(sourceLabel("mx")).toMatch(/MX/);
    expect(sourceLabel("autoconfig_http")).toMatch(/HTTP/);
    expect(sourceLabel("guess")).toBe("Trying the usual server names");
    for (const s of SOURCE_ORDER) expect(sourceLabel(s)).not.toBe("");
  });

  it("show each source's latest report with its detail, whatever the arrival order", () => {
    let reports = withReport({}, { source: "guess", state: "looking", detail: null });
    reports = withReport(reports, { source: "srv", state: "looking", detail: null });
    reports = withReport(reports, { source: "srv", state: "found", detail: "localhost port 993" });
    const rows = sourceRows(reports);
    expect(rows.map((r) => r.state)).toEqual(["waiting", "waiting", "found", "waiting", "waiting", "looking"]);
    expect(rows[2]).toMatchObject({ label: "DNS service records (SRV)", stateLabel: "Found", detail: "localhost port 993" });
    expect(stateLabel("not_found")).toBe("Not found");
    expect(stateLabel("skipped")).toBe("Skipped");
    expect(stateLabel("failed")).toBe("Failed");
    expect(stateLabel("looking")).toBe("Looking…");
  });

  it("say where found settings came from", () => {
    expect(foundInText("provider")).toBe("Found in Petrel's list of providers");
    expect(foundInText("autoconfig")).toBe("Found in your provider's configuration file");
    expect(foundInText("srv")).toBe("Found through DNS");
    expect(foundInText("guess")).toBe("Found by trying the usual server names");
    expect(foundInText("mx")).toMatch(/^Found through DNS/);
    expect(foundInText("autoconfig_http")).toMatch(/without encryption/);
  });
});

describe("summary lines", () => {
  it("have a lock per kind of security", () => {
    expect(lockKind("tls")).toBe("tls");
    expect(lockKind("starttls")).toBe("starttls");
    expect(lockKind("plain")).toBe("none");
    expect(new Set([lockDescription("tls"), lockDescription("starttls"), lockDescription("none")]).size).toBe(3);
  });

  it("read like a sentence", () => {
    expect(serverLineText(serverLine("Incoming", server({})))).toBe("Incoming: IMAP · imap.example.org · port 993 · SSL/TLS");
    const out = serverLine("Outgoing", server({ protocol: "smtp", host: "smtp.example.org", port: 587, security: "starttls" }));
    expect(serverLineText(out)).toBe("Outgoing: SMTP · smtp.example.org · port 587 · STARTTLS");
    expect(out.lock).toBe("starttls");
    expect(serverLine("Incoming", server({ security: "plain", port: 143 }))).toMatchObject({ security: "No encryption", lock: "none" });
  });

  it("can come from the form's fields", () => {
    const f = fieldsFromConfig(config(), identity);
    expect(serverLineText(fieldsLine("imap", f.imap))).toBe("Incoming: IMAP · imap.example.org · port 993 · SSL/TLS");
    f.smtp.port = "2525";
    expect(fieldsLine("smtp", f.smtp).port).toBe(2525);
  });
});

describe("choosing servers", () => {
  it("takes the first IMAP server and the first SMTP server", () => {
    const c = config({
      incoming: [server({ protocol: "pop3", host: "pop.example.org", port: 995 }), server({ host: "imap2.example.org" })],
    });
    expect(pickServers(c).incoming?.host).toBe("imap2.example.org");
    expect(pickServers(c).outgoing?.host).toBe("smtp.example.org");
  });

  it("offers POP3 when that is all there is, with no choice to make", () => {
    const c = config({ incoming: [server({ protocol: "pop3", host: "pop.example.org", port: 995 })] });
    expect(defaultProtocol(c)).toBe("pop3");
    expect(offersProtocolChoice(c)).toBe(false);
    expect(pickServers(c).incoming?.protocol).toBe("pop3");
    expect(configBlocker(c)).toBeNull();
  });

  it("chooses IMAP when both are found, and lets the user pick POP3", () => {
    const c = config({
      incoming: [
        server({ protocol: "pop3", host: "pop.example.org", port: 995, pop3: { leave_messages_on_server: false, days_to_leave_messages_on_server: null } }),
        server({ host: "imap.example.org" }),
      ],
    });
    expect(offersProtocolChoice(c)).toBe(true);
    expect(defaultProtocol(c)).toBe("imap");
    expect(incomingChoices(c).pop3?.host).toBe("pop.example.org");
    expect(pickServers(c, "pop3").incoming?.host).toBe("pop.example.org");
    expect(pickServers(c, "imap").incoming?.host).toBe("imap.example.org");
    expect(INCOMING_CHOICES.map((x) => x.label)).toEqual(["IMAP (recommended)", "POP3"]);
    expect(configBlocker(c, "pop3")).toBeNull();

    const imap = newAccountFromConfig(c, identity);
    expect(imap.protocol).toBe("imap");
    expect(imap.pop3).toBeNull();
    const pop = newAccountFromConfig(c, identity, "pop3");
    expect(pop.protocol).toBe("pop3");
    expect(pop.incoming).toMatchObject({ host: "pop.example.org", port: 995, security: "tls" });
    // The provider's file says not to leave mail on the server.
    expect(pop.pop3).toMatchObject({ leave_on_server: false, check_every_minutes: 10 });
  });

  it("takes the provider's days to leave mail on the server", () => {
    const c = config({
      incoming: [server({ protocol: "pop3", host: "pop.example.org", port: 995, pop3: { leave_messages_on_server: true, days_to_leave_messages_on_server: 7 } })],
    });
    expect(newAccountFromConfig(c, identity).pop3).toEqual({
      leave_on_server: true,
      delete_after_days: 7,
      delete_when_deleted_locally: true,
      check_every_minutes: 10,
    });
  });

  it("blocks for good when the provider offers no IMAP or POP3 at all", () => {
    const c = config({ incoming: [], outgoing: [], unsupported: "Tutanota has no IMAP." });
    expect(configBlocker(c)).toEqual({ reason: "Tutanota has no IMAP.", canEdit: false });
  });

  it("blocks a missing outgoing server and OAuth-only sign-in, both editable", () => {
    expect(configBlocker(config({ outgoing: [] }))).toEqual({ reason: NO_OUTGOING, canEdit: true });
    expect(configBlocker(config({ incoming: [server({ auth: "oauth2" })] }))).toEqual({ reason: OAUTH_ONLY, canEdit: true });
    expect(configBlocker(config())).toBeNull();
  });
});

describe("confirmation", () => {
  it("is needed for untrusted settings only", () => {
    expect(needsConfirmation(null)).toBe(false);
    expect(needsConfirmation(config())).toBe(false);
    const c = config({ source: "autoconfig_http", trusted: false });
    expect(needsConfirmation(c)).toBe(true);
    expect(confirmationText(c)).toMatch(/without encryption/);
  });

  it("links only to web pages", () => {
    expect(safeUrl("https://support.example.org/app-passwords")).toBe("https://support.example.org/app-passwords");
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("not a url")).toBeNull();
    expect(safeUrl(null)).toBeNull();
  });
});

describe("from found settings to the request", () => {
  it("builds the NewAccount as found", () => {
    const c = config({
      incoming: [server({ host: "localhost", port: 31993 })],
      outgoing: [server({ protocol: "smtp", host: "localhost", port: 31465, security: "tls" })],
    });
    expect(newAccountFromConfig(c, identity)).toEqual({
      display_name: "Ada",
      email: "ada@example.org",
      password: "pw",
      protocol: "imap",
      incoming: { host: "localhost", port: 31993, security: "tls", username: "ada@example.org", trusted_cert: null },
      pop3: null,
      smtp: { host: "localhost", port: 31465, security: "tls", username: "ada@example.org", trusted_cert: null },
    });
  });

  it("keeps a user name other than the address, and lets the usual port follow the security", () => {
    const c = config({ incoming: [server({ username: "ada" })] });
    const f = fieldsFromConfig(c, identity);
    expect(effectiveUsername(f.imap, f.email)).toBe("ada");
    expect(effectiveUsername(f.smtp, f.email)).toBe("ada@example.org");
    expect(f.imap.port).toBeNull();
    f.imap.security = "starttls";
    expect(effectivePort(f.imap)).toBe("143");
  });

  it("keeps an unusual port as found", () => {
    const f = fieldsFromConfig(config({ incoming: [server({ port: 31993 })] }), identity);
    expect(f.imap.port).toBe("31993");
  });

  it("keeps the sign-in method, so OAuth shows as what it is", () => {
    const f = fieldsFromConfig(config({ incoming: [server({ auth: "oauth2" })] }), identity);
    expect(f.imap.auth).toBe("oauth2");
  });

  it("fills the POP3 server when only POP3 was found", () => {
    const c = config({ incoming: [server({ protocol: "pop3", host: "pop.example.org", port: 995, username: "ada" })] });
    const f = fieldsFromConfig(c, identity);
    expect(f.imap).toMatchObject({ protocol: "pop3", host: "pop.example.org", port: null, username: "ada" });
    expect(toNewAccount(f).incoming.port).toBe(995);
    expect(toNewAccount(f).protocol).toBe("pop3");
  });

  it("guesses what is missing", () => {
    const f = fieldsFromConfig(config({ outgoing: [] }), identity);
    expect(f.smtp.host).toBe("smtp.example.org");
  });
});
