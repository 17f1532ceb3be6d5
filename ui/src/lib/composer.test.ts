// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { Identity } from "./bindings/Identity";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import { emptyMessage } from "./outgoing";

const api = {
  saveDraft: vi.fn(async (_id: number | null, _m: OutgoingMessage) => 31),
  discardDraft: vi.fn(async (_id: number) => null),
  sendMessage: vi.fn(async (_m: OutgoingMessage) => 42),
  deleteMessages: vi.fn(async (_ids: number[]) => null),
  listIdentities: vi.fn(async (accountId: number): Promise<Identity[]> => identities.filter((i) => i.account_id === accountId)),

  stageAttachment: vi.fn(async (data: Uint8Array, name: string, type: string, inline: boolean): Promise<ComposeAttachment> => ({
    id: 500 + data.length,
    name,
    mime_type: type,
    size: data.length,
    content_id: inline ? `img${data.length}@petrel` : null,
  })),
  stagedImageUrl: vi.fn(async (_id: number) => "data:image/png;base64,AAAA"),
  outgoingSizeLimit: vi.fn(async (_accountId: number): Promise<number | null> => 10_000),
};
vi.mock("./api", () => api);
const pending = api;

const identities: Identity[] = [
  { id: 1, account_id: 7, name: "Ann", email: "ann@a.org", signature: "Ann\nACME", rich_text: false, is_default: true },
  { id: 2, account_id: 7, name: "Sales", email: "sales@a.org", signature: "The sales team", rich_text: true, is_default: false },
  { id: 3, account_id: 8, name: "Ann", email: "ann@b.org", signature: "", rich_text: true, is_default: true },
];

const { AUTOSAVE_MS, ComposerState } = await import("./composer.svelte");

function typing(c: InstanceType<typeof ComposerState>, body: string): void {
  c.body = body;
  c.edited();
}

describe("draft autosave", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("saves a few seconds after the typing stops, then again under the same draft id", async () => {
    const c = new ComposerState();
    c.openNew(7);
    typing(c, "H");
    vi.advanceTimersByTime(AUTOSAVE_MS - 1);
    typing(c, "Hello");
    vi.advanceTimersByTime(AUTOSAVE_MS - 1);
    expect(api.saveDraft).not.toHaveBeenCalled();
    expect(c.draft).toBe("unsaved");
    await vi.advanceTimersByTimeAsync(1);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    expect(api.saveDraft).toHaveBeenLastCalledWith(null, expect.objectContaining({ account_id: 7, body: "Hello" }));
    expect(c.draftId).toBe(31);
    expect(c.draft).toBe("saved");
    typing(c, "Hello again");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(api.saveDraft).toHaveBeenLastCalledWith(31, expect.objectContaining({ body: "Hello again" }));
  });

  it("closing keeps the draft: saved at once if changed, nothing saved when untouched", async () => {
    const c = new ComposerState();
    c.openNew(7);
    await c.close();
    expect(api.saveDraft).not.toHaveBeenCalled();
    c.openNew(7);
    typing(c, "Unfinished");
    await c.close();
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    expect(c.isOpen).toBe(false);
    expect(api.discardDraft).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
  });

  it("Discard throws the saved draft away", async () => {
    const c = new ComposerState();
    c.openNew(7);
    typing(c, "No");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    await c.discard();
    expect(api.discardDraft).toHaveBeenCalledWith(31);
    expect(c.isOpen).toBe(false);
  });

  it("after Send the draft is discarded and no save follows", async () => {
    const c = new ComposerState();
    c.openNew(7);
    c.to = "bo@example.org";
    typing(c, "Sent text");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    typing(c, "Sent text, final");
    expect(await c.send()).toBe(42);
    expect(api.discardDraft).toHaveBeenCalledWith(31);
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
  });

  it("a draft reopened from the Drafts folder is saved and discarded under the engine's draft id", async () => {
    const c = new ComposerState();
    c.openSaved({ message: { ...emptyMessage(7), to: "bo@example.org", cc: "", subject: "Plan", body: "Draft" }, draft_id: 55 });
    expect(c.body).toBe("Draft");
    typing(c, "Draft, more");
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(api.saveDraft).toHaveBeenLastCalledWith(55, expect.objectContaining({ body: "Draft, more" }));
    await c.discard();
    expect(api.discardDraft).toHaveBeenCalledWith(31);
    expect(api.deleteMessages).not.toHaveBeenCalled();
  });

  it("a failed autosave only says so; on Close the reason shows and the composer stays open", async () => {
    const refusal = { kind: "invalid_input", summary: "This does not look like an e-mail address: bo@", detail: "", certificate: null, help_url: null };
    api.saveDraft.mockRejectedValueOnce(refusal).mockRejectedValueOnce(refusal);
    const c = new ComposerState();
    c.openNew(7);
    c.to = "bo@";
    c.edited();
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(c.draft).toBe("failed");
    expect(c.error).toBeNull();
    await c.close();
    expect(c.isOpen).toBe(true);
    expect(c.error?.summary).toBe(refusal.summary);
  });

  it("a message taken back from the outbox is kept as a draft when closed", async () => {
    const c = new ComposerState();
    c.openTakenBack({ ...emptyMessage(7), to: "bo@example.org", cc: "", subject: "Back", body: "Text" });
    await c.close();
    expect(api.saveDraft).toHaveBeenCalledWith(null, expect.objectContaining({ subject: "Back" }));
  });
});

