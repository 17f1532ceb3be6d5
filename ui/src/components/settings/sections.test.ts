import { describe, expect, it } from "vitest";
import { imapAccount, pop3Account } from "../../lib/fixtures";
import { sectionsFor } from "./sections";

describe("settings sections", () => {
  it("shows the body download policy to IMAP accounts, the POP3 downloads to POP3 accounts", () => {
    expect(sectionsFor(imapAccount()).map((s) => s.id)).toEqual(["account", "identities", "offline", "notifications"]);
    expect(sectionsFor(pop3Account()).map((s) => [s.id, s.title])).toEqual([
      ["account", "Account"],
      ["identities", "Identities"],
      ["pop3", "Downloads (POP3)"],
      ["notifications", "Notifications"],
    ]);
  });
});
