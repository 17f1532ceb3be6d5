// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { Identity } from "./bindings/Identity";
import {
  linkHref,
  acceptSuggestion,
  estimateMessageSize,
  hasFormatting,
  htmlForEditing,
  htmlForSending,
  htmlToPlain,
  identityFor,
  keepUsedInline,
  mailboxText,
  plainToHtml,
  recipientAt,
  replaceHtmlSignature,
  replacePlainSignature,
  sizeWarning,
  sortIdentities,
  withHtmlSignature,
  withPlainSignature,
} from "./compose";

function identity(id: number, accountId: number, email: string, extra: Partial<Identity> = {}): Identity {
  return { id, account_id: accountId, name: "", email, signature: "", rich_text: true, is_default: false, ...extra };
}

function attachment(id: number, size: number, contentId: string | null = null): ComposeAttachment {
  return { id, name: `f${id}`, mime_type: "application/octet-stream", size, content_id: contentId };
}

function el(html: string): HTMLDivElement {
  const d = document.createElement("div");
  d.innerHTML = html;
  return d;
}

describe("the recipient under the caret", () => {
  it("is what follows the last separator before the caret", () => {
    expect(recipientAt("ann@example.org, bo", 19)).toEqual({ start: 16, end: 19, query: "bo" });
    expect(recipientAt("jo", 2)).toEqual({ start: 0, end: 2, query: "jo" });
  });

  it("ignores commas inside quotes and angle brackets, and ends at the next separator", () => {
    const text = '"Bo, B." <bo@example.org>, ca, dan@x.org';
    expect(recipientAt(text, 3).query).toBe('"Bo');
    expect(recipientAt(text, 29)).toMatchObject({ start: 26, end: 29, query: "ca" });
  });

  it("accepting a suggestion replaces it with Name <email>, and puts the caret after", () => {
    const r = acceptSuggestion("ann@example.org, bo", 19, { name: "Bo Brown", email: "bo@example.org" });
    expect(r.text).toBe("ann@example.org, Bo Brown <bo@example.org>, ");
    expect(r.caret).toBe(r.text.length);
  });

  it("accepting in the middle keeps the recipients after it", () => {
    const r = acceptSuggestion("ca, dan@x.org", 2, { name: null, email: "carl@example.org" });
    expect(r.text).toBe("carl@example.org, dan@x.org");
    expect(r.text.slice(0, r.caret)).toBe("carl@example.org, ");
  });

  it("quotes names that need it", () => {
    expect(mailboxText({ name: "Brown, Bo", email: "bo@x.org" })).toBe('"Brown, Bo" <bo@x.org>');
    expect(mailboxText({ name: "bo@x.org", email: "bo@x.org" })).toBe("bo@x.org");
    expect(mailboxText({ name: "Zoë Ünal", email: "z@x.org" })).toBe("Zoë Ünal <z@x.org>");
  });
});

describe("identities", () => {
  const ids = [
    identity(3, 2, "alias@b.org"),
    identity(2, 2, "me@b.org", { is_default: true }),
    identity(1, 1, "me@a.org", { is_default: true }),
    identity(4, 1, "sales@a.org"),
  ];

  it("are listed by account, the default first", () => {
    expect(sortIdentities(ids, [1, 2]).map((i) => i.id)).toEqual([1, 4, 2, 3]);
  });

  it("the one chosen, else the account's default", () => {
    expect(identityFor(ids, 1, 4)?.id).toBe(4);
    expect(identityFor(ids, 1, null)?.id).toBe(1);
    expect(identityFor(ids, 2, 4)?.id).toBe(2);
  });
});

describe("signatures", () => {
  it("go at the end of a new message and above the quote of a reply", () => {
    expect(withPlainSignature("", "Ann\nACME", false)).toBe("\n\n-- \nAnn\nACME");
    expect(withPlainSignature("On Monday, Bo wrote:\n> hi", "Ann", true)).toBe("\n\n-- \nAnn\n\nOn Monday, Bo wrote:\n> hi");
    expect(withPlainSignature("", "  ", false)).toBe("");
  });

  it("take the place of the empty lines the engine starts a reply or forward with", () => {
    expect(withPlainSignature("\n\nOn Monday, Bo wrote:\n> hi", "Ann", true)).toBe("\n\n-- \nAnn\n\nOn Monday, Bo wrote:\n> hi");
    const html = '<p><br></p>\n<div class="moz-cite-prefix">On Monday, Bo wrote:</div>\n<blockquote type="cite">hi</blockquote>\n';
    expect(withHtmlSignature(html, "Ann", true)).toBe(
      '<div><br></div><div class="petrel-signature">-- <br>Ann</div><div><br></div><div class="moz-cite-prefix">On Monday, Bo wrote:</div>\n<blockquote type="cite">hi</blockquote>\n',
    );
    const forward = '<div><br></div><div class="moz-forward-container">-------- Forwarded Message --------<table></table></div>';
    expect(replaceHtmlSignature(forward, "Ann")).toBe(
      '<div><br></div><div class="petrel-signature">-- <br>Ann</div><div class="moz-forward-container">-------- Forwarded Message --------<table></table></div>',
    );
    expect(replacePlainSignature("Hi\n\n-------- Forwarded Message --------\nSubject: x", "", "Ann")).toBe(
      "Hi\n\n-- \nAnn\n\n-------- Forwarded Message --------\nSubject: x",
    );
  });

  it("are replaced when the identity changes, removed when the new one has none", () => {
    const body = "Hello\n\n-- \nAnn\n\nOn Monday, Bo wrote:\n> hi";
    expect(replacePlainSignature(body, "Ann", "Sales team")).toBe("Hello\n\n-- \nSales team\n\nOn Monday, Bo wrote:\n> hi");
    expect(replacePlainSignature(body, "Ann", "")).toBe("Hello\n\nOn Monday, Bo wrote:\n> hi");
    expect(replacePlainSignature("Hello", "", "Ann")).toBe("Hello\n\n-- \nAnn");
    expect(replacePlainSignature("Hi\nOn Monday, Bo wrote:\n> x", "", "Ann")).toBe("Hi\n\n-- \nAnn\n\nOn Monday, Bo wrote:\n> x");
  });

  it("in rich text, are a div.petrel-signature, replaced in place", () => {
    const html = withHtmlSignature('<div>On Monday, Bo wrote:</div><blockquote type="cite">hi</blockquote>', "Ann <ACME>", true);
    expect(html).toBe(
      '<div><br></div><div class="petrel-signature">-- <br>Ann &lt;ACME&gt;</div><div><br></div><div>On Monday, Bo wrote:</div><blockquote type="cite">hi</blockquote>',
    );
    const replaced = replaceHtmlSignature(html, "Sales");
    expect(replaced).toContain('<div class="petrel-signature">-- <br>Sales</div>');
    expect(replaced).not.toContain("ACME");
    expect(replaceHtmlSignature(replaced, "")).not.toContain("petrel-signature");
    const added = replaceHtmlSignature('<div>x</div><div>On Monday, Bo wrote:</div><blockquote>hi</blockquote>', "Ann");
    expect(added).toBe('<div>x</div><div class="petrel-signature">-- <br>Ann</div><div>On Monday, Bo wrote:</div><blockquote>hi</blockquote>');
  });
});

