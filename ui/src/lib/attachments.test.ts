import { describe, expect, it } from "vitest";
import { attachmentChips, attachmentKind, canOpen, safeFileName } from "./attachments";

const a = (filename: string, mime_type: string, size = 0) => ({ filename, mime_type, size });

describe("attachmentKind", () => {
  it("goes by MIME type first", () => {
    expect(attachmentKind(a("x", "image/png"))).toBe("image");
    expect(attachmentKind(a("x", "video/mp4"))).toBe("media");
    expect(attachmentKind(a("x", "application/pdf"))).toBe("document");
    expect(attachmentKind(a("x", "text/csv"))).toBe("document");
    expect(attachmentKind(a("x", "application/zip"))).toBe("archive");
    expect(attachmentKind(a("x", "APPLICATION/VND.OPENXMLFORMATS-OFFICEDOCUMENT.WORDPROCESSINGML.DOCUMENT"))).toBe("document");
  });

  it("falls back to the extension when the type says nothing", () => {
    expect(attachmentKind(a("Foto.JPG", "application/octet-stream"))).toBe("image");
    expect(attachmentKind(a("backup.tar.gz", "application/octet-stream"))).toBe("archive");
    expect(attachmentKind(a("Rechnung März.pdf", "application/octet-stream"))).toBe("document");
    expect(attachmentKind(a("Messdaten.bin", "application/octet-stream"))).toBe("file");
    expect(attachmentKind(a(".pdf", ""))).toBe("file");
  });
});

describe("canOpen", () => {
  it("offers documents and pictures, never programs, whatever the other half says", () => {
    expect(canOpen(a("Rechnung März.pdf", "application/pdf"))).toBe(true);
    expect(canOpen(a("Foto.jpg", "application/octet-stream"))).toBe(true);
    expect(canOpen(a("setup.exe", "application/octet-stream"))).toBe(false);
    expect(canOpen(a("invoice.pdf.exe", "application/pdf"))).toBe(false);
    expect(canOpen(a("INVOICE.PDF.EXE. ", "application/pdf"))).toBe(false);
    expect(canOpen(a("innocent.pdf", "application/x-msdownload"))).toBe(false);
    expect(canOpen(a("x.desktop", "text/plain"))).toBe(false);
    expect(canOpen(a("Messdaten.bin", "application/octet-stream"))).toBe(false);
    expect(canOpen(a("", "text/plain"))).toBe(false);
  });
});

describe("safeFileName", () => {
  it("keeps a normal name, letters outside ASCII included", () => {
    expect(safeFileName("Messdaten März.bin")).toBe("Messdaten März.bin");
  });

  it("drops folders, hiding dots and characters file systems refuse", () => {
    expect(safeFileName("../../.bashrc")).toBe("bashrc");
    expect(safeFileName("C:\\Users\\x\\evil.exe")).toBe("evil.exe");
    expect(safeFileName('a<b>c:"d|e?f*g\u0000h\nj.txt')).toBe("a_b_c__d_e_f_g_h_j.txt");
    expect(safeFileName("   ")).toBe("attachment");
    expect(safeFileName("")).toBe("attachment");
    expect(safeFileName("x".repeat(300))).toHaveLength(200);
  });
});

describe("attachmentChips", () => {
  it("labels each attachment with its number, kind, size and a tooltip", () => {
    const chips = attachmentChips([a("Messdaten März.bin", "application/octet-stream", 20 * 1024 * 1024), a("", "image/png", 2048)], "en-GB");
    expect(chips).toEqual([
      {
        index: 0,
        name: "Messdaten März.bin",
        size: "20 MB",
        kind: "file",
        openable: false,
        title: "Messdaten März.bin — application/octet-stream, 20 MB",
      },
      { index: 1, name: "(unnamed)", size: "2 KB", kind: "image", openable: false, title: "(unnamed) — image/png, 2 KB" },
    ]);
  });
});
