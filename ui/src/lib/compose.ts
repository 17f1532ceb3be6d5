/**
 * The composer's pure rules: the recipient being typed and accepting a suggestion for it, the
 * signature block (inserted and replaced by the UI, "-- \n" + signature), the message's size
 * against the server's limit, rich text to plain text and back, and inline images (`data:` in the
 * editor, `cid:` in what is sent).
 */
import type { Address } from "./bindings/Address";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { Identity } from "./bindings/Identity";
import { formatSize } from "./format";

// ---------------------------------------------------------------------------------------------
// Recipients

/** The recipient under the caret in a recipient field: its span and what is typed so far. */
export interface RecipientToken {
  start: number;
  end: number;
  query: string;
}

/** Where the separators (`,` `;` outside quotes and angle brackets) are in `text`. */
function separators(text: string): number[] {
  const out: number[] = [];
  let quoted = false;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "\\" && quoted) {
      i += 1;
      continue;
    }
    if (c === '"' && !angle) quoted = !quoted;
    else if (c === "<" && !quoted) angle = true;
    else if (c === ">" && !quoted) angle = false;
    else if ((c === "," || c === ";") && !quoted && !angle) out.push(i);
  }
  return out;
}

/** The recipient the caret is in: from after the previous separator to the next one. */
export function recipientAt(text: string, caret: number): RecipientToken {
  const seps = separators(text);
  let start = 0;
  let end = text.length;
  for (const s of seps) {
    if (s < caret) start = s + 1;
    else {
      end = s;
      break;
    }
  }
  const raw = text.slice(start, caret);
  return { start, end, query: raw.trim() };
}

