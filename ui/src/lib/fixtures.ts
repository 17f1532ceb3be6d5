/**
 * Test data shared by the unit tests (*.test.ts): an IMAP account and a POP3 account of Ada at
 * example.org, and folders. Not used by the app.
 */
import type { Account } from "./bindings/Account";
import type { Folder } from "./bindings/Folder";
import { DEFAULT_POP3 } from "./pop3Settings";

/** Ada's IMAP account (implicit TLS both ways); `over` changes what a test needs. */
export function imapAccount(over: Partial<Account> = {}): Account {
  return {
    id: 1,
    display_name: "Ada",
    email: "ada@example.org",
    protocol: "imap",
    incoming: { host: "imap.example.org", port: 993, security: "tls", username: "ada@example.org", trusted_cert: null },
    pop3: null,
    smtp: { host: "smtp.example.org", port: 465, security: "tls", username: "ada@example.org", trusted_cert: null },
    ...over,
  };
}

/** Ada's POP3 account (POP3S, the engine's default POP3 settings). */
export function pop3Account(over: Partial<Account> = {}): Account {
  const imap = imapAccount();
  return imapAccount({
    protocol: "pop3",
    incoming: { ...imap.incoming, host: "pop.example.org", port: 995 },
    pop3: DEFAULT_POP3,
    ...over,
  });
}

/** A subscribed folder, empty unless told, named by the last part of its path ("/" delimited). */
export function folder(id: number, path: string, over: Partial<Folder> = {}): Folder {
  const name = path.split("/").pop() ?? path;
  return { id, account_id: 1, path, name, delimiter: "/", role: null, unread: 0, total: 0, subscribed: true, ...over };
}