describe("identity, format and attachments", () => {
  beforeEach(() => vi.clearAllMocks());

  it("a new message gets the identity's signature and format; changing From replaces both account and signature", async () => {
    const c = new ComposerState();
    await c.loadIdentities([7, 8]);
    c.openNew(7);
    expect(c.rich).toBe(false);
    expect(c.body).toBe("\n\n-- \nAnn\nACME");
    c.body = "Hello" + c.body;
    c.chooseIdentity(2);
    expect(c.body).toBe("Hello\n\n-- \nThe sales team");
    expect(c.message(7)).toMatchObject({ account_id: 7, identity_id: 2 });
    c.chooseIdentity(3);
    expect(c.accountId).toBe(8);
    expect(c.body).toBe("Hello\n");
    expect(pending.outgoingSizeLimit).toHaveBeenLastCalledWith(8);
  });

  it("a reply in rich text gets the signature above the quote, in the HTML", async () => {
    const c = new ComposerState();
    await c.loadIdentities([7]);
    c.openComposed({ ...emptyMessage(7), identity_id: 2, to: "bo@x.org", body: "> hi", html: '<blockquote type="cite">hi</blockquote>', in_reply_to: 5 });
    expect(c.rich).toBe(true);
    expect(c.html).toBe('<div><br></div><div class="petrel-signature">-- <br>The sales team</div><div><br></div><blockquote type="cite">hi</blockquote>');
    expect(c.body).toBe("\n\n-- \nThe sales team\n\n> hi");
    const before = c.htmlRevision;
    c.chooseIdentity(1);
    expect(c.html).toContain("-- <br>Ann<br>ACME");
    expect(c.htmlRevision).toBe(before + 1);
  });

  it("switching to plain text sends no HTML, and back to rich converts the text", async () => {
    const c = new ComposerState();
    await c.loadIdentities([8]);
    c.openNew(8);
    expect(c.rich).toBe(true);
    c.editorChanged("<div><b>Hi</b></div>", "Hi");
    expect(c.message(8).html).toBe("<div><b>Hi</b></div>");
    c.setRich(false);
    expect(c.message(8)).toMatchObject({ html: null, body: "Hi" });
    c.setRich(true);
    expect(c.html).toBe("<div>Hi</div>");
  });

  it("stages attached files, lists them, and warns when the message will be too big", async () => {
    const c = new ComposerState();
    c.openNew(7);
    await vi.waitFor(() => expect(c.sizeLimit).toBe(10_000));
    const staged = await c.attach([new File([new Uint8Array(20_000)], "Übersicht.pdf", { type: "application/pdf" })]);
    expect(pending.stageAttachment).toHaveBeenCalledWith(expect.any(Uint8Array), "Übersicht.pdf", "application/pdf", false);
    expect(c.files.map((a) => a.name)).toEqual(["Übersicht.pdf"]);
    expect(c.message(7).attachments).toEqual(staged);
    expect(c.sizeWarning).toMatch(/^This message is about .*; your outgoing server accepts at most 9.8 KB\. It will probably be refused\.$/);
    c.removeAttachment(staged[0]!.id);
    expect(c.files).toEqual([]);
    expect(c.sizeWarning).toBeNull();
  });

  it("an inline image is sent only while the HTML refers to it", async () => {
    const c = new ComposerState();
    await c.loadIdentities([8]);
    c.openNew(8);
    const [img] = await c.attach([new File([new Uint8Array(3)], "dot.png", { type: "image/png" })], true);
    expect(img?.content_id).toBe("img3@petrel");
    expect(c.inlineUrls.get("img3@petrel")).toMatch(/^data:image\/png;base64,/);
    expect(c.files).toEqual([]);
    c.editorChanged('<div><img src="cid:img3@petrel"></div>', "[image]");
    expect(c.message(8).attachments).toHaveLength(1);
    c.editorChanged("<div>gone</div>", "gone");
    expect(c.message(8).attachments).toHaveLength(0);
  });

  it("a reopened Petrel draft keeps its draft id; its inline images are shown from data: URLs", async () => {
    const c = new ComposerState();
    c.openSaved({
      message: { ...emptyMessage(7), html: '<img src="cid:x@p">', attachments: [{ id: 9, name: "x.png", mime_type: "image/png", size: 3, content_id: "x@p" }] },
      draft_id: 31,
    });
    expect(c.draftId).toBe(31);
    await vi.waitFor(() => expect(c.inlineUrls.get("x@p")).toBe("data:image/png;base64,AAAA"));
  });
});