const SPECIALS = /[()<>[\]:;@\\,."]/;

/** `Name <email>` as it is typed in a header: the name quoted when it holds a comma or the like. */
export function mailboxText(address: Address): string {
  const name = address.name?.trim() ?? "";
  if (name === "" || name === address.email) return address.email;
  const shown = SPECIALS.test(name) ? `"${name.replace(/(["\\])/g, "\\$1")}"` : name;
  return `${shown} <${address.email}>`;
}

/** Replaces the recipient under the caret with `address`, followed by ", ", and says where the caret goes. */
export function acceptSuggestion(text: string, caret: number, address: Address): { text: string; caret: number } {
  const token = recipientAt(text, caret);
  const before = text.slice(0, token.start);
  let after = text.slice(token.end);
  // The separator that followed the replaced recipient is the one we add.
  if (after.startsWith(",") || after.startsWith(";")) after = after.slice(1);
  const head = (before === "" ? "" : `${before.replace(/\s+$/, "")} `) + `${mailboxText(address)}, `;
  return { text: head + after.replace(/^\s+/, ""), caret: head.length };
}

/** A query worth asking suggestions for: at least one character that is not a space. */
export function wantsSuggestions(query: string): boolean {
  return query.length >= 1;
}

// ---------------------------------------------------------------------------------------------
// Identities and signatures

/** What the From menu shows for an identity. */
export function identityLabel(identity: Identity): string {
  return mailboxText({ name: identity.name, email: identity.email });
}

/** Every identity of every account for the From menu: accounts in order, each one's default first. */
export function sortIdentities(identities: readonly Identity[], accountOrder: readonly number[]): Identity[] {
  const rank = (id: number): number => {
    const i = accountOrder.indexOf(id);
    return i < 0 ? accountOrder.length : i;
  };
  return [...identities].sort(
    (a, b) =>
      rank(a.account_id) - rank(b.account_id) ||
      Number(b.is_default) - Number(a.is_default) ||
      a.email.localeCompare(b.email) ||
      a.id - b.id,
  );
}

/** The identity a message is sent as: the one chosen, else its account's default. */
export function identityFor(identities: readonly Identity[], accountId: number, identityId: number | null): Identity | null {
  return (
    identities.find((i) => i.id === identityId && i.account_id === accountId) ??
    identities.find((i) => i.account_id === accountId && i.is_default) ??
    identities.find((i) => i.account_id === accountId) ??
    null
  );
}

export const SIGNATURE_SEPARATOR = "-- \n";

/** The plain-text signature block, or "" when there is no signature. */
export function signatureBlock(signature: string): string {
  const s = signature.replace(/\s+$/, "");
  return s === "" ? "" : SIGNATURE_SEPARATOR + s;
}

/**
 * A plain-text body with the signature added: at the end of a new message, above the quote of a
 * reply or forward (`quoted`), with an empty line to type on first.
 */
export function withPlainSignature(body: string, signature: string, quoted: boolean): string {
  const block = signatureBlock(signature);
  // The engine's reply starts with empty lines to type on: the signature goes between.
  if (quoted) body = body.replace(/^\n+/, "");
  if (block === "") return quoted ? `\n\n${body}` : body;
  if (quoted) return `\n\n${block}\n\n${body}`;
  return body.trim() === "" ? `\n\n${block}` : `${body.replace(/\s+$/, "")}\n\n${block}`;
}

/**
 * Replaces the signature block `oldSignature` put in a plain-text body by `newSignature`'s (or
 * removes it). When the old block is no longer there as inserted (the user edited it), the new one
 * goes where a signature goes: above a quote, else at the end.
 */
export function replacePlainSignature(body: string, oldSignature: string, newSignature: string): string {
  const oldBlock = signatureBlock(oldSignature);
  const newBlock = signatureBlock(newSignature);
  if (oldBlock !== "") {
    const at = body.indexOf(oldBlock);
    if (at >= 0) {
      if (newBlock !== "") return body.slice(0, at) + newBlock + body.slice(at + oldBlock.length);
      // Removed: the empty line before it goes too.
      const before = body.slice(0, at).replace(/\n\n$/, "\n");
      return before + body.slice(at + oldBlock.length).replace(/^\n/, "");
    }
  }
  if (newBlock === "") return body;
  const quote = /^(>|On .* wrote:$|-{5,} ?Forwarded message)/im.exec(body);
  if (quote) {
    return `${body.slice(0, quote.index).replace(/\s+$/, "")}\n\n${newBlock}\n\n${body.slice(quote.index)}`;
  }
  return `${body.replace(/\s+$/, "")}\n\n${newBlock}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The rich-text signature block: `<div class="petrel-signature">-- <br>…</div>`, or "". */
export function htmlSignatureBlock(signature: string): string {
  const block = signatureBlock(signature);
  if (block === "") return "";
  return `<div class="petrel-signature">${block.split("\n").map(escapeHtml).join("<br>")}</div>`;
}

/** A rich-text body with the signature added, as `withPlainSignature`. */
export function withHtmlSignature(html: string, signature: string, quoted: boolean): string {
  const block = htmlSignatureBlock(signature);
  const blank = "<div><br></div>";
  if (quoted) html = html.replace(/^(\s*<(p|div)><br\s*\/?><\/\2>)+\s*/i, "");
  if (quoted) return `${blank}${block === "" ? "" : block + blank}${html}`;
  const body = html.trim() === "" ? blank : html;
  return block === "" ? body : `${body}${blank}${block}`;
}

/**
 * Replaces the rich-text signature (the `.petrel-signature` element) by `signature`'s, removing it
 * when empty; when there is none, it goes above the first quote, else at the end.
 */
export function replaceHtmlSignature(html: string, signature: string, doc: Document = document): string {
  const root = doc.createElement("div");
  root.innerHTML = html;
  const existing = root.querySelector(".petrel-signature");
  const fresh = htmlSignatureBlock(signature);
  if (existing) {
    if (fresh === "") existing.remove();
    else existing.outerHTML = fresh;
    return root.innerHTML;
  }
  if (fresh === "") return html;
  const quote = root.querySelector(".moz-cite-prefix, .moz-forward-container, blockquote");
  const holder = doc.createElement("div");
  holder.innerHTML = fresh;
  const node = holder.firstChild;
  if (!node) return html;
  if (quote && quote.parentNode) {
    // Above the quote's attribution line ("On … wrote:") when it has one.
    const anchor = quote.previousElementSibling?.textContent?.match(/wrote:\s*$/) ? quote.previousElementSibling : quote;
    anchor.parentNode?.insertBefore(node, anchor);
  } else {
    root.appendChild(node);
  }
  return root.innerHTML;
}

// ---------------------------------------------------------------------------------------------
// Size

/** Bytes the message will take once encoded: text as is, attachments in base64 (× 4/3), headers. */
export function estimateMessageSize(body: string, html: string | null, attachments: readonly ComposeAttachment[]): number {
  const encoder = new TextEncoder();
  const text = encoder.encode(body).length + (html === null ? 0 : encoder.encode(html).length * 2);
  const files = attachments.reduce((sum, a) => sum + Math.ceil(a.size / 3) * 4 * (1 + 2 / 76) + 200, 0);
  return Math.round(text + files + 2000);
}

/** Whole megabytes as a person reads them ("31 MB"); smaller sizes as `formatSize`. */
function roughSize(bytes: number): string {
  if (bytes >= 10 * 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`;
  return formatSize(bytes);
}

/** The warning when the message is bigger than the outgoing server accepts (null: fine or unknown). */
export function sizeWarning(estimate: number, limit: number | null): string | null {
  if (limit === null || limit <= 0 || estimate <= limit) return null;
  return `This message is about ${roughSize(estimate)}; your outgoing server accepts at most ${roughSize(limit)}. It will probably be refused.`;
}

// ---------------------------------------------------------------------------------------------
// Rich text and plain text

const BLOCKS = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "DIV", "DL", "DT", "DD", "FIGURE", "FOOTER", "FORM",
  "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P", "PRE", "SECTION",
  "TABLE", "TR", "UL",
]);