describe("the size of the message", () => {
  it("counts attachments as base64 (about 4/3 of their size)", () => {
    const size = estimateMessageSize("hi", null, [attachment(1, 3_000_000)]);
    expect(size).toBeGreaterThan(4_000_000);
    expect(size).toBeLessThan(4_200_000);
  });

  it("warns in plain words above the server's limit, and not when the limit is unknown", () => {
    const mb = 1024 * 1024;
    expect(sizeWarning(31 * mb, 25 * mb)).toBe(
      "This message is about 31 MB; your outgoing server accepts at most 25 MB. It will probably be refused.",
    );
    expect(sizeWarning(20 * mb, 25 * mb)).toBeNull();
    expect(sizeWarning(31 * mb, null)).toBeNull();
  });
});

describe("rich text to plain text", () => {
  it("keeps lines, lists, quotes and links", () => {
    const root = el(
      '<div>Hello <b>Bo</b>,</div><div><br></div><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>' +
        '<div>See <a href="https://example.org/x">the page</a></div><blockquote type="cite"><div>quoted</div><div>more</div></blockquote>' +
        '<div class="petrel-signature">-- <br>Ann</div>',
    );
    expect(htmlToPlain(root)).toBe(
      "Hello Bo,\n\n- one\n- two\n1. first\nSee the page <https://example.org/x>\n> quoted\n> more\n-- \nAnn",
    );
  });

  it("drops the editor's zero-width spaces", () => {
    const root = el("<div>Hi \u200b<b>\u200bbold</b></div>");
    expect(htmlToPlain(root)).toBe("Hi bold");
    expect(htmlForSending(root)).toBe("<div>Hi <b>bold</b></div>");
  });

  it("says when formatting would be lost", () => {
    expect(hasFormatting(el("<div>plain</div><blockquote>q</blockquote>"))).toBe(false);
    expect(hasFormatting(el("<div><b>bold</b></div>"))).toBe(true);
  });

  it("and back: plain text as lines, quotes and the signature", () => {
    expect(plainToHtml("Hi <you>\n\n-- \nAnn\n> quoted")).toBe(
      '<div>Hi &lt;you&gt;</div><div><br></div><div class="petrel-signature">-- <br>Ann</div><blockquote type="cite"><div>quoted</div></blockquote>',
    );
  });
});

describe("inline images", () => {
  it("are sent as cid: and edited as data: URLs", () => {
    const editing = htmlForEditing('<div><img src="cid:abc@petrel" alt="x"></div>', new Map([["abc@petrel", "data:image/png;base64,AAAA"]]));
    expect(editing).toContain('src="data:image/png;base64,AAAA"');
    expect(editing).toContain('data-cid="abc@petrel"');
    const sent = htmlForSending(el(editing));
    expect(sent).toContain('src="cid:abc@petrel"');
    expect(sent).not.toContain("data:");
    expect(sent).not.toContain("data-cid");
  });

  it("an image deleted from the text is dropped from the attachments", () => {
    const list = [attachment(1, 10), attachment(2, 10, "a@p"), attachment(3, 10, "b@p")];
    expect(keepUsedInline(list, '<img src="cid:b@p">').map((a) => a.id)).toEqual([1, 3]);
    expect(keepUsedInline(list, null).map((a) => a.id)).toEqual([1]);
  });
});

describe("links typed in the composer", () => {
  it("keeps a scheme, makes addresses mailto: and the rest https:", () => {
    expect(linkHref(" https://example.org/a ")).toBe("https://example.org/a");
    expect(linkHref("mailto:bo@example.org")).toBe("mailto:bo@example.org");
    expect(linkHref("bo@example.org")).toBe("mailto:bo@example.org");
    expect(linkHref("example.org/path?q=1")).toBe("https://example.org/path?q=1");
    expect(linkHref("")).toBeNull();
    expect(linkHref("https://")).toBeNull();
  });
});
