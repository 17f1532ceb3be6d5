import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Account } from "./bindings/Account";
import type { DiscoveryOutcome } from "./bindings/DiscoveryOutcome";
import type { DiscoveryProgress } from "./bindings/DiscoveryProgress";
import type { NewAccount } from "./bindings/NewAccount";
import { userError } from "./errors";

const api = {
  discoverSettings: vi.fn<(email: string, onProgress: (p: DiscoveryProgress) => void) => Promise<DiscoveryOutcome>>(),
  addAccount: vi.fn<(a: NewAccount) => Promise<Account>>(),
};
vi.mock("./api", () => api);

const { WizardState, DONE_MIN_MS } = await import("./wizard.svelte");
const { CONFIRM_FIRST } = await import("./setup");

const found: DiscoveryOutcome = {
  email: "ada@petrel.test",
  config: {
    source: "srv",
    provider: null,
    incoming: [{ protocol: "imap", host: "localhost", port: 31993, security: "tls", username: "ada@petrel.test", auth: "password", pop3: null }],
    outgoing: [{ protocol: "smtp", host: "localhost", port: 31465, security: "tls", username: "ada@petrel.test", auth: "password", pop3: null }],
    trusted: true,
    notes: [],
    help_url: null,
    unsupported: null,
  },
  summary: "Found settings for ada@petrel.test in DNS.",
  problems: [],
  sources: [
    { source: "provider", state: "not_found", detail: null },
    { source: "srv", state: "found", detail: "localhost" },
  ],
  elapsed_ms: 120,
};

const nothing: DiscoveryOutcome = { ...found, config: null, summary: "Petrel could not find settings.", sources: [] };

const account: Account = {
  id: 3,
  display_name: "Ada",
  email: "ada@petrel.test",
  protocol: "imap",
  incoming: { host: "localhost", port: 31993, security: "tls", username: "ada@petrel.test", trusted_cert: null },
  pop3: null,
  smtp: { host: "localhost", port: 31465, security: "tls", username: "ada@petrel.test", trusted_cert: null },
};

function wizard() {
  const onadded = vi.fn();
  const onfinish = vi.fn();
  const w = new WizardState({ fullWindow: true, onadded, onfinish });
  w.fields.displayName = "Ada";
  w.fields.email = " ada@petrel.test ";
  w.fields.password = "secret";
  return { w, onadded, onfinish };
}