/**
 * The plain text of rich text, as a person would have typed it: paragraphs on their own lines,
 * lists with "- " or "1. ", quotes with "> ", links as "text <url>" when the text is not the URL,
 * images as "[image]".
 */
export function htmlToPlain(root: Node): string {
  const lines: string[] = [];
  let line = "";
  const flush = (prefix: string): void => {
    // "-- " keeps its space: it is the signature separator.
    lines.push(prefix + (line === "-- " ? line : line.replace(/[ \t]+$/, "")));
    line = "";
  };
  const walk = (node: Node, prefix: string): void => {
    if (node.nodeType === 3) {
      // Squire keeps zero-width spaces where the caret sits in an empty format: not text.
      line += (node.textContent ?? "").replace(/[\r\n]+/g, " ").replace(/\u00a0/g, " ").replace(/\u200b/g, "");
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node as Element;
    const tag = el.tagName.toUpperCase();
    if (tag === "BR") {
      flush(prefix);
      return;
    }
    if (tag === "IMG") {
      line += `[${el.getAttribute("alt") || "image"}]`;
      return;
    }
    if (tag === "SCRIPT" || tag === "STYLE") return;
    const block = BLOCKS.has(tag);
    if (block && line !== "") flush(prefix);
    let inner = prefix;
    if (tag === "BLOCKQUOTE") inner = prefix + "> ";
    if (tag === "LI") {
      const list = el.parentElement;
      if (list?.tagName.toUpperCase() === "OL") {
        const index = Array.prototype.indexOf.call(list.children, el) as number;
        line += `${index + 1}. `;
      } else {
        line += "- ";
      }
    }
    const before = lines.length;
    for (const child of Array.from(el.childNodes)) walk(child, inner);
    if (tag === "A") {
      const href = el.getAttribute("href") ?? "";
      const text = el.textContent ?? "";
      const url = href.replace(/^mailto:/, "");
      if (href !== "" && url !== text.trim()) line += ` <${url}>`;
    }
    // A block ends its line; an empty block (<div><br></div>) already did through its <br>.
    if (block && (line !== "" || lines.length === before)) flush(inner === prefix ? prefix : inner);
  };
  for (const child of Array.from(root.childNodes)) walk(child, "");
  if (line !== "") flush("");
  return lines
    .map((l) => (l === "> " ? ">" : l).replace(/(> )+$/, (m) => m.trimEnd()))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\s+$/, "");
}

