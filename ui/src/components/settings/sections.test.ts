import { describe, expect, it } from "vitest";
import type { Account } from "../../lib/bindings/Account";
import { sectionsFor } from "./sections";

const imap: Account = {
  id: 1,
  display_name: "Ada",
  email: "ada@example.org",
  protocol: "imap",
  incoming: { host: "imap.example.org", port: 993, security: "tls", username: "ada@example.org", trusted_cert: null },
  pop3: null,
  smtp: { host: "smtp.example.org", port: 465, security: "tls", username: "ada@example.org", trusted_cert: null },
};

describe("settings sections", () => {
  it("shows the body download policy to IMAP accounts, the POP3 downloads to POP3 accounts", () => {
    expect(sectionsFor(imap).map((s) => s.id)).toEqual(["account", "offline"]);
    const pop: Account = {
      ...imap,
      protocol: "pop3",
      pop3: { leave_on_server: true, delete_after_days: null, delete_when_deleted_locally: true, check_every_minutes: 10 },
    };
    expect(sectionsFor(pop).map((s) => [s.id, s.title])).toEqual([
      ["account", "Account"],
      ["pop3", "Downloads (POP3)"],
    ]);
  });
});