describe("WizardState", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.discoverSettings.mockImplementation(async (_email, onProgress) => {
      onProgress({ source: "provider", state: "looking", detail: null });
      onProgress({ source: "srv", state: "looking", detail: null });
      return found;
    });
    api.addAccount.mockResolvedValue(account);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("checks step 1 before looking anything up", async () => {
    const { w } = wizard();
    w.fields.email = "ada";
    w.fields.password = "";
    expect(await w.continue()).toBe(false);
    expect(api.discoverSettings).not.toHaveBeenCalled();
    expect(Object.keys(w.identityErrors).sort()).toEqual(["email", "password"]);
    expect(w.view).toBe("identity");
  });

  it("shows progress, then the found settings ready to test", async () => {
    const { w } = wizard();
    let seen: string[] = [];
    api.discoverSettings.mockImplementation(async (email, onProgress) => {
      expect(email).toBe("ada@petrel.test");
      onProgress({ source: "srv", state: "looking", detail: null });
      seen = Object.keys(w.reports);
      expect(w.looking).toBe(true);
      expect(w.view).toBe("settings");
      return found;
    });
    expect(await w.continue()).toBe(true);
    expect(seen).toEqual(["srv"]);
    expect(w.looking).toBe(false);
    expect(w.reports.srv?.state).toBe("found");
    expect(w.reports.provider?.state).toBe("not_found");
    expect(w.editing).toBe(false);
    expect(w.fields.imap).toMatchObject({ host: "localhost", port: "31993" });
    expect(w.blockers).toEqual([]);
  });

  it("opens the form with guesses when nothing is found", async () => {
    api.discoverSettings.mockResolvedValue(nothing);
    const { w } = wizard();
    await w.continue();
    expect(w.editing).toBe(true);
    expect(w.fields.imap.host).toBe("imap.petrel.test");
    expect(w.fields.smtp.host).toBe("smtp.petrel.test");
    expect(w.fields.imap.username).toBeNull(); // = the address
  });

  it("returns to step 1 when the engine says the address is not one", async () => {
    api.discoverSettings.mockRejectedValue(userError("invalid_input", "“ada@” is not an e-mail address."));
    const { w } = wizard();
    expect(await w.continue()).toBe(true);
    expect(w.view).toBe("identity");
    expect(w.identityErrors.email).toBe("“ada@” is not an e-mail address.");
  });

  it("falls back to the form when the look-up itself fails", async () => {
    api.discoverSettings.mockRejectedValue("command discover_settings not found");
    const { w } = wizard();
    await w.continue();
    expect(w.view).toBe("settings");
    expect(w.discoveryError?.detail).toBe("command discover_settings not found");
    expect(w.editing).toBe(true);
  });

  it("ignores a look-up the user walked away from", async () => {
    let resolve!: (o: DiscoveryOutcome) => void;
    let progress!: (p: DiscoveryProgress) => void;
    api.discoverSettings.mockImplementation((_e, onProgress) => {
      progress = onProgress;
      return new Promise((r) => (resolve = r));
    });
    const { w } = wizard();
    const running = w.continue();
    w.manual();
    w.fields.imap.host = "typed.example.org";
    progress({ source: "srv", state: "found", detail: null });
    resolve(found);
    expect(await running).toBe(false);
    expect(w.view).toBe("manual");
    expect(w.fields.imap.host).toBe("typed.example.org");
    expect(w.reports.srv).toBeUndefined();
    expect(w.outcome).toBeNull();
  });

  it("carries what was typed into the manual form", () => {
    const { w } = wizard();
    w.manual();
    expect(w.view).toBe("manual");
    expect(w.fields.email).toBe(" ada@petrel.test ");
    expect(w.fields.password).toBe("secret");
    w.guided();
    expect(w.view).toBe("identity");
  });

  it("tests and saves, then waits for the first sync", async () => {
    vi.useFakeTimers();
    const { w, onadded, onfinish } = wizard();
    await w.continue();
    expect(await w.test()).toBe(true);
    expect(api.addAccount).toHaveBeenCalledWith({
      display_name: "Ada",
      email: "ada@petrel.test",
      password: "secret",
      protocol: "imap",
      incoming: { host: "localhost", port: 31993, security: "tls", username: "ada@petrel.test", trusted_cert: null },
      pop3: null,
      smtp: { host: "localhost", port: 31465, security: "tls", username: "ada@petrel.test", trusted_cert: null },
    });
    expect(onadded).toHaveBeenCalledWith(account);
    expect(w.view).toBe("done");
    w.handleEvent({ type: "SyncProgress", account_id: 99, folder: "INBOX", done: 1, total: 2 });
    expect(w.sync).toBeNull();
    w.handleEvent({ type: "SyncProgress", account_id: 3, folder: "INBOX", done: 10, total: 40 });
    expect(w.sync).toEqual({ folder: "INBOX", done: 10, total: 40 });
    w.handleEvent({ type: "SyncDone", account_id: 3 });
    expect(w.syncDone).toBe(true);
    expect(onfinish).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DONE_MIN_MS);
    expect(onfinish).toHaveBeenCalledTimes(1);
  });

  it("uses IMAP when POP3 was found too, and adds a POP3 account when the user picks it", async () => {
    const pop3 = { protocol: "pop3" as const, host: "localhost", port: 31995, security: "tls" as const, username: "ada@petrel.test", auth: "password" as const };
    const both: DiscoveryOutcome = {
      ...found,
      config: {
        ...found.config!,
        incoming: [...found.config!.incoming, { ...pop3, pop3: { leave_messages_on_server: true, days_to_leave_messages_on_server: 5 } }],
      },
    };
    api.discoverSettings.mockResolvedValue(both);
    const { w } = wizard();
    await w.continue();
    expect(w.protocol).toBe("imap");
    w.chooseProtocol("pop3");
    expect(w.protocol).toBe("pop3");
    expect(w.blockers).toEqual([]);
    w.fields.pop3.deleteWhenDeletedHere = false;
    expect(await w.test()).toBe(true);
    expect(api.addAccount).toHaveBeenCalledWith(
      expect.objectContaining({
        protocol: "pop3",
        incoming: { host: "localhost", port: 31995, security: "tls", username: "ada@petrel.test", trusted_cert: null },
        pop3: { leave_on_server: true, delete_after_days: 5, delete_when_deleted_locally: false, check_every_minutes: 10 },
      }),
    );
  });

  it("keeps sync events that arrive before add_account answers", async () => {
    vi.useFakeTimers();
    const { w, onfinish } = wizard();
    await w.continue();
    api.addAccount.mockImplementation(async () => {
      w.handleEvent({ type: "SyncProgress", account_id: 3, folder: "INBOX", done: 1, total: 1 });
      w.handleEvent({ type: "SyncDone", account_id: 3 });
      return account;
    });
    await w.test();
    expect(w.sync).toEqual({ folder: "INBOX", done: 1, total: 1 });
    expect(w.syncDone).toBe(true);
    vi.advanceTimersByTime(DONE_MIN_MS);
    expect(onfinish).toHaveBeenCalled();
  });

  it("stays on Done after a sync error, for the user to read", async () => {
    vi.useFakeTimers();
    const { w, onfinish } = wizard();
    await w.continue();
    await w.test();
    w.handleEvent({ type: "AccountError", account_id: 3, error: userError("timeout", "Too slow.") });
    w.handleEvent({ type: "SyncDone", account_id: 3 });
    vi.advanceTimersByTime(DONE_MIN_MS * 2);
    expect(w.syncError?.summary).toBe("Too slow.");
    expect(onfinish).not.toHaveBeenCalled();
    w.finish();
    expect(onfinish).toHaveBeenCalled();
  });

  it("shows a failed test on step 2, with nothing saved", async () => {
    api.addAccount.mockRejectedValue(userError("auth_failed", "The server did not accept the user name or password."));
    const { w, onadded } = wizard();
    await w.continue();
    expect(await w.test()).toBe(false);
    expect(w.view).toBe("settings");
    expect(w.testError?.kind).toBe("auth_failed");
    expect(onadded).not.toHaveBeenCalled();
    // Corrected password, second try.
    api.addAccount.mockResolvedValue(account);
    w.fields.password = "right";
    expect(await w.test()).toBe(true);
    expect(api.addAccount.mock.calls[1]?.[0].password).toBe("right");
  });

  it("does not test untrusted settings before the user confirms them", async () => {
    api.discoverSettings.mockResolvedValue({ ...found, config: { ...found.config!, source: "autoconfig_http", trusted: false } });
    const { w } = wizard();
    await w.continue();
    expect(await w.test()).toBe(false);
    expect(api.addAccount).not.toHaveBeenCalled();
    expect(w.blockers).toEqual([CONFIRM_FIRST]);
    w.confirm();
    expect(await w.test()).toBe(true);
  });

  it("does not send a password unencrypted without consent", async () => {
    const { w } = wizard();
    await w.continue();
    w.edit();
    w.fields.imap.security = "plain";
    expect(await w.test()).toBe(false);
    expect(api.addAccount).not.toHaveBeenCalled();
    w.consented = true;
    expect(await w.test()).toBe(true);
    expect(api.addAccount.mock.calls[0]?.[0].incoming.security).toBe("plain");
  });

  it("trusts a refused certificate only when asked, then retries with it pinned", async () => {
    const certificate = {
      host: "localhost",
      sha256: "AA:BB:CC",
      subject: "CN=localhost",
      issuer: "CN=Home CA",
      not_before: 0,
      not_after: 2_000_000_000,
      reason: "No trusted authority signed it.",
    };
    api.addAccount.mockRejectedValueOnce({ ...userError("certificate_not_trusted", "Not trusted."), certificate });
    const { w } = wizard();
    await w.continue();
    expect(await w.test()).toBe(false);
    expect(w.fields.imap.trusted).toBeNull();
    expect(await w.trustAndRetry()).toBe(true);
    const retried = api.addAccount.mock.calls[1]?.[0];
    expect(retried?.incoming.trusted_cert).toBe("AA:BB:CC");
    expect(retried?.smtp.trusted_cert).toBe("AA:BB:CC");
    // Nothing to trust after another kind of failure.
    api.addAccount.mockRejectedValueOnce(userError("timeout", "Slow."));
    const { w: w2 } = wizard();
    await w2.continue();
    await w2.test();
    expect(await w2.trustAndRetry()).toBe(false);
  });

  it("tests from the manual form and returns there on failure", async () => {
    api.addAccount.mockRejectedValue(userError("host_not_found", "Not found."));
    const { w } = wizard();
    w.manual();
    w.fields.imap.host = "imap.petrel.test";
    w.fields.smtp.host = "smtp.petrel.test";
    expect(await w.test()).toBe(false);
    expect(w.view).toBe("manual");
    expect(w.testError?.kind).toBe("host_not_found");
  });
});