/** Plain text as rich text: each line a `<div>`, quoted lines in blockquotes, the signature marked. */
export function plainToHtml(text: string): string {
  const lines = text.split("\n");
  let out = "";
  let sig: string[] | null = null;
  let quote: string[] = [];
  const flushQuote = (): void => {
    if (quote.length === 0) return;
    out += `<blockquote type="cite">${plainToHtml(quote.join("\n"))}</blockquote>`;
    quote = [];
  };
  for (const l of lines) {
    if (sig !== null) {
      if (l.startsWith(">") || /wrote:$/.test(l)) {
        out += `<div class="petrel-signature">${sig.map(escapeHtml).join("<br>")}</div>`;
        sig = null;
      } else {
        sig.push(l);
        continue;
      }
    }
    if (l === "-- ") {
      flushQuote();
      sig = [l];
      continue;
    }
    if (l.startsWith(">")) {
      quote.push(l.replace(/^> ?/, ""));
      continue;
    }
    flushQuote();
    out += l === "" ? "<div><br></div>" : `<div>${escapeHtml(l)}</div>`;
  }
  flushQuote();
  if (sig !== null) out += `<div class="petrel-signature">${sig.map(escapeHtml).join("<br>")}</div>`;
  return out;
}

/** True when the rich text has formatting that plain text would lose (more than lines and quotes). */
export function hasFormatting(root: Element): boolean {
  return root.querySelector("b, strong, i, em, u, s, a, ul, ol, img, span[style], font, h1, h2, h3, table, pre, code") !== null;
}

/** The rich editor's toolbar commands. */
/**
 * The address a link typed in the composer points to: as typed when it names its scheme
 * (`https:`, `mailto:`, …), `mailto:` for an e-mail address, else `https://`. Null for nothing.
 */
export function linkHref(typed: string): string | null {
  const text = typed.trim();
  if (text === "" || text === "https://") return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) return text;
  return /^[^\s@]+@[^\s@]+$/.test(text) ? `mailto:${text}` : `https://${text}`;
}

export type EditorCommand = "bold" | "italic" | "ul" | "ol" | "link" | "quote" | "clear";

// ---------------------------------------------------------------------------------------------
// Inline images

/**
 * The HTML to send from the editor's content: inline images (shown from `data:` URLs, their cid in
 * `data-cid`) refer to their attachment as `cid:`.
 */
export function htmlForSending(root: Element): string {
  const copy = root.cloneNode(true) as Element;
  for (const img of Array.from(copy.querySelectorAll("img[data-cid]"))) {
    const cid = img.getAttribute("data-cid") ?? "";
    img.setAttribute("src", `cid:${cid}`);
    img.removeAttribute("data-cid");
  }
  return copy.innerHTML.replace(/\u200b/g, "");
}

/** The HTML for the editor: `cid:` images shown from the `data:` URLs known, their cid kept in `data-cid`. */
export function htmlForEditing(html: string, urls: ReadonlyMap<string, string>, doc: Document = document): string {
  const root = doc.createElement("div");
  root.innerHTML = html;
  for (const img of Array.from(root.querySelectorAll("img"))) {
    const src = img.getAttribute("src") ?? "";
    if (!src.toLowerCase().startsWith("cid:")) continue;
    const cid = src.slice(4);
    img.setAttribute("data-cid", cid);
    const url = urls.get(cid);
    if (url) img.setAttribute("src", url);
  }
  return root.innerHTML;
}

/** The inline images still in the HTML (by cid): an image deleted in the editor is dropped from the attachments. */
export function keepUsedInline(attachments: readonly ComposeAttachment[], html: string | null): ComposeAttachment[] {
  return attachments.filter((a) => a.content_id === null || (html !== null && html.includes(`cid:${a.content_id}`)));
}
