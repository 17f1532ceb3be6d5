/**
 * Recipient fields are sent as typed (`a@example.org, "Bo, B." <bo@example.org>`); the engine
 * parses them. This only splits them the way the engine will, to catch obvious slips before
 * sending.
 */

/** Splits on commas and semicolons that are outside quotes and angle brackets. */
export function splitRecipients(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "\\" && quoted && i + 1 < text.length) {
      current += c + text.charAt(i + 1);
      i += 1;
      continue;
    }
    if (c === '"' && !angle) quoted = !quoted;
    else if (c === "<" && !quoted) angle = true;
    else if (c === ">" && !quoted) angle = false;
    if ((c === "," || c === ";") && !quoted && !angle) {
      if (current.trim() !== "") out.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

/** The mailbox part of one recipient: what is inside `<…>`, else the whole text. */
export function recipientAddress(recipient: string): string {
  const m = /<([^<>]*)>\s*$/.exec(recipient);
  return (m?.[1] ?? recipient).trim();
}

const SIMPLE_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

/** The recipients that do not look like an address at all, as typed. */
export function invalidRecipients(text: string): string[] {
  return splitRecipients(text).filter((r) => !SIMPLE_ADDRESS.test(recipientAddress(r)));
}

/**
 * The recipients as the engine takes them: separated by ", ", without the empty ones a trailing
 * comma leaves (an accepted suggestion ends with ", ").
 */
export function normalizeRecipients(text: string): string {
  return splitRecipients(text).join(", ");
}
