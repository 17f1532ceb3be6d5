/** Messages the composer sends, as the engine takes them (`OutgoingMessage`). */
import type { OutgoingMessage } from "./bindings/OutgoingMessage";

/** A new, empty message from `accountId`, as its default identity. */
export function emptyMessage(accountId: number): OutgoingMessage {
  return {
    account_id: accountId,
    identity_id: null,
    to: "",
    cc: "",
    bcc: "",
    subject: "",
    body: "",
    html: null,
    attachments: [],
    in_reply_to: null,
    forwarded: null,
  };
}
