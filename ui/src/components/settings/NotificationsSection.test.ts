import { render } from "svelte/server";
import { describe, expect, it, vi } from "vitest";
import type { Account } from "../../lib/bindings/Account";

vi.mock("../../lib/api", () => ({}));
const { default: NotificationsSection } = await import("./NotificationsSection.svelte");

const account: Account = {
  id: 1,
  display_name: "Work",
  email: "ada@example.org",
  protocol: "imap",
  incoming: { host: "imap.example.org", port: 993, security: "tls", username: "ada@example.org", trusted_cert: null },
  pop3: null,
  smtp: { host: "smtp.example.org", port: 465, security: "tls", username: "ada@example.org", trusted_cert: null },
};

describe("NotificationsSection", () => {
  it("renders its frame and waits for the settings", () => {
    const out = render(NotificationsSection, { props: { account, ondirty: () => {}, onchanged: () => {} } }).body;
    expect(out).toContain('data-testid="settings-section-notifications"');
    expect(out).toContain("Notifications");
    expect(out).toContain("Junk, Trash, Sent and Drafts never notify");
  });
});
