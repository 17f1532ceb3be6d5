import { render } from "svelte/server";
import { describe, expect, it } from "vitest";
import { attachmentChips } from "../lib/attachments";
import AttachmentChips from "./AttachmentChips.svelte";

const chips = attachmentChips(
  [
    { filename: "Messdaten März.bin", mime_type: "application/octet-stream", size: 20 * 1024 * 1024 },
    { filename: "Foto.jpg", mime_type: "image/jpeg", size: 300 * 1024 },
    { filename: "<script>alert(1)</script>.pdf", mime_type: "application/pdf", size: 10 },
  ],
  "en-GB",
);

function html(saves: Record<number, "saving" | "saved"> = {}): string {
  return render(AttachmentChips, { props: { chips, saves, onsave: () => {}, onopen: () => {} } }).body;
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe("AttachmentChips", () => {
  it("shows one chip per attachment with its name, size, kind and a Save button", () => {
    const out = html();
    expect(count(out, 'data-testid="attachment-chip"')).toBe(3);
    expect(out).toContain("Messdaten März.bin");
    expect(out).toContain("20 MB");
    expect(out).toContain('data-kind="file"');
    expect(out).toContain('data-kind="image"');
    expect(out).toContain('data-kind="document"');
    expect(out).toContain('aria-label="Save Foto.jpg"');
    expect(count(out, "Save…")).toBe(3);
    expect(out).toContain('title="Foto.jpg — image/jpeg, 300 KB"');
  });

  it("offers Open for documents and pictures, not for what may be a program", () => {
    const out = html();
    expect(count(out, 'data-testid="attachment-open"')).toBe(2);
    expect(out).toContain('aria-label="Open Foto.jpg"');
    expect(out).not.toContain('aria-label="Open Messdaten März.bin"');
  });

  it("shows a save in progress and a finished one", () => {
    const out = html({ 0: "saving", 2: "saved" });
    expect(out).toContain("Saving…");
    expect(out).toContain("Saved");
    expect(count(out, "Save…")).toBe(1);
    expect(count(out, "disabled")).toBe(1);
  });

  it("puts file names in as text, never as markup", () => {
    const out = html();
    expect(out).not.toContain("<script>alert(1)</script>");
    expect(out).toContain("&lt;script>alert(1)&lt;/script>.pdf");
  });
});
